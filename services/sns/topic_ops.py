"""Topics: create (idempotent), delete, list, attributes, tags, permissions, data protection."""

from __future__ import annotations

import json
import re
from typing import Any

from services.core.arns import build_arn
from services.core.context import Params, Result
from services.sns import archive
from services.sns.errors import InvalidParameter, ResourceNotFound, TagLimitExceeded
from services.sns.lookup import Ctx, sns_of, store_for, topic_by_arn
from services.sns.records import TopicRecord
from services.sns.service import operations

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
PAGE = 100
MAX_TAGS = 50
MIN_MESSAGE_SIZE, MAX_MESSAGE_SIZE, DEFAULT_MESSAGE_SIZE = 1024, 1_048_576, 262_144
_FEEDBACK = tuple(
    f"{protocol}{kind}"
    for protocol in ("HTTP", "Firehose", "Lambda", "Application", "SQS")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
SETTABLE = frozenset({
    "DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
    "ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy", "MaximumMessageSize", *_FEEDBACK,
})
CREATE_ONLY = frozenset({"FifoTopic"})
_DEFAULT_ACTIONS = (
    "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
    "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
)


def default_policy(arn: str, account: str) -> str:
    """The policy AWS gives a new topic (recorded)."""
    return json.dumps({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": list(_DEFAULT_ACTIONS), "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))


def _checked_value(name: str, value: str, fifo: bool, creating: bool = False) -> str:
    if name == "ContentBasedDeduplication":
        if not fifo:
            raise InvalidParameter("Invalid parameter: Attributes Reason: Content-based deduplication can only be set for FIFO topics")
        if value.lower() not in ("true", "false"):
            raise InvalidParameter(f"Invalid parameter: ContentBasedDeduplication Reason: Invalid value [{value}] for ContentBasedDeduplication")
        return value.lower()
    if name == "SignatureVersion" and value not in ("1", "2"):
        raise InvalidParameter("Invalid parameter: SignatureVersion")
    if name == "MaximumMessageSize":
        if not value.isdigit() or not MIN_MESSAGE_SIZE <= int(value) <= MAX_MESSAGE_SIZE:
            raise InvalidParameter(
                f"Invalid parameter: MaximumMessageSize Reason: must be between {MIN_MESSAGE_SIZE} and {MAX_MESSAGE_SIZE} bytes"
            )
    if name == "DeliveryPolicy" and value:
        from services.sns.delivery_policy import DeliveryPolicyError, parse_delivery_policy, topic_policy_json

        try:
            return topic_policy_json(parse_delivery_policy(value, level="topic"))  # AWS stores it re-serialised
        except DeliveryPolicyError as error:
            raise InvalidParameter(error.attributes_message if creating else error.message) from None
    if name == "Policy" and value:
        try:
            json.loads(value)
        except ValueError:
            raise InvalidParameter(f"Invalid parameter: {name}") from None
    if name == "TracingConfig" and value not in ("PassThrough", "Active"):
        raise InvalidParameter("Invalid parameter: TracingConfig")
    if name == "FifoThroughputScope" and (not fifo or value not in ("Topic", "MessageGroup")):
        raise InvalidParameter("Invalid parameter: FifoThroughputScope")
    if name == "ArchivePolicy" and not fifo:
        raise InvalidParameter("Invalid parameter: Attributes Reason: ArchivePolicy can only be set for FIFO topics")
    if name == "ArchivePolicy":
        try:
            return archive.check_archive_policy(value)
        except archive.PolicyError as error:
            raise InvalidParameter(f"Invalid parameter: ArchivePolicy Reason: {error.reason}") from None
    return value


def _tags(raw: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in raw or ():
        key = tag["Key"]
        if key in tags:
            raise InvalidParameter("Invalid parameter: Duplicated keys are not allowed.")
        tags[key] = tag["Value"]
    if len(tags) > MAX_TAGS:
        raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
    return tags


@operations.operation("CreateTopic")
async def create_topic(ctx: Ctx, req: Params) -> Result:
    name: str = req["Name"]
    given = dict(req.get("Attributes") or {})
    fifo = given.get("FifoTopic", "false").lower() == "true"
    if fifo and not _FIFO_NAME.fullmatch(name) or not fifo and not _TOPIC_NAME.fullmatch(name):
        # recorded on AWS for every bad name, a FIFO one without .fifo and a .fifo one without FifoTopic included
        raise InvalidParameter("Invalid parameter: Topic Name")
    for key, value in given.items():
        if key not in SETTABLE and key not in CREATE_ONLY:
            raise InvalidParameter("Invalid parameter: Attributes Reason: Unknown attribute " + key)
        if key in SETTABLE:
            given[key] = _checked_value(key, value, fifo, creating=True)
    tags = _tags(req.get("Tags"))
    arn = build_arn("sns", ctx.region, ctx.account_id, name)
    existing = ctx.store.topics.get(arn)
    if existing is not None:
        if any(existing.attributes.get(k) != v for k, v in given.items() if k != "FifoTopic"):
            raise InvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
        if tags and any(existing.tags.get(k) != v for k, v in tags.items()):
            raise InvalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
        return {"TopicArn": arn}
    attributes = {"Policy": default_policy(arn, ctx.account_id), "DisplayName": "", "SignatureVersion": "1"}
    if fifo:
        attributes.update(FifoTopic="true", ContentBasedDeduplication="false")
    attributes.update({k: v for k, v in given.items() if k != "FifoTopic"})
    topic = ctx.store.topics[arn] = TopicRecord(
        name, ctx.account_id, ctx.region, arn, fifo, attributes, tags, req.get("DataProtectionPolicy") or ""
    )
    if "ArchivePolicy" in attributes:
        archive.archive_policy_set(ctx, topic, attributes["ArchivePolicy"])
    return {"TopicArn": arn}


@operations.operation("DeleteTopic")
async def delete_topic(ctx: Ctx, req: Params) -> Result:
    arn = req["TopicArn"]
    store = store_for(ctx, arn, "TopicArn")
    if store is None or store.topics.pop(arn, None) is None:
        return {}  # deleting a topic that does not exist succeeds
    for sub_arn in [s.arn for s in store.subscriptions.values() if s.topic_arn == arn]:
        del store.subscriptions[sub_arn]
    return {}


def page(items: list[Any], token: str | None, size: int = PAGE) -> tuple[list[Any], str | None]:
    """AWS's pagination: NextToken is where the next page starts."""
    start = 0
    if token:
        if not token.isdigit() or int(token) > len(items):
            raise InvalidParameter("Invalid parameter: NextToken")
        start = int(token)
    chunk = items[start:start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


@operations.operation("ListTopics")
async def list_topics(ctx: Ctx, req: Params) -> Result:
    topics, token = page([{"TopicArn": arn} for arn in ctx.store.topics], req.get("NextToken"))
    result: Result = {"Topics": topics}
    if token:
        result["NextToken"] = token
    return result


def topic_attributes(ctx: Ctx, topic: TopicRecord) -> dict[str, str]:
    from services.sns.delivery_policy import effective_policy_json

    subscriptions = [s for s in ctx.store_at(topic.account, topic.region).subscriptions.values() if s.topic_arn == topic.arn]
    attributes = {
        **topic.attributes,
        "TopicArn": topic.arn,
        "Owner": topic.account,
        "SubscriptionsConfirmed": str(sum(1 for s in subscriptions if s.confirmed)),
        "SubscriptionsPending": str(sum(1 for s in subscriptions if not s.confirmed)),
        "SubscriptionsDeleted": str(topic.subscriptions_deleted),
        "EffectiveDeliveryPolicy": effective_policy_json(_json_or_none(topic.attributes.get("DeliveryPolicy"))),
        **archive.topic_attributes(ctx, topic),
    }
    return attributes


def _json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None


@operations.operation("GetTopicAttributes")
async def get_topic_attributes(ctx: Ctx, req: Params) -> Result:
    return {"Attributes": topic_attributes(ctx, topic_by_arn(ctx, req["TopicArn"]))}


@operations.operation("SetTopicAttributes")
async def set_topic_attributes(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["TopicArn"])
    name = req["AttributeName"]
    if name not in SETTABLE:
        raise InvalidParameter("Invalid parameter: AttributeName")
    value = _checked_value(name, req.get("AttributeValue") or "", topic.fifo)
    if name == "MaximumMessageSize" and int(value) > DEFAULT_MESSAGE_SIZE:
        subscriptions = [s for s in ctx.store_at(topic.account, topic.region).subscriptions.values() if s.topic_arn == topic.arn]
        if any(s.protocol not in ("sqs", "lambda", "firehose") for s in subscriptions) or len(subscriptions) > 100:
            raise InvalidParameter(
                f"Invalid parameter: MaximumMessageSize Reason: above {DEFAULT_MESSAGE_SIZE} bytes a topic may have only "
                "sqs, lambda and firehose subscriptions, at most 100"
            )
    if name == "Policy" and not value:
        value = default_policy(topic.arn, topic.account)
    if name == "ArchivePolicy":
        archive.archive_policy_set(ctx, topic, value)
        return {}
    topic.attributes[name] = value
    return {}


# -- tags ----------------------------------------------------------------------------------


def _tagged(ctx: Ctx, arn: str) -> TopicRecord:
    try:
        store = store_for(ctx, arn, "ResourceArn")
    except InvalidParameter:
        store = None  # the tagging operations answer any unknown ARN alike
    topic = store.topics.get(arn) if store is not None else None
    if topic is None:
        raise ResourceNotFound("Resource does not exist")
    return topic


@operations.operation("TagResource")
async def tag_resource(ctx: Ctx, req: Params) -> Result:
    topic = _tagged(ctx, req["ResourceArn"])
    tags = _tags(req["Tags"])
    if len({**topic.tags, **tags}) > MAX_TAGS:
        raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
    topic.tags.update(tags)
    return {}


@operations.operation("UntagResource")
async def untag_resource(ctx: Ctx, req: Params) -> Result:
    topic = _tagged(ctx, req["ResourceArn"])
    for key in req["TagKeys"]:
        topic.tags.pop(key, None)
    return {}


@operations.operation("ListTagsForResource")
async def list_tags_for_resource(ctx: Ctx, req: Params) -> Result:
    topic = _tagged(ctx, req["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in topic.tags.items()]}


# -- permissions and data protection ---------------------------------------------------------

_PERMISSION_ACTIONS = frozenset(a.split(":", 1)[1] for a in _DEFAULT_ACTIONS) | {"*"}


@operations.operation("AddPermission")
async def add_permission(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["TopicArn"])
    policy = json.loads(topic.attributes["Policy"])
    label = req["Label"]
    if any(s.get("Sid") == label for s in policy["Statement"]):
        raise InvalidParameter("Invalid parameter: Statement already exists")
    actions = req["ActionName"]
    if any(a not in _PERMISSION_ACTIONS for a in actions):
        raise InvalidParameter("Invalid parameter: Policy statement action out of service scope!")
    principals = [f"arn:aws:iam::{account}:root" for account in req["AWSAccountId"]]
    policy["Statement"].append({
        "Sid": label, "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": f"SNS:{actions[0]}" if len(actions) == 1 else [f"SNS:{a}" for a in actions],
        "Resource": topic.arn,
    })
    topic.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
    return {}


@operations.operation("RemovePermission")
async def remove_permission(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["TopicArn"])
    policy = json.loads(topic.attributes["Policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != req["Label"]]
    topic.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
    return {}


@operations.operation("GetDataProtectionPolicy")
async def get_data_protection_policy(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["ResourceArn"], "ResourceArn")
    return {"DataProtectionPolicy": topic.data_protection_policy} if topic.data_protection_policy else {}


@operations.operation("PutDataProtectionPolicy")
async def put_data_protection_policy(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["ResourceArn"], "ResourceArn")
    text = req["DataProtectionPolicy"]
    try:
        json.loads(text)
    except ValueError:
        raise InvalidParameter("Invalid parameter: DataProtectionPolicy") from None
    topic.data_protection_policy = text  # stored and returned; nothing is masked or audited
    return {}


__all__ = ["page", "sns_of", "topic_attributes"]
