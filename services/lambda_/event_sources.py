"""Event source mappings from SQS queues: Create/Get/Update/Delete/ListEventSourceMappings, with
AWS's defaults, limits and states (Creating → Enabled | Disabled, Updating, Deleting).

A mapping is a record (its EventSourceMappingConfiguration as AWS answers it); its pollers
are runtime (sqs_poller.py), started when it is enabled and again after a restore. Only SQS
sources are emulated; any other source is refused, saying so.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from services.core.arns import build_arn, parse_arn
from services.core.context import Params, Result
from services.core.errors import AwsError
from services.lambda_ import sqs_poller
from services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from services.lambda_.lookup import Ctx, function_by_ref, resolve_version
from services.lambda_.service import operations

DEFAULT_BATCH = 10
MAX_BATCH = MappingProxyType({False: 10_000, True: 10})  # by FIFO
MAX_WINDOW = 300
MAX_FILTERS = 5
NOT_FOUND = "The resource you requested does not exist."


def _mapping(ctx: Ctx, uuid: str) -> dict[str, Any]:
    mapping = ctx.store.event_source_mappings.get(uuid or "")
    if mapping is None:
        raise ResourceNotFoundException(NOT_FOUND)
    return mapping


async def _queue_attributes(ctx: Ctx, arn: str) -> dict[str, str]:
    parsed = parse_arn(arn or "")
    if parsed is None or parsed.service != "sqs":
        source = parsed.service if parsed is not None else arn
        raise InvalidParameterValueException(f"stepstack supports Amazon SQS event sources only, not {source} yet.")
    url = f"http://sqs.{parsed.region}.localhost/{parsed.account}/{parsed.resource}"
    try:
        answer = await ctx.dispatcher.call("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]},
                                           account_id=parsed.account, region=parsed.region, origin="lambda")
    except AwsError:
        raise InvalidParameterValueException(f"Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. Queue: {arn}") from None
    return {"Url": url, **answer.get("Attributes", {})}


def _check(ctx: Ctx, config: dict[str, Any], queue: dict[str, str], function_timeout: int) -> None:
    fifo = queue.get("FifoQueue") == "true"
    batch, window = config["BatchSize"], config["MaximumBatchingWindowInSeconds"]
    if not 1 <= batch <= MAX_BATCH[fifo]:
        raise InvalidParameterValueException(f"BatchSize must be between 1 and {MAX_BATCH[fifo]} for {'FIFO ' if fifo else ''}SQS queues.")
    if not 0 <= window <= MAX_WINDOW:
        raise InvalidParameterValueException(f"MaximumBatchingWindowInSeconds must be between 0 and {MAX_WINDOW}.")
    if batch > 10 and window < 1:
        raise InvalidParameterValueException("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
    visibility = int(queue.get("VisibilityTimeout", "30"))
    if visibility < function_timeout:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {function_timeout} seconds")
    filters = (config.get("FilterCriteria") or {}).get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterValueException(f"FilterCriteria can contain at most {MAX_FILTERS} filters.")
    for entry in filters:
        sqs_poller.compile_filter(entry.get("Pattern", ""))  # InvalidParameterValueException for a bad pattern
    scaling = config.get("ScalingConfig") or {}
    if "MaximumConcurrency" in scaling and not 2 <= scaling["MaximumConcurrency"] <= 1000:
        raise InvalidParameterValueException("ScalingConfig.MaximumConcurrency must be between 2 and 1000.")


def _function_target(ctx: Ctx, function_name: str) -> tuple[str, int]:
    function = function_by_ref(ctx, function_name)
    qualifier = function_name.rsplit(":", 1)[1] if function_name.count(":") in (1, 7) else None
    version, _ = resolve_version(ctx, function, qualifier)
    arn = f"{function.arn}:{qualifier}" if qualifier else function.arn
    return arn, int(version.config.get("Timeout", 3))


@operations.operation("CreateEventSourceMapping")
async def create_event_source_mapping(ctx: Ctx, req: Params) -> Result:
    source = req.get("EventSourceArn")
    if not source:
        raise InvalidParameterValueException("Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk, mq or documentdb.")
    queue = await _queue_attributes(ctx, source)
    function_arn, timeout = _function_target(ctx, req["FunctionName"])
    for existing in ctx.store.event_source_mappings.values():
        if existing["EventSourceArn"] == source and existing["FunctionArn"] == function_arn:
            raise ResourceConflictException(
                f"An event source mapping with SQS arn (\" {source} \") and function (\" {function_arn.rsplit(':', 1)[-1]} \") already exists. "
                f"Please update or delete the existing mapping with UUID {existing['UUID']}")
    uuid = ctx.ids.uuid()
    config: dict[str, Any] = {
        "UUID": uuid,
        "BatchSize": req.get("BatchSize", DEFAULT_BATCH),
        "MaximumBatchingWindowInSeconds": req.get("MaximumBatchingWindowInSeconds", 0),
        "EventSourceArn": source,
        "FunctionArn": function_arn,
        "LastModified": ctx.clock.now(),
        "State": "Creating",
        "StateTransitionReason": "USER_INITIATED",
        "FunctionResponseTypes": list(req.get("FunctionResponseTypes") or []),
        "EventSourceMappingArn": build_arn("lambda", ctx.region, ctx.account_id, f"event-source-mapping:{uuid}"),
    }
    for optional in ("FilterCriteria", "ScalingConfig"):
        if req.get(optional):
            config[optional] = req[optional]
    _check(ctx, config, queue, timeout)
    config["_enabled"] = req.get("Enabled", True)
    ctx.store.event_source_mappings[uuid] = config
    answer = _answer(config)  # Creating, as AWS answers; a Get right after shows it settled
    sqs_poller.settle(ctx.service, ctx.account_id, ctx.region, uuid)  # type: ignore[arg-type]
    return answer


def _answer(config: dict[str, Any]) -> Result:
    """The configuration as AWS answers it (fields of ours start with `_`)."""
    return {k: v for k, v in config.items() if not k.startswith("_")}


@operations.operation("GetEventSourceMapping")
async def get_event_source_mapping(ctx: Ctx, req: Params) -> Result:
    return _answer(_mapping(ctx, req["UUID"]))


@operations.operation("UpdateEventSourceMapping")
async def update_event_source_mapping(ctx: Ctx, req: Params) -> Result:
    config = _mapping(ctx, req["UUID"])
    if config["State"] in ("Creating", "Updating", "Deleting", "Enabling", "Disabling"):
        raise ResourceInUseException(f"Cannot update the event source mapping because it is in use. State: {config['State']}")
    changed = dict(config)
    if req.get("FunctionName"):
        changed["FunctionArn"], timeout = _function_target(ctx, req["FunctionName"])
    else:
        function = function_by_ref(ctx, config["FunctionArn"])
        timeout = int(resolve_version(ctx, function, None)[0].config.get("Timeout", 3))
    for name in ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria", "ScalingConfig"):
        if name in req:
            changed[name] = req[name]
    _check(ctx, changed, await _queue_attributes(ctx, config["EventSourceArn"]), timeout)
    if "Enabled" in req:
        changed["_enabled"] = req["Enabled"]
    changed["State"], changed["LastModified"] = "Updating", ctx.clock.now()
    config.clear()
    config.update(changed)
    answer = _answer(config)
    sqs_poller.settle(ctx.service, ctx.account_id, ctx.region, config["UUID"])  # type: ignore[arg-type]
    return answer


@operations.operation("DeleteEventSourceMapping")
async def delete_event_source_mapping(ctx: Ctx, req: Params) -> Result:
    config = _mapping(ctx, req["UUID"])
    answer = _answer({**config, "State": "Deleting"})
    sqs_poller.stop(ctx.service, config["UUID"])  # type: ignore[arg-type]
    del ctx.store.event_source_mappings[config["UUID"]]
    return answer


@operations.operation("ListEventSourceMappings")
async def list_event_source_mappings(ctx: Ctx, req: Params) -> Result:
    source, function_name = req.get("EventSourceArn"), req.get("FunctionName")
    function_arn = _function_target(ctx, function_name)[0] if function_name else None
    listed = [c for c in ctx.store.event_source_mappings.values()
              if (source is None or c["EventSourceArn"] == source) and (function_arn is None or c["FunctionArn"] == function_arn)]
    marker = str(req.get("Marker") or "0")
    if not marker.isdigit():
        raise InvalidParameterValueException(f"Invalid marker: {marker}")
    start = int(marker)
    limit = req.get("MaxItems") or 100
    page = listed[start:start + limit]
    answer: Result = {"EventSourceMappings": [_answer(c) for c in page]}
    if start + limit < len(listed):
        answer["NextMarker"] = str(start + limit)
    return answer

