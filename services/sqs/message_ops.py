"""Messages: send, receive, delete and change visibility, one at a time or in batches."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from services.core.context import Params, RequestContext, Result
from services.core.errors import AwsError
from services.sqs.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameterValue,
    MissingParameter,
    ReceiptHandleIsInvalid,
    TooManyEntriesInBatchRequest,
)
from services.sqs.messages import (
    attributes_size,
    check_body,
    check_message_attributes,
    md5_hex,
    md5_of_attributes,
    select_attributes,
    stored_attributes,
)
from services.sqs.queue import DEDUP_WINDOW, Queue, Taken
from services.sqs.records import AttemptRecord, DedupRecord, MessageRecord, SqsStore
from services.sqs.service import operations
from services.sqs.store import decode_receipt, encode_receipt, queue_by_url, sqs_of

Ctx = RequestContext[SqsStore]

MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
MAX_VISIBILITY = 43_200
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_GROUP_OR_DEDUP_ID = re.compile(r"[!-~]{1,128}")


def _invalid(parameter: str, value: Any, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")


def _in_range(parameter: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise _invalid(parameter, value, f"Must be >= {low} and <= {high}, if provided.")


# -- send -------------------------------------------------------------------------------


def _attributes(raw: dict[str, Any] | None, *, system: bool) -> tuple[dict[str, Any] | None, str | None]:
    """Checked message (or system) attributes and their MD5; most messages have none."""
    if not raw:
        return None, None
    kept = stored_attributes(raw)
    check_message_attributes(kept, system=system)
    return kept, md5_of_attributes(kept)


def send_one(ctx: Ctx, queue: Queue, entry: Params) -> Result:
    body = entry.get("MessageBody", "")
    plain: str = body if type(body) is str else body.placeholder()  # a deferred body (an unmade signature): checked unmade
    encoded = plain.encode("utf-8", "surrogatepass")
    check_body(plain, encoded)
    user_attributes, md5_user = _attributes(entry.get("MessageAttributes"), system=False)
    system_attributes, md5_system = _attributes(entry.get("MessageSystemAttributes"), system=True)
    limit = queue.int_attribute("MaximumMessageSize")
    if len(encoded) + (attributes_size(user_attributes) if user_attributes else 0) > limit:
        raise InvalidParameterValue(f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
    message = MessageRecord(
        message_id=ctx.ids.uuid(),
        body=body,
        md5_body=md5_hex(encoded) if plain is body else "",
        sent_at=ctx.clock.now(),
        sender_id=ctx.account_id,
        attributes=user_attributes,
        md5_attributes=md5_user,
        system_attributes=system_attributes,
        md5_system_attributes=md5_system,
    )
    delay = entry.get("DelaySeconds")
    group_id = entry.get("MessageGroupId")
    dedup_id = entry.get("MessageDeduplicationId")
    if group_id is not None or dedup_id is not None:
        for name, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", dedup_id)):
            if value is not None and not _GROUP_OR_DEDUP_ID.fullmatch(value):
                raise _invalid(name, value, f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length.")
    if queue.fifo:
        if group_id is None:
            raise MissingParameter("The request must contain the parameter MessageGroupId.")
        if delay is not None and delay != 0:
            raise _invalid("DelaySeconds", delay, "The request include parameter that is not valid for this queue type.")
        if dedup_id is None:
            if queue.attributes.get("ContentBasedDeduplication") != "true":
                raise InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
                )
            dedup_id = hashlib.sha256(message.text().encode("utf-8")).hexdigest()
        duplicate = queue.find_duplicate(group_id, dedup_id)
        if duplicate is not None:
            return _sent(duplicate)
        message.group_id, message.dedup_id = group_id, dedup_id
        queue.enqueue(message, queue.int_attribute("DelaySeconds"))  # FIFO: only the queue's delay
    else:
        if dedup_id is not None:
            raise _invalid("MessageDeduplicationId", dedup_id, "The request include parameter that is not valid for this queue type.")
        _in_range("DelaySeconds", delay, 0, 900)
        message.group_id = group_id  # fair queues: groups share delivery, none starves
        queue.enqueue(message, queue.int_attribute("DelaySeconds") if delay is None else delay)
    return _sent(message)


def _sent(message: MessageRecord | DedupRecord) -> Result:
    result: Result = {"MessageId": message.message_id}
    if message.md5_body:  # empty only for a deferred body, which only internal callers send
        result["MD5OfMessageBody"] = message.md5_body
    if message.md5_attributes:
        result["MD5OfMessageAttributes"] = message.md5_attributes
    if message.md5_system_attributes:
        result["MD5OfMessageSystemAttributes"] = message.md5_system_attributes
    if message.sequence_number:
        result["SequenceNumber"] = message.sequence_number
    return result


@operations.operation("SendMessage")
async def send_message(ctx: Ctx, req: Params) -> Result:
    return send_one(ctx, queue_by_url(ctx, req["QueueUrl"]), req)


# -- receive ----------------------------------------------------------------------------


def _system_attributes(message: MessageRecord, names: set[str]) -> dict[str, str]:
    every = "All" in names
    values = {
        "SenderId": message.sender_id,
        "SentTimestamp": str(int(message.sent_at * 1000)),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(int((message.first_received_at or message.sent_at) * 1000)),
    }
    if message.sequence_number:
        values["SequenceNumber"] = message.sequence_number
    if message.dedup_id:
        values["MessageDeduplicationId"] = message.dedup_id
    if message.group_id:
        values["MessageGroupId"] = message.group_id
    if message.dead_letter_source_arn:
        values["DeadLetterQueueSourceArn"] = message.dead_letter_source_arn
    trace = message.system_attributes.get("AWSTraceHeader") if message.system_attributes else None
    if trace:
        values["AWSTraceHeader"] = trace["StringValue"]
    return values if every else {k: v for k, v in values.items() if k in names}


def _received(queue: Queue, message: MessageRecord, nonce: str, names: set[str], attribute_names: list[str]) -> Result:
    out: Result = {
        "MessageId": message.message_id,
        "ReceiptHandle": encode_receipt(queue, message.message_id, nonce),
        "MD5OfBody": message.md5(),
        "Body": message.text(),
    }
    if names:
        system = _system_attributes(message, names)
        if system:
            out["Attributes"] = system
    selected = select_attributes(message.attributes, attribute_names) if message.attributes else None
    if selected:
        out["MessageAttributes"] = selected
        out["MD5OfMessageAttributes"] = md5_of_attributes(selected)
    return out


@operations.operation("ReceiveMessage", long_running=True)
async def receive_message(ctx: Ctx, req: Params) -> Result:
    queue = queue_by_url(ctx, req["QueueUrl"])
    limit = req.get("MaxNumberOfMessages", 1)
    if not 1 <= limit <= MAX_BATCH:
        raise _invalid("MaxNumberOfMessages", limit, "Must be between 1 and 10, if provided.")
    visibility = req.get("VisibilityTimeout")
    _in_range("VisibilityTimeout", visibility, 0, MAX_VISIBILITY)
    wait = req.get("WaitTimeSeconds")
    _in_range("WaitTimeSeconds", wait, 0, 20)
    if visibility is None:
        visibility = queue.int_attribute("VisibilityTimeout")
    if wait is None:
        wait = queue.int_attribute("ReceiveMessageWaitTimeSeconds")
    names = set(req.get("AttributeNames") or []) | set(req.get("MessageSystemAttributeNames") or [])
    attribute_names = req.get("MessageAttributeNames") or []
    attempt = req.get("ReceiveRequestAttemptId") if queue.fifo else None
    taken = _retry_attempt(queue, attempt) if attempt else None
    if taken is None:
        taken = await queue.receive(limit, visibility, wait, sqs_of(ctx).closing)
        if attempt:
            queue.remember_attempt(attempt, AttemptRecord(ctx.clock.now() + DEDUP_WINDOW, [[m.message_id, nonce] for m, nonce in taken]))
    if not taken:
        return {}
    return {"Messages": [_received(queue, m, nonce, names, attribute_names) for m, nonce in taken]}


def _retry_attempt(queue: Queue, attempt: str) -> Taken | None:
    """The same messages again if the attempt is retried while they are still in flight."""
    entry = queue.record.attempts.get(attempt)
    if entry is None:
        return None
    taken = [(queue.messages.get(message_id), nonce) for message_id, nonce in entry.taken]
    if entry.expires_at < queue.clock.now() or any(
        m is None or m.state != "inflight" or m.receipt_nonce != n for m, n in taken
    ):
        del queue.record.attempts[attempt]
        return None
    return taken  # type: ignore[return-value]


# -- delete and visibility -----------------------------------------------------------------


def _locate(queue: Queue, handle: str) -> tuple[MessageRecord | None, str]:
    """The message a receipt handle of this queue names, and the handle's nonce. On a standard
    queue any of its handles will do: an older handle, from an earlier receive, still deletes it
    and changes its visibility."""
    message_id, nonce, arn = decode_receipt(handle)
    if arn != queue.arn:
        raise ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.')
    return queue.messages.get(message_id), nonce


def delete_one(ctx: Ctx, queue: Queue, entry: Params) -> Result:
    handle = entry["ReceiptHandle"]
    message, nonce = _locate(queue, handle)
    if message is None:
        return {}
    if queue.fifo and (message.state != "inflight" or message.receipt_nonce != nonce):
        # recorded on AWS: a FIFO handle dies with its visibility timeout
        raise _invalid("ReceiptHandle", handle, "The receipt handle has expired.")
    queue.remove(message)
    return {}


def change_visibility_one(ctx: Ctx, queue: Queue, entry: Params) -> Result:
    handle = entry["ReceiptHandle"]
    timeout = entry.get("VisibilityTimeout")
    if timeout is None:
        raise MissingParameter("The request must contain the parameter VisibilityTimeout.")
    message, _ = _locate(queue, handle)
    if message is None:
        raise _invalid("ReceiptHandle", handle, "Message does not exist or is not available for visibility timeout change.")
    _in_range("VisibilityTimeout", timeout, 0, MAX_VISIBILITY)
    elapsed = int(ctx.clock.now() - message.received_at)  # whole seconds, as AWS counts them
    if message.state == "inflight" and elapsed + timeout > MAX_VISIBILITY:
        raise _invalid("VisibilityTimeout", timeout, f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} seconds]")
    queue.change_visibility(message, timeout)
    return {}


@operations.operation("DeleteMessage")
async def delete_message(ctx: Ctx, req: Params) -> Result:
    return delete_one(ctx, queue_by_url(ctx, req["QueueUrl"]), req)


@operations.operation("ChangeMessageVisibility")
async def change_message_visibility(ctx: Ctx, req: Params) -> Result:
    return change_visibility_one(ctx, queue_by_url(ctx, req["QueueUrl"]), req)


# -- batches ---------------------------------------------------------------------------------

EntryAction = Callable[[Ctx, Queue, Params], Result]


def _check_batch(entries: list[Params], entry_name: str) -> None:
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_name} in the request.")
    if len(entries) > MAX_BATCH:
        raise TooManyEntriesInBatchRequest(f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.")
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id", "")
        if not _BATCH_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


async def _run_batch(
    ctx: Ctx, req: Params, entry_name: str, action: EntryAction, check: Callable[[Queue, list[Params]], None] | None = None
) -> Result:
    queue = queue_by_url(ctx, req["QueueUrl"])
    entries: list[Params] = req["Entries"]
    _check_batch(entries, entry_name)
    if check is not None:
        check(queue, entries)
    successful, failed = [], []
    for entry in entries:
        try:
            successful.append({"Id": entry["Id"], **action(ctx, queue, entry)})
        except AwsError as error:
            failed.append({"Id": entry["Id"], "SenderFault": error.sender_fault, "Code": error.wire_code, "Message": error.message})
    return {"Successful": successful, "Failed": failed}


def _check_send_batch(queue: Queue, entries: list[Params]) -> None:
    """What fails a whole SendMessageBatch (HTTP 400) rather than one entry: its size, and on a
    FIFO queue an entry without a group id, or without a dedup id the queue cannot derive."""
    _check_batch_size(entries)
    if not queue.fifo:
        return
    if any(e.get("MessageGroupId") is None for e in entries):
        raise InvalidParameterValue("The request must contain the parameter MessageGroupId.")
    if queue.attributes.get("ContentBasedDeduplication") != "true" and any(
        e.get("MessageDeduplicationId") is None for e in entries
    ):
        raise InvalidParameterValue(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
        )


def _check_batch_size(entries: list[Params]) -> None:
    total = sum(
        len(e.get("MessageBody", "").encode("utf-8")) + attributes_size(e.get("MessageAttributes") or {}) for e in entries
    )
    if total > MAX_BATCH_BYTES:
        raise BatchRequestTooLong(f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.")


@operations.operation("SendMessageBatch")
async def send_message_batch(ctx: Ctx, req: Params) -> Result:
    return await _run_batch(ctx, req, "SendMessageBatchRequestEntry", send_one, _check_send_batch)


@operations.operation("DeleteMessageBatch")
async def delete_message_batch(ctx: Ctx, req: Params) -> Result:
    return await _run_batch(ctx, req, "DeleteMessageBatchRequestEntry", delete_one)


@operations.operation("ChangeMessageVisibilityBatch")
async def change_message_visibility_batch(ctx: Ctx, req: Params) -> Result:
    return await _run_batch(ctx, req, "ChangeMessageVisibilityBatchRequestEntry", change_visibility_one)


