//! Key expiry and roll (PRODUCT.md section 12) and idempotent invoke (section 15): what the CLI
//! sends and what it says, against a fake API.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

use crate::support::{FakeApi, Received};

const NEW_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

fn created(expires_at: Option<&str>, rolled_from: Option<&str>) -> String {
    let mut key = json!({"id": "k2", "name": "ci", "key": NEW_KEY, "masked": "fedcba98…3210",
                         "created_at": "2026-11-26T10:49:18Z", "expires_at": expires_at});
    if let Some(old) = rolled_from {
        key["rolled_from"] = json!(old);
    }
    key.to_string()
}

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The only request `api` received, as `route`.
#[track_caller]
fn only(api: &FakeApi, route: &str) -> Received {
    let requests = api.requests();
    assert_eq!(api.routes(), [route], "{requests:#?}");
    requests[0].clone()
}

#[tokio::test]
async fn keys_create_expires_in_sends_a_utc_time_that_far_ahead() {
    let api = FakeApi::serve(&[(
        "POST /v1/api-keys",
        201,
        created(Some("2026-12-26T10:49:18Z"), None),
    )]);
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let run = api.run(&["keys", "create", "ci", "--expires-in", "30d"]).await;
    let after = OffsetDateTime::now_utc();
    let stdout = run.ok();
    assert!(
        stdout.contains("\nExpires: 2026-12-26 10:49:18 UTC\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(NEW_KEY) && stdout.contains("will not be shown again"),
        "{stdout}"
    );

    let body = only(&api, "POST /v1/api-keys").json();
    let expires_at = body["expires_at"].as_str().unwrap();
    assert!(
        expires_at.ends_with('Z') && expires_at.len() == 20,
        "UTC, whole seconds: {expires_at}"
    );
    let sent = at(expires_at);
    assert!(
        sent >= before + Duration::days(30) && sent <= after + Duration::days(30),
        "{sent}"
    );
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["name"], "ci");
}

#[tokio::test]
async fn keys_create_expires_at_is_sent_in_utc_and_shown_in_json_as_received() {
    let body = created(None, None);
    let api = FakeApi::serve(&[("POST /v1/api-keys", 201, body.clone())]);
    let utc = (OffsetDateTime::now_utc() + Duration::days(2))
        .replace_nanosecond(0)
        .unwrap();
    let local = utc
        .to_offset(UtcOffset::from_hms(2, 0, 0).unwrap())
        .format(&Rfc3339)
        .unwrap();
    let run = api
        .run(&["keys", "create", "ci", "--expires-at", &local, "--json"])
        .await;
    assert_eq!(run.ok(), format!("{body}\n"));
    let sent = only(&api, "POST /v1/api-keys").json();
    assert_eq!(sent["expires_at"], utc.format(&Rfc3339).unwrap(), "{local}");

    // Without an expiry: no field at all, and the text says the key never expires.
    let api = FakeApi::serve(&[("POST /v1/api-keys", 201, body)]);
    let run = api.run(&["keys", "create", "ci"]).await;
    assert!(run.ok().contains("\nExpires: never\n"), "{run:?}");
    assert_eq!(only(&api, "POST /v1/api-keys").json(), json!({"name": "ci"}));
}

#[tokio::test]
async fn a_bad_expiry_is_a_usage_error_before_any_request() {
    let api = FakeApi::serve(&[]);
    for args in [
        &["keys", "create", "ci", "--expires-in", "30"][..],
        &["keys", "create", "ci", "--expires-in", "soon"],
        &["keys", "create", "ci", "--expires-in", "0"],
        &["keys", "create", "ci", "--expires-in", "367d"],
        &["keys", "create", "ci", "--expires-at", "2020-01-01T00:00:00Z"],
        &["keys", "create", "ci", "--expires-at", "tomorrow"],
        &[
            "keys",
            "create",
            "ci",
            "--expires-in",
            "1d",
            "--expires-at",
            "2030-01-01T00:00:00Z",
        ],
        &["keys", "roll", "k1", "--overlap", "8d", "--yes"],
        &["keys", "roll", "k1", "--overlap", "1 hour", "--yes"],
    ] {
        let run = api.run(args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty());
    }
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn keys_roll_with_an_overlap_says_until_when_the_old_key_works() {
    let api = FakeApi::serve(&[("POST /v1/api-keys/k1/roll", 201, created(None, Some("k1")))]);
    let before = OffsetDateTime::now_utc();
    let run = api.run(&["keys", "roll", "k1", "--overlap", "1h"]).await;
    let stdout = run.ok();
    assert!(
        stdout.starts_with("Rolled API key \"ci\": the new key (id k2) replaces k1.\n"),
        "{stdout}"
    );
    assert!(stdout.contains(NEW_KEY), "{stdout}");
    let until = stdout
        .split("keeps working for 1h, until ")
        .nth(1)
        .and_then(|rest| rest.split(" UTC").next())
        .unwrap_or_else(|| panic!("until when, in {stdout}"));
    let until = at(&format!("{}Z", until.replace(' ', "T")));
    assert!(
        until >= before.replace_nanosecond(0).unwrap() + Duration::hours(1),
        "{until}"
    );
    assert!(until <= OffsetDateTime::now_utc() + Duration::hours(1), "{until}");
    assert_eq!(
        only(&api, "POST /v1/api-keys/k1/roll").json(),
        json!({"overlap_seconds": 3600})
    );
}

#[tokio::test]
async fn keys_roll_without_overlap_asks_first_and_sends_what_was_given() {
    let body = created(Some("2027-01-01T00:00:00Z"), Some("k1"));
    let api = FakeApi::serve(&[("POST /v1/api-keys/k1/roll", 201, body.clone())]);

    // The old key would stop at once: stdin is not a terminal, so no without --yes.
    let refused = api.run(&["keys", "roll", "k1"]).await;
    assert!(refused.failed(2).contains("--yes"), "{refused:?}");
    assert!(api.requests().is_empty());

    let run = api.run(&["keys", "roll", "k1", "--yes"]).await;
    assert!(
        run.ok().contains("The old key k1 has stopped working."),
        "{run:?}"
    );
    assert!(run.stdout.contains("Expires: 2027-01-01 00:00:00 UTC"), "{run:?}");
    assert_eq!(api.requests()[0].json(), json!({}));

    let json = api
        .run(&[
            "keys",
            "roll",
            "k1",
            "--overlap",
            "0",
            "--expires-in",
            "90d",
            "-y",
            "--json",
        ])
        .await;
    assert_eq!(json.ok(), format!("{body}\n"));
    let sent: Value = api.requests()[1].json();
    assert_eq!(sent["overlap_seconds"], 0);
    assert!(sent["expires_at"].as_str().unwrap().ends_with('Z'), "{sent}");
}

#[tokio::test]
async fn rolling_an_expired_or_unknown_key_prints_the_apis_message() {
    let error = |code: &str, message: &str| json!({"error": {"code": code, "message": message}}).to_string();
    let api = FakeApi::serve(&[
        (
            "POST /v1/api-keys/old/roll",
            409,
            error("conflict", "API key has expired"),
        ),
        (
            "POST /v1/api-keys/gone/roll",
            404,
            error("not_found", "API key not found"),
        ),
    ]);
    let expired = api.run(&["keys", "roll", "old", "--overlap", "1h"]).await;
    assert_eq!(expired.failed(1), "axiom: API key has expired (HTTP 409)\n");
    let gone = api.run(&["keys", "roll", "gone", "--overlap", "1h"]).await;
    assert_eq!(gone.failed(1), "axiom: API key not found\n");
}

fn execution(status: &str) -> String {
    json!({"execution_id": "e1", "graph_id": "g1", "key_id": "k1", "status": status,
           "input": {}, "output": {}, "error": null, "started_at": "2026-11-26T10:49:18Z",
           "ended_at": "2026-11-26T10:49:18Z", "duration_ms": 3, "steps": []})
    .to_string()
}

#[tokio::test]
async fn invoke_sends_the_idempotency_key_as_a_header() {
    let api = FakeApi::serve(&[("POST /invocations/v1/flows/invoke", 200, execution("succeeded"))]);
    let run = api
        .run(&["invoke", "g1", "--idempotency-key", "order-42 retry", "--json"])
        .await;
    assert_eq!(run.json()["execution_id"], "e1");
    let request = only(&api, "POST /invocations/v1/flows/invoke");
    assert_eq!(request.header("idempotency-key"), Some("order-42 retry"));
    assert_eq!(
        request.json(),
        json!({"graph_id": "g1", "input": {}, "wait": false})
    );

    let without = api.run(&["invoke", "g1"]).await;
    without.ok();
    assert_eq!(api.requests()[1].header("idempotency-key"), None);
}

#[tokio::test]
async fn a_reused_idempotency_key_says_what_happened() {
    let reused = json!({"error": {"code": "idempotency_key_reused",
                                  "message": "Idempotency-Key was used with another request"}});
    let api = FakeApi::serve(&[("POST /invocations/v1/flows/invoke", 409, reused.to_string())]);
    let run = api.run(&["invoke", "g2", "--idempotency-key", "order-42"]).await;
    let stderr = run.failed(1);
    assert!(
        stderr.contains("the idempotency key \"order-42\" was used in the last 24 hours"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no run was started") && stderr.contains("HTTP 409"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_bad_idempotency_key_is_a_usage_error_before_any_request() {
    let api = FakeApi::serve(&[]);
    let long = "k".repeat(256);
    for key in ["", "café", "tab\there", " padded", long.as_str()] {
        let run = api.run(&["invoke", "g1", "--idempotency-key", key]).await;
        assert!(run.failed(2).contains("idempotency key"), "{key:?}: {run:?}");
    }
    assert!(api.requests().is_empty());
}
