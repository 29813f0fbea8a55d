//! `template.yaml`, the local gateway's routes and the table definition agree; the template's
//! runs queue, IAM grants, concurrency settings and alarms are what the design says.

use std::collections::{BTreeMap, BTreeSet};

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

fn int_of(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("expected an integer, found {value:?}"))
}

/// An intrinsic function as the template writes it (`!Ref X`, `!GetAtt X.Arn`, `!If [...]`):
/// its name without the `!`, and its argument.
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        _ => None,
    }
}

/// `X` of `!Ref X`.
fn ref_of(value: &Value) -> Option<&str> {
    match intrinsic(value)? {
        (name, argument) if name == "Ref" => argument.as_str(),
        _ => None,
    }
}

/// `X.Attribute` of `!GetAtt X.Attribute`.
fn get_att_of(value: &Value) -> Option<&str> {
    match intrinsic(value)? {
        (name, argument) if name == "GetAtt" => argument.as_str(),
        _ => None,
    }
}

/// Every function of the template: (logical id, binary, resource).
fn functions(template: &Value) -> Vec<(&str, &str, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, resource)| {
            (
                str_of(name),
                str_of(&resource["Metadata"]["BuildProperties"]["Binary"]),
                resource,
            )
        })
        .collect()
}

/// The statements of a function's inline policies.
fn statements(function: &Value) -> Vec<&Value> {
    function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| policy["Statement"].as_sequence().unwrap())
        .collect()
}

fn actions(statement: &Value) -> Vec<&str> {
    statement["Action"]
        .as_sequence()
        .unwrap_or_else(|| panic!("actions as a list: {statement:?}"))
        .iter()
        .map(str_of)
        .collect()
}

#[test]
fn routes_are_the_same_set_as_the_local_gateway_serves() {
    let template = template();
    let mut deployed = BTreeSet::new();
    for (_, binary, resource) in functions(&template) {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events.iter().filter(|(_, event)| event["Type"] == "HttpApi") {
            let properties = &event["Properties"];
            assert_eq!(properties["PayloadFormatVersion"], "2.0");
            deployed.insert((
                str_of(&properties["Method"]).to_owned(),
                str_of(&properties["Path"]).to_owned(),
                binary.to_owned(),
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
    for (name, binary, _) in functions(&template) {
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
fn the_table_has_the_key_schema_the_code_creates_and_no_stream() {
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
    // Runs are dispatched through the runs queue: nothing reads a stream, so there is none.
    assert!(
        properties.get("StreamSpecification").is_none(),
        "the table has no stream"
    );
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

/// What one DynamoDB statement allows: on the table or one of its indexes, which actions, for
/// which partition-key prefixes (`dynamodb:LeadingKeys`, each `<PREFIX>#*`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    on: String,
    actions: BTreeSet<String>,
    prefixes: BTreeSet<String>,
}

const TABLE: &str = "table";

fn grant(on: &str, actions: &[&str], prefixes: &[&str]) -> Grant {
    Grant {
        on: on.to_owned(),
        actions: actions
            .iter()
            .map(|action| format!("dynamodb:{action}"))
            .collect(),
        prefixes: prefixes.iter().map(|prefix| format!("{prefix}#*")).collect(),
    }
}

/// The table, or `index/<name>` for one of its indexes.
fn dynamodb_resource(resource: &Value) -> String {
    if get_att_of(resource) == Some("Table.Arn") {
        return TABLE.to_owned();
    }
    if let Some((name, argument)) = intrinsic(resource)
        && name == "Sub"
        && let Some(index) = argument
            .as_str()
            .and_then(|arn| arn.strip_prefix("${Table.Arn}/index/"))
    {
        return format!("index/{index}");
    }
    panic!("a DynamoDB statement names the table or one of its indexes, not {resource:?}")
}

/// The partition-key prefixes a DynamoDB statement is limited to: its `dynamodb:LeadingKeys`
/// under `ForAllValues:StringLike`, each a prefix and `*`.
fn leading_keys(statement: &Value) -> BTreeSet<String> {
    let patterns = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        .as_sequence()
        .unwrap_or_else(|| {
            panic!("every DynamoDB statement is limited by ForAllValues:StringLike dynamodb:LeadingKeys: {statement:?}")
        });
    assert!(!patterns.is_empty());
    let patterns: BTreeSet<String> = patterns.iter().map(|p| str_of(p).to_owned()).collect();
    for pattern in &patterns {
        let prefix = pattern
            .strip_suffix("#*")
            .unwrap_or_else(|| panic!("{pattern:?} is a key prefix: `<PREFIX>#*`"));
        assert!(
            !prefix.is_empty() && !prefix.contains(['*', '?']),
            "{pattern:?} has one wildcard, at its end"
        );
    }
    for (operator, keys) in statement["Condition"].as_mapping().unwrap() {
        if operator != "ForAllValues:StringLike" {
            assert!(
                keys.get("dynamodb:LeadingKeys").is_none(),
                "LeadingKeys only under ForAllValues:StringLike: {statement:?}"
            );
        }
    }
    patterns
}

/// Each function's DynamoDB statements, as grants, by binary.
fn dynamodb_grants(template: &Value) -> BTreeMap<String, BTreeSet<Grant>> {
    let mut grants = BTreeMap::new();
    for (_, binary, function) in functions(template) {
        let mut of_function = BTreeSet::new();
        for statement in statements(function) {
            assert_eq!(statement["Effect"], "Allow", "{binary}: allow statements only");
            let actions = actions(statement);
            if !actions.iter().any(|action| action.starts_with("dynamodb:")) {
                continue;
            }
            assert!(
                actions.iter().all(|action| action.starts_with("dynamodb:")),
                "{binary}: DynamoDB actions in statements of their own: {actions:?}"
            );
            let grant = Grant {
                on: dynamodb_resource(&statement["Resource"]),
                actions: actions.iter().map(|action| (*action).to_owned()).collect(),
                prefixes: leading_keys(statement),
            };
            assert!(of_function.insert(grant), "{binary}: no statement twice");
        }
        grants.insert(binary.to_owned(), of_function);
    }
    grants
}

/// Each function's DynamoDB actions, on the table or an index, each statement limited to the
/// partition-key prefixes its items have (`docs/table-design.md`): an account's keys, flows and
/// audit events `ACCOUNT#`; credentials `CREDENTIAL#`; a run's items `RUN#`; usage counters
/// `USAGE#`; in-flight shards `INFLIGHT#`; Idempotency-Keys `IDEMPOTENCY#`; device grants
/// `DEVICE#` and their rate counters `DEVICE-RATE#`; the `wake` index `WAKE#`, the `runs` index
/// `RUNS#`. A transaction's items count as PutItem, UpdateItem, DeleteItem and ConditionCheckItem.
#[test]
fn every_function_gets_only_the_dynamodb_access_it_uses() {
    let runs = ["RUN", "USAGE", "INFLIGHT"];
    let expected: BTreeMap<String, BTreeSet<Grant>> = [
        (
            "authorizer",
            vec![
                grant(TABLE, &["GetItem"], &["CREDENTIAL"]),
                grant(TABLE, &["UpdateItem"], &["CREDENTIAL", "ACCOUNT"]),
            ],
        ),
        (
            "create-key",
            vec![grant(
                TABLE,
                &["PutItem", "ConditionCheckItem"],
                &["ACCOUNT", "CREDENTIAL"],
            )],
        ),
        ("list-keys", vec![grant(TABLE, &["Query"], &["ACCOUNT"])]),
        (
            "revoke-key",
            vec![grant(
                TABLE,
                &["GetItem", "DeleteItem", "PutItem"],
                &["ACCOUNT", "CREDENTIAL"],
            )],
        ),
        (
            "roll-key",
            vec![grant(
                TABLE,
                &[
                    "GetItem",
                    "PutItem",
                    "UpdateItem",
                    "DeleteItem",
                    "ConditionCheckItem",
                ],
                &["ACCOUNT", "CREDENTIAL"],
            )],
        ),
        (
            "device",
            vec![grant(
                TABLE,
                &["GetItem", "PutItem", "UpdateItem", "ConditionCheckItem"],
                &["DEVICE", "DEVICE-RATE", "ACCOUNT", "CREDENTIAL"],
            )],
        ),
        ("audit", vec![grant(TABLE, &["Query"], &["ACCOUNT"])]),
        ("whoami", vec![]),
        ("console", vec![]),
        ("flows", vec![grant(TABLE, &["PutItem", "Query"], &["ACCOUNT"])]),
        (
            "invoke",
            vec![
                grant(
                    TABLE,
                    &["GetItem", "PutItem", "UpdateItem", "Query"],
                    &["RUN", "USAGE", "INFLIGHT", "IDEMPOTENCY"],
                ),
                // The flow and the account's quota: read only.
                grant(TABLE, &["GetItem"], &["ACCOUNT"]),
            ],
        ),
        (
            "executions",
            vec![
                grant(TABLE, &["PutItem", "UpdateItem", "Query"], &runs),
                // The flow (resume) and the audit events (cancel, resume).
                grant(TABLE, &["GetItem", "PutItem"], &["ACCOUNT"]),
                grant("index/runs", &["Query"], &["RUNS"]),
            ],
        ),
        ("usage", vec![grant(TABLE, &["Query"], &["USAGE"])]),
        (
            "runner",
            vec![
                grant(TABLE, &["PutItem", "UpdateItem", "Query"], &runs),
                grant(TABLE, &["GetItem"], &["ACCOUNT"]),
            ],
        ),
        (
            "sweeper",
            vec![
                grant("index/wake", &["Query"], &["WAKE"]),
                grant(TABLE, &["PutItem", "UpdateItem", "Query"], &runs),
                grant(TABLE, &["GetItem"], &["ACCOUNT"]),
            ],
        ),
    ]
    .into_iter()
    .map(|(binary, grants)| (binary.to_owned(), grants.into_iter().collect()))
    .collect();
    assert_eq!(dynamodb_grants(&template()), expected);
}

/// `dynamodb:LeadingKeys` under `ForAllValues` also holds for a request that names no
/// partition key (the empty set): only the absence of the actions that name none keeps a
/// function to its prefixes.
#[test]
fn no_function_may_scan_or_write_outside_its_key_prefixes() {
    let allowed: BTreeSet<&str> = [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ]
    .into();
    let template = template();
    for (binary, grants) in dynamodb_grants(&template) {
        for grant in grants {
            for action in &grant.actions {
                assert!(
                    allowed.contains(action.as_str()),
                    "{binary} may not {action} (no Scan, batch, PartiQL or wildcard action)"
                );
            }
            if let Some(index) = grant.on.strip_prefix("index/") {
                // On an index the leading key is the index's own partition key.
                let prefix = match index {
                    table::WAKE_INDEX => "WAKE#*",
                    table::RUNS_INDEX => "RUNS#*",
                    other => panic!("{binary}: an index the table does not have: {other}"),
                };
                assert_eq!(
                    grant.actions,
                    BTreeSet::from(["dynamodb:Query".to_owned()]),
                    "{binary}"
                );
                assert_eq!(grant.prefixes, BTreeSet::from([prefix.to_owned()]), "{binary}");
            }
        }
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    assert!(!text.contains("dynamodb:Scan"), "no role may scan");
    assert!(!text.contains("dynamodb:*"), "no wildcard DynamoDB actions");
}

/// The authorizer reads credentials and, in its last-use transaction, writes nothing but the
/// last-use attributes of credentials and key items.
#[test]
fn the_authorizer_updates_only_the_last_use_attributes() {
    let template = template();
    let authorizer = &template["Resources"]["AuthorizerFunction"];
    let statements = statements(authorizer);
    let updates: Vec<&&Value> = statements
        .iter()
        .filter(|statement| actions(statement).contains(&"dynamodb:UpdateItem"))
        .collect();
    assert_eq!(updates.len(), 1, "one statement allows the last-use updates");
    let update = updates[0];
    assert_eq!(actions(update), ["dynamodb:UpdateItem"], "and nothing else");
    let condition = &update["Condition"];
    let attributes: BTreeSet<&str> = condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]
        .as_sequence()
        .expect("the update is limited by dynamodb:Attributes")
        .iter()
        .map(str_of)
        .collect();
    // The key attributes must be listed for any request to be allowed at all.
    assert_eq!(
        attributes,
        BTreeSet::from([
            table::PARTITION_KEY,
            table::SORT_KEY,
            "last_used_at",
            "last_used_ip",
            "last_used_user_agent",
        ])
    );
    assert_eq!(
        condition["StringEqualsIfExists"]["dynamodb:ReturnValues"],
        Value::Sequence(vec!["NONE".into()]),
        "nothing else can be read back"
    );
    assert_eq!(
        condition["ForAnyValue:StringEquals"]["dynamodb:EnclosingOperation"],
        Value::Sequence(vec!["TransactWriteItems".into()]),
        "only inside the last-use transaction"
    );
    for statement in &statements {
        for action in actions(statement) {
            assert!(
                matches!(action, "dynamodb:GetItem" | "dynamodb:UpdateItem"),
                "the authorizer may not {action}"
            );
        }
    }
}

/// The functions that make runs runnable send them to the runs queue: invoke (a new run),
/// executions (a resume), the runner (a hand-over at its time budget, a sleep) and the sweeper
/// (a run whose message was lost). They, and only they, get the queue's URL and
/// `sqs:SendMessage` on it alone.
#[test]
fn exactly_the_functions_that_dispatch_runs_send_to_the_run_queue() {
    let dispatchers: BTreeSet<&str> = ["invoke", "executions", "runner", "sweeper"].into();
    let template = template();
    let mut senders = BTreeSet::new();
    let mut told = BTreeSet::new();
    for (_, binary, function) in functions(&template) {
        for statement in statements(function) {
            let actions = actions(statement);
            if !actions.iter().any(|action| action.starts_with("sqs:")) {
                continue;
            }
            assert_eq!(actions, ["sqs:SendMessage"], "{binary}: SendMessage only");
            assert_eq!(
                get_att_of(&statement["Resource"]),
                Some("RunQueue.Arn"),
                "{binary}: on the runs queue only"
            );
            assert!(statement.get("Condition").is_none());
            senders.insert(binary);
        }
        let variables = &function["Properties"]["Environment"]["Variables"];
        if let Some(url) = variables.get("QUEUE_URL") {
            // The Ref of a queue is its URL.
            assert_eq!(ref_of(url), Some("RunQueue"), "{binary}: the runs queue's URL");
            told.insert(binary);
        }
    }
    assert_eq!(senders, dispatchers, "who may send");
    assert_eq!(told, dispatchers, "who knows the queue's URL");
    assert!(
        template["Globals"]["Function"]["Environment"]["Variables"]
            .get("QUEUE_URL")
            .is_none(),
        "not every function's"
    );
}

#[test]
fn the_runner_is_fed_by_the_run_queue_in_batches_with_partial_failures() {
    let template = template();
    let runner = &template["Resources"]["RunnerFunction"]["Properties"];
    let events = runner["Events"].as_mapping().unwrap();
    assert_eq!(events.len(), 1, "the runs queue is the runner's only trigger");
    let event = &runner["Events"]["Runnable"];
    assert_eq!(event["Type"], "SQS");
    let properties = &event["Properties"];
    assert_eq!(get_att_of(&properties["Queue"]), Some("RunQueue.Arn"));
    assert_eq!(properties["BatchSize"], 10);
    assert_eq!(
        properties["FunctionResponseTypes"],
        Value::Sequence(vec!["ReportBatchItemFailures".into()]),
        "a message that failed is delivered again alone"
    );
    assert!(
        properties.get("FilterCriteria").is_none(),
        "every message names a run"
    );
    assert_eq!(
        ref_of(&properties["ScalingConfig"]["MaximumConcurrency"]),
        Some("RunnerMaxConcurrency")
    );
    let maximum = &template["Parameters"]["RunnerMaxConcurrency"];
    assert_eq!(maximum["Type"], "Number");
    assert_eq!(maximum["Default"], 50);
    assert_eq!(maximum["MinValue"], 2, "the least SQS event sources allow");
    assert_eq!(maximum["MaxValue"], 1000);
    // `make dev` dispatches within the deployment's bounds (PRODUCT.md §16).
    let local = axiom_local::queue::QueueConfig::default();
    assert_eq!(maximum["Default"], axiom_local::RUNNER_MAX_CONCURRENCY as u64);
    assert_eq!(properties["BatchSize"], local.batch_size as u64);
    let timeout_ms = int_of(&runner["Timeout"]) * 1000;
    assert!(
        timeout_ms >= axiom_shared::runner::RUNNER_BUDGET_MS + 20_000,
        "room for the last step and the hand-over"
    );
    // Nothing is fed from the table any more: no DynamoDB event source, no stream ARN.
    for (_, binary, function) in functions(&template) {
        for (_, event) in function["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            assert_ne!(event["Type"], "DynamoDB", "{binary} reads no stream");
        }
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    assert!(!text.contains("StreamArn"), "nothing names the table's stream");
    let sweep = &template["Resources"]["SweeperFunction"]["Properties"]["Events"]["Sweep"];
    assert_eq!(sweep["Type"], "Schedule");
}

#[test]
fn the_run_queue_redrives_to_its_dead_letter_queue_and_outlasts_its_deliveries() {
    let template = template();
    let resources = &template["Resources"];
    let queue = &resources["RunQueue"];
    assert_eq!(queue["Type"], "AWS::SQS::Queue");
    let properties = &queue["Properties"];
    assert!(
        properties.get("FifoQueue").is_none(),
        "a standard queue (fair queues: message groups per account)"
    );
    assert_eq!(properties["SqsManagedSseEnabled"], true);
    let redrive = &properties["RedrivePolicy"];
    assert_eq!(
        get_att_of(&redrive["deadLetterTargetArn"]),
        Some("RunDeadLetterQueue.Arn")
    );
    let deliveries = int_of(&redrive["maxReceiveCount"]);
    assert_eq!(deliveries, 5);
    // AWS: at least six times the function's timeout for a Lambda event source.
    let runner_timeout = int_of(&resources["RunnerFunction"]["Properties"]["Timeout"]);
    let visibility = int_of(&properties["VisibilityTimeout"]);
    assert!(
        visibility >= 6 * runner_timeout,
        "visibility {visibility} s is at least 6 x the runner's {runner_timeout} s"
    );
    // A message is kept past the longest a run may wait queued, the longest delay and every
    // delivery, so it reaches the dead-letter queue rather than expire.
    let queue_limit = axiom_shared::domain::executions::QUEUE_LIMIT_MS / 1000;
    let longest_delay = 900;
    let retention = int_of(&properties["MessageRetentionPeriod"]);
    assert!(retention >= queue_limit + longest_delay + deliveries * visibility);
    let dead_letters = &resources["RunDeadLetterQueue"];
    assert_eq!(dead_letters["Type"], "AWS::SQS::Queue");
    assert_eq!(dead_letters["Properties"]["SqsManagedSseEnabled"], true);
    // SQS keeps a moved message's first enqueue time: the dead-letter queue keeps it longer.
    let kept = int_of(&dead_letters["Properties"]["MessageRetentionPeriod"]);
    assert_eq!(kept, 14 * 24 * 60 * 60);
    assert!(kept > retention);
}

/// Reserved concurrency is a parameter per function, 0 (not set) by default, so that
/// `sam deploy --guided` works on a new account with a low concurrency limit.
#[test]
fn reserved_concurrency_is_off_by_default() {
    let template = template();
    let expected: BTreeMap<&str, &str> = [
        ("AuthorizerFunction", "AuthorizerReservedConcurrency"),
        ("InvokeFunction", "InvokeReservedConcurrency"),
        ("RunnerFunction", "RunnerReservedConcurrency"),
    ]
    .into();
    let mut seen = BTreeMap::new();
    for (name, _, function) in functions(&template) {
        let Some(reserved) = function["Properties"].get("ReservedConcurrentExecutions") else {
            continue;
        };
        let (name_of, arguments) = intrinsic(reserved).expect("set through a parameter only");
        assert_eq!(name_of, "If");
        let arguments = arguments.as_sequence().unwrap();
        assert_eq!(
            ref_of(&arguments[2]),
            Some("AWS::NoValue"),
            "{name}: unset unless asked"
        );
        let parameter = ref_of(&arguments[1]).unwrap();
        let definition = &template["Parameters"][parameter];
        assert_eq!(definition["Type"], "Number");
        assert_eq!(definition["Default"], 0, "{parameter}: off by default");
        assert_eq!(definition["MinValue"], 0);
        // The condition holds exactly when the parameter is not 0.
        let condition = &template["Conditions"][str_of(&arguments[0])];
        let (not, negated) = intrinsic(condition).unwrap();
        assert_eq!(not, "Not");
        let (equals, compared) = intrinsic(&negated[0]).unwrap();
        assert_eq!(equals, "Equals");
        assert_eq!(ref_of(&compared[0]), Some(parameter));
        assert_eq!(compared[1], "0");
        seen.insert(name, parameter);
    }
    assert_eq!(seen, expected);
    for (name, parameter) in template["Parameters"].as_mapping().unwrap() {
        assert!(
            parameter.get("Default").is_some(),
            "{name:?} has a default: a guided deploy needs no answer"
        );
    }
}

/// API Gateway throttles the stage (it answers its own 429 `{"message":"Too Many Requests"}`),
/// by parameters whose defaults let one account reach 1,000 invokes a second.
#[test]
fn the_api_stage_is_throttled_by_parameters() {
    let template = template();
    let settings = &template["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"];
    for (setting, parameter) in [
        ("ThrottlingRateLimit", "ApiThrottlingRateLimit"),
        ("ThrottlingBurstLimit", "ApiThrottlingBurstLimit"),
    ] {
        assert_eq!(ref_of(&settings[setting]), Some(parameter), "{setting}");
        let definition = &template["Parameters"][parameter];
        assert_eq!(definition["Type"], "Number");
        assert!(
            int_of(&definition["Default"]) >= 1000,
            "{parameter}: room for 1,000 invokes a second"
        );
    }
}

/// The alarms: runs stuck in the dead-letter queue or waiting in the runs queue, throttled
/// authorizer, invoke and runner, failing runner. Without a topic they have no actions.
#[test]
fn alarms_watch_the_queues_throttles_and_runner_errors() {
    let template = template();
    let mut watched = Vec::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::CloudWatch::Alarm" {
            continue;
        }
        let alarm = &resource["Properties"];
        assert_eq!(alarm["TreatMissingData"], "notBreaching", "{name:?}");
        for actions in ["AlarmActions", "OKActions"] {
            let (name_of, arguments) = intrinsic(&alarm[actions]).unwrap();
            assert_eq!(name_of, "If");
            assert_eq!(arguments[0], "HasAlarmTopic");
            assert_eq!(ref_of(&arguments[1][0]), Some("AlarmTopicArn"));
            assert_eq!(ref_of(&arguments[2]), Some("AWS::NoValue"));
        }
        let dimension = &alarm["Dimensions"][0]["Value"];
        let subject = ref_of(dimension)
            .or_else(|| get_att_of(dimension).and_then(|att| att.strip_suffix(".QueueName")))
            .unwrap_or_else(|| panic!("{name:?} watches a resource of the template"));
        watched.push((
            str_of(&alarm["MetricName"]).to_owned(),
            subject.to_owned(),
            alarm["Threshold"].as_f64().unwrap(),
            str_of(&alarm["ComparisonOperator"]).to_owned(),
        ));
    }
    for (metric, subject, threshold, comparison) in [
        (
            "ApproximateNumberOfMessagesVisible",
            "RunDeadLetterQueue",
            1.0,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "ApproximateAgeOfOldestMessage",
            "RunQueue",
            60.0,
            "GreaterThanThreshold",
        ),
        (
            "Throttles",
            "AuthorizerFunction",
            1.0,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "Throttles",
            "InvokeFunction",
            1.0,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "Throttles",
            "RunnerFunction",
            1.0,
            "GreaterThanOrEqualToThreshold",
        ),
        ("Errors", "RunnerFunction", 1.0, "GreaterThanOrEqualToThreshold"),
    ] {
        assert!(
            watched
                .iter()
                .any(|(m, s, t, c)| m == metric && s == subject && *t == threshold && c == comparison),
            "an alarm on {metric} of {subject}, {comparison} {threshold}"
        );
    }
    let topic = &template["Parameters"]["AlarmTopicArn"];
    assert_eq!(
        topic["Default"], "",
        "alarms without actions unless a topic is given"
    );
    let condition = &template["Conditions"]["HasAlarmTopic"];
    let (not, negated) = intrinsic(condition).unwrap();
    assert_eq!(not, "Not");
    let (_, compared) = intrinsic(&negated[0]).unwrap();
    assert_eq!(ref_of(&compared[0]), Some("AlarmTopicArn"));
    assert_eq!(compared[1], "");
}
