//! `axiom login`'s browser sign-in (PRODUCT.md section 17), `login --with-key` and
//! `logout --revoke`, against a fake API that plays the Console's part.

use std::{
    os::unix::fs::PermissionsExt,
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{FAKE_KEY, FakeApi, Run, User, finish, piped};

const MINTED: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e9f0e";
const DEVICE: &str = "POST /v1/auth/device";
const TOKEN: &str = "POST /v1/auth/device/token";

fn grant(base: &str) -> String {
    json!({"device_code": "dc-secret", "user_code": "BCDF-GHJK",
           "verification_uri": format!("{base}/console/device"),
           "verification_uri_complete": format!("{base}/console/device?code=BCDF-GHJK"),
           "expires_in": 600, "interval": 1})
    .to_string()
}

fn device_error(code: &str) -> (u16, String) {
    (
        400,
        json!({"error": {"code": code, "message": format!("{code} from the fake")}}).to_string(),
    )
}

fn token() -> (u16, String) {
    let token = json!({"key": MINTED, "key_id": "k-cli", "name": "cli", "email": "dev@acme.io",
                       "tenant": "acme", "expires_at": "2027-02-24T10:49:18Z"});
    (200, token.to_string())
}

/// A fake API whose token route answers `answers` in turn. The grant's URIs point at a
/// made-up Console: the fake needs to know its own address for them, so it is served twice.
fn sign_in(answers: Vec<(u16, String)>) -> FakeApi {
    FakeApi::scripted(&[
        (DEVICE, vec![(200, grant("https://console.example"))]),
        (TOKEN, answers),
    ])
}

/// `axiom login ARGS` against `api`, for `user`, without AXIOM_API_KEY.
async fn login(api: &FakeApi, user: &User, args: &[&str]) -> Run {
    finish(user.axiom(&[&["login", "--endpoint", &api.base], args].concat())).await
}

#[tokio::test]
async fn the_sign_in_polls_slows_down_when_told_and_stores_the_minted_key() {
    let api = sign_in(vec![
        device_error("authorization_pending"),
        device_error("slow_down"),
        token(),
    ]);
    let user = User::new();
    let run = login(&api, &user, &["--no-browser"]).await;
    assert_eq!(run.ok(), "Logged in as dev@acme.io (tenant acme)\n");
    assert!(run.stderr.contains("enter the code BCDF-GHJK"), "{run:?}");
    assert!(
        run.stderr.contains("https://console.example/console/device\n"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("https://console.example/console/device?code=BCDF-GHJK"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("dc-secret"),
        "the device code is not shown: {run:?}"
    );
    assert!(!run.stdout.contains(MINTED) && !run.stderr.contains(MINTED));
    assert_eq!(
        user.stored(),
        Some(json!({"endpoint": api.base, "api_key": MINTED}))
    );
    assert_eq!(user.mode(&user.credentials()), 0o600);

    let requests = api.requests();
    assert_eq!(api.routes(), [DEVICE, TOKEN, TOKEN, TOKEN]);
    assert!(
        requests
            .iter()
            .all(|request| request.header("authorization").is_none())
    );
    for poll in &requests[1..] {
        assert_eq!(poll.json(), json!({"device_code": "dc-secret"}));
    }
    // The grant's interval (1 s) between polls, 5 s more after the slow_down.
    let gap = |n: usize| requests[n].at - requests[n - 1].at;
    assert!(gap(1) >= Duration::from_secs(1), "{:?}", gap(1));
    assert!(
        gap(2) >= Duration::from_secs(1) && gap(2) < Duration::from_secs(5),
        "{:?}",
        gap(2)
    );
    assert!(gap(3) >= Duration::from_secs(6), "{:?}", gap(3));
}

#[tokio::test]
async fn a_denied_sign_in_exits_3_and_stores_nothing() {
    let api = sign_in(vec![
        device_error("authorization_pending"),
        device_error("access_denied"),
    ]);
    let user = User::new();
    let run = login(&api, &user, &["--no-browser"]).await;
    let stderr = run.failed(3);
    assert!(stderr.contains("the sign-in was denied"), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert!(!user.credentials().exists());
}

#[tokio::test]
async fn an_expired_or_unknown_code_exits_1_and_stores_nothing() {
    let user = User::new();
    let expired = sign_in(vec![device_error("expired_token")]);
    let run = login(&expired, &user, &["--no-browser"]).await;
    assert!(
        run.failed(1)
            .contains("the code expired, run `axiom login` again"),
        "{run:?}"
    );
    let unknown = sign_in(vec![device_error("invalid_grant")]);
    let run = login(&unknown, &user, &["--no-browser"]).await;
    assert!(run.failed(1).contains("invalid_grant"), "{run:?}");
    assert!(!user.credentials().exists());
}

#[tokio::test]
async fn the_browser_opens_at_the_address_with_the_code() {
    let api = sign_in(vec![token()]);
    let user = User::new();
    let opened = user.home().join("opened");
    let browser = user.home().join("browser");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > {}\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut command = user.axiom(&["login", "--endpoint", &api.base, "--json"]);
    command.env("BROWSER", &browser);
    let run = finish(command).await;
    // --json: the API's answer, less the key (which is stored, not printed).
    assert_eq!(
        run.json(),
        json!({"key_id": "k-cli", "name": "cli", "email": "dev@acme.io", "tenant": "acme",
               "expires_at": "2027-02-24T10:49:18Z"})
    );
    assert!(run.stderr.contains("A browser was opened"), "{run:?}");
    assert_eq!(user.stored().unwrap()["api_key"], MINTED);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !opened.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let address = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(
        address.trim(),
        "https://console.example/console/device?code=BCDF-GHJK"
    );

    // --no-browser: not opened.
    std::fs::remove_file(&opened).unwrap();
    let mut command = user.axiom(&["login", "--endpoint", &api.base, "--no-browser"]);
    command.env("BROWSER", &browser);
    finish(command).await.ok();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!opened.exists());
}

#[tokio::test]
async fn an_api_without_the_sign_in_says_how_else_to_log_in() {
    let api = FakeApi::serve(&[]);
    let user = User::new();
    let run = login(&api, &user, &["--no-browser"]).await;
    let stderr = run.failed(1);
    assert!(stderr.contains("does not offer the browser sign-in"), "{stderr}");
    assert!(stderr.contains("--with-key"), "{stderr}");
}

#[tokio::test]
async fn ctrl_c_while_waiting_exits_130_and_stores_nothing() {
    let api = sign_in(vec![device_error("authorization_pending")]);
    let user = User::new();
    let mut command = user.axiom(&["login", "--endpoint", &api.base, "--no-browser"]);
    command.stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let waiting = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if line.starts_with("Waiting for the approval") {
                return;
            }
        }
        panic!("no prompt");
    });
    waiting.await.expect("the prompt in time");
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stopped in time")
        .unwrap();
    assert_eq!(status.code(), Some(130));
    let mut rest = String::new();
    while let Some(line) = stderr.next_line().await.unwrap() {
        rest.push_str(&line);
    }
    assert!(rest.contains("Stopped: nothing was stored."), "{rest}");
    assert!(!user.credentials().exists());
}

fn whoami() -> String {
    json!({"email": "dev@acme.io", "tenant": "acme", "account_id": "a1", "key_id": "k1"}).to_string()
}

#[tokio::test]
async fn with_key_reads_stdin_and_never_starts_the_sign_in() {
    let api = FakeApi::serve(&[("GET /v1/whoami", 200, whoami())]);
    let user = User::new();
    let run = piped(
        user.axiom(&["login", "--with-key", "--endpoint", &api.base]),
        Some(&format!("{FAKE_KEY}\n")),
    )
    .await;
    assert!(run.ok().contains("dev@acme.io"), "{run:?}");
    assert_eq!(user.stored().unwrap()["api_key"], FAKE_KEY);
    let request = &api.requests()[0];
    assert_eq!(request.route(), "GET /v1/whoami");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {FAKE_KEY}").as_str())
    );

    // Nothing on stdin: a usage error, no sign-in.
    let nothing = user.at(&api.base, &["login", "--with-key"]).await;
    assert!(nothing.failed(2).contains("AXIOM_API_KEY"), "{nothing:?}");
    let flags = user.at(&api.base, &["login", "--with-key", "--no-browser"]).await;
    assert_eq!(flags.code, 2, "{flags:?}");

    // AXIOM_API_KEY wins over everything: no prompt, no sign-in.
    let mut command = api.command(&user, &["login"]);
    command.env("BROWSER", "false");
    finish(command).await.ok();
    assert!(api.routes().iter().all(|route| route == "GET /v1/whoami"));
}

/// A user logged in to `api` with [`FAKE_KEY`].
async fn logged_in(api: &FakeApi) -> User {
    let user = User::new();
    user.login(&api.base, FAKE_KEY).await;
    user
}

#[tokio::test]
async fn logout_revoke_revokes_the_stored_key_then_forgets_it() {
    let api = FakeApi::serve(&[
        ("GET /v1/whoami", 200, whoami()),
        ("DELETE /v1/api-keys/k1", 204, String::new()),
    ]);
    let user = logged_in(&api).await;
    let run = user.run(&["logout", "--revoke"]).await;
    let stdout = run.ok();
    assert!(
        stdout.starts_with("Revoked API key k1.\nLogged out: removed "),
        "{stdout}"
    );
    assert!(!user.credentials().exists());
    assert_eq!(
        api.routes(),
        ["GET /v1/whoami", "GET /v1/whoami", "DELETE /v1/api-keys/k1"]
    );
    let delete = &api.requests()[2];
    assert_eq!(
        delete.header("authorization"),
        Some(format!("Bearer {FAKE_KEY}").as_str())
    );

    let user = logged_in(&api).await;
    let json: Value = user.run(&["logout", "--revoke", "--json"]).await.json();
    assert_eq!(json, json!({"logged_out": true, "revoked": true, "key_id": "k1"}));
    let nothing = user.run(&["logout", "--revoke", "--json"]).await.json();
    assert_eq!(
        nothing,
        json!({"logged_out": false, "revoked": false, "key_id": null})
    );
}

#[tokio::test]
async fn logout_revoke_keeps_the_key_when_the_revoke_fails() {
    let failing = json!({"error": {"code": "internal_error", "message": "try again"}});
    let api = FakeApi::serve(&[
        ("GET /v1/whoami", 200, whoami()),
        ("DELETE /v1/api-keys/k1", 500, failing.to_string()),
    ]);
    let user = logged_in(&api).await;
    let run = user.run(&["logout", "--revoke"]).await;
    let stderr = run.failed(1);
    assert!(
        stderr.contains("still stored") && stderr.contains("try again"),
        "{stderr}"
    );
    assert!(user.credentials().exists());
}

#[tokio::test]
async fn logout_revoke_forgets_a_key_that_is_already_refused() {
    let api = FakeApi::serve(&[("GET /v1/whoami", 200, whoami())]);
    let user = logged_in(&api).await;
    let refused = FakeApi::serve(&[("GET /v1/whoami", 403, r#"{"message":"Forbidden"}"#.into())]);
    // Point the stored credentials at an API that now refuses the key.
    let mut stored = user.stored().unwrap();
    stored["endpoint"] = json!(refused.base);
    std::fs::write(user.credentials(), stored.to_string()).unwrap();
    let run = user.run(&["logout", "--revoke"]).await;
    assert!(
        run.ok().contains("already invalid, revoked or expired"),
        "{run:?}"
    );
    assert!(!user.credentials().exists());
    assert_eq!(
        refused.routes(),
        ["GET /v1/whoami"],
        "no DELETE with a refused key"
    );
}
