"""Writing lines to a log stream from inside stepstack (Batch job output, later Lambda),
through the dispatcher, so the calls are validated and recorded like a client's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.core.errors import AwsError
from services.logs.records import EVENT_OVERHEAD

MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_EVENTS = 10_000
MAX_SPAN_MS = 86_400_000
MAX_MESSAGE_BYTES = MAX_BATCH_BYTES - EVENT_OVERHEAD


def _fit(message: str) -> str:
    """A message no larger than one event may be (cut at a character boundary)."""
    data = message.encode("utf-8")
    if len(data) <= MAX_MESSAGE_BYTES:
        return message
    return data[:MAX_MESSAGE_BYTES].decode("utf-8", errors="ignore")


def batches(lines: list[tuple[int, str]]) -> Iterator[list[dict[str, Any]]]:
    """Events in chronological order, cut into batches within AWS's count, size and span limits."""
    batch: list[dict[str, Any]] = []
    size = 0
    for timestamp, message in sorted(lines, key=lambda line: line[0]):
        if not message:
            continue  # AWS refuses empty messages; Docker's awslogs driver drops empty lines too
        message = _fit(message)
        cost = len(message.encode("utf-8")) + EVENT_OVERHEAD
        if batch and (
            len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES
            or timestamp - batch[0]["timestamp"] > MAX_SPAN_MS
        ):
            yield batch
            batch, size = [], 0
        batch.append({"timestamp": timestamp, "message": message})
        size += cost
    if batch:
        yield batch


async def _create(dispatcher: Any, operation: str, params: dict[str, Any], account: str, region: str) -> None:
    try:
        await dispatcher.call("logs", operation, params, account_id=account, region=region)
    except AwsError as error:
        if error.code != "ResourceAlreadyExistsException":
            raise


async def write_lines(
    dispatcher: Any, account: str, region: str, group: str, stream: str, lines: list[tuple[int, str]]
) -> list[dict[str, Any]]:
    """Create `group` and `stream` if missing, then put `lines` ((timestamp ms, message) pairs)
    in AWS-sized batches; returns each batch's rejectedLogEventsInfo, if any (too old or new)."""
    await _create(dispatcher, "CreateLogGroup", {"logGroupName": group}, account, region)
    await _create(dispatcher, "CreateLogStream", {"logGroupName": group, "logStreamName": stream}, account, region)
    rejected: list[dict[str, Any]] = []
    for batch in batches(lines):
        result = await dispatcher.call(
            "logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": batch},
            account_id=account, region=region,
        )
        if "rejectedLogEventsInfo" in result:
            rejected.append(result["rejectedLogEventsInfo"])
    return rejected
