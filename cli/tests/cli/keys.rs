//! `axiom keys create|list|revoke`.

use axiom_tests::{Server, account};
use serde_json::json;

use crate::support::{User, key_id};

/// A table row's cells: the text between runs of two or more spaces.
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect()
}

fn is_raw_key(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[tokio::test]
async fn a_created_key_is_shown_once_then_listed_masked() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;

    let created = user.run(&["keys", "create", "laptop"]).await;
    let stdout = created.ok();
    let key = stdout
        .split_whitespace()
        .find(|word| is_raw_key(word))
        .unwrap_or_else(|| panic!("the new key in {stdout}"));
    assert!(stdout.contains("will not be shown again"), "{stdout}");
    assert!(stdout.contains("\"laptop\""), "{stdout}");

    let listed = user.run(&["keys", "list"]).await;
    let table = listed.ok();
    let lines: Vec<&str> = table.lines().collect();
    for column in ["ID", "Name", "Key", "Created", "Last used"] {
        assert!(lines[0].contains(column), "{table}");
    }
    assert_eq!(lines.len(), 3, "header, laptop, cli: {table}");
    // Newest first: the new key, never used yet.
    let laptop = lines[1];
    assert!(laptop.contains("laptop"), "{table}");
    assert!(
        laptop.contains(&format!("{}…{}", &key[..8], &key[60..])),
        "{table}"
    );
    // Never used, and (created without an expiry) never expires: both columns say so.
    assert_eq!(cells(laptop)[4..7], ["Never", "Never", "active"], "{table}");
    assert!(
        laptop.contains(&key_id(&user, &server.base, "laptop").await),
        "{table}"
    );
    // The key this CLI uses has been used: a date instead of Never.
    let cli = cells(lines[2]);
    assert!(cli[1] == "cli" && cli[4].starts_with("20"), "{table}");
    assert!(
        !table.contains(key) && !table.contains(&raw),
        "no full key in a list"
    );

    // The new key works at once.
    let fresh = User::new();
    fresh.login(&server.base, key).await;
}

#[tokio::test]
async fn revoke_asks_for_confirmation_unless_yes() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;
    user.run(&["keys", "create", "ci"]).await.ok();
    let id = key_id(&user, &server.base, "ci").await;

    // stdin is not a terminal and there is no --yes: refused, nothing revoked.
    let refused = user.run(&["keys", "revoke", &id]).await;
    assert!(refused.failed(2).contains("--yes"), "{refused:?}");
    assert_eq!(key_id(&user, &server.base, "ci").await, id);

    let revoked = user.run(&["keys", "revoke", &id, "--yes"]).await;
    assert!(revoked.ok().contains(&id), "{revoked:?}");
    let list = user.run(&["keys", "list", "--json"]).await.json();
    assert!(list["keys"].as_array().unwrap().iter().all(|key| key["id"] != id));

    // Gone for good: the same id again is not found.
    let again = user.run(&["keys", "revoke", &id, "-y"]).await;
    assert!(again.failed(1).contains("not found"), "{again:?}");
}

#[tokio::test]
async fn json_output_is_the_apis_json() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;

    let whoami = user.run(&["whoami", "--json"]).await.json();
    assert_eq!(whoami["email"], acme.email);
    assert_eq!(whoami["tenant"], "acme");
    assert!(whoami["key_id"].is_string());

    let created = user.run(&["--json", "keys", "create", "ci"]).await.json();
    assert!(is_raw_key(created["key"].as_str().unwrap()), "{created}");
    assert_eq!(created["name"], "ci");
    let id = created["id"].as_str().unwrap();

    let list = user.run(&["keys", "list", "--json"]).await.json();
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["id"], id);
    assert_eq!(keys[0]["last_used_at"], json!(null));
    assert!(keys.iter().all(|key| key.get("key").is_none()));

    let revoked = user.run(&["keys", "revoke", id, "--yes", "--json"]).await.json();
    assert_eq!(revoked, json!({"id": id, "revoked": true}));
}

#[tokio::test]
async fn api_errors_print_the_apis_message() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;
    let long = "n".repeat(65);
    let refused = user.run(&["keys", "create", &long]).await;
    let stderr = refused.failed(1);
    assert!(
        stderr.contains("name: name must be at most 64 characters"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP 400"), "{stderr}");
}
