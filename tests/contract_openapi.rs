//! `docs/openapi.yaml` describes the API the code serves: the same routes as `ROUTES` (and so
//! as `template.yaml` and the local gateway, which `tests/template.rs` ties to `ROUTES`), every
//! response each route can give, the bearer scheme, and schemas that the handlers' real
//! responses fit.

use std::collections::{BTreeMap, BTreeSet};

use axiom_shared::{
    api::{
        self, ApiError, DeviceError,
        routes::{Function, ROUTES},
    },
    domain::{
        audit::{Action, Target},
        executions::{Execution, StartIds, Status, StepStatus},
        flows::{self, Definition},
        idempotency,
        ids::new_id,
        keys::{self, KeyStatus},
        names, pages,
    },
    store::NewKey,
};
use axiom_tests::{
    EVENT, EventSender, event_as,
    openapi::{assert_fits, document, reference, resolve, schema, str_of},
    operator, unresponsive_store,
};
use serde_json::{Value as Json, json};
use serde_yaml_ng::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// API Gateway's `{name+}` (greedy) parameter as an OpenAPI path template writes it.
fn openapi_path(path: &str) -> String {
    path.replace("+}", "}")
}

fn greedy_parameter(path: &str) -> Option<&str> {
    path.split('/')
        .find_map(|segment| segment.strip_prefix('{')?.strip_suffix("+}"))
}

/// `(METHOD, OpenAPI path)` → the operation.
fn operations(doc: &Value) -> BTreeMap<(String, String), &Value> {
    let mut operations = BTreeMap::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().unwrap() {
            let method = str_of(method);
            if METHODS.contains(&method) {
                let key = (method.to_uppercase(), str_of(path).to_owned());
                assert!(operations.insert(key, operation).is_none());
            }
        }
    }
    operations
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][openapi_path(path).as_str()][method.to_lowercase().as_str()]
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    assert!(
        str_of(&doc["openapi"]).starts_with("3.1."),
        "{:?}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());
}

#[test]
fn the_documented_routes_are_the_routes() {
    let doc = document();
    let documented: BTreeSet<_> = operations(&doc).into_keys().collect();
    let routed: BTreeSet<_> = ROUTES
        .iter()
        .map(|route| (route.method.to_owned(), openapi_path(route.path)))
        .collect();
    assert_eq!(documented, routed);
    // A greedy parameter is marked as such on its path, and only there.
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        let route = ROUTES
            .iter()
            .find(|route| openapi_path(route.path) == str_of(path))
            .unwrap();
        assert_eq!(
            item.get("x-greedy-path-parameter").map(str_of),
            greedy_parameter(route.path),
            "{path:?}"
        );
    }
}

#[test]
fn every_path_parameter_is_declared() {
    let doc = document();
    for route in ROUTES {
        let path = openapi_path(route.path);
        let item = &doc["paths"][path.as_str()];
        let operation = operation(&doc, route.method, route.path);
        let declared: BTreeSet<&str> = [&item["parameters"], &operation["parameters"]]
            .into_iter()
            .filter_map(Value::as_sequence)
            .flatten()
            .map(|parameter| resolve(&doc, parameter))
            .filter(|parameter| parameter["in"] == "path")
            .inspect(|parameter| assert_eq!(parameter["required"], true, "{path}"))
            .map(|parameter| str_of(&parameter["name"]))
            .collect();
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(declared, in_template, "{path}");
    }
}

#[test]
fn the_security_scheme_is_a_bearer_key_and_the_default() {
    let doc = document();
    let schemes = doc["components"]["securitySchemes"].as_mapping().unwrap();
    assert_eq!(schemes.len(), 1);
    let (name, scheme) = schemes.iter().next().unwrap();
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let format = str_of(&scheme["bearerFormat"]);
    assert!(format.contains("64") && format.contains("hex"), "{format}");
    let default = doc["security"].as_sequence().unwrap();
    assert_eq!(default.len(), 1);
    let requirement = default[0].as_mapping().unwrap();
    assert_eq!(requirement.len(), 1);
    assert_eq!(
        requirement.get(name).and_then(Value::as_sequence).map(Vec::len),
        Some(0)
    );
}

/// Status codes of an operation's responses.
fn codes(doc: &Value, method: &str, path: &str) -> BTreeSet<String> {
    operation(doc, method, path)["responses"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{method} {path} declares no responses"))
        .keys()
        .map(|code| str_of(code).to_owned())
        .collect()
}

#[test]
fn every_operation_declares_its_responses() {
    let doc = document();
    let mut operation_ids = BTreeSet::new();
    for route in ROUTES {
        let operation = operation(&doc, route.method, route.path);
        let key = route.key();
        assert!(operation_ids.insert(str_of(&operation["operationId"])), "{key}");
        assert!(operation["summary"].is_string(), "{key}");
        let codes = codes(&doc, route.method, route.path);
        assert!(
            codes.iter().any(|code| code.starts_with('2')),
            "{key}: no success"
        );
        assert!(codes.contains("500"), "{key}: no 500");
        if route.public {
            assert_eq!(operation["security"], Value::Sequence(vec![]), "{key} is public");
            assert!(
                !codes.contains("401") && !codes.contains("403"),
                "{key} is public"
            );
        } else {
            assert!(
                operation.get("security").is_none(),
                "{key} must keep the default security"
            );
            for code in ["401", "403"] {
                assert!(codes.contains(code), "{key}: no {code}");
            }
        }
        if route.path.contains('{') {
            assert!(codes.contains("404"), "{key}: no 404 for an unknown id");
        }
        if operation.get("requestBody").is_some() {
            for code in ["400", "413"] {
                assert!(codes.contains(code), "{key}: no {code} for its body");
            }
        }
        // Every response is described, and every body but a 204's has a schema.
        for (code, response) in operation["responses"].as_mapping().unwrap() {
            let response = resolve(&doc, response);
            assert!(response["description"].is_string(), "{key} {code:?}");
            match response.get("content").and_then(Value::as_mapping) {
                None => assert_eq!(str_of(code), "204", "{key}: {code:?} has no body"),
                Some(content) => {
                    assert_ne!(str_of(code), "204", "{key}");
                    for (media_type, body) in content {
                        assert!(body["schema"].is_mapping(), "{key} {code:?} {media_type:?}");
                    }
                }
            }
        }
    }
    // The statuses of PRODUCT.md §4, §6 and §12 to §15, route by route.
    let expected: &[(&str, &str, &[&str])] = &[
        (
            "POST",
            "/v1/api-keys",
            &["201", "400", "401", "403", "413", "500", "503"],
        ),
        ("GET", "/v1/api-keys", &["200", "400", "401", "403", "500", "503"]),
        (
            "DELETE",
            "/v1/api-keys/{id}",
            &["204", "401", "403", "404", "500", "503"],
        ),
        (
            "POST",
            "/v1/api-keys/{id}/roll",
            &["201", "400", "401", "403", "404", "409", "413", "500", "503"],
        ),
        ("GET", "/v1/whoami", &["200", "401", "403", "500"]),
        (
            "POST",
            "/v1/flows",
            &["201", "400", "401", "403", "413", "500", "503"],
        ),
        ("GET", "/v1/flows", &["200", "400", "401", "403", "500", "503"]),
        (
            "POST",
            "/invocations/v1/flows/invoke",
            &[
                "200", "202", "400", "401", "403", "404", "409", "413", "429", "500", "503",
            ],
        ),
        (
            "GET",
            "/invocations/v1/executions",
            &["200", "400", "401", "403", "500", "503"],
        ),
        (
            "GET",
            "/invocations/v1/executions/{id}",
            &["200", "401", "403", "404", "500", "503"],
        ),
        (
            "POST",
            "/invocations/v1/executions/{id}/cancel",
            &["200", "400", "401", "403", "404", "409", "413", "500", "503"],
        ),
        (
            "POST",
            "/invocations/v1/executions/{id}/resume",
            &[
                "200", "202", "400", "401", "403", "404", "409", "413", "500", "503",
            ],
        ),
        ("GET", "/v1/usage", &["200", "401", "403", "500", "503"]),
        (
            "GET",
            "/v1/audit-events",
            &["200", "400", "401", "403", "500", "503"],
        ),
        (
            "POST",
            "/v1/auth/device",
            &["200", "400", "413", "429", "500", "503"],
        ),
        (
            "POST",
            "/v1/auth/device/approve",
            &["204", "400", "401", "403", "404", "413", "500", "503"],
        ),
        (
            "POST",
            "/v1/auth/device/token",
            &["200", "400", "413", "500", "503"],
        ),
        ("GET", "/console/{proxy+}", &["200", "404", "500"]),
    ];
    assert_eq!(expected.len(), ROUTES.len());
    for (method, path, statuses) in expected {
        let statuses: BTreeSet<String> = statuses.iter().map(|s| s.to_string()).collect();
        assert_eq!(codes(&doc, method, path), statuses, "{method} {path}");
    }
}

#[test]
fn gateway_refusals_have_the_gateway_body() {
    let doc = document();
    let gateway = &doc["components"]["schemas"]["GatewayMessage"];
    assert_eq!(gateway["required"], Value::Sequence(vec!["message".into()]));
    for (name, message) in [
        ("Unauthorized", "Unauthorized"),
        ("Forbidden", "Forbidden"),
        ("RouteNotFound", "Not Found"),
    ] {
        let response = &doc["components"]["responses"][name]["content"]["application/json"];
        assert_eq!(
            resolve(&doc, &response["schema"]),
            gateway,
            "{name} has API Gateway's body"
        );
        assert_eq!(response["example"]["message"], message);
    }
    // A 500 is the API's internal_error or API Gateway's own (authorizer failure).
    let internal = &doc["components"]["responses"]["InternalError"]["content"]["application/json"]["schema"];
    let shapes: Vec<&Value> = internal["oneOf"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|shape| resolve(&doc, shape))
        .collect();
    assert_eq!(shapes, [&doc["components"]["schemas"]["Error"], gateway]);
}

fn yaml_strings(value: &Value) -> BTreeSet<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("expected a list, found {value:?}"))
        .iter()
        .map(|v| str_of(v).to_owned())
        .collect()
}

fn status_names() -> BTreeSet<String> {
    use Status::*;
    // The match keeps this list complete: a new status does not compile until it is added.
    let all = [
        Queued,
        Running,
        Paused,
        Compensating,
        Succeeded,
        Failed,
        Cancelled,
        CompensationFailed,
    ];
    all.iter()
        .map(|status| match status {
            Queued | Running | Paused | Compensating | Succeeded | Failed | Cancelled
            | CompensationFailed => serde_json::to_value(status).unwrap().as_str().unwrap().to_owned(),
        })
        .collect()
}

fn step_status_names() -> BTreeSet<String> {
    use StepStatus::*;
    let all = [
        Pending,
        Paused,
        Succeeded,
        Failed,
        Compensated,
        CompensationFailed,
        Cancelled,
    ];
    all.iter()
        .map(|status| match status {
            Pending | Paused | Succeeded | Failed | Compensated | CompensationFailed | Cancelled => {
                serde_json::to_value(status).unwrap().as_str().unwrap().to_owned()
            }
        })
        .collect()
}

fn error_codes() -> BTreeSet<String> {
    let all = [
        ApiError::InvalidJson(String::new()),
        ApiError::InvalidRequest(String::new()),
        ApiError::PayloadTooLarge,
        ApiError::NotFound(""),
        ApiError::Conflict(String::new()),
        ApiError::IdempotencyKeyReused,
        ApiError::TooManyRequests {
            message: String::new(),
            retry_after_seconds: 1,
        },
        ApiError::Unavailable,
        ApiError::Internal,
        ApiError::Device(DeviceError::AuthorizationPending),
        ApiError::Device(DeviceError::SlowDown),
        ApiError::Device(DeviceError::AccessDenied),
        ApiError::Device(DeviceError::ExpiredToken),
        ApiError::Device(DeviceError::InvalidGrant),
    ];
    all.iter()
        .map(|error| match error {
            ApiError::InvalidJson(_)
            | ApiError::InvalidRequest(_)
            | ApiError::PayloadTooLarge
            | ApiError::NotFound(_)
            | ApiError::Conflict(_)
            | ApiError::IdempotencyKeyReused
            | ApiError::TooManyRequests { .. }
            | ApiError::Unavailable
            | ApiError::Internal
            | ApiError::Device(_) => error.code().to_owned(),
            // Answered in API Gateway's shape (`{"message": "Forbidden"}`), not as an error code.
            ApiError::Revoked => unreachable!("not in the list"),
        })
        .collect()
}

fn key_status_names() -> BTreeSet<String> {
    use KeyStatus::*;
    [Active, Expired]
        .iter()
        .map(|status| match status {
            Active | Expired => serde_json::to_value(status).unwrap().as_str().unwrap().to_owned(),
        })
        .collect()
}

fn audit_action_names() -> BTreeSet<String> {
    use Action::*;
    let all = [
        KeyCreated,
        KeyRevoked,
        KeyRolled,
        FlowCreated,
        ExecutionCancelled,
        ExecutionResumed,
        DeviceApproved,
        DeviceDenied,
        QuotaChanged,
    ];
    all.iter()
        .map(|action| match action {
            KeyCreated | KeyRevoked | KeyRolled | FlowCreated | ExecutionCancelled | ExecutionResumed
            | DeviceApproved | DeviceDenied | QuotaChanged => {
                serde_json::to_value(action).unwrap().as_str().unwrap().to_owned()
            }
        })
        .collect()
}

/// The kinds of target the code makes, each as it is serialized.
fn audit_target_types() -> BTreeSet<String> {
    [
        Target::key("k"),
        Target::flow("f"),
        Target::execution("e"),
        Target::device_grant("d"),
        Target::account("a"),
    ]
    .iter()
    .map(|target| {
        serde_json::to_value(target).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect()
}

#[test]
fn enums_are_the_code_s() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(yaml_strings(&schemas["ExecutionStatus"]["enum"]), status_names());
    assert_eq!(
        status_names(),
        [
            "queued",
            "running",
            "paused",
            "compensating",
            "succeeded",
            "failed",
            "cancelled",
            "compensation_failed"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(yaml_strings(&schemas["StepStatus"]["enum"]), step_status_names());
    assert_eq!(
        yaml_strings(&schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"]),
        error_codes()
    );
    assert_eq!(yaml_strings(&schemas["KeyStatus"]["enum"]), key_status_names());
    assert_eq!(key_status_names(), ["active", "expired"].map(String::from).into());
    assert_eq!(
        yaml_strings(&schemas["AuditAction"]["enum"]),
        audit_action_names()
    );
    assert_eq!(
        audit_action_names(),
        [
            "key.created",
            "key.revoked",
            "key.rolled",
            "flow.created",
            "execution.cancelled",
            "execution.resumed",
            "device.approved",
            "device.denied",
            "quota.changed"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(
        yaml_strings(&schemas["AuditTargetType"]["enum"]),
        audit_target_types()
    );
    assert_eq!(
        audit_target_types(),
        ["key", "flow", "execution", "device_grant", "account"]
            .map(String::from)
            .into()
    );
    // The listed execution's status is the execution's.
    assert_eq!(
        resolve(&doc, &schemas["ExecutionSummary"]["properties"]["status"]),
        &schemas["ExecutionStatus"]
    );
}

/// The routes whose answers are pages (their 200 has `next_cursor`).
const LISTS: [&str; 4] = [
    "/v1/api-keys",
    "/v1/flows",
    "/invocations/v1/executions",
    "/v1/audit-events",
];

#[test]
fn every_list_is_paginated_alike() {
    let doc = document();
    let mut paged = BTreeSet::new();
    for route in ROUTES {
        let operation = operation(&doc, route.method, route.path);
        let ok = resolve(&doc, &operation["responses"]["200"]);
        let Some(body) = ok
            .get("content")
            .map(|content| &content["application/json"]["schema"])
        else {
            continue;
        };
        let body = resolve(&doc, body);
        if body["properties"].get("next_cursor").is_none() {
            continue;
        }
        paged.insert(route.path);
        let key = route.key();
        assert_eq!(route.method, "GET", "{key}");
        let required = yaml_strings(&body["required"]);
        assert!(required.contains("next_cursor"), "{key}");
        assert_eq!(body["properties"]["next_cursor"], schema("NextCursor"), "{key}");
        let parameters: Vec<&Value> = operation["parameters"].as_sequence().unwrap().iter().collect();
        for name in ["Limit", "Cursor"] {
            let wanted = reference(&format!("#/components/parameters/{name}"));
            assert!(parameters.contains(&&wanted), "{key} takes no {name}");
        }
        assert_eq!(
            operation["responses"]["400"],
            reference("#/components/responses/BadQuery"),
            "{key}"
        );
    }
    assert_eq!(paged, LISTS.into());
    let parameters = &doc["components"]["parameters"];
    let limit = &parameters["Limit"]["schema"];
    assert_eq!(parameters["Limit"]["in"], "query");
    assert_eq!(limit["type"], "integer");
    assert_eq!(limit["minimum"].as_u64(), Some(1));
    assert_eq!(limit["maximum"].as_u64(), Some(pages::MAX_LIMIT as u64));
    assert_eq!(limit["default"].as_u64(), Some(pages::DEFAULT_LIMIT as u64));
    assert_eq!(parameters["Cursor"]["in"], "query");
    assert_eq!(parameters["Cursor"]["name"], "cursor");
}

#[test]
fn key_and_idempotency_limits_are_the_code_s() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let overlap = &schemas["RollKeyRequest"]["properties"]["overlap_seconds"];
    assert_eq!(overlap["minimum"].as_u64(), Some(0));
    assert_eq!(
        overlap["maximum"].as_u64(),
        Some(keys::MAX_ROLL_OVERLAP_SECONDS.into())
    );
    assert_eq!(overlap["default"].as_u64(), Some(0));
    let expiry = str_of(&schemas["RequestedExpiry"]["description"]);
    assert!(
        expiry.contains(&format!("{} days", keys::MAX_LIFETIME.whole_days())),
        "{expiry}"
    );
    for request in ["CreateKeyRequest", "RollKeyRequest"] {
        assert_eq!(
            schemas[request]["properties"]["expires_at"],
            schema("RequestedExpiry"),
            "{request}"
        );
    }
    let agent = str_of(&schemas["KeySummary"]["properties"]["last_used_user_agent"]["description"]);
    assert!(agent.contains(&keys::MAX_USER_AGENT_CHARS.to_string()), "{agent}");
    // The roll's answer is a created key that names the key it replaces.
    assert_eq!(
        resolve(&doc, &schemas["RolledKey"]["allOf"][0]),
        &schemas["CreatedKey"]
    );
    assert_eq!(
        schemas["RolledKey"]["allOf"][1]["required"],
        Value::Sequence(vec!["rolled_from".into()])
    );
    // The invoke's Idempotency-Key header.
    let invoke = operation(&doc, "POST", "/invocations/v1/flows/invoke");
    let header: Vec<&Value> = invoke["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|parameter| resolve(&doc, parameter))
        .filter(|parameter| parameter["in"] == "header")
        .collect();
    assert_eq!(header.len(), 1);
    let header = header[0];
    assert_eq!(header["name"], "Idempotency-Key");
    assert_eq!(header["required"], false);
    assert_eq!(header["schema"]["minLength"].as_u64(), Some(1));
    assert_eq!(
        header["schema"]["maxLength"].as_u64(),
        Some(idempotency::MAX_KEY_LEN as u64)
    );
    // What the header's pattern allows is what the code takes (HTTP drops white space around a
    // header's value, so the pattern refuses it there).
    let example = str_of(&header["example"]);
    assert!(idempotency::IdempotencyKey::parse(example).is_some());
    for refused in [
        "",
        "caf\u{e9}",
        "a\tb",
        "k".repeat(idempotency::MAX_KEY_LEN + 1).as_str(),
    ] {
        assert!(
            idempotency::IdempotencyKey::parse(refused).is_none(),
            "{refused:?}"
        );
    }
}

#[test]
fn flow_limits_are_the_code_s() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let steps = &schemas["FlowDefinition"]["properties"]["steps"];
    assert_eq!(steps["minItems"].as_u64(), Some(1));
    assert_eq!(steps["maxItems"].as_u64(), Some(flows::MAX_STEPS as u64));
    assert_eq!(schemas["SleepMs"]["minimum"].as_u64(), Some(0));
    assert_eq!(schemas["SleepMs"]["maximum"].as_u64(), Some(flows::MAX_SLEEP_MS));
    assert_eq!(
        str_of(&schemas["StepId"]["pattern"]),
        format!("^[A-Za-z0-9_-]{{1,{}}}$", flows::MAX_STEP_ID_CHARS)
    );
    let name = str_of(&schemas["Name"]["description"]);
    assert!(
        name.contains(&format!("1 to {}", names::NAME_MAX_CHARS)),
        "{name}"
    );
    let definition = str_of(&schemas["FlowDefinition"]["description"]);
    assert!(definition.contains(&format!("{} KiB", flows::MAX_DEFINITION_BYTES / 1024)));
    let input = str_of(&schemas["InvokeRequest"]["properties"]["input"]["description"]);
    assert!(input.contains(&format!("{} KiB", flows::MAX_INPUT_BYTES / 1024)));
}

/// The ops a `oneOf` with an `op` discriminator allows.
fn ops(doc: &Value, schema: &str) -> BTreeSet<String> {
    let mapping = doc["components"]["schemas"][schema]["discriminator"]["mapping"]
        .as_mapping()
        .unwrap();
    for (op, target) in mapping {
        let target = reference(str_of(target));
        assert_eq!(resolve(doc, &target)["properties"]["op"]["const"], *op);
    }
    mapping.keys().map(|op| str_of(op).to_owned()).collect()
}

/// The smallest op of each kind, as the document requires its fields.
fn minimal_op(op: &str) -> serde_json::Map<String, Json> {
    let mut object = json!({"op": op});
    match op {
        "set" => object["value"] = json!({}),
        "sleep" => object["ms"] = json!(0),
        "fail" => object["message"] = json!("no"),
        _ => {}
    }
    object.as_object().unwrap().clone()
}

#[test]
fn the_ops_are_the_code_s() {
    let doc = document();
    let step_ops = ops(&doc, "Step");
    let compensation_ops = ops(&doc, "Compensation");
    for op in ["set", "sleep", "pause", "fail", "jump", "wait"] {
        let mut step = minimal_op(op);
        step.insert("id".into(), json!("s"));
        let parsed = Definition::parse(&json!({"steps": [step]}));
        assert_eq!(parsed.is_ok(), step_ops.contains(op), "step op {op}: {parsed:?}");
        let compensated = json!({"steps": [{"id": "s", "op": "pause", "compensate": minimal_op(op)}]});
        let parsed = Definition::parse(&compensated);
        assert_eq!(
            parsed.is_ok(),
            compensation_ops.contains(op),
            "compensation op {op}: {parsed:?}"
        );
    }
    // The document's own example definition is valid.
    let example =
        &operation(&doc, "POST", "/v1/flows")["requestBody"]["content"]["application/json"]["example"];
    let example: Json = serde_json::to_value(example).unwrap();
    Definition::parse(&example["definition"]).expect("the example definition is valid");
}

// ---------------------------------------------------------------------------------------------
// Real responses against the document's schemas.

fn sample_execution(status: Status) -> Execution {
    let definition = Definition::parse(&json!({"steps": [
        {"id": "a", "op": "set", "value": {"x": 1}},
        {"id": "b", "op": "pause"}
    ]}))
    .unwrap();
    let ids = StartIds {
        execution_id: axiom_shared::domain::ids::new_id(),
        account_id: axiom_shared::domain::ids::new_id(),
        graph_id: axiom_shared::domain::ids::new_id(),
        key_id: axiom_shared::domain::ids::new_id(),
    };
    let input = json!({"user": "ada"});
    let mut execution = Execution::start(
        ids,
        &definition,
        input.to_string(),
        input,
        None,
        1_795_690_260_340,
    );
    if status.is_terminal() {
        execution.status = status;
        execution.ended_at = Some("2026-11-26T10:51:01Z".into());
        execution.duration_ms = Some(660);
        if status != Status::Succeeded {
            execution.error = Some(axiom_shared::domain::executions::RunError {
                step: None,
                message: "timed out".into(),
            });
        }
    } else {
        execution.status = status;
    }
    execution
}

#[test]
fn executions_in_every_status_fit_the_document() {
    let doc = document();
    let schema = schema("Execution");
    for status in [
        Status::Queued,
        Status::Running,
        Status::Paused,
        Status::Compensating,
        Status::Succeeded,
        Status::Failed,
        Status::Cancelled,
        Status::CompensationFailed,
    ] {
        let execution = sample_execution(status);
        let view = serde_json::to_value(execution.view()).unwrap();
        assert_fits(&doc, &schema, &view, &format!("a {status:?} execution"));
    }
}

#[test]
fn usage_summaries_fit_the_document() {
    let doc = document();
    let today = time::OffsetDateTime::now_utc().date();
    let empty = serde_json::to_value(axiom_shared::domain::usage::summarize(today, &[])).unwrap();
    assert_fits(&doc, &schema("UsageSummary"), &empty, "an empty summary");
    let day = axiom_shared::domain::usage::UsageDay {
        date: axiom_shared::domain::usage::format_date(today),
        total: 4,
        in_flight: 1,
        succeeded: 2,
        failed: 1,
        by_cancelled: 1,
        duration_sum_ms: 905,
        ..Default::default()
    };
    let busy = serde_json::to_value(axiom_shared::domain::usage::summarize(today, &[day])).unwrap();
    assert_eq!(busy["success_rate"], json!(0.6667));
    assert_fits(&doc, &schema("UsageSummary"), &busy, "a summary");
}

/// The JSON body of a response; `Null` when it is empty or not JSON (a Console page).
fn body_of(response: &lambda_http::Response<lambda_http::Body>) -> Json {
    let json = response
        .headers()
        .get("content-type")
        .is_some_and(|value| value == "application/json");
    if response.body().is_empty() || !json {
        Json::Null
    } else {
        serde_json::from_slice(response.body()).expect("JSON body")
    }
}

/// Checks a handler's response against the document's response for its route and status.
fn assert_documented(doc: &Value, route_key: &str, response: &lambda_http::Response<lambda_http::Body>) {
    let (method, path) = route_key.split_once(' ').unwrap();
    let status = response.status().as_u16().to_string();
    let documented = &operation(doc, method, path)["responses"][status.as_str()];
    assert!(
        documented.is_mapping(),
        "{route_key} answered {status}, which it does not document"
    );
    let documented = resolve(doc, documented);
    let what = format!("{route_key} {status}");
    match documented.get("content") {
        None => assert!(response.body().is_empty(), "{what} has a body"),
        Some(content) => {
            let media_type = response.headers()["content-type"].to_str().unwrap();
            let schema = &content[media_type]["schema"];
            assert!(schema.is_mapping(), "{what}: {media_type} is not documented");
            if media_type == "application/json" {
                assert_fits(doc, schema, &body_of(response), &what);
            }
        }
    }
}

/// The caller, whose answers are checked against the document.
struct Documented(EventSender);

impl std::ops::Deref for Documented {
    type Target = EventSender;
    fn deref(&self) -> &EventSender {
        &self.0
    }
}

impl Documented {
    /// Sends `events/<name>.json` with `edit` applied to the event, checks the response
    /// against the document and returns it.
    async fn send(
        &self,
        doc: &Value,
        name: &str,
        function: Function,
        edit: impl FnOnce(String) -> Json,
    ) -> (u16, Json) {
        let event = edit(self.event(name));
        let route_key = event["routeKey"].as_str().unwrap().to_owned();
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = api::handle(function, &self.store, request).await;
        assert_documented(doc, &route_key, &response);
        (response.status().as_u16(), body_of(&response))
    }
}

fn as_is(text: String) -> Json {
    serde_json::from_str(&text).unwrap()
}

fn with_body(body: impl Into<String>) -> impl FnOnce(String) -> Json {
    let body = body.into();
    move |text| {
        let mut event: Json = serde_json::from_str(&text).unwrap();
        event["body"] = Json::String(body);
        event
    }
}

/// The event with its query string: `rawQueryString` and `queryStringParameters` alike.
fn with_query(query: &[(&str, &str)]) -> impl FnOnce(String) -> Json {
    let raw = query
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    let parameters: serde_json::Map<String, Json> = query
        .iter()
        .map(|(name, value)| (name.to_string(), json!(value)))
        .collect();
    move |text| {
        let mut event = as_is(text);
        event["rawQueryString"] = json!(raw);
        event["queryStringParameters"] = Json::Object(parameters);
        event
    }
}

/// The event aimed at another `{id}`: its path parameter and its paths (the caller, in the
/// authorizer's context, stays as it is).
fn with_path_id(id: &str) -> impl FnOnce(String) -> Json {
    let id = id.to_owned();
    move |text| {
        let mut event = as_is(text);
        let old = event["pathParameters"]["id"].as_str().unwrap().to_owned();
        event["pathParameters"]["id"] = json!(id);
        for pointer in ["/rawPath", "/requestContext/http/path"] {
            let path = event.pointer_mut(pointer).unwrap();
            *path = json!(path.as_str().unwrap().replace(&old, &id));
        }
        event
    }
}

/// `edit` and then `body` as the event's body.
fn and_body(edit: impl FnOnce(String) -> Json, body: impl Into<String>) -> impl FnOnce(String) -> Json {
    let body = body.into();
    move |text| {
        let mut event = edit(text);
        event["body"] = Json::String(body);
        event
    }
}

/// `edit` and then the header `name: value` (as API Gateway hands headers: lower case).
fn and_header(edit: impl FnOnce(String) -> Json, name: &str, value: &str) -> impl FnOnce(String) -> Json {
    let (name, value) = (name.to_lowercase(), value.to_owned());
    move |text| {
        let mut event = edit(text);
        event["headers"][name.as_str()] = json!(value);
        event
    }
}

fn with_ids(graph_id: &str, execution_id: &str) -> impl FnOnce(String) -> Json {
    let (graph_id, execution_id) = (graph_id.to_owned(), execution_id.to_owned());
    move |text| {
        as_is(
            text.replace(EVENT.graph_id.as_str(), &graph_id)
                .replace(EVENT.execution_id.as_str(), &execution_id),
        )
    }
}

#[tokio::test]
async fn the_handlers_answer_as_documented() {
    let doc = document();
    let caller = Documented(EventSender::new().await);

    // Keys.
    let (status, created) = caller.send(&doc, "create-key", Function::CreateKey, as_is).await;
    assert_eq!((status, &created["expires_at"]), (201, &Json::Null));
    let laptop = created["id"].as_str().unwrap().to_owned();
    let (status, dated) = caller
        .send(
            &doc,
            "create-key",
            Function::CreateKey,
            with_body(json!({"name": "dated", "expires_at": "2099-01-01T00:00:00Z"}).to_string()),
        )
        .await;
    assert_eq!(
        (status, dated["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "too far ahead"
    );
    assert!(dated["error"]["message"].as_str().unwrap().contains("expires_at"));
    let in_a_day = axiom_shared::domain::timestamp::format(
        axiom_shared::domain::timestamp::now() + time::Duration::days(1),
    );
    let (status, dated) = caller
        .send(
            &doc,
            "create-key",
            Function::CreateKey,
            with_body(json!({"name": "dated", "expires_at": in_a_day}).to_string()),
        )
        .await;
    assert_eq!(
        (status, dated["expires_at"].as_str()),
        (201, Some(in_a_day.as_str()))
    );
    let (status, list) = caller.send(&doc, "list-keys", Function::ListKeys, as_is).await;
    assert_eq!(status, 200);
    assert_eq!(list["keys"].as_array().unwrap().len(), 3);
    assert_eq!(list["next_cursor"], Json::Null);
    assert_eq!(list["keys"][0]["id"], dated["id"]);
    assert_eq!(list["keys"][0]["status"], "active");

    // Roll: with an overlap the old key stays, listed with when it stops; without, it goes.
    let (status, rolled) = caller
        .send(&doc, "roll-key", Function::RollKey, with_path_id(&laptop))
        .await;
    assert_eq!(status, 201, "{rolled}");
    assert_eq!(rolled["rolled_from"].as_str(), Some(laptop.as_str()));
    assert_eq!(rolled["name"], "laptop");
    assert_eq!(rolled["key"].as_str().unwrap().len(), 64);
    let (_, list) = caller
        .send(
            &doc,
            "list-keys",
            Function::ListKeys,
            with_query(&[("limit", "100")]),
        )
        .await;
    let listed = |id: &str| {
        list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|key| key["id"] == id)
            .cloned()
    };
    let old = listed(&laptop).expect("the old key stays during the overlap");
    assert!(old["expires_at"].is_string(), "{old}");
    assert_eq!(old["status"], "active");
    assert!(listed(rolled["id"].as_str().unwrap()).is_some());
    let new_id_of_roll = rolled["id"].as_str().unwrap().to_owned();
    let (status, again) = caller
        .send(
            &doc,
            "roll-key",
            Function::RollKey,
            and_body(with_path_id(&new_id_of_roll), ""),
        )
        .await;
    assert_eq!(
        (status, again["rolled_from"].as_str()),
        (201, Some(new_id_of_roll.as_str()))
    );
    let (status, gone) = caller
        .send(&doc, "roll-key", Function::RollKey, with_path_id(&new_id_of_roll))
        .await;
    assert_eq!(
        (status, gone["error"]["code"].as_str()),
        (404, Some("not_found")),
        "rolled without an overlap, the old key is gone"
    );
    let (status, _) = caller
        .send(&doc, "roll-key", Function::RollKey, with_path_id(&new_id()))
        .await;
    assert_eq!(status, 404);
    // An expired key cannot be rolled (409); it is listed as expired.
    let long_ago = axiom_shared::domain::timestamp::now() - time::Duration::days(2);
    let expired = caller
        .store
        .create_key(
            &caller.account,
            &operator(),
            NewKey {
                name: "old".into(),
                expires_at: Some(long_ago + time::Duration::days(1)),
            },
            long_ago,
        )
        .await
        .unwrap();
    let expired_id = expired.summary.key_id.clone();
    let (status, conflict) = caller
        .send(&doc, "roll-key", Function::RollKey, with_path_id(&expired_id))
        .await;
    assert_eq!(
        (status, conflict["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{conflict}"
    );
    let (_, list) = caller.send(&doc, "list-keys", Function::ListKeys, as_is).await;
    let expired = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["id"] == expired_id.as_str())
        .expect("an expired key stays listed");
    assert_eq!(expired["status"], "expired");
    // Roll bodies that do not fit.
    for (body, status) in [
        (r#"{"overlap_seconds": 604801}"#, 400),
        (r#"{"overlap_seconds": -1}"#, 400),
        (r#"{"overlap_seconds": "60"}"#, 400),
        (r#"{"expires_at": "yesterday"}"#, 400),
        (r#"{"surprise": 1}"#, 400),
        ("{", 400),
    ] {
        let (answered, error) = caller
            .send(&doc, "roll-key", Function::RollKey, with_body(body))
            .await;
        assert_eq!(answered, status, "{body}: {error}");
    }
    let big = format!(r#"{{"expires_at": "{}"}}"#, "x".repeat(300 * 1024));
    let (status, _) = caller
        .send(&doc, "roll-key", Function::RollKey, with_body(big))
        .await;
    assert_eq!(status, 413);

    // Pages: one key at a time, following next_cursor, newest first, none twice.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (status, page) = caller
            .send(&doc, "list-keys", Function::ListKeys, with_query(&query))
            .await;
        assert_eq!(status, 200, "{page}");
        let keys = page["keys"].as_array().unwrap();
        assert!(keys.len() <= 1);
        seen.extend(keys.iter().map(|key| key["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(seen.len() < 20, "the pages do not end");
    }
    let (_, all) = caller.send(&doc, "list-keys", Function::ListKeys, as_is).await;
    let all: Vec<String> = all["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, all);
    let keys_cursor = {
        let (_, page) = caller
            .send(
                &doc,
                "list-keys",
                Function::ListKeys,
                with_query(&[("limit", "1")]),
            )
            .await;
        page["next_cursor"].as_str().unwrap().to_owned()
    };
    for query in [
        vec![("limit", "0")],
        vec![("limit", "101")],
        vec![("limit", "ten")],
        vec![("cursor", "not-a-cursor")],
        vec![("cursor", "")],
    ] {
        let (status, error) = caller
            .send(&doc, "list-keys", Function::ListKeys, with_query(&query))
            .await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{query:?}"
        );
    }
    // A cursor is bound to its list.
    let (status, _) = caller
        .send(
            &doc,
            "flows-list",
            Function::Flows,
            with_query(&[("cursor", &keys_cursor)]),
        )
        .await;
    assert_eq!(status, 400, "a keys cursor on the flows list");

    // The sample revokes the calling key itself (handlers trust the authorizer's verdict).
    let (status, _) = caller.send(&doc, "revoke-key", Function::RevokeKey, as_is).await;
    assert_eq!(status, 204);
    let (status, _) = caller.send(&doc, "revoke-key", Function::RevokeKey, as_is).await;
    assert_eq!(status, 404);
    caller.send(&doc, "whoami", Function::Whoami, as_is).await;

    // Bodies that do not fit.
    for (body, code) in [
        ("{", "invalid_json"),
        ("[1]", "invalid_request"),
        (r#"{"name": 5}"#, "invalid_request"),
        (r#"{"name": "   "}"#, "invalid_request"),
    ] {
        let (status, error) = caller
            .send(&doc, "create-key", Function::CreateKey, with_body(body))
            .await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(300 * 1024));
    let (status, _) = caller
        .send(&doc, "create-key", Function::CreateKey, with_body(big))
        .await;
    assert_eq!(status, 413);

    // Flows.
    let (status, flow) = caller.send(&doc, "flows-create", Function::Flows, as_is).await;
    assert_eq!(status, 201);
    let graph_id = flow["graph_id"].as_str().unwrap().to_owned();
    let (status, flows) = caller.send(&doc, "flows-list", Function::Flows, as_is).await;
    assert_eq!((status, flows["next_cursor"].as_str()), (200, None));
    assert_eq!(flows["flows"][0]["graph_id"].as_str(), Some(graph_id.as_str()));
    let (status, _) = caller
        .send(
            &doc,
            "flows-create",
            Function::Flows,
            with_body(r#"{"name":"x","definition":{"steps":[{"id":"t","op":"sleep","ms":5001}]}}"#),
        )
        .await;
    assert_eq!(status, 400);
    let pausing = json!({"name": "pausing", "definition": {"steps": [
        {"id": "approve", "op": "pause"}, {"id": "after", "op": "set", "value": {"ok": true}}
    ]}});
    let (_, paused_flow) = caller
        .send(
            &doc,
            "flows-create",
            Function::Flows,
            with_body(pausing.to_string()),
        )
        .await;
    let paused_graph = paused_flow["graph_id"].as_str().unwrap().to_owned();

    // Invoke: a run that finishes (200), one that pauses (202), one queued (202), errors.
    let (status, run) = caller
        .send(&doc, "invoke", Function::Invoke, with_ids(&graph_id, "-"))
        .await;
    assert_eq!((status, run["status"].as_str()), (200, Some("succeeded")));
    let (status, paused) = caller
        .send(&doc, "invoke", Function::Invoke, with_ids(&paused_graph, "-"))
        .await;
    assert_eq!((status, paused["status"].as_str()), (202, Some("paused")));
    let queued_body = json!({"graph_id": graph_id, "input": [1, 2], "wait": false});
    let (status, queued) = caller
        .send(
            &doc,
            "invoke",
            Function::Invoke,
            with_body(queued_body.to_string()),
        )
        .await;
    assert_eq!((status, queued["status"].as_str()), (202, Some("queued")));
    let (status, _) = caller.send(&doc, "invoke", Function::Invoke, as_is).await;
    assert_eq!(status, 404, "the placeholder flow does not exist");
    let (status, _) = caller
        .send(
            &doc,
            "invoke",
            Function::Invoke,
            with_body(format!(r#"{{"graph_id":"{graph_id}"}}"#)),
        )
        .await;
    assert_eq!(status, 400, "input is required");

    // Executions.
    let run_id = run["execution_id"].as_str().unwrap();
    let paused_id = paused["execution_id"].as_str().unwrap();
    let (status, _) = caller
        .send(
            &doc,
            "executions-get",
            Function::Executions,
            with_ids("-", run_id),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = caller
        .send(&doc, "executions-get", Function::Executions, as_is)
        .await;
    assert_eq!(status, 404);
    let (status, _) = caller
        .send(
            &doc,
            "executions-cancel",
            Function::Executions,
            with_ids("-", run_id),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = caller
        .send(
            &doc,
            "executions-resume",
            Function::Executions,
            with_ids("-", run_id),
        )
        .await;
    assert_eq!(status, 409);
    let (status, resumed) = caller
        .send(
            &doc,
            "executions-resume",
            Function::Executions,
            with_ids("-", paused_id),
        )
        .await;
    assert_eq!((status, resumed["status"].as_str()), (200, Some("succeeded")));
    let (status, cancelled) = caller
        .send(
            &doc,
            "executions-cancel",
            Function::Executions,
            with_ids("-", queued["execution_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")));

    // Idempotent invoke: a repeat gets the same run; another body with the key is a 409.
    let (status, first) = caller
        .send(
            &doc,
            "invoke-idempotent",
            Function::Invoke,
            with_ids(&graph_id, "-"),
        )
        .await;
    assert_eq!((status, first["status"].as_str()), (200, Some("succeeded")));
    let respaced =
        format!(r#"{{ "wait": false, "input": {{ "user": "ada-lovelace" }}, "graph_id": "{graph_id}" }}"#);
    let (status, repeat) = caller
        .send(
            &doc,
            "invoke-idempotent",
            Function::Invoke,
            and_body(as_is, respaced),
        )
        .await;
    assert_eq!(status, 200, "the same run, as it is now: {repeat}");
    assert_eq!(repeat["execution_id"], first["execution_id"]);
    let (status, reused) = caller
        .send(
            &doc,
            "invoke-idempotent",
            Function::Invoke,
            and_body(
                as_is,
                json!({"graph_id": graph_id, "input": {"user": "bob"}}).to_string(),
            ),
        )
        .await;
    assert_eq!(
        (status, reused["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    for key in ["", "caf\u{e9}", "a\tb", &"k".repeat(256)] {
        let (status, error) = caller
            .send(
                &doc,
                "invoke",
                Function::Invoke,
                and_header(with_ids(&graph_id, "-"), "Idempotency-Key", key),
            )
            .await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "Idempotency-Key {key:?}"
        );
    }

    // The runs list: filtered by status, by flow, paged.
    let (status, succeeded) = caller
        .send(&doc, "executions-list", Function::Executions, as_is)
        .await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = succeeded["executions"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|run| assert_eq!(run["status"], "succeeded", "{run}"))
        .map(|run| run["execution_id"].as_str().unwrap())
        .collect();
    let (run_id, resumed_id, first_id) = (
        run["execution_id"].as_str().unwrap(),
        paused["execution_id"].as_str().unwrap(),
        first["execution_id"].as_str().unwrap(),
    );
    assert_eq!(listed, [first_id, resumed_id, run_id], "newest first");
    let (status, of_flow) = caller
        .send(
            &doc,
            "executions-list",
            Function::Executions,
            with_query(&[("graph_id", &paused_graph)]),
        )
        .await;
    assert_eq!(status, 200);
    let of_flow: Vec<&str> = of_flow["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["execution_id"].as_str().unwrap())
        .collect();
    assert_eq!(of_flow, [resumed_id]);
    let (status, cancelled_runs) = caller
        .send(
            &doc,
            "executions-list",
            Function::Executions,
            with_query(&[("status", "cancelled"), ("graph_id", &graph_id)]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled_runs["executions"].as_array().unwrap().len(), 1);
    assert!(cancelled_runs["executions"][0]["ended_at"].is_string());
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (status, page) = caller
            .send(&doc, "executions-list", Function::Executions, with_query(&query))
            .await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        seen.extend(
            page["executions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|run| run["execution_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        // Four runs, a page each, and a last one that may be empty.
        assert!(pages <= 5, "the pages do not end (after {seen:?})");
    }
    assert_eq!(seen.len(), 4, "each run once: {seen:?}");
    assert!(
        seen.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {seen:?}"
    );
    for query in [
        vec![("status", "done")],
        vec![("limit", "0")],
        vec![("cursor", keys_cursor.as_str())],
    ] {
        let (status, error) = caller
            .send(&doc, "executions-list", Function::Executions, with_query(&query))
            .await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{query:?}"
        );
    }

    // Usage: the repeat started nothing.
    let (status, usage) = caller.send(&doc, "usage", Function::Usage, as_is).await;
    assert_eq!((status, usage["executions"].as_u64()), (200, Some(4)));

    // The audit log: every change above, newest first, with where it came from.
    let (status, audit) = caller.send(&doc, "audit-events", Function::Audit, as_is).await;
    assert_eq!(status, 200);
    let events = audit["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    for action in [
        "key.created",
        "key.rolled",
        "key.revoked",
        "flow.created",
        "execution.resumed",
        "execution.cancelled",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(events.len() <= 20, "the sample asks for 20 at most");
    assert!(audit["next_cursor"].is_null(), "fewer than 20 changes");
    let first_key = events
        .iter()
        .find(|event| event["target"]["id"] == caller.key_id.as_str() && event["action"] == "key.created")
        .expect("the first key's creation");
    assert!(
        first_key["actor_key_id"].is_null() && first_key["source_ip"].is_null(),
        "the account's first key is the operator's: {first_key}"
    );
    let rolled = events
        .iter()
        .find(|event| event["action"] == "key.rolled")
        .unwrap();
    assert_eq!(rolled["target"]["type"], "key");
    assert_eq!(rolled["actor_key_id"].as_str(), Some(caller.key_id.as_str()));
    assert_eq!(rolled["source_ip"], "203.0.113.25");
    assert_eq!(rolled["user_agent"], "curl/8.5.0");
    // Newest first: ids are UUIDv7, in the order the events were written.
    let ids: Vec<&str> = events.iter().map(|event| event["id"].as_str().unwrap()).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {ids:?}"
    );
    let (status, _) = caller
        .send(
            &doc,
            "audit-events",
            Function::Audit,
            with_query(&[("cursor", keys_cursor.as_str())]),
        )
        .await;
    assert_eq!(status, 400, "a keys cursor on the audit log");

    // The Console's public route, without the authorizer's context.
    for (proxy, expected) in [("api-keys", 200), ("assets/console.js", 200), ("nope", 404)] {
        let (status, _) = caller
            .send(&doc, "whoami", Function::Console, |text| {
                let mut event = as_is(text);
                let path = format!("/console/{proxy}");
                event["routeKey"] = json!("GET /console/{proxy+}");
                event["rawPath"] = json!(path);
                event["pathParameters"] = json!({ "proxy": proxy });
                let context = event["requestContext"].as_object_mut().unwrap();
                context.remove("authorizer");
                context["routeKey"] = json!("GET /console/{proxy+}");
                context["http"]["path"] = json!(path);
                event
            })
            .await;
        assert_eq!(status, expected, "/console/{proxy}");
    }
}

/// JSON Schema's `integer` is any number with no fraction, `60.0` included (what Schemathesis
/// sends, and what some JSON encoders write): a body field the document types as an integer
/// takes it.
#[tokio::test]
async fn integers_written_with_a_fraction_are_integers() {
    let doc = document();
    let overlap = &doc["components"]["schemas"]["RollKeyRequest"]["properties"]["overlap_seconds"];
    assert_eq!(overlap["type"], "integer");
    let caller = Documented(EventSender::new().await);
    let (status, created) = caller.send(&doc, "create-key", Function::CreateKey, as_is).await;
    assert_eq!(status, 201);
    let (status, rolled) = caller
        .send(
            &doc,
            "roll-key",
            Function::RollKey,
            and_body(
                with_path_id(created["id"].as_str().unwrap()),
                r#"{"overlap_seconds": 60.0}"#,
            ),
        )
        .await;
    assert_eq!(status, 201, "{rolled}");
    let (status, _) = caller
        .send(
            &doc,
            "roll-key",
            Function::RollKey,
            with_body(r#"{"overlap_seconds": 60.5}"#),
        )
        .await;
    assert_eq!(status, 400, "a fraction is no integer");
}

#[tokio::test]
async fn request_schemas_are_what_the_handlers_accept() {
    // Bodies are refused before any database call, so a database that never answers will do.
    let doc = document();
    let store = unresponsive_store().await;
    let acme = axiom_shared::domain::accounts::Account {
        account_id: axiom_tests::EVENT.account_id.as_str().into(),
        email: axiom_tests::EVENT.email.as_str().into(),
        tenant: "acme".into(),
    };
    for (event, function, path) in [
        ("create-key", Function::CreateKey, "/v1/api-keys"),
        ("roll-key", Function::RollKey, "/v1/api-keys/{id}/roll"),
        ("flows-create", Function::Flows, "/v1/flows"),
        ("invoke", Function::Invoke, "/invocations/v1/flows/invoke"),
        (
            "executions-resume",
            Function::Executions,
            "/invocations/v1/executions/{id}/resume",
        ),
    ] {
        let body_schema = resolve(
            &doc,
            &operation(&doc, "POST", path)["requestBody"]["content"]["application/json"]["schema"],
        );
        assert_eq!(body_schema["additionalProperties"], false, "{path}");
        let mut text: Json = serde_json::from_str(&event_as(
            event,
            &acme,
            EVENT.key_id.as_str(),
            axiom_tests::EVENT.key.as_str(),
        ))
        .unwrap();
        let body: Json = serde_json::from_str(text["body"].as_str().unwrap()).unwrap();
        let mut send = |edited: Json| {
            text["body"] = Json::String(edited.to_string());
            let request = lambda_http::request::from_str(&text.to_string()).unwrap();
            let store = store.clone();
            async move {
                let response = api::handle(function, &store, request).await;
                (response.status().as_u16(), body_of(&response))
            }
        };
        // The sample body fits the document.
        assert_fits(
            &doc,
            body_schema,
            &body,
            &format!("the body of events/{event}.json"),
        );
        // Every property the document lists is one the handler knows; the required ones are.
        let required = body_schema.get("required").map(yaml_strings).unwrap_or_default();
        for property in &required {
            assert!(
                body_schema["properties"].get(property.as_str()).is_some(),
                "{path} {property}"
            );
            let mut without = body.clone();
            without.as_object_mut().unwrap().remove(property);
            let (status, error) = send(without).await;
            assert_eq!(status, 400, "{path} without {property}: {error}");
            let message = error["error"]["message"].as_str().unwrap();
            assert!(message.contains(property.as_str()), "{message}");
        }
        let mut extra = body.clone();
        extra["surprise"] = json!(1);
        let (status, error) = send(extra).await;
        assert_eq!(status, 400, "{path} with an unknown field: {error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("surprise"));
    }
}
