"""The pollers of SQS event source mappings: they long-poll the queue through the internal
dispatch, gather a batch (BatchSize, MaximumBatchingWindowInSeconds on the service clock),
drop and delete what the FilterCriteria leave out, invoke the function with the event AWS
delivers (`Records` of SQS messages) and delete what it handled: everything on success, all
but the `batchItemFailures` with ReportBatchItemFailures, nothing when the function fails (the
messages come back after their visibility timeout, so the queue's redrive policy applies).

Pollers are runtime beside the mapping records: `settle` moves a mapping to its steady state
and starts or stops them; `resume` starts them again after a restore.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING, Any

from services.core.errors import AwsError
from services.lambda_.errors import InvalidParameterValueException

if TYPE_CHECKING:
    from services.lambda_.service import LambdaService

log = logging.getLogger("stepstack.lambda")

POLLERS = 5  # concurrent pollers of a mapping without ScalingConfig (AWS starts with five)
LONG_POLL = 20
FAILED_PAUSE = 1.0  # service seconds a poller waits after an error of its own


def compile_filter(pattern: str) -> Any:
    """A FilterCriteria pattern, compiled (AWS's event filtering rules, which SNS's body
    filter policies share); InvalidParameterValueException for a pattern AWS would refuse."""
    from services.sns.filter_policy import FilterPolicyError, compile_policy

    try:
        return compile_policy(pattern, "MessageBody")
    except FilterPolicyError as error:
        raise InvalidParameterValueException(f"Invalid filter pattern definition. {error}") from None


def settle(service: LambdaService, account: str, region: str, uuid: str) -> None:
    """Creating/Updating → Enabled or Disabled, at once; pollers follow the state."""
    store = service.stores.find(account, region)
    config = store.event_source_mappings.get(uuid) if store is not None else None
    if config is None:
        return
    enabled = config.get("_enabled", True)
    config["State"] = "Enabled" if enabled else "Disabled"
    stop(service, uuid)
    if enabled:
        _start(service, account, region, config)


def stop(service: LambdaService, uuid: str) -> None:
    for task in service.pollers.pop(uuid, []):
        task.cancel()


def resume(service: LambdaService) -> None:
    """After a restore: every enabled mapping polls again."""
    for (account, region), store in service.stores.items():
        for uuid in list(store.event_source_mappings):
            settle(service, account, region, uuid)


def _start(service: LambdaService, account: str, region: str, config: dict[str, Any]) -> None:
    count = (config.get("ScalingConfig") or {}).get("MaximumConcurrency") or POLLERS
    owner = service.owner(account, region)
    tasks = [service.env.tasks.spawn(f"lambda poller {config['UUID']} #{i}", _poll(service, account, region, config["UUID"]), owner)
             for i in range(count)]
    service.pollers[config["UUID"]] = tasks


async def _poll(service: LambdaService, account: str, region: str, uuid: str) -> None:
    dispatcher = service.env.dispatcher
    while True:
        store = service.stores.find(account, region)
        config = store.event_source_mappings.get(uuid) if store is not None else None
        if config is None or config["State"] != "Enabled":
            return
        source = config["EventSourceArn"]
        _, _, _, queue_region, queue_account, name = source.split(":", 5)
        url = f"http://sqs.{queue_region}.localhost/{queue_account}/{name}"

        async def sqs(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            return await dispatcher.call("sqs", operation, {"QueueUrl": url, **params}, account_id=queue_account,
                                         region=queue_region, origin="lambda poller")

        try:
            messages = await _gather(service, config, sqs)
            if messages:
                await _deliver(service, account, region, config, messages, sqs)
        except AwsError as error:
            log.warning("event source mapping %s: %s: %s", uuid, error.code, error.message)
            await service.clock.sleep(FAILED_PAUSE)


async def _gather(service: LambdaService, config: dict[str, Any], sqs: Any) -> list[dict[str, Any]]:
    """Up to BatchSize messages: the first receive long-polls; with a batching window more are
    gathered until the batch is full or the window (service time) has passed."""
    batch, window = config["BatchSize"], config["MaximumBatchingWindowInSeconds"]
    params = {"AttributeNames": ["All"], "MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["All"]}
    first = await sqs("ReceiveMessage", {**params, "MaxNumberOfMessages": min(10, batch), "WaitTimeSeconds": LONG_POLL})
    messages = list(first.get("Messages", []))
    if not messages or window <= 0:
        return messages
    deadline = service.clock.now() + window
    while len(messages) < batch:
        left = deadline - service.clock.now()
        if left <= 0:
            break
        more = await sqs("ReceiveMessage", {**params, "MaxNumberOfMessages": min(10, batch - len(messages)),
                                            "WaitTimeSeconds": max(1, min(LONG_POLL, int(left)))})
        messages.extend(more.get("Messages", []))
    return messages


def record(message: dict[str, Any], source: str, region: str) -> dict[str, Any]:
    """One message as a Lambda function sees it (AWS's SQS event record)."""
    attributes = {**message.get("Attributes", {})}
    entry: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {name: _attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()},
        "md5OfBody": message["MD5OfBody"],
    }
    if message.get("MD5OfMessageAttributes"):
        entry["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    entry.update({"eventSource": "aws:sqs", "eventSourceARN": source, "awsRegion": region})
    return entry


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if "StringValue" in value:
        shown["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        data = value["BinaryValue"]
        shown["binaryValue"] = base64.b64encode(data if isinstance(data, bytes) else str(data).encode()).decode()
    shown.update({"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]})
    return shown


def _passes(config: dict[str, Any], entry: dict[str, Any]) -> bool:
    filters = (config.get("FilterCriteria") or {}).get("Filters") or []
    if not filters:
        return True
    body = entry["body"]
    try:
        parsed_body: Any = json.loads(body)
    except ValueError:
        parsed_body = body
    document = json.dumps({**entry, "body": parsed_body})
    return any(compile_filter(f.get("Pattern", "")).matches({}, document) for f in filters)


async def _deliver(service: LambdaService, account: str, region: str, config: dict[str, Any],
                   messages: list[dict[str, Any]], sqs: Any) -> None:
    source = config["EventSourceArn"]
    queue_region = source.split(":")[3]
    records = [record(m, source, queue_region) for m in messages]
    kept = [r for r in records if _passes(config, r)]
    dropped = [r for r in records if r not in kept]
    if dropped:  # AWS deletes the messages a filter leaves out
        await _delete(sqs, dropped)
    if not kept:
        return
    payload = json.dumps({"Records": kept}).encode()
    try:
        answer = await service.env.dispatcher.call(
            "lambda", "Invoke", {"FunctionName": config["FunctionArn"], "InvocationType": "RequestResponse", "Payload": payload},
            account_id=account, region=region, origin="lambda poller")
    except AwsError as error:  # throttled or gone: the messages come back after their visibility timeout
        log.info("event source mapping %s: invoke failed: %s", config["UUID"], error.code)
        return
    if answer.get("FunctionError"):
        return
    failed = _reported_failures(config, answer.get("Payload") or b"", kept)
    if failed is None:  # an unusable partial-batch answer: the whole batch failed
        return
    await _delete(sqs, [r for r in kept if r["messageId"] not in failed])


def _reported_failures(config: dict[str, Any], payload: bytes, records: list[dict[str, Any]]) -> set[str] | None:
    """The ids a ReportBatchItemFailures answer names (empty: all succeeded); None when the
    answer names an unknown or empty id, which fails the whole batch as on AWS."""
    if "ReportBatchItemFailures" not in config.get("FunctionResponseTypes", []):
        return set()
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        return set()
    if not isinstance(answer, dict) or not answer.get("batchItemFailures"):
        return set()
    ids = {r["messageId"] for r in records}
    failed = set()
    for item in answer["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return None
        failed.add(identifier)
    return failed


async def _delete(sqs: Any, records: list[dict[str, Any]]) -> None:
    for start in range(0, len(records), 10):
        chunk = records[start:start + 10]
        await sqs("DeleteMessageBatch", {"Entries": [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)]})
