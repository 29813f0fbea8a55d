//! The flow language (PRODUCT.md §5): parsing and validating a definition once, at save time,
//! and the pure semantics of each step. No I/O here; `runner` drives it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A flow as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSummary {
    pub graph_id: String,
    pub name: String,
    pub created_at: String,
}

pub const MAX_STEPS: usize = 50;
pub const MAX_STEP_ID_CHARS: usize = 64;
pub const MAX_SLEEP_MS: u64 = 5_000;
/// A definition, measured as the JSON text received.
pub const MAX_DEFINITION_BYTES: usize = 64 * 1024;
pub const MAX_INPUT_BYTES: usize = 128 * 1024;
/// A run's state may not grow past this (serialized), so a record always fits in one item.
pub const MAX_STATE_BYTES: usize = 160 * 1024;
/// A `fail` message, in bytes of UTF-8: it is stored once, in the run's error.
pub const MAX_FAIL_MESSAGE_BYTES: usize = 4 * 1024;
/// How deep JSON from a client may nest (an input, a resume's input, a `set` value).
pub const MAX_DEPTH: usize = 64;
/// How deep a run's state may nest: its top level, which wraps a non-object input, and below
/// it what a client may send.
pub const MAX_STATE_DEPTH: usize = MAX_DEPTH + 1;

/// Why a run's state may not take a change: the change would pass one of its caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateCap {
    #[error("the run's state would grow past {} KiB", MAX_STATE_BYTES / 1024)]
    Size,
    #[error("the run's state would nest deeper than {MAX_DEPTH} levels")]
    Depth,
}

/// The length of `value` as compact JSON, counted without building the text.
pub fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value).expect("JSON values always serialize");
    counter.0
}

/// How many arrays and objects deep `value` nests: 0 for a scalar, 1 for `{}` or `[1]`.
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Object(object) => 1 + object.values().map(depth).max().unwrap_or(0),
        Value::Array(array) => 1 + array.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The state as it is stored (JSON text), if it keeps within its caps.
pub fn state_text(state: &Map<String, Value>) -> Result<String, StateCap> {
    if 1 + state.values().map(depth).max().unwrap_or(0) > MAX_STATE_DEPTH {
        return Err(StateCap::Depth);
    }
    let text = serde_json::to_string(state).expect("JSON values always serialize");
    if text.len() > MAX_STATE_BYTES {
        return Err(StateCap::Size);
    }
    Ok(text)
}

/// What a step (or a compensation) does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Set { value: Map<String, Value> },
    Sleep { ms: u64 },
    Pause,
    Fail { message: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    #[serde(flatten)]
    pub op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensate: Option<Op>,
}

/// A validated definition: 1 to 50 steps with unique ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub steps: Vec<Step>,
}

impl Definition {
    /// Validates a definition as the client sent it; the message names the step and field.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let object = value.as_object().ok_or("definition must be an object")?;
        if let Some(unknown) = object.keys().find(|k| *k != "steps") {
            return Err(format!("definition: unknown field `{unknown}`"));
        }
        let steps = object
            .get("steps")
            .ok_or("definition.steps is required")?
            .as_array()
            .ok_or("definition.steps must be an array")?;
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return Err(format!(
                "definition.steps must have 1 to {MAX_STEPS} steps, not {}",
                steps.len()
            ));
        }
        let mut parsed: Vec<Step> = Vec::with_capacity(steps.len());
        for (index, step) in steps.iter().enumerate() {
            let at = format!("definition.steps[{index}]");
            let step = parse_step(step, &at)?;
            if parsed.iter().any(|earlier| earlier.id == step.id) {
                return Err(format!("{at}.id: duplicate step id `{}`", step.id));
            }
            parsed.push(step);
        }
        Ok(Self { steps: parsed })
    }
}

fn parse_step(value: &Value, at: &str) -> Result<Step, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{at} must be an object"))?;
    let id = object
        .get("id")
        .ok_or_else(|| format!("{at}.id is required"))?
        .as_str()
        .ok_or_else(|| format!("{at}.id must be a string"))?;
    let valid_id = (1..=MAX_STEP_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_id {
        return Err(format!(
            "{at}.id must be 1 to {MAX_STEP_ID_CHARS} characters of A-Z, a-z, 0-9, _ and -"
        ));
    }
    let at = format!("{at} (step `{id}`)");
    let op = parse_op(object, &at, &["id", "compensate"], true)?;
    let compensate = match object.get("compensate") {
        None => None,
        Some(value) => {
            let at = format!("{at}.compensate");
            let object = value
                .as_object()
                .ok_or_else(|| format!("{at} must be an object"))?;
            Some(parse_op(object, &at, &[], false)?)
        }
    };
    Ok(Step {
        id: id.to_owned(),
        op,
        compensate,
    })
}

/// One op and its own fields; `extra` fields belong to the enclosing step.
fn parse_op(
    object: &Map<String, Value>,
    at: &str,
    extra: &[&str],
    pause_allowed: bool,
) -> Result<Op, String> {
    let op = object
        .get("op")
        .ok_or_else(|| format!("{at}.op is required"))?
        .as_str()
        .ok_or_else(|| format!("{at}.op must be a string"))?;
    let (op, fields): (Op, &[&str]) = match op {
        "set" => {
            let value = object
                .get("value")
                .ok_or_else(|| format!("{at}.value is required for op `set`"))?
                .as_object()
                .ok_or_else(|| format!("{at}.value must be an object"))?;
            check_from_pointers(value, &format!("{at}.value"))?;
            if 1 + value.values().map(depth).max().unwrap_or(0) > MAX_DEPTH {
                return Err(format!("{at}.value must not nest deeper than {MAX_DEPTH} levels"));
            }
            (Op::Set { value: value.clone() }, &["value"])
        }
        "sleep" => {
            let ms = object
                .get("ms")
                .ok_or_else(|| format!("{at}.ms is required for op `sleep`"))?
                .as_f64()
                // An integer however it is written (`1000`, `1000.0`, `1e3`), as JSON Schema has it.
                .filter(|ms| ms.fract() == 0.0 && (0.0..=MAX_SLEEP_MS as f64).contains(ms))
                .map(|ms| ms as u64)
                .ok_or_else(|| format!("{at}.ms must be an integer from 0 to {MAX_SLEEP_MS}"))?;
            (Op::Sleep { ms }, &["ms"])
        }
        "pause" if pause_allowed => (Op::Pause, &[]),
        "fail" => {
            let message = object
                .get("message")
                .ok_or_else(|| format!("{at}.message is required for op `fail`"))?
                .as_str()
                .ok_or_else(|| format!("{at}.message must be a string"))?;
            if message.len() > MAX_FAIL_MESSAGE_BYTES {
                return Err(format!(
                    "{at}.message must be at most {} KiB",
                    MAX_FAIL_MESSAGE_BYTES / 1024
                ));
            }
            if message.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(format!(
                    "{at}.message must not contain control characters other than newlines and tabs"
                ));
            }
            (
                Op::Fail {
                    message: message.to_owned(),
                },
                &["message"],
            )
        }
        other => {
            let allowed = if pause_allowed {
                "set, sleep, pause or fail"
            } else {
                "set, sleep or fail"
            };
            return Err(format!("{at}.op must be {allowed}, not `{other}`"));
        }
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| *k != "op" && !fields.contains(&k.as_str()) && !extra.contains(&k.as_str()))
    {
        return Err(format!(
            "{at}: unknown field `{unknown}` for op `{}`",
            object["op"].as_str().unwrap_or_default()
        ));
    }
    Ok(op)
}

/// Every `{"$from": ...}` in a `set` value must hold a JSON pointer ("" or starting with "/").
fn check_from_pointers(value: &Map<String, Value>, at: &str) -> Result<(), String> {
    if let Some(from) = value.get("$from") {
        let pointer = from
            .as_str()
            .ok_or_else(|| format!("{at}.$from must be a string (a JSON pointer)"))?;
        if value.len() != 1 {
            return Err(format!("{at}: an object with `$from` must have no other fields"));
        }
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            return Err(format!(
                "{at}.$from must be a JSON pointer such as \"/user/name\""
            ));
        }
        return Ok(());
    }
    for (key, nested) in value {
        if let Value::Object(nested) = nested {
            check_from_pointers(nested, &format!("{at}.{key}"))?;
        }
    }
    Ok(())
}

/// A run's initial state: the input object, or `{"input": v}` for any other value.
pub fn initial_state(input: Value) -> Map<String, Value> {
    match input {
        Value::Object(object) => object,
        other => Map::from_iter([("input".to_owned(), other)]),
    }
}

/// `set`: merges `value` into the state's top level, resolving `{"$from": pointer}` against
/// the state as it was before the step (absent → null), then checks the state's caps.
///
/// Work is bounded by the size cap, not multiplied by the number of copies: every copy ends up
/// in the new state, so once the copies alone pass the cap the step fails, and each copy is
/// measured (without building anything) before it is made.
pub fn apply_set(state: &mut Map<String, Value>, value: &Map<String, Value>) -> Result<String, StateCap> {
    let before = Value::Object(state.clone());
    let mut budget = MAX_STATE_BYTES;
    let mut resolved = Vec::with_capacity(value.len());
    for (key, value) in value {
        resolved.push((key.clone(), resolve(value, &before, &mut budget)?));
    }
    state.extend(resolved);
    state_text(state)
}

fn resolve(value: &Value, state: &Value, budget: &mut usize) -> Result<Value, StateCap> {
    match value {
        Value::Object(object) => match object.get("$from").and_then(Value::as_str) {
            Some(pointer) if object.len() == 1 => {
                let Some(found) = state.pointer(pointer) else {
                    return Ok(Value::Null);
                };
                *budget = budget.checked_sub(json_len(found)).ok_or(StateCap::Size)?;
                Ok(found.clone())
            }
            _ => object
                .iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, state, budget)?)))
                .collect::<Result<Map<_, _>, _>>()
                .map(Value::Object),
        },
        other => Ok(other.clone()),
    }
}

/// Merges a resume's input into the state (top-level keys, like `set` without `$from`).
pub fn merge_input(state: &mut Map<String, Value>, input: Value) {
    for (key, value) in initial_state(input) {
        state.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(definition: Value) -> String {
        Definition::parse(&definition).unwrap_err()
    }

    #[test]
    fn parses_the_example_definition() {
        let definition = Definition::parse(&json!({"steps": [
            {"id": "reserve", "op": "set", "value": {"reserved": true, "who": {"$from": "/user"}},
             "compensate": {"op": "set", "value": {"reserved": false}}},
            {"id": "think", "op": "sleep", "ms": 200},
            {"id": "approve", "op": "pause"},
            {"id": "charge", "op": "fail", "message": "card declined"}
        ]}))
        .unwrap();
        assert_eq!(definition.steps.len(), 4);
        assert_eq!(definition.steps[1].op, Op::Sleep { ms: 200 });
        assert!(definition.steps[0].compensate.is_some());
        // Round trip through storage.
        let stored = serde_json::to_value(&definition).unwrap();
        assert_eq!(serde_json::from_value::<Definition>(stored).unwrap(), definition);
    }

    #[test]
    fn errors_name_the_step_and_field() {
        assert_eq!(error(json!([])), "definition must be an object");
        assert_eq!(error(json!({})), "definition.steps is required");
        assert_eq!(
            error(json!({"steps": [], "x": 1})),
            "definition: unknown field `x`"
        );
        assert!(error(json!({"steps": []})).contains("1 to 50 steps"));
        let too_many: Vec<_> = (0..51)
            .map(|i| json!({"id": format!("s{i}"), "op": "pause"}))
            .collect();
        assert!(error(json!({ "steps": too_many })).contains("not 51"));
        assert!(error(json!({"steps": [{"op": "pause"}]})).contains("steps[0].id is required"));
        assert!(error(json!({"steps": [{"id": "a b", "op": "pause"}]})).contains("steps[0].id must be"));
        assert!(
            error(json!({"steps": [{"id": "x".repeat(65), "op": "pause"}]})).contains("steps[0].id must be")
        );
        assert_eq!(
            error(json!({"steps": [{"id": "a", "op": "pause"}, {"id": "a", "op": "pause"}]})),
            "definition.steps[1].id: duplicate step id `a`"
        );
        assert_eq!(
            error(json!({"steps": [{"id": "t", "op": "sleep", "ms": 5001}]})),
            "definition.steps[0] (step `t`).ms must be an integer from 0 to 5000"
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "sleep", "ms": -1}]})).contains("ms must be an integer")
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "sleep", "ms": 1.5}]}))
                .contains("ms must be an integer")
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "jump"}]}))
                .contains("op must be set, sleep, pause or fail, not `jump`")
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "set", "value": 1}]}))
                .contains("value must be an object")
        );
        assert!(error(json!({"steps": [{"id": "t", "op": "fail"}]})).contains("message is required"));
        assert!(
            error(json!({"steps": [{"id": "t", "op": "pause", "ms": 3}]}))
                .contains("unknown field `ms` for op `pause`")
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "set", "value": {}, "compensate": {"op": "pause"}}]}))
                .contains("compensate.op must be set, sleep or fail")
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "set", "value": {"a": {"$from": 3}}}]}))
                .contains("value.a.$from must be a string")
        );
        assert!(
            error(json!({"steps": [{"id": "t", "op": "set", "value": {"a": {"$from": "x"}}}]}))
                .contains("must be a JSON pointer")
        );
    }

    #[test]
    fn sleep_ms_is_an_integer_however_written() {
        for ms in [json!(1000), json!(1000.0), json!(1e3)] {
            let parsed =
                Definition::parse(&json!({"steps": [{"id": "a", "op": "sleep", "ms": ms}]})).unwrap();
            assert_eq!(parsed.steps[0].op, Op::Sleep { ms: 1000 });
        }
        for ms in [json!(1.5), json!(-1), json!(5001), json!("1")] {
            assert!(Definition::parse(&json!({"steps": [{"id": "a", "op": "sleep", "ms": ms}]})).is_err());
        }
    }

    #[test]
    fn initial_state_wraps_non_objects() {
        assert_eq!(
            initial_state(json!({"a": 1})),
            json!({"a": 1}).as_object().unwrap().clone()
        );
        assert_eq!(Value::Object(initial_state(json!([1]))), json!({"input": [1]}));
        assert_eq!(Value::Object(initial_state(json!(null))), json!({"input": null}));
    }

    #[test]
    fn set_merges_top_level_and_copies_from_pointers() {
        let mut state = initial_state(json!({"user": {"name": "ada"}, "keep": 1}));
        let value = json!({"reserved": true, "who": {"$from": "/user"}, "nested": {"n": {"$from": "/user/name"}},
                           "missing": {"$from": "/nope"}, "all": {"$from": ""}});
        apply_set(&mut state, value.as_object().unwrap()).unwrap();
        assert_eq!(state["reserved"], true);
        assert_eq!(state["who"], json!({"name": "ada"}));
        assert_eq!(state["nested"], json!({"n": "ada"}));
        assert_eq!(state["missing"], Value::Null);
        assert_eq!(state["all"], json!({"user": {"name": "ada"}, "keep": 1}));
        assert_eq!(state["keep"], 1);
    }

    #[test]
    fn resume_input_merges_into_state() {
        let mut state = initial_state(json!({"a": 1, "b": 2}));
        merge_input(&mut state, json!({"b": 3, "c": 4}));
        assert_eq!(Value::Object(state), json!({"a": 1, "b": 3, "c": 4}));
    }
}
