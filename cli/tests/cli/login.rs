//! `axiom login`, `whoami`, `logout`, and what a refused key does.

use std::os::unix::fs::PermissionsExt;

use axiom_tests::{Server, account};
use serde_json::json;

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

    // No key at all (no variable, stdin closed): a usage error, nothing stored.
    let nothing = user.at(&server.base, &["login"]).await;
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
