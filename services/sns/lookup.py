"""Finding topics and subscriptions from a request's ARNs, with AWS's recorded errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from services.core.context import RequestContext
from services.sns.errors import InvalidParameter, NotFound
from services.sns.records import SnsStore, SubscriptionRecord, TopicRecord

if TYPE_CHECKING:
    from services.sns.service import SnsService

Ctx = RequestContext[SnsStore]


def sns_of(ctx: Ctx) -> SnsService:
    return ctx.service  # type: ignore[return-value]


def arn_parts(arn: str, parameter: str) -> list[str]:
    """The ARN's six parts, or AWS's InvalidParameter (recorded wording)."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) < 6:
        count = len(arn.split(":")) if isinstance(arn, str) and arn else 1
        raise InvalidParameter(f"Invalid parameter: {parameter} Reason: An ARN must have at least 6 elements, not {count}")
    return parts


def store_for(ctx: Ctx, arn: str, parameter: str) -> SnsStore | None:
    """The store an ARN lives in (another account's too); another region is InvalidParameter,
    as AWS answers a topic ARN of another region."""
    parts = arn_parts(arn, parameter)
    if parts[2] != "sns":
        if parameter == "SubscriptionArn":
            return None  # a well-formed ARN of another service names no subscription: NotFound
        raise InvalidParameter(f"Invalid parameter: {parameter}")
    if parts[3] != ctx.region:
        raise InvalidParameter(f"Invalid parameter: {parameter}")
    if parts[4] == ctx.account_id:
        return ctx.store
    return ctx.store_at(parts[4], parts[3], create=False)


def topic_by_arn(ctx: Ctx, arn: str, parameter: str = "TopicArn") -> TopicRecord:
    store = store_for(ctx, arn, parameter)
    topic = store.topics.get(arn) if store is not None else None
    if topic is None:
        raise NotFound("Topic does not exist")
    return topic


def topic_of(ctx: Ctx, subscription: SubscriptionRecord) -> TopicRecord | None:
    """The topic a subscription belongs to (in the topic's own account and region)."""
    _, _, _, region, account, _ = subscription.topic_arn.split(":", 5)
    return ctx.store_at(account, region).topics.get(subscription.topic_arn)


def delivery_policies(ctx: Ctx, subscription: SubscriptionRecord) -> tuple[Any, Any]:
    """(the topic's DeliveryPolicy, the subscription's), parsed; None where there is none."""
    topic = topic_of(ctx, subscription)
    topic_text = topic.attributes.get("DeliveryPolicy") if topic is not None else None
    own_text = subscription.attributes.get("DeliveryPolicy")
    return (json.loads(topic_text) if topic_text else None), (json.loads(own_text) if own_text else None)


def subscription_by_arn(ctx: Ctx, arn: str) -> SubscriptionRecord:
    if not arn:
        raise InvalidParameter("Invalid parameter: SubscriptionArn Reason: no value for required parameter")
    store = store_for(ctx, arn, "SubscriptionArn")
    subscription = store.subscriptions.get(arn) if store is not None else None
    if subscription is None:
        raise NotFound("Subscription does not exist")
    return subscription
