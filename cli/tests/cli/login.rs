//! `axiom login`, `whoami`, `logout`, and what a refused key does.

use std::{os::unix::fs::PermissionsExt, process::Stdio, time::Duration};

use axiom_tests::{Server, account, answer};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{User, finish, key_id, piped};

const WELL_FORMED_UNKNOWN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn login_from_the_environment_stores_the_key_privately_without_a_prompt() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let user = User::new();

    // stdin is closed: a prompt would fail; none is made.
    let mut command = user.axiom(&["login"]);
    command
        .env("AXIOM_API_KEY", &raw)
        .env("AXIOM_ENDPOINT", &server.base);
    let stdout = finish(command).await.ok().to_owned();
    assert!(stdout.contains(&acme.email), "{stdout}");
    assert!(stdout.contains("acme"), "{stdout}");
    assert!(!stdout.contains(&raw), "the key is never printed: {stdout}");

    assert_eq!(
        user.stored(),
        Some(json!({"endpoint": server.base, "api_key": raw}))
    );
    assert_eq!(user.mode(&user.credentials()), 0o600);
    assert_eq!(user.mode(&user.home().join(".axiom")), 0o700);

    // From now on, no variable is needed: key and endpoint come from the file.
    let whoami = user.run(&["whoami"]).await;
    assert_eq!(whoami.ok(), format!("Email: {}\nTenant: acme\n", acme.email));
}

#[tokio::test]
async fn login_reads_the_key_from_stdin_when_it_is_not_a_terminal() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let user = User::new();
    let login = piped(
        user.axiom(&["login", "--endpoint", &server.base]),
        Some(&format!("{raw}\n")),
    )
    .await;
    login.ok();
    assert_eq!(user.stored().unwrap()["api_key"], raw);
    let whoami = user.run(&["whoami", "--json"]).await.json();
    assert_eq!(whoami["email"], acme.email);
    assert_eq!(whoami["tenant"], "acme");
    assert_eq!(whoami["account_id"], acme.account_id);
}

#[tokio::test]
async fn a_key_that_is_refused_or_malformed_is_never_stored() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;

    let user = User::new();
    let mut command = user.axiom(&["login", "--endpoint", &server.base]);
    command.env("AXIOM_API_KEY", WELL_FORMED_UNKNOWN);
    let stderr = finish(command).await.failed(3).to_owned();
    assert!(stderr.contains("invalid or revoked"), "{stderr}");
    assert!(stderr.contains("axiom login"), "{stderr}");
    assert!(!user.credentials().exists());

    let refused = piped(
        user.axiom(&["login", "--endpoint", &server.base]),
        Some("not-a-key\n"),
    )
    .await;
    assert!(refused.failed(3).contains("not an Axiom API key"), "{refused:?}");
    assert!(!user.credentials().exists());

    // No key at all (no variable, nothing on stdin): a usage error, nothing stored. (Without
    // --with-key, a closed stdin means the browser sign-in: see device.rs.)
    let nothing = user.at(&server.base, &["login", "--with-key"]).await;
    assert!(nothing.failed(2).contains("AXIOM_API_KEY"), "{nothing:?}");
    assert!(!user.credentials().exists());

    // A good login, then a bad one: the good key stays.
    user.login(&server.base, &raw).await;
    let mut command = user.axiom(&["login", "--endpoint", &server.base]);
    command.env("AXIOM_API_KEY", WELL_FORMED_UNKNOWN);
    finish(command).await.failed(3);
    assert_eq!(user.stored().unwrap()["api_key"], raw);
    user.run(&["whoami"]).await.ok();
}

#[tokio::test]
async fn login_makes_an_existing_folder_private() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    let folder = user.home().join(".axiom");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    user.login(&server.base, &raw).await;
    assert_eq!(user.mode(&folder), 0o700);
    assert_eq!(user.mode(&user.credentials()), 0o600);
}

#[tokio::test]
async fn logout_forgets_the_key() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;

    let logout = user.run(&["logout"]).await;
    assert!(logout.ok().contains("Logged out"), "{logout:?}");
    assert!(!user.credentials().exists());

    let whoami = user.run(&["whoami"]).await;
    assert!(whoami.failed(3).contains("not logged in"), "{whoami:?}");

    // Once more: nothing to forget, still fine.
    let again = user.run(&["logout", "--json"]).await.json();
    assert_eq!(again, json!({"logged_out": false}));
}

#[tokio::test]
async fn login_with_key_reads_stdin_and_logout_revoke_ends_the_key() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let user = User::new();
    let login = piped(
        user.axiom(&["login", "--with-key", "--endpoint", &server.base]),
        Some(&format!("{raw}\n")),
    )
    .await;
    assert!(login.ok().contains(&acme.email), "{login:?}");

    let id = key_id(&user, &server.base, "cli").await;
    let logout = user.run(&["logout", "--revoke"]).await;
    assert!(
        logout
            .ok()
            .starts_with(&format!("Revoked API key {id}.\nLogged out")),
        "{logout:?}"
    );
    assert!(!user.credentials().exists());
    let mut command = user.axiom(&["whoami", "--endpoint", &server.base]);
    command.env("AXIOM_API_KEY", &raw);
    assert!(finish(command).await.failed(3).contains("invalid or revoked"));
}

#[tokio::test]
async fn a_revoked_key_is_refused_with_advice_to_log_in_again() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;

    // The account's first key is named `cli`; revoke the very key this CLI uses.
    let id = key_id(&user, &server.base, "cli").await;
    user.run(&["keys", "revoke", &id, "--yes"]).await.ok();

    let whoami = user.run(&["whoami"]).await;
    let stderr = whoami.failed(3);
    assert!(stderr.contains("invalid or revoked"), "{stderr}");
    assert!(stderr.contains("run `axiom login` again"), "{stderr}");

    // The same key from the environment: the advice names the variable.
    let mut command = user.axiom(&["keys", "list"]);
    command.env("AXIOM_API_KEY", &raw);
    let from_env = finish(command).await;
    assert!(from_env.failed(3).contains("AXIOM_API_KEY"), "{from_env:?}");
}

/// The guide's `axiom login` on the local server, the approval made through the API as the
/// Console makes it (issue 13's "done when").
#[tokio::test]
async fn the_browser_sign_in_end_to_end() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let user = User::new();
    let mut command = user.axiom(&["login", "--no-browser", "--endpoint", &server.base]);
    command.stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut code = None;
    while let Some(line) = stderr.next_line().await.unwrap() {
        if let Some(rest) = line.split("enter the code ").nth(1) {
            code = Some(rest.trim_end_matches(':').to_owned());
            break;
        }
    }
    let code = code.expect("a code on stderr");
    assert_eq!(code.len(), 9, "XXXX-XXXX: {code}");

    let approve = server
        .post("/v1/auth/device/approve", &raw)
        .json(&json!({"user_code": code.to_lowercase().replace('-', ""), "approve": true}));
    assert_eq!(answer(approve).await.0, 204);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("logged in in time")
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("Logged in as {} (tenant acme)\n", acme.email)
    );
    let stored = user.stored().unwrap();
    assert_eq!(stored["endpoint"], server.base);
    assert_ne!(stored["api_key"], raw, "a new key");
    user.run(&["whoami"]).await.ok();
    let keys = user.run(&["keys", "list", "--json"]).await.json();
    let named_cli = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|key| key["name"] == "cli");
    assert_eq!(
        named_cli.count(),
        2,
        "the account's first key and the new one: {keys}"
    );
}
