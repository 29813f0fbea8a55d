//! The authorizer's per-request work without the database: parse the payload 2.0 event,
//! check the key's form, hash it, build and serialize the verdict. `cargo bench -p axiom-shared`.

use std::hint::black_box;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use axiom_shared::{
    api::authorizer::{self, Decision},
    domain::keys::Credential,
};
use criterion::{Criterion, criterion_group, criterion_main};

const VALID: &str = include_str!("../../events/authorizer-valid.json");
const MALFORMED: &str = include_str!("../../events/authorizer-malformed.json");

fn verdict(event: &str, credential: &Credential) -> Vec<u8> {
    let request: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_str(event).unwrap();
    let decision = match authorizer::key_hash(&request.headers) {
        Ok(hash) => {
            black_box(hash);
            Decision::Allow {
                credential: credential.clone(),
                recorded_use: false,
            }
        }
        Err(refusal) => Decision::Refused(refusal),
    };
    serde_json::to_vec(&decision.response()).unwrap()
}

fn authorizer(c: &mut Criterion) {
    let credential = Credential {
        account_id: "0193f1e2-7c4d-7a10-9b6e-2f1c3d4e5a6b".into(),
        tenant: "acme".into(),
        email: "dev@acme.io".into(),
        key_id: "0193f1e2-8d5e-7b21-8c7f-3a2b4c5d6e7f".into(),
        expires_at: None,
        last_used_at: Some("2026-11-26T10:49:18Z".into()),
    };
    c.bench_function("authorizer/allow: parse + check + sha256 + verdict", |b| {
        b.iter(|| verdict(black_box(VALID), &credential))
    });
    c.bench_function("authorizer/refuse malformed: parse + check + verdict", |b| {
        b.iter(|| verdict(black_box(MALFORMED), &credential))
    });
}

criterion_group!(benches, authorizer);
criterion_main!(benches);
