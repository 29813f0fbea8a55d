//! `template.yaml`, the local gateway's routes and the table definition agree.

use std::collections::BTreeSet;

use axiom_shared::{routes::ROUTES, table};
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
        for (_, event) in events {
            assert_eq!(event["Type"], "HttpApi");
            let properties = &event["Properties"];
            assert_eq!(properties["PayloadFormatVersion"], "2.0");
            deployed.insert((
                str_of(&properties["Method"]).to_owned(),
                str_of(&properties["Path"]).to_owned(),
                binary.clone(),
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
            )
        })
        .collect();
    assert_eq!(deployed, local);
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
    let expected: Vec<(&str, &str)> = table::KEY_SCHEMA
        .iter()
        .map(|(name, key_type)| (*name, key_type.as_str()))
        .collect();
    assert_eq!(keys, expected);
    assert_eq!(
        attributes,
        table::KEY_SCHEMA
            .iter()
            .map(|(name, _)| (*name, "S"))
            .collect::<Vec<_>>()
    );
    assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(template["Resources"]["Table"]["DeletionPolicy"], "Retain");
}
