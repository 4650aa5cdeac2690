"""Subscriptions: subscribe (idempotent), confirm, unsubscribe, list, attributes.

http/https and email subscriptions wait for confirmation (an http/https endpoint gets a signed
SubscriptionConfirmation whose SubscribeURL confirms it); the others are confirmed at once.
"""

from __future__ import annotations

import json
import re
from typing import Any

from services.core.context import Params, Result
from services.sns import archive
from services.sns.errors import InvalidParameter, NotFound
from services.sns.lookup import Ctx, arn_parts, delivery_policies, sns_of, store_for, subscription_by_arn, topic_by_arn, topic_of
from services.sns.records import SubscriptionRecord, TopicRecord
from services.sns.service import operations
from services.sns.topic_ops import page

PROTOCOLS = frozenset({"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"})
NEEDS_CONFIRMATION = frozenset({"http", "https", "email", "email-json"})
SETTABLE = frozenset({
    "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
    "SubscriptionRoleArn", "ReplayPolicy",
})
# digits with single separators between them (recorded invalid: "+15--551234567", "+15551234567.", "/+1555...")
_SMS = re.compile(r"\+?[0-9]+(?:[-./ ]?[0-9]+)*")
PENDING = "pending confirmation"


def _invalid_attribute(reason: str, creating: bool) -> InvalidParameter:
    return InvalidParameter(f"Invalid parameter: Attributes Reason: {reason}" if creating else f"Invalid parameter: {reason}")


def check_attribute(
    name: str, value: str, topic: TopicRecord | None, creating: bool, scope: str = "MessageAttributes", now: float = 0.0
) -> str:
    """A subscription attribute's value as AWS checks it (recorded wording; `now` is the
    service time a ReplayPolicy's timestamps are checked against)."""
    if name == "ReplayPolicy":
        try:
            return archive.check_replay_policy(value, topic, now)
        except archive.PolicyError as error:
            raise _invalid_attribute(error.reason, creating) from None
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise _invalid_attribute(f"RawMessageDelivery: Invalid value [{value}]. Must be true or false.", creating)
        return value.lower()
    if name == "FilterPolicyScope" and value not in ("MessageAttributes", "MessageBody"):
        raise _invalid_attribute("FilterPolicyScope: Invalid value [" + value + "]. Please use either MessageBody or MessageAttributes", creating)
    if name == "FilterPolicy" and value and _empty_object(value):
        return "{}"  # an empty object removes the filter (Developer Guide)
    if name == "FilterPolicy" and value:
        from services.sns.filter_policy import FilterPolicyError, compile_policy

        try:
            compile_policy(value, scope)
        except FilterPolicyError as error:
            message = error.message.removeprefix("Invalid parameter: ")
            raise _invalid_attribute(message, creating) from None
    if name == "RedrivePolicy" and value:
        try:
            target = json.loads(value).get("deadLetterTargetArn", "")
        except (ValueError, AttributeError):
            raise _invalid_attribute("RedrivePolicy: failed to parse JSON.", creating) from None
        parts = target.split(":") if isinstance(target, str) else []
        if len(parts) != 6 or parts[2] != "sqs":
            raise _invalid_attribute("RedrivePolicy: deadLetterTargetArn is an invalid arn", creating)
        if topic is not None and topic.fifo and not parts[5].endswith(".fifo"):
            raise _invalid_attribute("RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.", creating)
    if name == "DeliveryPolicy" and value:
        from services.sns.delivery_policy import DeliveryPolicyError, parse_delivery_policy, subscription_policy_json

        try:
            return subscription_policy_json(parse_delivery_policy(value, level="subscription"))
        except DeliveryPolicyError as error:
            raise _invalid_attribute(error.reason, creating) from None
    return value


LARGE_MESSAGE_PROTOCOLS = frozenset({"sqs", "lambda", "firehose"})
MAX_LARGE_TOPIC_SUBSCRIPTIONS = 100
STANDARD_MAX_SIZE = 262_144


def _check_large_topic(ctx: Ctx, topic: TopicRecord, protocol: str) -> None:
    """A topic whose MaximumMessageSize passes 256 KiB takes only SQS, Lambda and Firehose
    subscriptions, at most 100 (AWS, 2026-09; the wording is ours)."""
    if int(topic.attributes.get("MaximumMessageSize", STANDARD_MAX_SIZE)) <= STANDARD_MAX_SIZE:
        return
    if protocol not in LARGE_MESSAGE_PROTOCOLS:
        raise InvalidParameter(
            f"Invalid parameter: Protocol Reason: a topic whose MaximumMessageSize is above {STANDARD_MAX_SIZE} bytes "
            "accepts only sqs, lambda and firehose subscriptions"
        )
    store = ctx.store_at(topic.account, topic.region)
    if sum(1 for s in store.subscriptions.values() if s.topic_arn == topic.arn) >= MAX_LARGE_TOPIC_SUBSCRIPTIONS:
        raise InvalidParameter(
            f"Invalid parameter: Reason: a topic whose MaximumMessageSize is above {STANDARD_MAX_SIZE} bytes "
            f"accepts at most {MAX_LARGE_TOPIC_SUBSCRIPTIONS} subscriptions"
        )


def _empty_object(text: str) -> bool:
    try:
        return json.loads(text) == {}
    except ValueError:
        return False


def _check_endpoint(protocol: str, endpoint: str, topic: TopicRecord) -> None:
    if protocol == "sqs":
        parts = endpoint.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
            raise InvalidParameter("Invalid parameter: SQS endpoint ARN")
        if parts[5].endswith(".fifo") and not topic.fifo:
            raise InvalidParameter(
                "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
            )
    elif protocol in ("http", "https") and not endpoint.lower().startswith(f"{protocol}://"):
        raise InvalidParameter("Invalid parameter: Endpoint")
    elif protocol == "sms" and not _SMS.fullmatch(endpoint):
        raise InvalidParameter(f"Invalid SMS endpoint: {endpoint}")
    elif protocol in ("lambda", "firehose", "application") and len(endpoint.split(":")) < 6:
        raise InvalidParameter("Invalid parameter: Endpoint")
    elif protocol in ("email", "email-json") and "@" not in endpoint:
        raise InvalidParameter("Invalid parameter: Email address")


@operations.operation("Subscribe")
async def subscribe(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["TopicArn"])
    protocol = req["Protocol"]
    if protocol not in PROTOCOLS:
        raise InvalidParameter(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
    endpoint = req.get("Endpoint") or ""
    _check_endpoint(protocol, endpoint, topic)
    _check_large_topic(ctx, topic, protocol)
    if protocol == "application":
        from services.sns.platform_ops import find_endpoint

        if find_endpoint(ctx, endpoint) is None:  # AWS's wording, as moto's AWS-verified test has it
            raise InvalidParameter(f"Invalid parameter: Endpoint Reason: Endpoint does not exist for endpoint arn{endpoint}")
    given = dict(req.get("Attributes") or {})
    for key in given:
        if key not in SETTABLE:
            raise InvalidParameter(f"Invalid parameter: Attributes Reason: Unknown attribute {key}")
    scope = given.get("FilterPolicyScope", "MessageAttributes")
    for key in sorted(given, key=lambda k: k != "FilterPolicyScope"):  # the scope decides how a FilterPolicy reads
        given[key] = check_attribute(key, given[key], topic, True, scope, ctx.clock.now())
    store = ctx.store_at(topic.account, topic.region)
    for existing in store.subscriptions.values():
        if existing.topic_arn == topic.arn and existing.protocol == protocol and existing.endpoint == endpoint:
            if any(existing.attributes.get(k) != v for k, v in given.items()):
                raise InvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
            return {"SubscriptionArn": existing.arn if existing.confirmed or req.get("ReturnSubscriptionArn") else PENDING}
    if given.get("FilterPolicy") and "FilterPolicyScope" not in given:
        given["FilterPolicyScope"] = "MessageAttributes"
    subscription = SubscriptionRecord(
        f"{topic.arn}:{ctx.ids.uuid()}", topic.arn, protocol, endpoint, ctx.account_id, given,
        confirmed=protocol not in NEEDS_CONFIRMATION,
    )
    store.subscriptions[subscription.arn] = subscription
    if "ReplayPolicy" in given:
        archive.replay_policy_set(ctx, topic, subscription)
    if not subscription.confirmed:
        subscription.token = ctx.ids.hex(64)
        if protocol in ("http", "https"):
            from services.sns.delivery import send_confirmation

            send_confirmation(ctx, topic, subscription)
    if subscription.confirmed or req.get("ReturnSubscriptionArn"):
        return {"SubscriptionArn": subscription.arn}
    return {"SubscriptionArn": PENDING}


@operations.operation("ConfirmSubscription")
async def confirm_subscription(ctx: Ctx, req: Params) -> Result:
    arn = req["TopicArn"]
    try:
        store = store_for(ctx, arn, "TopicArn")
    except InvalidParameter:
        raise InvalidParameter("Invalid parameter: Topic") from None
    if store is None or arn not in store.topics:
        raise NotFound("Topic does not exist")
    token = req["Token"]
    for subscription in store.subscriptions.values():
        if subscription.topic_arn == arn and subscription.token == token:
            subscription.confirmed = True
            subscription.attributes["ConfirmationWasAuthenticated"] = "true" if req.get("AuthenticateOnUnsubscribe") == "true" else "false"
            archive.subscription_confirmed(ctx, store.topics[arn], subscription)  # a replay waiting for it starts
            return {"SubscriptionArn": subscription.arn}
    if len(token) < 32:
        raise InvalidParameter("Invalid parameter: Token")
    raise InvalidParameter("Invalid token")


@operations.operation("Unsubscribe")
async def unsubscribe(ctx: Ctx, req: Params) -> Result:
    arn = req["SubscriptionArn"]
    parts = arn_parts(arn, "SubscriptionArn")
    if len(arn.split(":")) < 7:
        raise InvalidParameter("Invalid parameter: SubscriptionId")
    store = store_for(ctx, arn, "SubscriptionArn")
    subscription = store.subscriptions.pop(arn, None) if store is not None else None
    if subscription is not None:
        topic = store.topics.get(subscription.topic_arn) if store is not None else None
        if topic is not None:
            topic.subscriptions_deleted += 1
        if subscription.protocol in ("http", "https") and subscription.confirmed and topic is not None:
            from services.sns.delivery import send_unsubscribe_confirmation

            send_unsubscribe_confirmation(ctx, topic, subscription)
    del parts
    return {}


def _listed(subscription: SubscriptionRecord) -> dict[str, str]:
    return {
        "SubscriptionArn": subscription.arn if subscription.confirmed else "PendingConfirmation",
        "Owner": subscription.owner, "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint, "TopicArn": subscription.topic_arn,
    }


@operations.operation("ListSubscriptions")
async def list_subscriptions(ctx: Ctx, req: Params) -> Result:
    listed, token = page([_listed(s) for s in ctx.store.subscriptions.values()], req.get("NextToken"))
    return {"Subscriptions": listed, **({"NextToken": token} if token else {})}


@operations.operation("ListSubscriptionsByTopic")
async def list_subscriptions_by_topic(ctx: Ctx, req: Params) -> Result:
    topic = topic_by_arn(ctx, req["TopicArn"])
    store = ctx.store_at(topic.account, topic.region)
    mine = [_listed(s) for s in store.subscriptions.values() if s.topic_arn == topic.arn]
    listed, token = page(mine, req.get("NextToken"))
    return {"Subscriptions": listed, **({"NextToken": token} if token else {})}


def subscription_attributes(ctx: Ctx, subscription: SubscriptionRecord) -> dict[str, str]:
    attributes: dict[str, Any] = {
        "SubscriptionArn": subscription.arn, "TopicArn": subscription.topic_arn, "Owner": subscription.owner,
        "Protocol": subscription.protocol, "Endpoint": subscription.endpoint,
        "PendingConfirmation": "false" if subscription.confirmed else "true",
        "ConfirmationWasAuthenticated": "true" if subscription.confirmed else "false",
        "RawMessageDelivery": "false",
        "SubscriptionPrincipal": f"arn:aws:iam::{subscription.owner}:user/stepstack",
        **subscription.attributes,
    }
    status = archive.replay_status(ctx, subscription)
    if status is not None:
        attributes["ReplayStatus"] = status
    if subscription.protocol in ("http", "https"):
        from services.sns.delivery_policy import subscription_effective_policy_json

        attributes["EffectiveDeliveryPolicy"] = subscription_effective_policy_json(*delivery_policies(ctx, subscription))
    return attributes


@operations.operation("GetSubscriptionAttributes")
async def get_subscription_attributes(ctx: Ctx, req: Params) -> Result:
    return {"Attributes": subscription_attributes(ctx, subscription_by_arn(ctx, req["SubscriptionArn"]))}


@operations.operation("SetSubscriptionAttributes")
async def set_subscription_attributes(ctx: Ctx, req: Params) -> Result:
    subscription = subscription_by_arn(ctx, req["SubscriptionArn"])
    name = req["AttributeName"]
    if name not in SETTABLE:
        raise InvalidParameter("Invalid parameter: AttributeName")
    if name == "RawMessageDelivery" and subscription.protocol not in ("sqs", "http", "https", "firehose", "lambda"):
        raise InvalidParameter("Invalid parameter: Delivery protocol [" + subscription.protocol + "] does not support raw message delivery.")
    topic = topic_of(ctx, subscription)
    value = req.get("AttributeValue") or ""
    scope = subscription.attributes.get("FilterPolicyScope", "MessageAttributes")
    if name == "FilterPolicyScope" and subscription.attributes.get("FilterPolicy"):
        check_attribute("FilterPolicy", subscription.attributes["FilterPolicy"], topic, False, value)
    subscription.attributes[name] = check_attribute(name, value, topic, False, scope, ctx.clock.now())
    if name == "ReplayPolicy":
        archive.replay_policy_set(ctx, topic, subscription)  # starts a replay (or ends one, when empty)
    if name == "FilterPolicy" and value and "FilterPolicyScope" not in subscription.attributes:
        subscription.attributes["FilterPolicyScope"] = "MessageAttributes"
    if name == "FilterPolicy" and not value:
        subscription.attributes.pop("FilterPolicy", None)
    return {}


__all__ = ["sns_of", "subscription_attributes"]
