//! Properties of the flow language and the record budget (PRODUCT.md §5, §6, §11), over random
//! definitions and inputs: parsing never panics and reads back what it wrote; every run ends,
//! whatever its steps; a run's state keeps within its caps; a run's record, measured as DynamoDB
//! measures items, stays within the record budget; `$from` copies fail at the cap exactly when
//! making them would pass it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use axiom_shared::domain::{
    executions::{Execution, RECORD_BUDGET_BYTES, StartIds, Status},
    flows::{
        self, Definition, MAX_FAIL_MESSAGE_BYTES, MAX_INPUT_BYTES, MAX_STATE_BYTES, MAX_STATE_DEPTH, StateCap,
    },
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Small JSON of any shape, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z\"\\\\\u{e9}\n]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// An input within the cap: small JSON, or an object carrying a large string.
fn input() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => json_value(),
        1 => (0..MAX_INPUT_BYTES - 64, json_value()).prop_map(|(size, other)| json!({"big": "x".repeat(size), "a": other})),
    ]
}

/// A `set` value: literals and copies of the state, some of all of it.
fn set_value() -> impl Strategy<Value = Value> {
    let entry = prop_oneof![
        json_value(),
        prop::sample::select(vec!["", "/big", "/a", "/a/0", "/a/b", "/missing"])
            .prop_map(|p| json!({ "$from": p })),
        prop::sample::select(vec!["", "/big"]).prop_map(|p| json!({"nested": {"$from": p}})),
    ];
    prop::collection::btree_map("[a-f]", entry, 1..4).prop_map(|map| Value::Object(map.into_iter().collect()))
}

fn op(pause_allowed: bool) -> impl Strategy<Value = Value> {
    let message = prop_oneof![
        "[a-z \n\t]{0,40}",
        (0..=MAX_FAIL_MESSAGE_BYTES).prop_map(|n| "m".repeat(n)),
    ];
    let mut ops = vec![
        set_value()
            .prop_map(|value| json!({"op": "set", "value": value}))
            .boxed(),
        (0u64..2).prop_map(|ms| json!({"op": "sleep", "ms": ms})).boxed(),
        message.prop_map(|m| json!({"op": "fail", "message": m})).boxed(),
    ];
    if pause_allowed {
        ops.push(Just(json!({"op": "pause"})).boxed());
    }
    prop::strategy::Union::new(ops)
}

fn definition() -> impl Strategy<Value = Value> {
    let step = (op(true), prop::option::of(op(false)));
    prop::collection::vec(step, 1..=flows::MAX_STEPS).prop_map(|steps| {
        let steps: Vec<Value> = steps
            .into_iter()
            .enumerate()
            .map(|(i, (mut op, compensate))| {
                op["id"] = json!(format!("s{i}"));
                if let Some(compensate) = compensate {
                    op["compensate"] = compensate;
                }
                op
            })
            .collect();
        json!({ "steps": steps })
    })
}

/// The size of an item as DynamoDB counts it: names and values, with a little per nested value.
fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number.len().div_ceil(2) + 1,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, value)| name.len() + value_size(value) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(list) => 3 + list.iter().map(|value| value_size(value) + 1).sum::<usize>(),
        other => panic!("unexpected attribute {other:?}"),
    }
}

fn record_size(execution: &Execution) -> usize {
    item_size(&serde_dynamo::to_item(execution).expect("an execution is an item"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn parsing_any_json_never_panics(value in json_value()) {
        let _ = Definition::parse(&json!({ "steps": [value] }));
        let _ = Definition::parse(&value);
    }

    #[test]
    fn a_parsed_definition_reads_back_as_itself(definition in definition()) {
        if let Ok(parsed) = Definition::parse(&definition) {
            let written = serde_json::to_value(&parsed).unwrap();
            prop_assert_eq!(Definition::parse(&written).unwrap(), parsed);
        }
    }

    #[test]
    fn every_run_ends_within_its_caps_and_its_record_budget(definition in definition(), input in input()) {
        let Ok(definition) = Definition::parse(&definition) else { return Ok(()) };
        let ids = StartIds {
            execution_id: "0193f1e2-af70-7d43-8e91-5c4d6e7f8091".into(),
            account_id: "0193f1e2-7c4d-7a10-9b6e-2f1c3d4e5a6b".into(),
            graph_id: "0193f1e2-9e6f-7c32-9d80-4b3c5d6e7f80".into(),
            key_id: "0193f1e2-8d5e-7b21-8c7f-3a2b4c5d6e7f".into(),
        };
        let text = input.to_string();
        let mut run = Execution::start(ids, &definition, text, input, Some("r"), 1_000);
        // Each step runs once and each compensation at most once; a pause is resumed once.
        for _ in 0..=3 * definition.steps.len() {
            prop_assert!(run.state.len() <= MAX_STATE_BYTES);
            prop_assert!(flows::depth(&serde_json::from_str(&run.state).unwrap()) <= MAX_STATE_DEPTH);
            let size = record_size(&run);
            prop_assert!(size <= RECORD_BUDGET_BYTES, "a record of {size} bytes");
            if run.status.is_terminal() {
                break;
            }
            if run.status == Status::Paused {
                run.resume(&definition, None, "r", 2_000).unwrap().unwrap();
                continue;
            }
            let work = run.next_work(&definition).expect("a run in flight has work");
            run.complete(&definition, work, 2_000, 2_000);
        }
        prop_assert!(run.status.is_terminal(), "still {:?}", run.status);
        if let Some(error) = &run.error {
            prop_assert!(error.message.len() <= MAX_FAIL_MESSAGE_BYTES + "compensation failed: ".len());
        }
    }

    #[test]
    fn copies_fail_at_the_cap_exactly_when_making_them_would_pass_it(
        state in prop::collection::btree_map("[a-c]", json_value(), 0..4),
        big in 0..MAX_STATE_BYTES,
        copies in 1..6usize,
    ) {
        let mut state: Map<String, Value> = state.into_iter().collect();
        state.insert("big".into(), json!("x".repeat(big)));
        let value: Map<String, Value> = (0..copies).map(|i| (format!("c{i}"), json!({"$from": ""}))).collect();
        // Made naively: every copy in full.
        let before = Value::Object(state.clone());
        let mut naive = state.clone();
        for key in value.keys() {
            naive.insert(key.clone(), before.clone());
        }
        let naive_size = serde_json::to_string(&naive).unwrap().len();
        match flows::apply_set(&mut state, &value) {
            Ok(text) => {
                prop_assert_eq!(text.len(), naive_size);
                prop_assert!(naive_size <= MAX_STATE_BYTES);
            }
            Err(cap) => {
                prop_assert_eq!(cap, StateCap::Size);
                prop_assert!(naive_size > MAX_STATE_BYTES);
            }
        }
    }
}
