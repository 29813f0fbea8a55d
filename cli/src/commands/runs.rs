//! `axiom invoke` and `axiom executions get|cancel|resume`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Context, read_json};
use crate::{
    api::{Api, Reply, Request},
    args::InvokeArgs,
    error::{CliError, Exit},
    escape::escape,
    render,
    schema::Execution,
    terminal::{self, Spinner},
};

/// Between two looks at a run that is still active, once the API's own wait has run out.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The API ends any run that is active for more than 5 minutes; waiting longer is pointless.
const WAIT_LIMIT: Duration = Duration::from_secs(6 * 60);

pub fn invoke(context: &Context, args: InvokeArgs) -> Result<Exit, CliError> {
    let input = match (args.input, &args.input_file) {
        (Some(input), _) => input,
        (None, Some(file)) => read_json(file)?,
        (None, None) => json!({}),
    };
    let api = context.api()?;
    let body = json!({ "graph_id": args.graph_id, "input": input, "wait": args.wait });
    let spinner = args
        .wait
        .then(|| Spinner::start(format!("Running flow {}…", escape(&args.graph_id))));
    let started = Instant::now();
    let key = args.idempotency_key.as_deref();
    let request =
        Request::post(&["invocations", "v1", "flows", "invoke"], &body).header("Idempotency-Key", key);
    let answer = api.call(request).map_err(|error| key_reused(error, key))?;
    let (mut reply, mut execution) = parse(answer)?;
    // The API waits 25 seconds at most; a longer run is followed here.
    if let Some(spinner) = &spinner {
        while execution.is_active() {
            if started.elapsed() > WAIT_LIMIT {
                return Err(CliError::Local(format!(
                    "gave up waiting: execution {id} is still {} after {} minutes; follow it with \
                     `axiom executions get {id}`",
                    execution.status,
                    WAIT_LIMIT.as_secs() / 60,
                    id = execution.execution_id,
                )));
            }
            spinner.set_message(render::waiting(&execution));
            std::thread::sleep(POLL_INTERVAL);
            (reply, execution) = parse(execution_route(&api, &execution.execution_id, None)?)?;
        }
    }
    drop(spinner);
    show(context, &reply, &execution)?;
    Ok(if execution.has_ended() && execution.status != "succeeded" {
        Exit::RunNotSucceeded
    } else {
        Exit::Success
    })
}

/// The API's 409 `idempotency_key_reused`, said plainly.
fn key_reused(error: CliError, key: Option<&str>) -> CliError {
    match (error.api_code(), key) {
        (Some("idempotency_key_reused"), Some(key)) => CliError::Api {
            status: 409,
            code: Some("idempotency_key_reused".into()),
            message: format!(
                "the idempotency key {key:?} was used in the last 24 hours for another flow or \
                 input, so no run was started: use a new key for a new run (the same key with the \
                 same flow and input returns the run it started)"
            ),
        },
        _ => error,
    }
}

pub fn get(context: &Context, id: &str) -> Result<Exit, CliError> {
    let (reply, execution) = parse(execution_route(&context.api()?, id, None)?)?;
    show(context, &reply, &execution)?;
    Ok(Exit::Success)
}

pub fn cancel(context: &Context, id: &str) -> Result<Exit, CliError> {
    let (reply, execution) = parse(execution_route(&context.api()?, id, Some(("cancel", json!({}))))?)?;
    show(context, &reply, &execution)?;
    Ok(Exit::Success)
}

pub fn resume(context: &Context, id: &str, input: Option<Value>) -> Result<Exit, CliError> {
    let body = match input {
        Some(input) => json!({ "input": input }),
        None => json!({}),
    };
    let (reply, execution) = parse(execution_route(&context.api()?, id, Some(("resume", body)))?)?;
    show(context, &reply, &execution)?;
    Ok(Exit::Success)
}

/// `GET /invocations/v1/executions/{id}`, or `POST .../{id}/{action}` with a body.
fn execution_route(api: &Api, id: &str, action: Option<(&str, Value)>) -> Result<Reply, CliError> {
    let path = ["invocations", "v1", "executions", id];
    match action {
        None => api.get(&path),
        Some((action, body)) => api.post(&[&path[..], &[action]].concat(), &body),
    }
}

fn parse(reply: Reply) -> Result<(Reply, Execution), CliError> {
    let execution = reply.parse()?;
    Ok((reply, execution))
}

/// Prints the execution, with a hint on stderr when it waits for something.
fn show(context: &Context, reply: &Reply, execution: &Execution) -> Result<(), CliError> {
    context.print(reply, || Ok(render::execution(execution)))?;
    if let Some(hint) = render::next_step(execution) {
        terminal::note(context.json, &format!("\n{hint}"));
    }
    Ok(())
}
