//! No log line contains a raw key. All logs of this test binary are captured (through the
//! functions' own logging set-up at `trace`, SDK and server included) while keys are minted,
//! used, listed and revoked over HTTP. (`scripts/lambda-runtime-check` does the same for the
//! function binaries under the Lambda runtime.)

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use axiom_shared::domain::keys::KeyHash;
use axiom_tests::{Server, account, answer};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn raw_keys_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The functions' and the local server's own logging, at its most verbose.
    // SAFETY: the only test of this binary; nothing else reads the environment yet.
    unsafe { std::env::set_var("RUST_LOG", "trace") };
    axiom_shared::logging::init(move || writer.clone());

    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let (_, created) = answer(server.post("/v1/api-keys", &raw).json(&json!({"name": "ci"}))).await;
    let minted = created["key"].as_str().unwrap().to_owned();
    server.get("/v1/api-keys", &minted).send().await.unwrap();
    server.get("/v1/whoami", &minted).send().await.unwrap();
    server
        .delete(&format!("/v1/api-keys/{}", created["id"].as_str().unwrap()), &raw)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.get("/v1/whoami", &minted).send().await.unwrap().status(),
        403
    );
    server
        .post("/v1/api-keys", &raw)
        .body("{broken")
        .send()
        .await
        .unwrap();

    // A browser sign-in: its device code and the key it mints are secrets too.
    let (_, grant) = answer(server.http.post(server.url("/v1/auth/device"))).await;
    let device_code = grant["device_code"].as_str().unwrap().to_owned();
    let approve = json!({"user_code": grant["user_code"], "approve": true});
    answer(server.post("/v1/auth/device/approve", &raw).json(&approve)).await;
    let poll = json!({"device_code": device_code});
    let (_, signed_in) = answer(server.http.post(server.url("/v1/auth/device/token")).json(&poll)).await;
    let device_key = signed_in["key"].as_str().unwrap().to_owned();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("created an API key"), "the capture works");
    assert!(logs.contains("revoked an API key"));
    assert!(logs.contains("refused an unknown or revoked key"));
    assert!(logs.contains("minted a key for a device sign-in"));
    for secret in [&raw, &minted, &device_key, &device_code] {
        assert!(!logs.contains(secret.as_str()), "a secret was logged");
        // Nor a whole hash of one (a prefix of 8 characters at most).
        assert!(
            !logs.contains(KeyHash::of(secret).as_str()),
            "a whole key hash was logged"
        );
    }
}
