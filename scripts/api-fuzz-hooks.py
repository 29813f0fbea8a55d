# Schemathesis hooks for scripts/api-fuzz (loaded through `hooks` in schemathesis.toml).
import base64
import binascii
import json
import os
from datetime import datetime, timedelta, timezone

import schemathesis

OWN_KEY_ID = os.environ["AXIOM_FUZZ_KEY_ID"]
NO_SUCH_KEY = "00000000-0000-7000-8000-000000000000"


@schemathesis.hook
def before_call(context, case, kwargs):
    spare_own_key(case)
    unique_step_ids(case)
    future_expiry(case)
    only_given_cursors(case)


# The routes that end a key: revoke, and roll (which ends the old key at once, or when its
# overlap ends).
KEY_ENDING = {("DELETE", "/v1/api-keys/{id}"), ("POST", "/v1/api-keys/{id}/roll")}


def spare_own_key(case):
    """The fuzzer authenticates with a key of its own (AXIOM_FUZZ_KEY, id AXIOM_FUZZ_KEY_ID)
    and calls DELETE /v1/api-keys/{id} and POST /v1/api-keys/{id}/roll with ids it generates,
    ids the OpenAPI links hand it (a key POST /v1/api-keys has just created) and ids it finds
    in responses (GET /v1/whoami and GET /v1/api-keys show its own key's id). Revoking or
    rolling its own key would turn every later request into a 403 and the rest of the run into
    noise, so a request aimed at that one id is sent to an id that names no key instead (the
    API answers 404, as for any unknown id)."""
    if (
        (case.method.upper(), case.path) in KEY_ENDING
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


EXPIRING = {("POST", "/v1/api-keys"), ("POST", "/v1/api-keys/{id}/roll")}


def future_expiry(case):
    """A key's `expires_at` must be in the future and at most 366 days ahead, which JSON Schema
    cannot say (it knows no "now"), so a generated date-time is nearly always refused with a
    400 that is right. In the cases meant to be valid, a generated `expires_at` becomes a day
    from now; cases meant to be invalid are sent as generated."""
    if (case.method.upper(), case.path) not in EXPIRING or _is_negative(case):
        return
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("expires_at"), str):
        tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
        body["expires_at"] = tomorrow.strftime("%Y-%m-%dT%H:%M:%SZ")


def only_given_cursors(case):
    """A list's `cursor` is opaque: only a `next_cursor` the server gave this account for this
    list is valid (anything else is a 400 that is right), and no schema can generate one. In the
    cases meant to be valid, a cursor that is not of the server's making (base64url of a JSON
    object) is dropped, so the request asks for the first page; a cursor a link carried from a
    previous page is kept."""
    if case.method.upper() != "GET" or _is_negative(case) or not isinstance(case.query, dict):
        return
    cursor = case.query.get("cursor")
    if cursor is not None and not _made_by_the_server(cursor):
        del case.query["cursor"]


def _made_by_the_server(cursor):
    if not isinstance(cursor, str):
        return False
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and {"a", "l", "p"} <= decoded.keys()


def _is_negative(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_negative
