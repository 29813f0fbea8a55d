//! Text output for people: tables, an execution, the usage summary and its per-day chart.
//! Pure functions from the API's data to strings, so they are tested without a terminal.
//! Every string from the API goes through [`escape`] here, before it is laid out: no control
//! character from the API is printed, and widths are those of the text that is printed.

use std::path::Path;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets};

use crate::{
    escape::escape,
    schema::{
        AuditEvent, CreatedKey, DeviceGrant, DeviceToken, Execution, ExecutionSummary, Flow, KeySummary,
        Usage, UsageDay, Whoami,
    },
    times::spoken,
};

/// Shown for a value the API has not got (`null`), as the Console does.
const NONE: &str = "—";
/// A user agent is cut to this many characters in a table (the API keeps up to 256).
const USER_AGENT_WIDTH: usize = 40;

/// Width of the longest bar of the usage chart: with the day and the figures, a line is 76
/// columns, so the chart reads in an 80-column terminal.
const BAR_WIDTH: usize = 36;
const SUCCEEDED_CELL: char = '█';
const FAILED_CELL: char = '▒';
const IN_FLIGHT_CELL: char = '░';

/// The date of an RFC 3339 time (`2026-11-26T10:49:18Z` → `2026-11-26`), escaped.
fn date(time: &str) -> String {
    cut(time, 10)
}

/// The first `len` characters of an RFC 3339 time with its `T` as a space, escaped: 16 for the
/// minute (`2026-11-26 10:49`), 19 for the second.
fn cut(time: &str, len: usize) -> String {
    escape(&time.get(..len).unwrap_or(time).replacen('T', " ", 1)).into_owned()
}

/// `text` escaped, and cut to `width` characters with `…` when longer.
fn clipped(text: &str, width: usize) -> String {
    let escaped = escape(text);
    if escaped.chars().count() <= width {
        return escaped.into_owned();
    }
    let mut shown: String = escaped.chars().take(width - 1).collect();
    shown.push('…');
    shown
}

/// An optional string from the API, escaped, or [`NONE`].
fn or_none(text: Option<&str>) -> String {
    escape(text.unwrap_or(NONE)).into_owned()
}

/// An RFC 3339 UTC time as `2026-11-26 10:49:18 UTC`, escaped.
fn time(time: &str) -> String {
    let shown = match time.strip_suffix('Z') {
        Some(utc) if utc.len() >= 19 && utc.as_bytes()[10] == b'T' => {
            format!("{} {} UTC", &utc[..10], &utc[11..])
        }
        _ => time.to_owned(),
    };
    escape(&shown).into_owned()
}

/// `843 ms`, `1.24 s`, `3 min 5 s`.
pub fn duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let seconds = (ms / 1000.0).round() as u64;
        format!("{} min {} s", seconds / 60, seconds % 60)
    }
}

/// A rate in 0..=1 as `86.96%`.
fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

/// A borderless table whose rows are added next. In a narrow terminal only the column
/// `wrapping` wraps: ids (copied into other commands), keys and dates stay whole.
fn table(header: &[&str], wrapping: usize) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    let last = header.len() - 1;
    for (index, column) in table.column_iter_mut().enumerate() {
        // Two spaces between columns, none at the edges, as `ls -l` and friends print.
        column.set_padding((0, if index == last { 0 } else { 2 }));
        if index != wrapping {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    table
}

/// `table` as text, its last `optional` columns shown only where they fit in `width` (the
/// terminal's; always when it is unknown, as in a pipe).
fn fitted(mut table: Table, optional: usize, width: Option<u16>) -> String {
    if let Some(width) = width {
        table.set_width(width);
        let widths = table.column_max_content_widths();
        let natural: usize = widths.iter().map(|width| usize::from(*width) + 2).sum::<usize>() - 2;
        if natural > usize::from(width) {
            for column in table.column_iter_mut().skip(widths.len() - optional) {
                column.set_constraint(ColumnConstraint::Hidden);
            }
        }
    }
    table.trim_fmt()
}

/// The key list: the id (which `keys revoke` takes), the Console's four columns, the expiry and
/// status, then where the key was last used from, where the width allows.
pub fn keys(keys: &[KeySummary], width: Option<u16>) -> String {
    if keys.is_empty() {
        return "No API keys.".to_owned();
    }
    let header = [
        "ID",
        "Name",
        "Key",
        "Created",
        "Last used",
        "Expires",
        "Status",
        "Last IP",
        "Last user agent",
    ];
    let mut table = table(&header, 1);
    for key in keys {
        table.add_row(vec![
            escape(&key.id).into_owned(),
            escape(&key.name).into_owned(),
            or_none(key.masked.as_deref()),
            date(&key.created_at),
            key.last_used_at.as_deref().map_or("Never".to_owned(), date),
            key.expires_at
                .as_deref()
                .map_or("Never".to_owned(), |at| cut(at, 16)),
            or_none(key.status.as_deref()),
            or_none(key.last_used_ip.as_deref()),
            key.last_used_user_agent
                .as_deref()
                .map_or(NONE.to_owned(), |agent| clipped(agent, USER_AGENT_WIDTH)),
        ]);
    }
    fitted(table, 2, width)
}

const SAVE_IT: &str = "Save it now, somewhere safe: it will not be shown again. Only its hash is stored,\n\
                       so it cannot be recovered; if you lose it, revoke it and create another.";

/// The one time a key is shown: `heading`, the expiry, the key, `then`, and the advice.
fn new_key(heading: String, key: &CreatedKey, then: Option<String>) -> String {
    let expires = key.expires_at.as_deref().map_or("never".to_owned(), time);
    let then = then.map(|then| format!("{then}\n")).unwrap_or_default();
    format!(
        "{heading}\nExpires: {expires}\n\n    {}\n\n{then}{SAVE_IT}",
        escape(&key.key)
    )
}

pub fn created_key(key: &CreatedKey) -> String {
    let heading = format!(
        "Created API key \"{}\" (id {}).",
        escape(&key.name),
        escape(&key.id)
    );
    new_key(heading, key, None)
}

/// `keys roll`: the new key, and until when the old one works (`until`, after `overlap`
/// seconds, by the local clock).
pub fn rolled_key(key: &CreatedKey, overlap: u64, until: &str) -> String {
    let old = or_none(key.rolled_from.as_deref());
    let heading = format!(
        "Rolled API key \"{}\": the new key (id {}) replaces {old}.",
        escape(&key.name),
        escape(&key.id)
    );
    let then = if overlap == 0 {
        format!("The old key {old} has stopped working.")
    } else {
        format!(
            "The old key {old} keeps working for {}, until {} (sooner if it expires before).",
            spoken(overlap),
            time(until)
        )
    };
    new_key(heading, key, Some(then))
}

/// The note under a list that was one page of more.
pub fn more(noun: &str) -> String {
    format!("There may be more {noun}: add --all to list them all.")
}

/// `executions list`: the run's id (which `executions get` takes) first, the key that invoked
/// it where the width allows.
pub fn executions(executions: &[ExecutionSummary], width: Option<u16>) -> String {
    if executions.is_empty() {
        return "No executions.".to_owned();
    }
    let mut table = table(
        &["Execution ID", "Flow", "Status", "Started", "Duration", "Key"],
        2,
    );
    for execution in executions {
        table.add_row(vec![
            escape(&execution.execution_id).into_owned(),
            escape(&execution.graph_id).into_owned(),
            escape(&execution.status).into_owned(),
            execution
                .started_at
                .as_deref()
                .map_or(NONE.to_owned(), |at| cut(at, 19)),
            execution.duration_ms.map_or(NONE.to_owned(), duration),
            or_none(execution.key_id.as_deref()),
        ]);
    }
    fitted(table, 1, width)
}

/// `audit`: when, what, to what, by which key (`operator` for `axiom-admin`), and from where
/// where the width allows.
pub fn audit(events: &[AuditEvent], width: Option<u16>) -> String {
    if events.is_empty() {
        return "No audit events.".to_owned();
    }
    let header = ["Time", "Action", "Target", "Actor", "IP", "User agent"];
    let mut table = table(&header, 2);
    for event in events {
        table.add_row(vec![
            cut(&event.at, 19),
            escape(&event.action).into_owned(),
            event.target.as_ref().map_or(NONE.to_owned(), |target| {
                format!("{} {}", escape(&target.kind), escape(&target.id))
            }),
            event
                .actor_key_id
                .as_deref()
                .map_or("operator".to_owned(), |id| escape(id).into_owned()),
            or_none(event.source_ip.as_deref()),
            event
                .user_agent
                .as_deref()
                .map_or(NONE.to_owned(), |agent| clipped(agent, USER_AGENT_WIDTH)),
        ]);
    }
    fitted(table, 2, width)
}

pub fn flows(flows: &[Flow], width: Option<u16>) -> String {
    if flows.is_empty() {
        return "No flows.".to_owned();
    }
    let mut table = table(&["Graph ID", "Name", "Created"], 1);
    for flow in flows {
        table.add_row(vec![
            escape(&flow.graph_id).into_owned(),
            escape(&flow.name).into_owned(),
            date(&flow.created_at),
        ]);
    }
    fitted(table, 0, width)
}

pub fn created_flow(flow: &Flow) -> String {
    let graph_id = escape(&flow.graph_id);
    format!(
        "Saved flow \"{}\".\nGraph ID: {graph_id}\n\nRun it with: axiom invoke {graph_id} --wait",
        escape(&flow.name)
    )
}

/// `axiom whoami`.
pub fn whoami(who: &Whoami) -> String {
    format!("Email: {}\nTenant: {}", escape(&who.email), escape(&who.tenant))
}

/// `axiom login`, once the key is stored at `path`.
pub fn logged_in(endpoint: &str, who: &Whoami, path: &Path) -> String {
    format!(
        "Logged in to {} as {} (tenant {}).\nThe key is stored in {}.",
        escape(endpoint),
        escape(&who.email),
        escape(&who.tenant),
        escape(&path.display().to_string())
    )
}

/// What the person does to approve the sign-in (on stderr).
pub fn device_prompt(grant: &DeviceGrant, browser_opened: bool) -> String {
    let mut lines = vec![
        format!(
            "To sign in, open this address in a browser and enter the code {}:",
            escape(&grant.user_code)
        ),
        String::new(),
        format!("    {}", escape(&grant.verification_uri)),
        String::new(),
    ];
    if let Some(complete) = &grant.verification_uri_complete {
        lines.push(format!("or open {}, which fills in the code.", escape(complete)));
    }
    if browser_opened {
        lines.push("A browser was opened at that address.".to_owned());
    }
    lines.push(format!(
        "Waiting for the approval (the code expires in {}; Ctrl-C stops)…",
        spoken(grant.expires_in)
    ));
    lines.join("\n")
}

/// The browser sign-in's last line (PRODUCT.md section 17).
pub fn device_logged_in(token: &DeviceToken) -> String {
    format!(
        "Logged in as {} (tenant {})",
        escape(&token.email),
        escape(&token.tenant)
    )
}

/// Which key the browser sign-in stored, and where (on stderr).
pub fn device_key_stored(token: &DeviceToken, path: &Path) -> String {
    let expires = token.expires_at.as_deref().map_or("never".to_owned(), time);
    format!(
        "The new API key \"{}\" (id {}, expires {expires}) is stored in {}.",
        escape(&token.name),
        escape(&token.key_id),
        escape(&path.display().to_string())
    )
}

pub fn execution(execution: &Execution) -> String {
    let mut lines = vec![
        format!("Execution  {}", escape(&execution.execution_id)),
        format!("Flow       {}", escape(&execution.graph_id)),
        format!("Status     {}", escape(&execution.status)),
        format!(
            "Started    {}",
            execution.started_at.as_deref().map_or(NONE.to_owned(), time)
        ),
        format!(
            "Ended      {}",
            execution.ended_at.as_deref().map_or(NONE.to_owned(), time)
        ),
        format!(
            "Duration   {}",
            execution.duration_ms.map_or(NONE.to_owned(), duration)
        ),
    ];
    if let Some(error) = &execution.error {
        let message = escape(&error.message);
        lines.push(match &error.step {
            Some(step) => format!("Error      step \"{}\": {message}", escape(step)),
            None => format!("Error      {message}"),
        });
    }
    if !execution.steps.is_empty() {
        let steps: Vec<_> = execution
            .steps
            .iter()
            .map(|step| (escape(&step.id), escape(&step.status)))
            .collect();
        // `format!` pads to a number of characters: the widest id as printed, escapes included.
        let width = steps.iter().map(|(id, _)| id.chars().count()).max().unwrap_or(0);
        lines.push(String::new());
        lines.push("Steps".to_owned());
        for (id, status) in &steps {
            lines.push(format!("  {id:width$}  {status}"));
        }
    }
    if let Some(output) = &execution.output {
        lines.push(String::new());
        lines.push("Output".to_owned());
        // JSON escapes U+0000 to U+001F in strings, but not DEL, the C1 controls or the
        // invisible characters; the line breaks of the pretty layout are its own.
        let pretty = serde_json::to_string_pretty(output).expect("JSON values serialize");
        lines.extend(pretty.lines().map(|line| escape(line).into_owned()));
    }
    lines.join("\n")
}

/// What the person can do next with a paused or active run, if anything.
pub fn next_step(execution: &Execution) -> Option<String> {
    let id = escape(&execution.execution_id);
    if execution.status == "paused" {
        Some(format!(
            "The run is paused: go on with `axiom executions resume {id}`."
        ))
    } else if execution.is_active() {
        Some(format!(
            "The run goes on: follow it with `axiom executions get {id}`."
        ))
    } else {
        None
    }
}

/// The spinner's message while `axiom invoke --wait` follows a run.
pub fn waiting(execution: &Execution) -> String {
    format!(
        "Execution {} is {}…",
        escape(&execution.execution_id),
        escape(&execution.status)
    )
}

pub fn usage(usage: &Usage) -> String {
    let mut lines = vec![
        format!("Executions    {}", usage.executions),
        format!(
            "Success rate  {}",
            usage.success_rate.map_or(NONE.to_owned(), percent)
        ),
        format!(
            "Avg duration  {}",
            usage.avg_duration_ms.map_or(NONE.to_owned(), duration)
        ),
        String::new(),
        format!(
            "Executions per day, {} to {} (UTC)",
            escape(&usage.window.start),
            escape(&usage.window.end)
        ),
    ];
    let busiest = usage.daily.iter().map(|day| day.total).max().unwrap_or(0);
    if busiest == 0 {
        lines.push("No executions in these 30 days.".to_owned());
        return lines.join("\n");
    }
    lines.push(format!(
        "{SUCCEEDED_CELL} succeeded  {FAILED_CELL} failed  {IN_FLIGHT_CELL} in flight"
    ));
    lines.push(String::new());
    lines.push(format!(
        "{:5}  {:BAR_WIDTH$} {:>5} {:>9} {:>6} {:>9}",
        "Day", "", "Total", "Succeeded", "Failed", "In flight"
    ));
    for day in &usage.daily {
        lines.push(format!(
            "{:5}  {} {:>5} {:>9} {:>6} {:>9}",
            escape(day.date.get(5..).unwrap_or(&day.date)),
            bar(day, busiest),
            day.total,
            day.succeeded,
            day.failed,
            day.in_flight
        ));
    }
    lines.join("\n")
}

/// One day's stacked bar, padded to [`BAR_WIDTH`]: its length is the day's total against the
/// busiest day; succeeded, then failed, then in flight.
fn bar(day: &UsageDay, busiest: u64) -> String {
    let widths = segment_widths([day.succeeded, day.failed, day.in_flight], busiest);
    let cells: String = [SUCCEEDED_CELL, FAILED_CELL, IN_FLIGHT_CELL]
        .iter()
        .zip(widths)
        .flat_map(|(cell, width)| std::iter::repeat_n(*cell, width))
        .collect();
    format!("{cells:BAR_WIDTH$}")
}

/// Cells per segment, proportional to `busiest` filling [`BAR_WIDTH`]. A segment that is not
/// zero gets at least one cell, so a single failure is never rounded away.
fn segment_widths(counts: [u64; 3], busiest: u64) -> [usize; 3] {
    let scale = BAR_WIDTH as f64 / busiest.max(1) as f64;
    let mut widths = counts.map(|count| match count {
        0 => 0,
        count => ((count as f64 * scale).round() as usize).max(1),
    });
    while widths.iter().sum::<usize>() > BAR_WIDTH {
        let widest = (0..3).max_by_key(|&i| widths[i]).expect("three segments");
        widths[widest] -= 1;
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ExecutionError, Step, UsageWindow};

    fn key(masked: Option<&str>, last_used_at: Option<&str>) -> KeySummary {
        KeySummary {
            id: "0193f1e2-8d5e-7b21-8c7f-3a2b4c5d6e7f".into(),
            name: "laptop".into(),
            masked: masked.map(Into::into),
            created_at: "2026-11-20T08:00:00Z".into(),
            last_used_at: last_used_at.map(Into::into),
            status: Some("active".into()),
            ..KeySummary::default()
        }
    }

    #[test]
    fn key_table_shows_null_as_the_console_does() {
        let text = keys(
            &[
                key(Some("a1b2c3d4…9f0e"), Some("2026-11-26T10:49:18Z")),
                key(None, None),
            ],
            None,
        );
        let lines: Vec<&str> = text.lines().collect();
        for column in ["ID", "Name", "Key", "Created", "Last used", "Expires", "Status"] {
            assert!(lines[0].contains(column), "{text}");
        }
        assert!(lines[1].contains("a1b2c3d4…9f0e") && lines[1].contains("2026-11-26"));
        assert!(lines[2].contains(NONE) && lines[2].contains("Never"), "{text}");
        assert!(lines[2].contains("0193f1e2-8d5e-7b21-8c7f-3a2b4c5d6e7f"));
        assert_eq!(keys(&[], None), "No API keys.");
    }

    fn used_key() -> KeySummary {
        KeySummary {
            expires_at: Some("2026-11-26T11:49:18Z".into()),
            status: Some("expired".into()),
            last_used_ip: Some("203.0.113.7".into()),
            last_used_user_agent: Some(format!("Mozilla/5.0 {}\u{1b}[31m", "x".repeat(60))),
            ..key(Some("a1b2c3d4…9f0e"), Some("2026-11-26T10:49:18Z"))
        }
    }

    #[test]
    fn key_table_shows_expiry_status_and_origin_where_it_fits() {
        let wide = keys(&[used_key()], None);
        let lines: Vec<&str> = wide.lines().collect();
        assert!(
            lines[0].contains("Last IP") && lines[0].contains("Last user agent"),
            "{wide}"
        );
        assert!(
            lines[1].contains("2026-11-26 11:49  expired  203.0.113.7"),
            "{wide}"
        );
        // The user agent is escaped, then cut.
        let agent = lines[1].split("203.0.113.7  ").nth(1).unwrap();
        assert_eq!(agent.chars().count(), USER_AGENT_WIDTH, "{agent}");
        assert!(
            agent.starts_with("Mozilla/5.0 xxx") && agent.ends_with('…'),
            "{agent}"
        );
        assert_eq!(wide, keys(&[used_key()], Some(400)), "room for everything");

        // 120 columns: no room for the origin; expiry and status stay.
        let narrow = keys(&[used_key()], Some(120));
        assert!(
            !narrow.contains("Last IP") && !narrow.contains("203.0.113.7"),
            "{narrow}"
        );
        assert!(
            narrow.contains("expired") && narrow.contains("2026-11-26 11:49"),
            "{narrow}"
        );
        assert!(narrow.lines().all(|line| line.chars().count() <= 120), "{narrow}");
    }

    fn created(expires_at: Option<&str>, rolled_from: Option<&str>) -> CreatedKey {
        CreatedKey {
            id: "new-id".into(),
            name: "ci\u{1b}".into(),
            key: "k".repeat(64),
            expires_at: expires_at.map(Into::into),
            rolled_from: rolled_from.map(Into::into),
        }
    }

    #[test]
    fn a_new_key_shows_its_expiry_and_a_rolled_one_what_it_replaced() {
        let text = created_key(&created(Some("2026-12-26T10:49:18Z"), None));
        assert!(
            text.starts_with(
                "Created API key \"ci\\u001b\" (id new-id).\nExpires: 2026-12-26 10:49:18 UTC\n\n    kkkk"
            ),
            "{text}"
        );
        assert!(text.ends_with("revoke it and create another."), "{text}");
        assert!(created_key(&created(None, None)).contains("\nExpires: never\n"));

        let rolled = rolled_key(&created(None, Some("old-id")), 3600, "2026-11-26T11:49:18Z");
        assert!(
            rolled.starts_with("Rolled API key \"ci\\u001b\": the new key (id new-id) replaces old-id."),
            "{rolled}"
        );
        assert!(
            rolled.contains("\nThe old key old-id keeps working for 1h, until 2026-11-26 11:49:18 UTC"),
            "{rolled}"
        );
        assert!(rolled.contains(SAVE_IT), "{rolled}");
        let at_once = rolled_key(&created(None, Some("old-id")), 0, "2026-11-26T10:49:18Z");
        assert!(
            at_once.contains("The old key old-id has stopped working."),
            "{at_once}"
        );
    }

    #[test]
    fn execution_and_audit_tables() {
        let runs = [ExecutionSummary {
            execution_id: "e1".into(),
            graph_id: "g1".into(),
            key_id: Some("k1".into()),
            status: "succeeded".into(),
            started_at: Some("2026-11-26T10:49:18Z".into()),
            duration_ms: Some(1240.0),
        }];
        let text = executions(&runs, None);
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "Execution ID  Flow  Status     Started              Duration  Key",
                "e1            g1    succeeded  2026-11-26 10:49:18  1.24 s    k1"
            ]
        );
        assert_eq!(executions(&[], None), "No executions.");

        let events = [
            AuditEvent {
                at: "2026-11-26T10:49:18Z".into(),
                action: "key.rolled".into(),
                actor_key_id: Some("k1".into()),
                target: Some(crate::schema::AuditTarget {
                    kind: "key".into(),
                    id: "k2\u{7}".into(),
                }),
                source_ip: Some("203.0.113.7".into()),
                user_agent: Some("axiom-cli/0.1.0".into()),
            },
            AuditEvent {
                at: "2026-11-20T08:00:00Z".into(),
                action: "key.created".into(),
                actor_key_id: None,
                target: None,
                source_ip: None,
                user_agent: None,
            },
        ];
        let text = audit(&events, None);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("Time                 Action       Target"),
            "{text}"
        );
        assert!(
            lines[1].contains("2026-11-26 10:49:18  key.rolled   key k2\\u0007  k1"),
            "{text}"
        );
        assert!(lines[1].ends_with("203.0.113.7  axiom-cli/0.1.0"), "{text}");
        assert!(lines[2].contains("operator"), "{text}");
        assert!(!audit(&events, Some(60)).contains("axiom-cli/0.1.0"));
        assert_eq!(audit(&[], None), "No audit events.");
    }

    #[test]
    fn the_device_prompt_gives_the_code_and_both_addresses() {
        let grant = DeviceGrant {
            device_code: "secret".into(),
            user_code: "BCDF-GHJK".into(),
            verification_uri: "https://e.com/console/device".into(),
            verification_uri_complete: Some("https://e.com/console/device?code=BCDF-GHJK".into()),
            expires_in: 600,
            interval: 5,
        };
        let text = device_prompt(&grant, true);
        assert!(text.contains("enter the code BCDF-GHJK:\n\n    https://e.com/console/device\n"));
        assert!(text.contains("or open https://e.com/console/device?code=BCDF-GHJK,"));
        assert!(text.contains("A browser was opened"));
        assert!(text.contains("expires in 10m"), "{text}");
        assert!(!text.contains("secret"));
        assert!(!device_prompt(&grant, false).contains("browser was opened"));
        let token = DeviceToken {
            key: "k".repeat(64),
            key_id: "k1".into(),
            name: "cli".into(),
            email: "dev@acme.io\u{1b}".into(),
            tenant: "acme".into(),
            expires_at: None,
        };
        assert_eq!(
            device_logged_in(&token),
            "Logged in as dev@acme.io\\u001b (tenant acme)"
        );
    }

    /// The column at which `needle` starts in `line`, in characters (all ASCII before it).
    fn column(line: &str, needle: &str) -> usize {
        let at = line
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in {line:?}"));
        line[..at].chars().count()
    }

    #[test]
    fn key_tables_escape_names_and_measure_the_escaped_text() {
        let hostile = [
            "red\u{1b}[31m",
            "gpj\u{202e}exe.txt",
            "two\nlines",
            "bell\u{7}",
            "csi\u{9b}2J",
        ];
        let mut list: Vec<KeySummary> = hostile
            .iter()
            .map(|name| KeySummary {
                name: (*name).into(),
                ..key(Some("a1b2c3d4…9f0e"), None)
            })
            .collect();
        list.push(KeySummary {
            name: "dev \u{1f469}\u{200d}\u{1f4bb}".into(),
            ..key(None, None)
        });
        let text = keys(&list, None);
        assert!(
            !text.chars().any(|c| c != '\n' && crate::escape::is_escaped(c)),
            "{text:?}"
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + list.len(), "one line per key: {text}");
        for (line, name) in lines[1..].iter().zip([
            "red\\u001b[31m",
            "gpj\\u202eexe.txt",
            "two\\nlines",
            "bell\\u0007",
            "csi\\u009b2J",
        ]) {
            assert!(line.contains(name), "{name} in {line:?}");
            // The columns after the name line up: the width is that of the escaped names.
            assert_eq!(column(line, "a1b2c3d4…9f0e"), column(lines[0], "Key"), "{text}");
            assert_eq!(column(line, "2026-11-20"), column(lines[0], "Created"), "{text}");
        }
        assert!(
            lines[6].contains("dev \u{1f469}\u{200d}\u{1f4bb}"),
            "ZWJ kept: {text}"
        );
    }

    #[test]
    fn flows_and_cards_escape_what_the_api_sent() {
        let flow = Flow {
            graph_id: "g\u{1b}]0;title\u{7}".into(),
            name: "\u{202e}evil\n".into(),
            created_at: "2026-11-26\u{1b}[2J".into(),
        };
        let table = flows(std::slice::from_ref(&flow), None);
        assert_eq!(table.lines().count(), 2, "{table}");
        assert!(table.contains("g\\u001b]0;title\\u0007"), "{table}");
        assert!(table.contains("\\u202eevil\\n"), "{table}");
        let saved = created_flow(&flow);
        assert!(saved.starts_with("Saved flow \"\\u202eevil\\n\".\n"), "{saved}");
        let who = Whoami {
            email: "a@b.c\u{feff}".into(),
            tenant: "acme\r".into(),
            key_id: None,
        };
        assert_eq!(whoami(&who), "Email: a@b.c\\ufeff\nTenant: acme\\r");
        for text in [table, saved, whoami(&who)] {
            assert!(
                !text.chars().any(|c| c != '\n' && crate::escape::is_escaped(c)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn an_execution_escapes_its_error_steps_and_output() {
        let execution = Execution {
            execution_id: "e\u{7}".into(),
            graph_id: "g1".into(),
            status: "failed\u{1b}[0m".into(),
            output: Some(serde_json::json!({"note": "x\u{1b}[31m\u{7f}\u{202e}y", "\u{9b}k": 1})),
            error: Some(ExecutionError {
                step: Some("ch\u{1b}[2Jarge".into()),
                message: "card\ndeclined\u{200f}".into(),
            }),
            started_at: Some("2026-11-26T10:49:18\u{1b}Z".into()),
            ended_at: None,
            duration_ms: None,
            steps: vec![
                Step {
                    id: "a".into(),
                    status: "succeeded".into(),
                },
                Step {
                    id: "ch\u{1b}[2Jarge".into(),
                    status: "failed\u{7}".into(),
                },
            ],
        };
        let text = super::execution(&execution);
        assert!(
            !text.chars().any(|c| c != '\n' && crate::escape::is_escaped(c)),
            "{text:?}"
        );
        assert!(text.contains("Execution  e\\u0007\n"), "{text}");
        assert!(text.contains("Status     failed\\u001b[0m\n"), "{text}");
        assert!(
            text.contains("Error      step \"ch\\u001b[2Jarge\": card\\ndeclined\\u200f\n"),
            "{text}"
        );
        assert!(
            text.contains("Started    2026-11-26 10:49:18\\u001b UTC\n"),
            "{text}"
        );
        // Steps line up on the escaped ids.
        let escaped_id = "ch\\u001b[2Jarge";
        assert!(text.contains(&format!("\n  {:15}  succeeded\n", "a")), "{text}");
        assert_eq!(escaped_id.len(), 15);
        assert!(text.contains("\n  ch\\u001b[2Jarge  failed\\u0007"), "{text}");
        // The output stays JSON: the escapes are JSON's own.
        let output = text.split("Output\n").nth(1).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(output).unwrap();
        assert_eq!(Some(&parsed), execution.output.as_ref());
        assert!(output.contains("\"x\\u001b[31m\\u007f\\u202ey\""), "{output}");
        assert!(next_step(&execution).is_none());
        assert_eq!(waiting(&execution), "Execution e\\u0007 is failed\\u001b[0m…");
    }

    #[test]
    fn durations_and_rates_read_well() {
        assert_eq!(duration(843.2), "843 ms");
        assert_eq!(duration(1240.0), "1.24 s");
        assert_eq!(duration(185_000.0), "3 min 5 s");
        assert_eq!(percent(0.8696), "86.96%");
        assert_eq!(time("2026-11-26T10:49:18Z"), "2026-11-26 10:49:18 UTC");
        assert_eq!(time("odd"), "odd");
    }

    #[test]
    fn an_execution_shows_status_error_steps_and_output() {
        let execution = Execution {
            execution_id: "e1".into(),
            graph_id: "g1".into(),
            status: "failed".into(),
            output: None,
            error: Some(ExecutionError {
                step: Some("charge".into()),
                message: "card declined".into(),
            }),
            started_at: Some("2026-11-26T10:49:18Z".into()),
            ended_at: None,
            duration_ms: None,
            steps: vec![Step {
                id: "charge".into(),
                status: "failed".into(),
            }],
        };
        let text = super::execution(&execution);
        assert!(text.contains("Status     failed"), "{text}");
        assert!(
            text.contains("Error      step \"charge\": card declined"),
            "{text}"
        );
        assert!(text.contains("Ended      —"), "{text}");
        assert!(text.contains("  charge  failed"), "{text}");
        assert!(!text.contains("Output"));
    }

    fn usage_of(daily: Vec<UsageDay>, rate: Option<f64>, avg: Option<f64>) -> Usage {
        Usage {
            window: UsageWindow {
                start: "2026-10-28".into(),
                end: "2026-11-26".into(),
            },
            executions: daily.iter().map(|day| day.total).sum(),
            success_rate: rate,
            avg_duration_ms: avg,
            daily,
        }
    }

    fn day(n: usize, succeeded: u64, failed: u64, in_flight: u64) -> UsageDay {
        UsageDay {
            date: format!("2026-11-{:02}", n),
            total: succeeded + failed + in_flight,
            succeeded,
            failed,
            in_flight,
        }
    }

    #[test]
    fn usage_without_runs_shows_dashes() {
        let text = usage(&usage_of((1..=30).map(|n| day(n, 0, 0, 0)).collect(), None, None));
        assert!(text.contains("Executions    0"), "{text}");
        assert!(text.contains("Success rate  —"), "{text}");
        assert!(text.contains("Avg duration  —"), "{text}");
        assert!(text.contains("No executions"), "{text}");
    }

    #[test]
    fn the_chart_stacks_days_and_fits_80_columns() {
        let mut daily: Vec<UsageDay> = (1..=30).map(|n| day(n, 0, 0, 0)).collect();
        daily[0] = day(1, 3, 1, 0);
        daily[29] = day(30, 100, 15, 5);
        daily[15] = day(16, 1000, 1, 0);
        let text = usage(&usage_of(daily, Some(0.8696), Some(843.2)));
        assert!(text.contains("Success rate  86.96%"), "{text}");
        assert!(text.contains("Avg duration  843 ms"), "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?} is wider than 80 columns");
        }
        let busiest = text.lines().find(|line| line.starts_with("11-16")).unwrap();
        assert_eq!(
            busiest.matches(SUCCEEDED_CELL).count(),
            BAR_WIDTH - 1,
            "{busiest}"
        );
        assert_eq!(busiest.matches(FAILED_CELL).count(), 1, "a single failure shows");
        let last = text.lines().find(|line| line.starts_with("11-30")).unwrap();
        assert!(last.contains(IN_FLIGHT_CELL), "{last}");
        assert!(last.ends_with("  120       100     15         5"), "{last:?}");
        let quiet = text.lines().find(|line| line.starts_with("11-02")).unwrap();
        assert!(!quiet.contains(SUCCEEDED_CELL), "{quiet}");
        assert_eq!(text.lines().filter(|line| line.starts_with("11-")).count(), 30);
    }

    #[test]
    fn segments_never_exceed_the_bar() {
        assert_eq!(segment_widths([0, 0, 0], 0), [0, 0, 0]);
        assert_eq!(segment_widths([10, 0, 0], 10), [BAR_WIDTH, 0, 0]);
        assert_eq!(segment_widths([1, 1, 1], 1000), [1, 1, 1]);
        let widths = segment_widths([998, 1, 1], 1000);
        assert_eq!(widths.iter().sum::<usize>(), BAR_WIDTH);
        assert_eq!(widths[1..], [1, 1]);
    }
}
