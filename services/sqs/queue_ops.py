"""Queue management: create, find, list, delete, attributes, tags, permissions, purge."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from services.core.context import Params, RequestContext, Result
from services.sqs import realism
from services.sqs import attributes as attrs
from services.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
    OverLimit,
    PurgeQueueInProgress,
    QueueDeletedRecently,
    QueueDoesNotExist,
    QueueNameExists,
)
from services.core.arns import build_arn, parse_arn, partition_of
from services.sqs.queue import Queue
from services.sqs.records import QueueRecord, SqsStore
from services.sqs.service import operations
from services.sqs.store import NO_QUEUE, queue_by_arn, queue_by_url, queue_url, sqs_of

Ctx = RequestContext[SqsStore]

_STANDARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_PERMISSION_ACTIONS = frozenset({
    "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
    "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
    "ListQueueTags", "TagQueue", "UntagQueue",
})
MAX_TAGS = 50
MAX_POLICY_ACTIONS = 7
MAX_POLICY_STATEMENTS = 20
RECREATE_WAIT = 60.0


def _queue(ctx: Ctx, req: Params) -> Queue:
    return queue_by_url(ctx, req["QueueUrl"])


def dead_letter_target(record: QueueRecord) -> str | None:
    raw = record.attributes.get("RedrivePolicy")
    return json.loads(raw).get("deadLetterTargetArn") if raw else None


def _invalid(parameter: str, value: Any, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")


def check_redrive_policy(ctx: Ctx, queue_arn: str, fifo: bool, raw: str) -> str:
    """A normalized RedrivePolicy, or the error AWS gives for it."""
    if raw == "":
        return raw
    policy = json.loads(raw)
    target_arn = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if not isinstance(target_arn, str) or count is None:
        raise _invalid("RedrivePolicy", raw, "Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.")
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 1000:
        raise _invalid("RedrivePolicy", raw, f"Invalid value for maxReceiveCount: {policy.get('maxReceiveCount')}, valid values are from 1 to 1000 both inclusive.")
    target = queue_by_arn(ctx, target_arn)
    source = parse_arn(queue_arn)
    if target is None or source is None or (target.account, target.region) != (source.account, source.region):
        # a dead-letter queue is in the same account and region as its source
        raise _invalid("RedrivePolicy", raw, "Dead letter target does not exist.")
    if target.fifo != fifo:
        raise _invalid("RedrivePolicy", raw, "Dead-letter queue must be same type of queue as the source.")
    allow = target.attributes.get("RedriveAllowPolicy")
    if allow:
        rule = json.loads(allow)
        permission = rule.get("redrivePermission")
        if permission == "denyAll" or (permission == "byQueue" and queue_arn not in rule.get("sourceQueueArns", [])):
            raise _invalid("RedrivePolicy", raw, f"Queue {queue_arn} is not allowed to use {target_arn} as a dead-letter queue.")
    return json.dumps({"deadLetterTargetArn": target_arn, "maxReceiveCount": count}, separators=(",", ":"))


def check_redrive_allow_policy(raw: str) -> str:
    if raw == "":
        return raw
    rule = json.loads(raw)
    permission = rule.get("redrivePermission")
    sources = rule.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise _invalid("RedriveAllowPolicy", raw, "Invalid value for redrivePermission.")
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise _invalid("RedriveAllowPolicy", raw, "sourceQueueArns must list 1 to 10 queues when redrivePermission is byQueue.")
    elif sources:
        raise _invalid("RedriveAllowPolicy", raw, "sourceQueueArns is only allowed when redrivePermission is byQueue.")
    return raw


def _check_combinations(checked: dict[str, str], current: dict[str, str]) -> None:
    """Rules across attributes: throughput per group needs dedup per group; one SSE kind."""
    merged = {**current, **checked}
    if merged.get("FifoThroughputLimit") == "perMessageGroupId" and merged.get("DeduplicationScope") != "messageGroup":
        raise InvalidParameterValue(
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup."
        )
    if checked.get("KmsMasterKeyId") and checked.get("SqsManagedSseEnabled") == "true":
        raise InvalidParameterValue("You can use one type of server-side encryption (SSE) at one time: SSE-KMS or SSE-SQS.")


def _checked_attributes(
    ctx: Ctx, arn: str, fifo: bool, given: dict[str, str], creating: bool, current: dict[str, str] | None = None
) -> dict[str, str]:
    checked = attrs.validate(given, fifo=fifo, creating=creating)
    current = current if current is not None else attrs.defaults(fifo)
    _check_combinations(checked, current)
    if checked.get("KmsMasterKeyId"):
        checked["SqsManagedSseEnabled"] = "false"  # a queue has one kind of server-side encryption
    elif checked.get("SqsManagedSseEnabled") == "true" and current.get("KmsMasterKeyId"):
        checked["KmsMasterKeyId"] = ""
    if "RedrivePolicy" in checked:
        checked["RedrivePolicy"] = check_redrive_policy(ctx, arn, fifo, checked["RedrivePolicy"])
    if "RedriveAllowPolicy" in checked:
        checked["RedriveAllowPolicy"] = check_redrive_allow_policy(checked["RedriveAllowPolicy"])
    return checked


def _check_tags(tags: dict[str, str], fifo: bool, existing: int = 0) -> None:
    if len(tags) + existing > MAX_TAGS:
        raise InvalidParameterValue(f"Too many tags added for queue. A queue can have at most {MAX_TAGS} tags.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise InvalidParameterValue(f"Tag {key} is invalid: keys are 1 to 128 characters, values up to 256.")
    realism.check_tags(tags, fifo)


@operations.operation("CreateQueue")
async def create_queue(ctx: Ctx, req: Params) -> Result:
    name: str = req["QueueName"]
    given = dict(req.get("Attributes") or {})
    if "FifoQueue" in given and not name.endswith(".fifo") and given["FifoQueue"].lower() != "true":
        raise InvalidAttributeName("Unknown Attribute FifoQueue.")  # as AWS answers, even for "false"
    fifo_flag = given.pop("FifoQueue", "false").lower()
    if fifo_flag not in ("true", "false"):
        raise InvalidAttributeValue("Invalid value for the parameter FifoQueue.")
    fifo = fifo_flag == "true"
    if fifo and not _FIFO_NAME.fullmatch(name):
        raise InvalidParameterValue(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
            "must end with .fifo suffix and be 1 to 80 in length."
        )
    if not fifo and not _STANDARD_NAME.fullmatch(name):
        raise InvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    arn = build_arn("sqs", ctx.region, ctx.account_id, name)
    checked = _checked_attributes(ctx, arn, fifo, given, creating=True)
    tags = dict(req.get("tags") or {})
    _check_tags(tags, fifo)
    store = ctx.store
    existing = store.queues.get(name)
    if existing is not None:
        for key, value in checked.items():
            if existing.attributes.get(key, attrs.SETTABLE[key].default) != value:
                raise QueueNameExists(f"A queue already exists with the same name and a different value for attribute {key}")
        return {"QueueUrl": queue_url(ctx.host, ctx.account_id, name)}
    deleted_at = store.deleted_at.get(name)
    if ctx.strict and deleted_at is not None and ctx.clock.now() - deleted_at < RECREATE_WAIT:
        raise QueueDeletedRecently("You must wait 60 seconds after deleting a queue before you can create another with the same name.")
    now = ctx.clock.now()
    record = QueueRecord(name, ctx.account_id, ctx.region, arn, fifo, {**attrs.defaults(fifo), **checked}, tags, now, now)
    store.queues[name] = record
    sqs_of(ctx).open_queue(record)
    return {"QueueUrl": queue_url(ctx.host, ctx.account_id, name)}


@operations.operation("GetQueueUrl")
async def get_queue_url(ctx: Ctx, req: Params) -> Result:
    owner = req.get("QueueOwnerAWSAccountId") or ctx.account_id
    queue = ctx.store_at(owner, ctx.region, create=False).queues.get(req["QueueName"])
    if queue is None:
        raise QueueDoesNotExist(NO_QUEUE)
    return {"QueueUrl": queue_url(ctx.host, owner, queue.name)}


def _page(names: list[str], req: Params, token_for: str) -> tuple[list[str], str | None]:
    """One page of sorted names; NextToken only when MaxResults was given."""
    limit = req.get("MaxResults")
    if limit is None:
        return names[:1000], None
    if not 1 <= limit <= 1000:
        raise _invalid("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
    start = 0
    if req.get("NextToken"):
        try:
            after = json.loads(base64.b64decode(req["NextToken"]))
            if after.get("for") != token_for:
                raise ValueError
            start = next((i for i, n in enumerate(names) if n > after["after"]), len(names))
        except (ValueError, TypeError, KeyError):
            raise InvalidParameterValue("Invalid NextToken value.") from None
    page = names[start : start + limit]
    more = start + limit < len(names)
    token = base64.b64encode(json.dumps({"for": token_for, "after": page[-1]}).encode()).decode() if more else None
    return page, token


@operations.operation("ListQueues")
async def list_queues(ctx: Ctx, req: Params) -> Result:
    prefix = req.get("QueueNamePrefix", "")
    names = sorted(n for n in ctx.store.queues if n.startswith(prefix))
    page, token = _page(names, req, f"list:{prefix}")
    result: Result = {}
    if page:
        result["QueueUrls"] = [queue_url(ctx.host, ctx.account_id, n) for n in page]
    if token:
        result["NextToken"] = token
    return result


@operations.operation("DeleteQueue")
async def delete_queue(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    sqs_of(ctx).close_queue(queue)
    store = ctx.store_at(queue.account, queue.region)
    store.queues.pop(queue.name, None)
    store.deleted_at[queue.name] = ctx.clock.now()
    return {}


def queue_attributes(queue: Queue) -> dict[str, str]:
    values = dict(queue.attributes)
    values.update(
        ApproximateNumberOfMessages=str(queue.counts["visible"]),
        ApproximateNumberOfMessagesNotVisible=str(queue.counts["inflight"]),
        ApproximateNumberOfMessagesDelayed=str(queue.counts["delayed"]),
        CreatedTimestamp=str(int(queue.record.created_at)),
        LastModifiedTimestamp=str(int(queue.record.modified_at)),
        QueueArn=queue.arn,
    )
    return values


@operations.operation("GetQueueAttributes")
async def get_queue_attributes(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    names = req.get("AttributeNames") or []
    for name in names:
        known = name == "All" or name in attrs.ALL_NAMES
        if not known or (not queue.fifo and name in ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")):
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    if not names:
        return {}
    values = queue_attributes(queue)
    if "All" not in names:
        values = {k: v for k, v in values.items() if k in names}
    return {"Attributes": values} if values else {}


@operations.operation("SetQueueAttributes")
async def set_queue_attributes(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    given = dict(req["Attributes"])
    if "FifoQueue" in given:
        raise InvalidAttributeName("Unknown Attribute FifoQueue.")
    queue.set_attributes(_checked_attributes(ctx, queue.arn, queue.fifo, given, False, queue.attributes))
    return {}


@operations.operation("PurgeQueue")
async def purge_queue(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    last_purge = queue.record.last_purge
    if ctx.strict and last_purge is not None and ctx.clock.now() - last_purge < 60:
        raise PurgeQueueInProgress(f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.")
    queue.purge()
    return {}


@operations.operation("TagQueue")
async def tag_queue(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    tags = dict(req["Tags"])
    _check_tags(tags, queue.fifo, len(set(queue.tags) - set(tags)))
    queue.tags.update(tags)
    return {}


@operations.operation("UntagQueue")
async def untag_queue(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    keys = req["TagKeys"]
    if not keys or any(not 1 <= len(key) <= 128 for key in keys):  # as AWS answers an empty list
        raise InvalidParameterValue("Tag keys must be between 1 and 128 characters in length.")
    for key in keys:
        queue.tags.pop(key, None)
    return {}


@operations.operation("ListQueueTags")
async def list_queue_tags(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    return {"Tags": dict(queue.tags)} if queue.tags else {}


@operations.operation("AddPermission")
async def add_permission(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    label = req["Label"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", label):
        raise _invalid("Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    if not req["AWSAccountIds"]:
        raise InvalidParameterValue("The request must contain the parameter AWSAccountIds.")
    if not req["Actions"]:
        raise InvalidParameterValue("The request must contain the parameter Actions.")
    if len(req["Actions"]) > MAX_POLICY_ACTIONS:
        raise OverLimit(f"{len(req['Actions'])} actions were found, maximum allowed is {MAX_POLICY_ACTIONS}.")
    for action in req["Actions"]:
        if action not in _PERMISSION_ACTIONS:
            raise _invalid("ActionName.1", action, f"Only the queue owner is allowed to invoke this action or {action} is not a valid action.")
    policy = json.loads(queue.attributes.get("Policy") or '{"Version":"2008-10-17","Statement":[]}')
    statements = policy.setdefault("Statement", [])
    if any(s.get("Sid") == label for s in statements):
        raise _invalid("Label", label, "Already exists.")
    if len(statements) >= MAX_POLICY_STATEMENTS:
        raise OverLimit(f"{len(statements) + 1} statements were found, maximum allowed is {MAX_POLICY_STATEMENTS}.")
    principals = [build_arn("iam", "", account, "root", partition=partition_of(ctx.region)) for account in req["AWSAccountIds"]]
    actions = [f"SQS:{action}" for action in req["Actions"]]
    statements.append({  # as AWS writes it: one principal or action as a string, several as a list
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": actions[0] if len(actions) == 1 else actions,
        "Resource": queue.arn,
    })
    policy.setdefault("Id", f"{queue.arn}/SQSDefaultPolicy")
    queue.set_attributes({"Policy": json.dumps(policy, separators=(",", ":"))})
    return {}


@operations.operation("RemovePermission")
async def remove_permission(ctx: Ctx, req: Params) -> Result:
    queue = _queue(ctx, req)
    label = req["Label"]
    policy = json.loads(queue.attributes.get("Policy") or "{}")
    statements = policy.get("Statement", [])
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise _invalid("Label", label, "can't find label.")
    policy["Statement"] = kept
    queue.set_attributes({"Policy": json.dumps(policy, separators=(",", ":")) if kept else ""})
    return {}


@operations.operation("ListDeadLetterSourceQueues")
async def list_dead_letter_source_queues(ctx: Ctx, req: Params) -> Result:
    target = _queue(ctx, req)
    store = ctx.store_at(target.account, target.region)
    names = sorted(q.name for q in store.queues.values() if dead_letter_target(q) == target.arn)
    page, token = _page(names, req, f"dlq:{target.arn}")
    result: Result = {"queueUrls": [queue_url(ctx.host, target.account, n) for n in page]}
    if token:
        result["NextToken"] = token
    return result
