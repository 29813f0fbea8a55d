//! Text from the API with control and invisible characters in it (PRODUCT.md section 11): the
//! text output escapes them, `--json` prints the API's JSON as it came. Against a fake API,
//! since the real one refuses such names.

use serde_json::{Value, json};

use crate::support::FakeApi;

/// Woman technologist: U+1F469 ZWJ U+1F4BB, printed as it is.
const EMOJI: &str = "\u{1f469}\u{200d}\u{1f4bb}";

/// Names with something hostile in them, and how the text output shows them.
const HOSTILE: [(&str, &str); 6] = [
    ("red\u{1b}[31mred", "red\\u001b[31mred"),
    ("gpj\u{202e}exe.txt", "gpj\\u202eexe.txt"),
    ("two\nlines", "two\\nlines"),
    ("bell\u{7}", "bell\\u0007"),
    ("csi\u{9b}2J\u{7f}", "csi\\u009b2J\\u007f"),
    ("zw\u{200b}sp\u{feff}", "zw\\u200bsp\\ufeff"),
];

/// True for what the CLI must never print raw: controls (but the line breaks it writes itself)
/// and the invisible characters that spoof text.
fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{61c}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

#[track_caller]
fn assert_clean(text: &str) {
    assert!(
        !text.chars().any(is_hostile),
        "raw control or invisible character in {text:?}"
    );
}

/// The character column at which `needle` starts in `line` (only ASCII before it).
fn column(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in {line:?}"));
    line[..at].chars().count()
}

#[tokio::test]
async fn keys_list_escapes_names_and_keeps_emoji() {
    let mut keys: Vec<Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(n, (name, _))| {
            json!({"id": format!("k{n}"), "name": name, "masked": "a1b2c3d4…9f0e",
                   "created_at": "2026-11-20T08:00:00Z", "last_used_at": null})
        })
        .collect();
    keys.push(
        json!({"id": "k-emoji", "name": format!("dev {EMOJI}"), "masked": null,
                     "created_at": "2026-11-21T08:00:00Z", "last_used_at": null}),
    );
    let body = json!({ "keys": keys }).to_string();
    let api = FakeApi::serve(&[("GET /v1/api-keys", 200, body.clone())]);

    let run = api.run(&["keys", "list"]).await;
    let table = run.ok();
    assert_clean(table);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + keys.len(), "one line per key: {table}");
    for (line, (_, shown)) in lines[1..].iter().zip(HOSTILE) {
        assert!(line.contains(shown), "{shown} in {line:?}");
        // The table is laid out on the escaped names: the next columns line up.
        assert_eq!(column(line, "a1b2c3d4…9f0e"), column(lines[0], "Key"), "{table}");
        assert_eq!(column(line, "2026-11-20"), column(lines[0], "Created"), "{table}");
    }
    assert!(
        lines[7].contains(&format!("dev {EMOJI}")),
        "ZWJ sequence intact: {table}"
    );

    // --json: the API's JSON text, unchanged.
    let json = api.run(&["keys", "list", "--json"]).await;
    assert_eq!(json.ok(), format!("{body}\n"));
}

#[tokio::test]
async fn flows_list_escapes_names_and_keeps_emoji() {
    let mut flows: Vec<Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(n, (name, _))| {
            json!({"graph_id": format!("0193f1e3-1111-7000-8000-00000000000{n}"), "name": name,
                   "created_at": "2026-11-26T10:00:00Z"})
        })
        .collect();
    flows.push(json!({"graph_id": "0193f1e3-1111-7000-8000-000000000009",
                      "name": format!("{EMOJI} flow"), "created_at": "2026-11-26T10:00:00Z"}));
    let body = json!({ "flows": flows }).to_string();
    let api = FakeApi::serve(&[("GET /v1/flows", 200, body.clone())]);

    let run = api.run(&["flows", "list"]).await;
    let table = run.ok();
    assert_clean(table);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + flows.len(), "one line per flow: {table}");
    for (line, (_, shown)) in lines[1..].iter().zip(HOSTILE) {
        assert!(line.contains(shown), "{shown} in {line:?}");
        assert_eq!(column(line, "2026-11-26"), column(lines[0], "Created"), "{table}");
    }
    assert!(
        lines[7].contains(&format!("{EMOJI} flow")),
        "ZWJ sequence intact: {table}"
    );

    let json = api.run(&["flows", "list", "--json"]).await;
    assert_eq!(json.ok(), format!("{body}\n"));
}

#[tokio::test]
async fn api_error_messages_are_escaped_on_stderr() {
    let hostile = "name \u{1b}[2J\u{1b}]0;pwned\u{7} is\n\u{202e}bad";
    let shown = "name \\u001b[2J\\u001b]0;pwned\\u0007 is\\n\\u202ebad";
    let error = |message: &str| json!({"error": {"code": "invalid_request", "message": message}});
    let api = FakeApi::serve(&[
        ("POST /v1/api-keys", 400, error(hostile).to_string()),
        ("DELETE /v1/api-keys/k1", 404, error(hostile).to_string()),
        ("GET /v1/flows", 502, json!({"message": hostile}).to_string()),
        // Not the API's shape: the parse error quotes the string it did not expect.
        ("GET /v1/api-keys", 200, json!({"keys": hostile}).to_string()),
    ]);

    for (args, message) in [
        (
            &["keys", "create", "laptop"][..],
            format!("axiom: {shown} (HTTP 400)\n"),
        ),
        (
            &["keys", "revoke", "k1", "--yes"][..],
            format!("axiom: {shown}\n"),
        ),
        (&["flows", "list"][..], format!("axiom: {shown} (HTTP 502)\n")),
    ] {
        let run = api.run(args).await;
        assert_eq!(run.failed(1), message, "{args:?}");
    }
    let unexpected = api.run(&["keys", "list"]).await;
    let stderr = unexpected.failed(1);
    assert_clean(stderr);
    assert!(stderr.contains("unexpected answer from"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn executions_and_whoami_escape_what_the_api_sent() {
    let execution = json!({
        "execution_id": "e1", "graph_id": "g1", "status": "failed",
        "output": {"note": "x\u{1b}[31m\u{202e}y", "who": EMOJI},
        "error": {"step": "ch\u{1b}[2Jarge", "message": "card\ndeclined\u{7}"},
        "started_at": "2026-11-26T10:49:18Z", "ended_at": "2026-11-26T10:49:19Z",
        "duration_ms": 843,
        "steps": [{"id": "ok", "status": "succeeded"}, {"id": "ch\u{1b}[2Jarge", "status": "failed"}]
    });
    let api = FakeApi::serve(&[
        ("GET /invocations/v1/executions/e1", 200, execution.to_string()),
        (
            "GET /v1/whoami",
            200,
            json!({"email": "dev@acme.io\u{1b}[8m", "tenant": "acme\u{200f}", "account_id": "a",
                   "key_id": "k"})
            .to_string(),
        ),
    ]);

    let run = api.run(&["executions", "get", "e1"]).await;
    let text = run.ok();
    assert_clean(text);
    assert!(
        text.contains("Error      step \"ch\\u001b[2Jarge\": card\\ndeclined\\u0007"),
        "{text}"
    );
    assert!(text.contains("  ch\\u001b[2Jarge  failed"), "{text}");
    assert!(text.contains("\"x\\u001b[31m\\u202ey\""), "{text}");
    assert!(text.contains(EMOJI), "{text}");

    let who = api.run(&["whoami"]).await;
    let text = who.ok();
    assert_clean(text);
    assert_eq!(text, "Email: dev@acme.io\\u001b[8m\nTenant: acme\\u200f\n");
}
