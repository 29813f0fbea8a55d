//! The OpenAPI document (`docs/openapi.yaml`) and a checker of JSON values against its schemas:
//! the JSON Schema keywords the document uses; `format` and `pattern` are not checked.

use serde_json::Value as Json;
use serde_yaml_ng::Value;

pub fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml_ng::from_str(&text).expect("docs/openapi.yaml is YAML")
}

pub fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value:?}"))
}

/// Follows `$ref`s (local ones only: the document is self-contained).
pub fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(reference) = value.get("$ref") {
        let pointer = str_of(reference)
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("non-local $ref {reference:?}"));
        value = pointer.split('/').fold(doc, |node, part| {
            node.get(part)
                .unwrap_or_else(|| panic!("$ref {pointer} points nowhere"))
        });
    }
    value
}

/// The ways a JSON value breaks a schema of the document (the JSON Schema keywords the
/// document uses; `format` and `pattern` are not checked).
pub fn violations(doc: &Value, schema: &Value, value: &Json, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut found = Vec::new();
    let Some(schema) = schema.as_mapping() else {
        return found; // `true` or `{}`-like: anything goes
    };
    let get = |name: &str| schema.get(name);
    if let Some(types) = get("type") {
        let types: Vec<&str> = match types {
            Value::Sequence(types) => types.iter().map(str_of).collect(),
            one => vec![str_of(one)],
        };
        let fits = types.iter().any(|kind| match *kind {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            other => panic!("unknown type {other}"),
        });
        if !fits {
            return vec![format!("{at}: {value} is not {types:?}")];
        }
    }
    if let Some(constant) = get("const")
        && serde_json::to_value(constant).unwrap() != *value
    {
        found.push(format!("{at}: {value} is not {constant:?}"));
    }
    if let Some(allowed) = get("enum") {
        let allowed: Json = serde_json::to_value(allowed).unwrap();
        if !allowed.as_array().unwrap().contains(value) {
            found.push(format!("{at}: {value} is not one of {allowed}"));
        }
    }
    let number = value.as_f64();
    if let (Some(minimum), Some(number)) = (get("minimum").and_then(Value::as_f64), number)
        && number < minimum
    {
        found.push(format!("{at}: {number} < {minimum}"));
    }
    if let (Some(maximum), Some(number)) = (get("maximum").and_then(Value::as_f64), number)
        && number > maximum
    {
        found.push(format!("{at}: {number} > {maximum}"));
    }
    if let (Some(min), Some(text)) = (get("minLength").and_then(Value::as_u64), value.as_str())
        && (text.chars().count() as u64) < min
    {
        found.push(format!("{at}: shorter than {min}"));
    }
    if let Some(items) = value.as_array() {
        let count = items.len() as u64;
        if let Some(min) = get("minItems").and_then(Value::as_u64)
            && count < min
        {
            found.push(format!("{at}: fewer than {min} items"));
        }
        if let Some(max) = get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            found.push(format!("{at}: more than {max} items"));
        }
        if let Some(item_schema) = get("items") {
            for (index, item) in items.iter().enumerate() {
                found.extend(violations(doc, item_schema, item, &format!("{at}[{index}]")));
            }
        }
    }
    if let Some(object) = value.as_object() {
        for required in get("required").and_then(Value::as_sequence).into_iter().flatten() {
            if !object.contains_key(str_of(required)) {
                found.push(format!("{at}: missing {required:?}"));
            }
        }
        let properties = get("properties").and_then(Value::as_mapping);
        for (name, field) in object {
            let property = properties.and_then(|properties| properties.get(name.as_str()));
            match (property, get("additionalProperties")) {
                (Some(property), _) => {
                    found.extend(violations(doc, property, field, &format!("{at}.{name}")))
                }
                (None, Some(Value::Bool(false))) => found.push(format!("{at}: unexpected field {name:?}")),
                (None, Some(extra)) if extra.is_mapping() => {
                    found.extend(violations(doc, extra, field, &format!("{at}.{name}")))
                }
                (None, _) => {}
            }
        }
    }
    for all in get("allOf").and_then(Value::as_sequence).into_iter().flatten() {
        found.extend(violations(doc, all, value, at));
    }
    if let Some(any) = get("anyOf").and_then(Value::as_sequence)
        && !any
            .iter()
            .any(|option| violations(doc, option, value, at).is_empty())
    {
        found.push(format!("{at}: {value} fits none of anyOf"));
    }
    if let Some(one) = get("oneOf").and_then(Value::as_sequence) {
        let fitting = one
            .iter()
            .filter(|option| violations(doc, option, value, at).is_empty())
            .count();
        if fitting != 1 {
            found.push(format!("{at}: {value} fits {fitting} of oneOf"));
        }
    }
    found
}

pub fn assert_fits(doc: &Value, schema: &Value, value: &Json, what: &str) {
    let found = violations(doc, schema, value, "$");
    assert!(
        found.is_empty(),
        "{what} does not fit the document:\n{}\n{value:#}",
        found.join("\n")
    );
}

/// `{"$ref": pointer}`.
pub fn reference(pointer: &str) -> Value {
    let mut mapping = serde_yaml_ng::Mapping::new();
    mapping.insert("$ref".into(), pointer.into());
    Value::Mapping(mapping)
}

pub fn schema(name: &str) -> Value {
    reference(&format!("#/components/schemas/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_checker_catches_what_the_document_forbids() {
        let doc = document();
        let execution = schema("Execution");
        assert!(!violations(&doc, &execution, &json!({"status": "bogus"}), "$").is_empty());
        let error = schema("Error");
        assert!(
            violations(
                &doc,
                &error,
                &json!({"error": {"code": "conflict", "message": "m"}}),
                "$"
            )
            .is_empty()
        );
        assert!(
            !violations(
                &doc,
                &error,
                &json!({"error": {"code": "teapot", "message": "m"}}),
                "$"
            )
            .is_empty()
        );
        assert!(!violations(&doc, &error, &json!({"error": {"code": "conflict"}, "x": 1}), "$").is_empty());
    }
}
