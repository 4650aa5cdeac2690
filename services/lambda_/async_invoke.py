"""Asynchronous invocation (InvocationType=Event), as AWS documents it: the event is queued
(a record in `LambdaStore.pending_invocations`), run in the background, retried on a function
error up to MaximumRetryAttempts times (2 by default) about 1 minute and then 2 minutes later,
dropped once older than MaximumEventAgeInSeconds (6 hours by default), and then sent to the
OnFailure destination or the dead-letter queue; a success goes to OnSuccess. All delays are
service time: moving the clock runs the retries.

Where we knowingly differ from AWS: the retry delays are exactly 60 s and 120 s (AWS: "about"),
counted from the end of the failed attempt as its real duration places it (the clock moved
forward during an attempt counts toward the delay);
a throttled attempt is tried again after 5 s and does not count as a retry.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

import orjson

from services.core.errors import AwsError
from services.lambda_.records import FunctionRecord, LambdaStore
from services.lambda_.runtime import runtime_of

log = logging.getLogger("stepstack.lambda")

RETRY_DELAYS = (60.0, 120.0)
THROTTLE_DELAY = 5.0
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21_600


def enqueue(ctx: Any, function: FunctionRecord, qualifier: str | None, payload: bytes) -> dict[str, Any]:
    now = ctx.clock.now()
    record = {
        "id": ctx.request_id, "account": ctx.account_id, "region": ctx.region, "function": function.name,
        "function_arn": function.arn, "qualifier": qualifier, "payload": payload, "attempts": 0,
        "enqueued_at": now, "due_at": now, "host": ctx.host,
    }
    ctx.store.pending_invocations.append(record)
    arm(ctx.service, record)
    return record


def arm(service: Any, record: dict[str, Any]) -> None:
    """A timer for the record's next attempt (at its due_at)."""
    runtime = runtime_of(service)
    old = runtime.timers.pop(record["id"], None)
    if old is not None:
        old.cancel()

    def due() -> None:
        runtime.timers.pop(record["id"], None)
        owner = service.owner(record["account"], record["region"])
        service.env.tasks.spawn(f"lambda-async {record['id']} attempt {record['attempts'] + 1}", attempt(service, record), owner=owner)

    runtime.timers[record["id"]] = service.clock.call_at(record["due_at"], due)


def rearm(service: Any) -> None:
    """After a restore: every pending invocation's timer again."""
    for (_, _), store in service.stores.items():
        for record in store.pending_invocations:
            arm(service, record)


def _config(function: FunctionRecord, qualifier: str | None) -> dict[str, Any]:
    return function.event_invoke_configs.get(qualifier or "$LATEST") or {}


async def attempt(service: Any, record: dict[str, Any]) -> None:
    from services.lambda_.invoke import check_runnable, execute, resolve

    dispatcher = service.env.dispatcher
    ctx = dispatcher.context(record["account"], record["region"], origin="lambda async", host=record.get("host") or "localhost:4566",
                             request_id=record["id"])
    ctx.service, ctx.service_name = service, "lambda"
    store: LambdaStore = service.stores.get(record["account"], record["region"])
    ctx.store = store
    if store.functions.get(record["function"]) is None:
        _forget(store, record)  # the function is gone: so is its event queue
        return
    try:
        function, version, executed = resolve(ctx, record["function"], record["qualifier"])
        check_runnable(version)
    except AwsError as error:
        log.warning("asynchronous invocation %s of %s cannot run: %s", record["id"], record["function"], error.message)
        _forget(store, record)
        return
    qualifier = record["qualifier"]
    invoked_arn = function.arn + (f":{qualifier}" if qualifier else "")
    started, real_start = ctx.clock.now(), time.monotonic()
    try:
        outcome = await execute(ctx, function, version, invoked_arn, record["payload"], record["id"])
    except AwsError as error:
        if error.code != "TooManyRequestsException":
            raise
        config = _config(function, qualifier)
        if ctx.clock.now() + THROTTLE_DELAY - record["enqueued_at"] <= config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE):
            record["due_at"] = ctx.clock.now() + THROTTLE_DELAY
            arm(service, record)
            return
        from services.lambda_.runtime import Outcome  # throttled until too old: AWS drops it to OnFailure

        outcome = Outcome("error", orjson.dumps({"errorMessage": error.message, "errorType": error.code}), error.code)
        record["attempts"] = max(record["attempts"], 1)
    else:
        record["attempts"] += 1
    config = _config(function, qualifier)
    now = ctx.clock.now()
    # the attempt ended when it ran out, in service time: a clock moved forward while it ran
    # counts toward the retry's delay (it is not spent again after the attempt)
    ended = min(now, started + (time.monotonic() - real_start) / ctx.clock.time_scale)
    failed = outcome.kind != "response"
    retries = config.get("MaximumRetryAttempts", DEFAULT_RETRIES)
    max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
    if failed and outcome.error_type == "TooManyRequestsException":
        condition = "EventAgeExceeded"
    elif failed and record["attempts"] <= retries:
        due = ended + RETRY_DELAYS[min(record["attempts"] - 1, len(RETRY_DELAYS) - 1)]
        if due - record["enqueued_at"] <= max_age:
            record["due_at"] = due
            arm(service, record)
            return
        condition = "EventAgeExceeded"
    else:
        condition = "RetriesExhausted" if failed else "Success"
    _forget(store, record)
    response = {"statusCode": 200, "executedVersion": executed}
    if failed:
        response["functionError"] = "Unhandled"
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure" if failed else "OnSuccess") or {}).get("Destination")
    if destination:
        document = {
            "version": "1.0",
            "timestamp": _timestamp(now),
            "requestContext": {
                "requestId": record["id"], "functionArn": function.arn + f":{qualifier or '$LATEST'}",
                "condition": condition, "approximateInvokeCount": record["attempts"],
            },
            "requestPayload": _json_or_text(record["payload"]),
            "responseContext": response,
            "responsePayload": _json_or_text(outcome.body),
        }
        await _send(ctx, destination, orjson.dumps(document).decode("utf-8"), record)
    elif failed:
        target = (version.config.get("DeadLetterConfig") or {}).get("TargetArn")
        if target:
            await _dead_letter(ctx, target, record, outcome.body)


def _forget(store: LambdaStore, record: dict[str, Any]) -> None:
    if record in store.pending_invocations:
        store.pending_invocations.remove(record)


async def _send(ctx: Any, arn: str, body: str, record: dict[str, Any]) -> None:
    """The destination record to SQS, SNS, Lambda or EventBridge (not emulated: logged)."""
    parts = arn.split(":")
    kind = parts[2] if len(parts) > 5 else ""
    try:
        if kind == "sqs":
            await ctx.call_arn(arn, "SendMessage", {"QueueUrl": _queue_url(arn), "MessageBody": body})
        elif kind == "sns":
            await ctx.call_arn(arn, "Publish", {"TopicArn": arn, "Message": body})
        elif kind == "lambda":
            await ctx.call_arn(arn, "Invoke", {"FunctionName": arn, "InvocationType": "Event", "Payload": body.encode("utf-8")})
        else:
            log.warning("destination %s of asynchronous invocation %s is not one stepstack delivers to", arn, record["id"])
    except AwsError as error:
        log.warning("could not deliver asynchronous invocation %s to %s: %s", record["id"], arn, error.message)


async def _dead_letter(ctx: Any, arn: str, record: dict[str, Any], error_body: bytes) -> None:
    """The event itself, with AWS's RequestID/ErrorCode/ErrorMessage attributes."""
    try:
        message = orjson.loads(error_body).get("errorMessage", "")
    except (orjson.JSONDecodeError, AttributeError):
        message = ""
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": record["id"]},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": str(message)[:1024] or "Unhandled"},
    }
    body = record["payload"].decode("utf-8", errors="replace")
    try:
        if arn.split(":")[2] == "sqs":
            await ctx.call_arn(arn, "SendMessage", {"QueueUrl": _queue_url(arn), "MessageBody": body, "MessageAttributes": attributes})
        else:
            await ctx.call_arn(arn, "Publish", {"TopicArn": arn, "Message": body, "MessageAttributes": attributes})
    except AwsError as error:
        log.warning("could not send asynchronous invocation %s to its dead-letter queue %s: %s", record["id"], arn, error.message)


def _queue_url(arn: str) -> str:
    _, _, _, region, account, name = arn.split(":")
    return f"http://sqs.{region}.localhost/{account}/{name}"


def _json_or_text(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", errors="replace")


def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
