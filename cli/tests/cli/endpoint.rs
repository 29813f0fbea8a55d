//! Which endpoint a command talks to, and what a network failure says.

use axiom_tests::{Server, account};

use serde_json::json;

use crate::support::{FAKE_KEY, FakeApi, User, dead_endpoint, finish};

#[tokio::test]
async fn endpoint_flag_then_variable_then_file_then_default() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;
    let dead = dead_endpoint();

    // The file's endpoint, with no flag or variable.
    user.run(&["whoami"]).await.ok();

    // AXIOM_ENDPOINT beats the file: the stored key is not sent there (it is the file's
    // endpoint's), a key from the environment is.
    let mut command = user.axiom(&["whoami"]);
    command.env("AXIOM_ENDPOINT", &dead);
    let stderr = finish(command).await.failed(3).to_owned();
    assert!(stderr.contains(&dead) && stderr.contains("not sent"), "{stderr}");
    let mut command = user.axiom(&["whoami"]);
    command.env("AXIOM_ENDPOINT", &dead).env("AXIOM_API_KEY", &raw);
    let stderr = finish(command).await.failed(1).to_owned();
    assert!(
        stderr.contains(&format!("cannot reach the Axiom API at {dead}")),
        "{stderr}"
    );

    // --endpoint beats AXIOM_ENDPOINT.
    let mut command = user.axiom(&["whoami", "--endpoint", &server.base]);
    command.env("AXIOM_ENDPOINT", &dead);
    finish(command).await.ok();

    // Nothing configured: the local server's address. (Whatever answers there, if anything,
    // does not know this key, so the message names the endpoint either way.)
    let newcomer = User::new();
    let mut command = newcomer.axiom(&["whoami"]);
    command.env("AXIOM_API_KEY", &raw);
    let run = finish(command).await;
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("http://127.0.0.1:3000"), "{run:?}");
}

#[tokio::test]
async fn the_environment_key_beats_the_stored_one() {
    let server = Server::new().await;
    let (acme, acme_key) = account(&server.store, "acme").await;
    let (globex, globex_key) = account(&server.store, "globex").await;
    let user = User::new();
    user.login(&server.base, &acme_key).await;

    let mut command = user.axiom(&["whoami", "--json"]);
    command.env("AXIOM_API_KEY", &globex_key);
    assert_eq!(finish(command).await.json()["email"], globex.email);
    assert_eq!(user.run(&["whoami", "--json"]).await.json()["email"], acme.email);
}

#[tokio::test]
async fn a_network_error_names_the_endpoint_that_failed() {
    let user = User::new();
    let dead = dead_endpoint();
    let mut command = user.axiom(&["whoami", "--endpoint", &dead]);
    command.env("AXIOM_API_KEY", "0123456789abcdef".repeat(4));
    let run = finish(command).await;
    let stderr = run.failed(1);
    assert!(
        stderr.contains(&format!("cannot reach the Axiom API at {dead}")),
        "{stderr}"
    );
    assert!(stderr.contains("GET /v1/whoami"), "{stderr}");
}

#[tokio::test]
async fn without_a_key_commands_ask_for_a_login() {
    let user = User::new();
    let run = user.run(&["keys", "list"]).await;
    let stderr = run.failed(3);
    assert!(stderr.contains("not logged in"), "{stderr}");
    assert!(stderr.contains("axiom login"), "{stderr}");
}

#[tokio::test]
async fn a_bad_endpoint_is_a_usage_error() {
    let user = User::new();
    let mut command = user.axiom(&["whoami", "--endpoint", "api.example.com"]);
    command.env("AXIOM_API_KEY", "0123456789abcdef".repeat(4));
    let run = finish(command).await;
    assert!(
        run.failed(2).contains("not an http:// or https:// URL"),
        "{run:?}"
    );
}

#[tokio::test]
async fn the_stored_key_is_sent_only_to_the_endpoint_it_was_stored_for() {
    let whoami = json!({"email": "dev@acme.io", "tenant": "acme", "account_id": "a", "key_id": "k"});
    let home = FakeApi::serve(&[("GET /v1/whoami", 200, whoami.to_string())]);
    let other = FakeApi::serve(&[("GET /v1/whoami", 200, whoami.to_string())]);
    let user = User::new();
    user.login(&home.base, FAKE_KEY).await;

    let run = user.at(&other.base, &["whoami"]).await;
    let stderr = run.failed(3);
    assert!(
        stderr.contains(&format!("the stored API key is for {}", home.base)),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("axiom login --endpoint {}", other.base)),
        "{stderr}"
    );
    let mut command = user.axiom(&["keys", "list"]);
    command.env("AXIOM_ENDPOINT", &other.base);
    finish(command).await.failed(3);
    assert!(other.requests().is_empty(), "the key never went there");

    // The same endpoint, written differently, is the same endpoint.
    user.at(&format!("{}/", home.base), &["whoami"]).await.ok();
    // A key from the environment goes wherever it is told.
    let mut command = other.command(&user, &["whoami"]);
    command.env("AXIOM_API_KEY", FAKE_KEY);
    finish(command).await.ok();
    assert_eq!(other.routes(), ["GET /v1/whoami"]);
}

#[tokio::test]
async fn plain_http_is_refused_except_to_loopback() {
    let user = User::new();
    for args in [
        &["whoami", "--endpoint", "http://api.example.com"][..],
        &["login", "--endpoint", "http://10.0.0.7:3000"],
        &["keys", "list", "--endpoint", "http://localhost.example.com"],
    ] {
        let mut command = user.axiom(args);
        command.env("AXIOM_API_KEY", FAKE_KEY);
        let run = finish(command).await;
        assert!(run.failed(2).contains("unencrypted"), "{args:?}: {run:?}");
    }
    assert!(!user.credentials().exists());
    // Loopback addresses are fine: nothing listens there, so the network error says so.
    let mut command = user.axiom(&["whoami", "--endpoint", "http://localhost:1"]);
    command.env("AXIOM_API_KEY", FAKE_KEY);
    assert!(finish(command).await.failed(1).contains("cannot reach"));
}
