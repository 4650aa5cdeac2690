"""Publish and PublishBatch: validation as AWS does it (recorded wording), FIFO deduplication,
and the fan-out to every subscription whose filter policy matches (delivery.py delivers)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from services.core.context import Params, Result
from services.core.errors import AwsError
from services.sns.archive import keep as archive
from services.sns.delivery import fan_out
from services.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameter,
    InvalidParameterValue,
    TooManyEntriesInBatchRequest,
)
from services.sns.lookup import Ctx, arn_parts, topic_by_arn
from services.sns.records import TopicRecord
from services.sns.service import operations

DEFAULT_MAX_SIZE = 262_144
DEDUP_WINDOW = 300.0
MAX_BATCH = 10
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]+")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_PHONE = re.compile(r"\+?[0-9]{1,15}")


def _check_attributes(attributes: dict[str, Any]) -> int:
    """AWS's checks of message attributes (recorded wording); their size in bytes."""
    size = 0
    for name, value in attributes.items():
        if len(name.encode()) >= 256:
            raise InvalidParameterValue("Length of message attribute name must be less than 256 bytes.")
        bad = next((c for c in name if not (c.isalnum() or c in "-_.")), None)
        if bad is not None:
            raise InvalidParameterValue(
                f"Invalid non-alphanumeric character '#x{ord(bad):X}' was found in the message attribute name. "
                "Can only include alphanumeric characters, hyphens, underscores, or dots."
            )
        if name.startswith("."):
            raise InvalidParameterValue("Invalid message attribute name starting with character '.' was found.")
        if name.endswith("."):
            raise InvalidParameterValue("Invalid message attribute name ending with character '.' was found.")
        if ".." in name:
            raise InvalidParameterValue("Message attribute name can not have successive '.' character.")
        kind = value.get("DataType", "")
        base = kind.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise InvalidParameterValue(
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )
        field = "BinaryValue" if base == "Binary" else "StringValue"
        other = "StringValue" if base == "Binary" else "BinaryValue"
        if value.get(field) in (None, "", b""):
            if value.get(other) not in (None, "", b""):
                raise InvalidParameterValue(f"The message attribute '{name}' with type '{base}' must use field '{field[:-5]}'.")
            raise InvalidParameterValue(
                f"The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
            )
        if base == "Number":
            try:
                float(value[field])
            except ValueError:
                raise InvalidParameterValue(f"Could not cast message attribute '{name}' value to number.") from None
        if kind == "String.Array":
            try:
                if not isinstance(json.loads(value[field]), list):
                    raise ValueError
            except ValueError:
                raise InvalidParameterValue(
                    f"The message attribute '{name}' has an invalid message attribute type, String.Array must be a JSON array."
                ) from None
        size += len(name.encode()) + len(kind.encode()) + len(value[field] if base == "Binary" else value[field].encode())
    return size


def _messages(entry: Params) -> tuple[str, dict[str, str] | None]:
    """The message, and with MessageStructure=json the message of each protocol."""
    message = entry.get("Message")
    if message is None or message == "":
        raise InvalidParameter("Invalid parameter: Empty message")
    if entry.get("MessageStructure") != "json":
        return message, None
    try:
        structure = json.loads(message)
    except ValueError:
        raise InvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse") from None
    if not isinstance(structure, dict) or "default" not in structure:
        raise InvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
    return str(structure["default"]), {k: v if isinstance(v, str) else json.dumps(v) for k, v in structure.items()}


def _check_subject(subject: str | None) -> None:
    if subject is None:
        return
    if not subject or len(subject) > 100 or any(c in subject for c in "\r\n") or not subject.isprintable():
        raise InvalidParameter("Invalid parameter: Subject")


def prepare(ctx: Ctx, topic: TopicRecord, entry: Params) -> dict[str, Any] | Result:
    """A checked message ready to fan out, or the earlier answer of a FIFO duplicate."""
    message, per_protocol = _messages(entry)
    _check_subject(entry.get("Subject"))
    attributes = dict(entry.get("MessageAttributes") or {})
    size = len(message.encode()) + (_check_attributes(attributes) if attributes else 0)
    if size > int(topic.attributes.get("MaximumMessageSize", DEFAULT_MAX_SIZE)):
        raise InvalidParameter("Invalid parameter: Message too long")
    group, dedup = entry.get("MessageGroupId"), entry.get("MessageDeduplicationId")
    sequence = None
    if topic.fifo:
        if not group:
            raise InvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        if not dedup:
            if topic.attributes.get("ContentBasedDeduplication") != "true":
                raise InvalidParameter(
                    "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
                )
            dedup = hashlib.sha256(message.encode()).hexdigest()
        earlier = _duplicate(ctx, topic, group, dedup)
        if earlier is not None:
            return earlier
        sequence = f"{10_000_000_000_000_000_000 + topic.next_sequence:020d}"
        topic.next_sequence += 1
    elif dedup is not None:
        raise InvalidParameter(
            "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"
        )
    message_id = ctx.ids.uuid()
    if topic.fifo:
        _remember(ctx, topic, group, dedup, {"MessageId": message_id, "SequenceNumber": sequence})
    return {
        "message_id": message_id, "message": message, "per_protocol": per_protocol, "subject": entry.get("Subject"),
        "attributes": attributes, "group": group, "dedup": dedup, "sequence": sequence,
        "published_at": ctx.clock.now(),  # the envelope's Timestamp (kept by a replay)
    }


def _dedup_key(topic: TopicRecord, group: str, dedup: str) -> str:
    return f"{group}\n{dedup}" if topic.attributes.get("FifoThroughputScope") == "MessageGroup" else dedup


def _duplicate(ctx: Ctx, topic: TopicRecord, group: str, dedup: str) -> Result | None:
    window = topic.dedup
    now = ctx.clock.now()
    while window:  # oldest first: drop the head while it has expired
        key, entry = next(iter(window.items()))
        if entry["until"] > now:
            break
        del window[key]
    found = window.get(_dedup_key(topic, group, dedup))
    return dict(found["answer"]) if found is not None else None


def _remember(ctx: Ctx, topic: TopicRecord, group: str, dedup: str, answer: Result) -> None:
    topic.dedup[_dedup_key(topic, group, dedup)] = {"until": ctx.clock.now() + DEDUP_WINDOW, "answer": answer}


def _answer(prepared: dict[str, Any]) -> Result:
    result: Result = {"MessageId": prepared["message_id"]}
    if prepared["sequence"]:
        result["SequenceNumber"] = prepared["sequence"]
    return result


@operations.operation("Publish")
async def publish(ctx: Ctx, req: Params) -> Result:
    arn = req.get("TopicArn") or req.get("TargetArn")
    if arn is None:
        phone = req.get("PhoneNumber")
        if phone is None:
            raise InvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
        if not _PHONE.fullmatch(phone):
            raise InvalidParameter(f"Invalid parameter: PhoneNumber Reason: {phone} is not valid to publish to")
        message, per_protocol = _messages(req)
        _check_subject(req.get("Subject"))
        attributes = req.get("MessageAttributes") or {}
        if attributes:
            _check_attributes(attributes)
        from services.sns.delivery import record_sms

        return {"MessageId": record_sms(ctx, phone, (per_protocol or {}).get("sms", message), req)}
    parameter = "TopicArn" if req.get("TopicArn") else "TargetArn"
    arn_parts(arn, parameter)
    if ":endpoint/" in arn or parameter == "TargetArn" and arn.split(":")[5].count("/") == 3:
        from services.sns.platform_ops import publish_to_endpoint  # a mobile endpoint: recorded, never pushed

        return publish_to_endpoint(ctx, arn, parameter, req)
    try:
        topic = topic_by_arn(ctx, arn, parameter)
    except AwsError as error:
        if parameter == "TargetArn" and error.code == "NotFound":
            raise InvalidParameter("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified") from None
        raise
    prepared = prepare(ctx, topic, req)
    if "message_id" not in prepared:
        return prepared  # a FIFO duplicate: the first answer again, nothing delivered
    archive(ctx, topic, prepared)
    await fan_out(ctx, topic, prepared)
    return _answer(prepared)


@operations.operation("PublishBatch")
async def publish_batch(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["TopicArn"])
    entries: list[Params] = req["PublishBatchRequestEntries"]
    if not entries:
        raise EmptyBatchRequest("The batch request doesn't contain any entries.")
    if len(entries) > MAX_BATCH:
        raise TooManyEntriesInBatchRequest("The batch request contains more entries than permissible.")
    ids = [e["Id"] for e in entries]
    for entry_id in ids:
        if len(entry_id) > 80:
            raise InvalidBatchEntryId(f"The Id of a batch entry in the batch request is too long: {entry_id}")
        if not _BATCH_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId(f"The Id of a batch entry in the batch request contains an impermissible character: {entry_id}")
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinct("Two or more batch entries in the request have the same Id.")
    total = sum(len((e.get("Message") or "").encode()) for e in entries)
    if total > int(topic.attributes.get("MaximumMessageSize", DEFAULT_MAX_SIZE)):
        raise BatchRequestTooLong("The length of all the messages put together is more than the limit.")
    if topic.fifo and any(not e.get("MessageGroupId") for e in entries):
        raise InvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    if topic.fifo and topic.attributes.get("ContentBasedDeduplication") != "true" and any(
        not e.get("MessageDeduplicationId") for e in entries
    ):
        raise InvalidParameter(
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
        )
    successful, failed = [], []
    for entry in entries:
        try:
            prepared = prepare(ctx, topic, entry)
        except AwsError as error:
            failed.append({"Id": entry["Id"], "Code": error.wire_code, "Message": error.message, "SenderFault": error.sender_fault})
            continue
        if "message_id" in prepared:
            archive(ctx, topic, prepared)
            await fan_out(ctx, topic, prepared)
            successful.append({"Id": entry["Id"], **_answer(prepared)})
        else:
            successful.append({"Id": entry["Id"], **prepared})
    return {"Successful": successful, "Failed": failed}
