# Schemathesis hooks for scripts/api-fuzz (loaded through `hooks` in schemathesis.toml).
import os

import schemathesis

OWN_KEY_ID = os.environ["AXIOM_FUZZ_KEY_ID"]
NO_SUCH_KEY = "00000000-0000-7000-8000-000000000000"


@schemathesis.hook
def before_call(context, case, kwargs):
    spare_own_key(case)
    unique_step_ids(case)


def spare_own_key(case):
    """The fuzzer authenticates with a key of its own (AXIOM_FUZZ_KEY, id AXIOM_FUZZ_KEY_ID)
    and calls DELETE /v1/api-keys/{id} with ids it generates, ids the OpenAPI links hand it (a
    key POST /v1/api-keys has just created) and ids it finds in responses (GET /v1/whoami and
    GET /v1/api-keys show its own key's id). Revoking its own key would turn every later
    request into a 403 and the rest of the run into noise, so a DELETE aimed at that one id is
    sent to an id that names no key instead (the API answers 404, as for any unknown id)."""
    if (
        case.method.upper() == "DELETE"
        and case.path == "/v1/api-keys/{id}"
        and isinstance(case.path_parameters, dict)
        and str(case.path_parameters.get("id", "")).strip().lower() == OWN_KEY_ID.lower()
    ):
        case.path_parameters["id"] = NO_SUCH_KEY


def unique_step_ids(case):
    """A flow's step ids must be unique, which JSON Schema cannot say (`uniqueItems` compares
    whole steps), so a schema-valid definition may repeat an id and be refused with a 400 that
    is right. In the cases meant to be valid, a repeated id is renamed to a fresh one of the
    same alphabet before the request goes out; cases meant to be invalid are sent as generated."""
    if case.method.upper() != "POST" or case.path != "/v1/flows":
        return
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        return
    body = case.body
    definition = body.get("definition") if isinstance(body, dict) else None
    steps = definition.get("steps") if isinstance(definition, dict) else None
    if not isinstance(steps, list):
        return
    seen = set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("id"), str):
            continue
        if step["id"] in seen:
            fresh = f"s{index}"
            while fresh in seen:
                fresh += "_"
            step["id"] = fresh
        seen.add(step["id"])
