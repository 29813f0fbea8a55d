//! The four lists (`keys list`, `flows list`, `executions list`, `audit`) and their pages
//! (PRODUCT.md section 13): one page of the API's default size or of `--limit N`, or every
//! page with `--all`, following `next_cursor` until it is `null`.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_json::{Value, value::RawValue};

use super::Context;
use crate::{
    api::{Api, Reply, Request},
    args::Paging,
    error::{CliError, Exit},
    render,
    schema::{AuditEvent, ExecutionSummary, Flow, KeySummary},
    terminal,
};

/// The largest page the API serves: `--all` asks for it, to make as few requests as it can.
const MAX_LIMIT: u8 = 100;

/// A list route: where it is, the field of its items, and how the text output shows them.
pub struct List<T> {
    path: &'static [&'static str],
    field: &'static str,
    /// What the items are called, in the note that more may follow.
    noun: &'static str,
    /// Query parameters that filter the list.
    filters: Vec<(&'static str, String)>,
    table: fn(&[T], Option<u16>) -> String,
}

pub const KEYS: List<KeySummary> = List {
    path: &["v1", "api-keys"],
    field: "keys",
    noun: "keys",
    filters: Vec::new(),
    table: render::keys,
};

pub const FLOWS: List<Flow> = List {
    path: &["v1", "flows"],
    field: "flows",
    noun: "flows",
    filters: Vec::new(),
    table: render::flows,
};

pub const AUDIT: List<AuditEvent> = List {
    path: &["v1", "audit-events"],
    field: "events",
    noun: "events",
    filters: Vec::new(),
    table: render::audit,
};

/// `executions list`, with its filters.
pub fn executions(status: Option<String>, graph_id: Option<String>) -> List<ExecutionSummary> {
    let filters = [("status", status), ("graph_id", graph_id)];
    List {
        path: &["invocations", "v1", "executions"],
        field: "executions",
        noun: "executions",
        filters: filters
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect(),
        table: render::executions,
    }
}

impl<T> List<T> {
    fn request(&self, limit: Option<u8>, cursor: Option<&str>) -> Request<'_> {
        let mut request = Request::get(self.path);
        for (name, value) in &self.filters {
            request = request.query(name, Some(value));
        }
        request.query("limit", limit).query("cursor", cursor)
    }
}

/// Lists `list` as `paging` says and prints it: with `--json` the API's page as it came, or
/// with `--all` one document of every page's items (`{"<field>": [...], "next_cursor": null}`);
/// else the table, and a note on stderr when more pages follow.
pub fn show<T: DeserializeOwned>(
    context: &Context,
    list: &List<T>,
    paging: Paging,
) -> Result<Exit, CliError> {
    let listing = fetch(&context.api()?, list, paging)?;
    if context.json {
        println!("{}", listing.json(list.field, paging.all));
        return Ok(Exit::Success);
    }
    let items = listing
        .items
        .iter()
        .map(|item| listing.first.parse_part(item.get()))
        .collect::<Result<Vec<T>, _>>()?;
    println!("{}", (list.table)(&items, terminal::width()));
    if listing.next_cursor.is_some() {
        terminal::note(false, &render::more(list.noun));
    }
    Ok(Exit::Success)
}

/// What was listed: the first page as it came, the items of every page fetched, and the cursor
/// of the page after them.
struct Listing {
    first: Reply,
    items: Vec<Box<RawValue>>,
    next_cursor: Option<String>,
}

impl Listing {
    fn json(&self, field: &str, all: bool) -> String {
        if !all {
            return self.first.body.trim_end().to_owned();
        }
        let items: Vec<&str> = self.items.iter().map(|item| item.get()).collect();
        format!(
            "{{{}:[{}],\"next_cursor\":null}}",
            Value::from(field),
            items.join(",")
        )
    }
}

/// One page, or with `--all` every page. A cursor that comes back a second time would loop
/// for ever: it stops with an error instead.
fn fetch<T>(api: &Api, list: &List<T>, paging: Paging) -> Result<Listing, CliError> {
    let limit = if paging.all { Some(MAX_LIMIT) } else { paging.limit };
    let first = api.call(list.request(limit, None))?;
    let mut page = Page::read(&first, list.field)?;
    let mut items = std::mem::take(&mut page.items);
    let mut seen = HashSet::new();
    while paging.all
        && let Some(cursor) = page.next_cursor.take()
    {
        if !seen.insert(cursor.clone()) {
            return Err(first.unexpected("the same next_cursor came twice; stopped following the pages"));
        }
        let reply = api.call(list.request(limit, Some(&cursor)))?;
        page = Page::read(&reply, list.field)?;
        items.append(&mut page.items);
    }
    Ok(Listing {
        first,
        items,
        next_cursor: page.next_cursor,
    })
}

/// A page's items, kept as the JSON text they came as, and its `next_cursor`.
struct Page {
    items: Vec<Box<RawValue>>,
    next_cursor: Option<String>,
}

impl Page {
    fn read(reply: &Reply, field: &str) -> Result<Self, CliError> {
        let mut body: std::collections::HashMap<String, Box<RawValue>> = reply.parse()?;
        let items = body
            .remove(field)
            .ok_or_else(|| reply.unexpected(format!("no `{field}` in the answer")))?;
        let next_cursor = match body.remove("next_cursor") {
            Some(cursor) => reply.parse_part(cursor.get())?,
            // An API from before pages (PRODUCT.md section 13) sends everything at once.
            None => None,
        };
        Ok(Self {
            items: reply.parse_part(items.get())?,
            next_cursor,
        })
    }
}
