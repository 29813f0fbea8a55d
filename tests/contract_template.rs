//! `template.yaml`, the local gateway's routes and the table definition agree.

use std::collections::BTreeSet;

use std::collections::BTreeMap;

use axiom_shared::{api::routes::ROUTES, store::table};
use serde_yaml_ng::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value:?}"))
}

#[test]
fn routes_are_the_same_set_as_the_local_gateway_serves() {
    let template = template();
    let mut deployed = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = str_of(&resource["Metadata"]["BuildProperties"]["Binary"]).to_owned();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events.iter().filter(|(_, event)| event["Type"] == "HttpApi") {
            let properties = &event["Properties"];
            assert_eq!(properties["PayloadFormatVersion"], "2.0");
            deployed.insert((
                str_of(&properties["Method"]).to_owned(),
                str_of(&properties["Path"]).to_owned(),
                binary.clone(),
                properties["Auth"]["Authorizer"] == "NONE",
            ));
        }
    }
    let local: BTreeSet<_> = ROUTES
        .iter()
        .map(|route| {
            (
                route.method.to_owned(),
                route.path.to_owned(),
                route.function.name().to_owned(),
                route.public,
            )
        })
        .collect();
    assert_eq!(deployed, local, "the same routes, functions and public routes");
}

#[test]
fn every_binary_in_the_template_is_a_workspace_function() {
    let template = template();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = str_of(&resource["Metadata"]["BuildProperties"]["Binary"]);
        let manifest = format!("{}/../functions/{binary}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&manifest).unwrap_or_else(|_| panic!("{name:?}: no {manifest}"));
        assert!(
            text.contains(&format!("name = \"{binary}\"")),
            "{manifest} builds {binary}"
        );
    }
}

#[test]
fn the_authorizer_is_uncached_payload_2_simple_and_guards_every_route() {
    let template = template();
    let auth = &template["Resources"]["HttpApi"]["Properties"]["Auth"];
    let authorizer = &auth["Authorizers"][str_of(&auth["DefaultAuthorizer"])];
    assert_eq!(authorizer["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(authorizer["EnableSimpleResponses"], true);
    assert_eq!(authorizer["EnableFunctionDefaultPermissions"], true);
    assert_eq!(authorizer["Identity"]["ReauthorizeEvery"], 0);
    assert_eq!(authorizer["Identity"]["Headers"][0], "Authorization");
}

#[test]
fn the_table_has_the_key_schema_the_code_creates() {
    let template = template();
    let properties = &template["Resources"]["Table"]["Properties"];
    let attributes: Vec<(&str, &str)> = properties["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| (str_of(&a["AttributeName"]), str_of(&a["AttributeType"])))
        .collect();
    let keys: Vec<(&str, &str)> = properties["KeySchema"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| (str_of(&k["AttributeName"]), str_of(&k["KeyType"])))
        .collect();
    assert_eq!(keys, key_schema(table::KEY_SCHEMA));
    let expected: Vec<(&str, &str)> = table::ATTRIBUTES
        .iter()
        .map(|(name, kind)| (*name, kind.as_str()))
        .collect();
    assert_eq!(attributes, expected);
    let index = &properties["GlobalSecondaryIndexes"][0];
    assert_eq!(index["IndexName"], table::WAKE_INDEX);
    assert_eq!(index["Projection"]["ProjectionType"], "KEYS_ONLY");
    let index_keys: Vec<(&str, &str)> = index["KeySchema"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| (str_of(&k["AttributeName"]), str_of(&k["KeyType"])))
        .collect();
    assert_eq!(index_keys, key_schema(table::WAKE_KEY_SCHEMA));
    let runs = &properties["GlobalSecondaryIndexes"][1];
    assert_eq!(runs["IndexName"], table::RUNS_INDEX);
    assert_eq!(runs["Projection"]["ProjectionType"], "INCLUDE");
    let projected: Vec<&str> = runs["Projection"]["NonKeyAttributes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert_eq!(projected, table::RUNS_PROJECTED);
    let runs_keys: Vec<(&str, &str)> = runs["KeySchema"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| (str_of(&k["AttributeName"]), str_of(&k["KeyType"])))
        .collect();
    assert_eq!(runs_keys, key_schema(table::RUNS_KEY_SCHEMA));
    assert_eq!(properties["TimeToLiveSpecification"]["AttributeName"], table::TTL);
    assert_eq!(properties["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(properties["StreamSpecification"]["StreamViewType"], "NEW_IMAGE");
    assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(template["Resources"]["Table"]["DeletionPolicy"], "Retain");
}

fn key_schema(
    keys: &'static [(&'static str, aws_sdk_dynamodb::types::KeyType)],
) -> Vec<(&'static str, &'static str)> {
    keys.iter()
        .map(|(name, key_type)| (*name, key_type.as_str()))
        .collect()
}

#[test]
fn every_function_gets_only_the_dynamodb_actions_it_uses() {
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("authorizer", vec!["dynamodb:GetItem", "dynamodb:UpdateItem"]),
        (
            "create-key",
            vec!["dynamodb:ConditionCheckItem", "dynamodb:PutItem"],
        ),
        ("list-keys", vec!["dynamodb:Query"]),
        (
            "revoke-key",
            vec!["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"],
        ),
        (
            "roll-key",
            vec![
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
        ),
        ("audit", vec!["dynamodb:Query"]),
        (
            "device",
            vec![
                "dynamodb:ConditionCheckItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
        ),
        ("whoami", vec![]),
        ("console", vec![]),
        ("flows", vec!["dynamodb:PutItem", "dynamodb:Query"]),
        (
            "invoke",
            vec!["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        ),
        (
            "executions",
            vec![
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
        ),
        ("usage", vec!["dynamodb:Query"]),
        (
            "runner",
            vec!["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        ),
        (
            "sweeper",
            vec![
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
        ),
    ]);
    let template = template();
    let mut seen = BTreeMap::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = str_of(&resource["Metadata"]["BuildProperties"]["Binary"]);
        let mut actions = Vec::new();
        for policy in resource["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for statement in policy["Statement"].as_sequence().unwrap() {
                assert_eq!(statement["Effect"], "Allow");
                for action in statement["Action"].as_sequence().unwrap() {
                    actions.push(str_of(action));
                }
            }
        }
        actions.sort();
        actions.dedup();
        seen.insert(binary, actions);
    }
    assert_eq!(seen, expected);
}

#[test]
fn the_runner_sees_only_runnable_runs_and_reports_partial_failures() {
    let template = template();
    let event = &template["Resources"]["RunnerFunction"]["Properties"]["Events"]["Runnable"];
    assert_eq!(event["Type"], "DynamoDB");
    let properties = &event["Properties"];
    assert_eq!(properties["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    let pattern: serde_json::Value =
        serde_json::from_str(str_of(&properties["FilterCriteria"]["Filters"][0]["Pattern"])).unwrap();
    assert_eq!(
        pattern["dynamodb"]["NewImage"]["runnable"]["S"][0],
        axiom_shared::domain::executions::RUNNABLE
    );
    let timeout_ms = template["Resources"]["RunnerFunction"]["Properties"]["Timeout"]
        .as_i64()
        .unwrap()
        * 1000;
    assert!(
        timeout_ms >= axiom_shared::runner::RUNNER_BUDGET_MS + 20_000,
        "room for the last step and the hand-over"
    );
    let sweep = &template["Resources"]["SweeperFunction"]["Properties"]["Events"]["Sweep"];
    assert_eq!(sweep["Type"], "Schedule");
}
