"""Delivering a published message to each subscription, and retrying as AWS does.

SQS subscriptions are delivered through the internal dispatch (any account or region by the
queue's ARN) before Publish answers: it costs microseconds. HTTP/S deliveries run as tasks of
their own and never hold Publish up. A failure is retried on the service clock by the
subscription's delivery policy (HTTP/S) or AWS's fixed schedule (SQS, Lambda); a client-side
failure (the queue does not exist) is not retried. When retries end, the message goes to the
subscription's dead-letter queue if it has one, else it is dropped; every attempt is recorded.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from services.core.deferred import resolve
from services.core.errors import AwsError
from services.sns.envelope import base_url, envelope, envelope_text, iso_now, lambda_event, to_text
from services.sns.http_client import post
from services.sns.records import DeliveryRecord, SubscriptionRecord, TopicRecord

if TYPE_CHECKING:
    from services.sns.lookup import Ctx
    from services.sns.service import SnsService

RECENT = 1000  # deliveries kept per store for inspection (pending retries are always kept)
CLIENT_ERRORS = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "KMS.AccessDeniedException"})


def _owner(ctx: Ctx) -> Any:
    return ctx.service.owner(ctx.account_id, ctx.region)


def _matches(subscription: SubscriptionRecord, prepared: dict[str, Any]) -> bool:
    policy_text = subscription.attributes.get("FilterPolicy")
    if not policy_text or policy_text == "{}":  # an empty policy filters nothing
        return True
    from services.sns.filter_policy import compile_policy

    scope = subscription.attributes.get("FilterPolicyScope", "MessageAttributes")
    return compile_policy(policy_text, scope).matches(prepared["attributes"], prepared["message"])


async def fan_out(ctx: Ctx, topic: TopicRecord, prepared: dict[str, Any]) -> None:
    if ctx.host:
        ctx.service.host = ctx.host  # type: ignore[attr-defined]  # retries link back the same way
    store = ctx.store_at(topic.account, topic.region)
    for subscription in list(store.subscriptions.values()):
        if subscription.topic_arn != topic.arn or not subscription.confirmed:
            continue
        if subscription.replay is not None:
            from services.sns.archive import feed_now, held

            if held(subscription):  # its replay delivers the archive, this message included, in order
                await feed_now(ctx, topic.arn, subscription.arn)
                continue
        await deliver_to(ctx, topic, subscription, prepared)


async def deliver_to(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord, prepared: dict[str, Any]) -> DeliveryRecord | None:
    """Deliver one prepared message (publish.prepare) to one subscription, if its filter policy
    lets it through; the delivery's record, or None when filtered out."""
    if not _matches(subscription, prepared):
        return None
    store = ctx.store_at(topic.account, topic.region)
    protocol = subscription.protocol
    message = (prepared["per_protocol"] or {}).get(protocol, prepared["message"])
    raw = subscription.attributes.get("RawMessageDelivery") == "true"
    payload = {"raw": raw, "message": message, "topic_arn": topic.arn, "group": prepared["group"],
               "dedup": prepared["dedup"], "attributes": prepared["attributes"]}
    if protocol in ("sqs", "http", "https"):
        if not raw:
            payload["body"] = envelope_text(ctx, topic, subscription, prepared, message)  # as delivered
    elif not raw or protocol != "firehose":
        payload["envelope"] = envelope(ctx, topic, subscription, prepared, message)
    delivery = DeliveryRecord(prepared["message_id"], subscription.arn, protocol, subscription.endpoint, payload)
    _keep(store.deliveries, delivery)
    if protocol == "sqs":
        await deliver_sqs(ctx, delivery, subscription)
    elif protocol == "lambda":
        await deliver_lambda(ctx, delivery, subscription)
    elif protocol in ("http", "https"):
        ctx.tasks.spawn(f"sns delivery {delivery.message_id} to {subscription.arn}", deliver_http(ctx, delivery, subscription), _owner(ctx))
    else:  # never sent: pushes and texts land in the endpoint's and the SMS views, the rest stays here
        if protocol == "application":
            from services.sns.platform_ops import deliver_to_endpoint

            deliver_to_endpoint(ctx, delivery, subscription, prepared)
        elif protocol == "sms":
            from services.sns.sms_ops import deliver_sms

            deliver_sms(ctx, delivery, subscription, prepared)
        else:
            delivery.status = "recorded"  # email, email-json, firehose: stored and inspectable
    return delivery


def _keep(deliveries: list[DeliveryRecord], delivery: DeliveryRecord) -> None:
    """Remember the delivery; past twice RECENT, forget all but the last RECENT and the pending
    retries (trimming in bulk keeps an append O(1) on average)."""
    deliveries.append(delivery)
    if len(deliveries) > 2 * RECENT:
        keep = [d for d in deliveries[:-RECENT] if d.status == "pending"]
        deliveries[:] = keep + deliveries[-RECENT:]


def _sqs_params(delivery: DeliveryRecord) -> dict[str, Any]:
    payload = delivery.payload
    queue_arn = delivery.endpoint
    _, _, _, region, account, name = queue_arn.split(":")
    params: dict[str, Any] = {"QueueUrl": f"http://sqs.{region}.localhost/{account}/{name}"}
    if payload["raw"]:
        params["MessageBody"] = payload["message"]
        if payload["attributes"]:
            params["MessageAttributes"] = {k: dict(v) for k, v in payload["attributes"].items()}
    else:
        params["MessageBody"] = payload["body"] if "body" in payload else to_text(payload["envelope"])
    if payload["group"]:
        params["MessageGroupId"] = payload["group"]  # FIFO queues, and fair standard queues
    if name.endswith(".fifo"):
        import hashlib

        params["MessageDeduplicationId"] = payload["dedup"] or hashlib.sha256(resolve(params["MessageBody"]).encode()).hexdigest()
    return params


async def deliver_sqs(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord) -> None:
    now = ctx.clock.now()
    try:
        await ctx.call_arn(delivery.endpoint, "SendMessage", _sqs_params(delivery))
    except AwsError as error:
        delivery.attempts.append({"at": now, "outcome": f"{error.wire_code}: {error.message}"})
        client_side = error.wire_code in CLIENT_ERRORS or error.status == 400 and "InvalidParameter" in error.wire_code
        _failed(ctx, delivery, subscription, retry=not client_side, reason=error)
        return
    delivery.attempts.append({"at": now, "outcome": "delivered"})
    delivery.status, delivery.due_at = "delivered", None


async def deliver_lambda(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord) -> None:
    """An asynchronous invoke with the SNS event (Lambda retries the function itself); a
    function that is missing is a client-side failure, anything else is retried on AWS's
    managed-endpoint schedule."""
    now = ctx.clock.now()
    event = lambda_event(subscription.arn, delivery.payload["envelope"])
    params = {"FunctionName": delivery.endpoint, "InvocationType": "Event", "Payload": json.dumps(event).encode()}
    try:
        await ctx.call_arn(delivery.endpoint, "Invoke", params)
    except AwsError as error:
        delivery.attempts.append({"at": now, "outcome": f"{error.wire_code}: {error.message}"})
        client_side = error.wire_code in ("ResourceNotFoundException", "InvalidParameterValueException", "InvalidTarget")
        _failed(ctx, delivery, subscription, retry=not client_side, reason=error)
        return
    delivery.attempts.append({"at": now, "outcome": "delivered"})
    delivery.status, delivery.due_at = "delivered", None


async def deliver_http(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord) -> None:
    payload = delivery.payload
    body = payload["message"] if payload["raw"] else resolve(payload["body"])
    headers = {
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": delivery.message_id,
        "x-amz-sns-topic-arn": payload["topic_arn"],
        "x-amz-sns-subscription-arn": subscription.arn,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    if payload["raw"]:
        headers["x-amz-sns-rawdelivery"] = "true"
    status = await post(delivery.endpoint, body, headers)
    delivery.attempts.append({"at": ctx.clock.now(), "outcome": f"HTTP {status}" if status else "no answer"})
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.due_at = "delivered", None
        return
    _failed(ctx, delivery, subscription, retry=True, reason=None)


def _retry_delay(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord) -> float | None:
    from services.sns import delivery_policy

    retry = len(delivery.attempts)  # the next attempt is retry number `retry`
    if delivery.protocol in ("http", "https"):
        from services.sns.lookup import delivery_policies

        return delivery_policy.effective_http_policy(*delivery_policies(ctx, subscription)).delay_before(retry)
    return delivery_policy.managed_delay_before(retry)


def _failed(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord, *, retry: bool, reason: AwsError | None) -> None:
    delay = _retry_delay(ctx, delivery, subscription) if retry else None
    if delay is not None:
        delivery.status, delivery.due_at = "pending", ctx.clock.now() + delay
        rearm(ctx.service, ctx.account_id, ctx.region, delivery)  # type: ignore[arg-type]
        return
    delivery.due_at = None
    dead_letter = _dead_letter_arn(subscription)
    if dead_letter is None:
        delivery.status = "failed"
        return
    delivery.status = "dead-lettered"
    ctx.tasks.spawn(f"sns dead letter {delivery.message_id}", _to_dead_letter_queue(ctx, delivery, dead_letter, reason), _owner(ctx))


def _dead_letter_arn(subscription: SubscriptionRecord) -> str | None:
    raw = subscription.attributes.get("RedrivePolicy")
    return json.loads(raw).get("deadLetterTargetArn") if raw else None


async def _to_dead_letter_queue(ctx: Ctx, delivery: DeliveryRecord, queue_arn: str, reason: AwsError | None) -> None:
    dead = DeliveryRecord(delivery.message_id, delivery.subscription_arn, "sqs", queue_arn, dict(delivery.payload))
    params = _sqs_params(dead)
    code = reason.wire_code if reason is not None else "EndpointUnavailable"
    message = reason.message if reason is not None else "The endpoint did not accept the message."
    params["MessageAttributes"] = {
        **params.get("MessageAttributes", {}),
        "ErrorCode": {"DataType": "String", "StringValue": code},
        "ErrorMessage": {"DataType": "String", "StringValue": message},
        "RequestID": {"DataType": "String", "StringValue": ctx.request_id},
    }
    try:
        await ctx.call_arn(queue_arn, "SendMessage", params)
    except AwsError:
        delivery.status = "failed"  # the dead-letter queue is gone too: the message is dropped


def rearm(sns: SnsService, account: str, region: str, delivery: DeliveryRecord) -> None:
    """Arm the retry timer of a pending delivery (also after a restore)."""
    key = id(delivery)
    old = sns.retry_timers.pop(key, None)
    if old is not None:
        old.cancel()

    def fire() -> None:
        sns.retry_timers.pop(key, None)
        store = sns.stores.find(account, region)
        subscription = store.subscriptions.get(delivery.subscription_arn) if store is not None else None
        if subscription is None or delivery.status != "pending":
            delivery.status, delivery.due_at = "failed", None
            return
        ctx = sns.env.dispatcher.context(account, region, origin="sns retry", host=sns.host)
        ctx.service, ctx.store, ctx.service_name = sns, store, "sns"
        deliver = {"http": deliver_http, "https": deliver_http, "lambda": deliver_lambda}.get(delivery.protocol, deliver_sqs)
        work = deliver(ctx, delivery, subscription)
        sns.env.tasks.spawn(f"sns retry {delivery.message_id}", work, owner=sns.owner(account, region))

    sns.retry_timers[key] = sns.clock.call_at(delivery.due_at or sns.clock.now(), fire)


# -- confirmations and recorded deliveries --------------------------------------------------------


def _signed_control(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord, kind: str, text: str) -> dict[str, Any]:
    signer = ctx.service.signer  # type: ignore[attr-defined]
    url = f"{base_url(ctx)}/?Action=ConfirmSubscription&TopicArn={topic.arn}&Token={subscription.token}"
    body: dict[str, Any] = {
        "Type": kind, "MessageId": ctx.ids.uuid(), "Token": subscription.token, "TopicArn": topic.arn,
        "Message": text, "SubscribeURL": url, "Timestamp": iso_now(ctx.clock.now()),
        "SignatureVersion": topic.attributes.get("SignatureVersion", "1"),
    }
    body["Signature"] = signer.sign(body, body["SignatureVersion"])
    body["SigningCertURL"] = f"{base_url(ctx)}/_aws/sns/{signer.certificate_name()}"
    return body


def send_confirmation(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord) -> None:
    text = (f"You have chosen to subscribe to the topic {topic.arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.")
    body = _signed_control(ctx, topic, subscription, "SubscriptionConfirmation", text)
    ctx.tasks.spawn(f"sns confirmation {subscription.arn}", _post_control(subscription, body), _owner(ctx))


def send_unsubscribe_confirmation(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord) -> None:
    subscription.token = subscription.token or ctx.ids.hex(64)
    text = (f"You have chosen to deactivate subscription {subscription.arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message.")
    body = _signed_control(ctx, topic, subscription, "UnsubscribeConfirmation", text)
    ctx.tasks.spawn(f"sns unsubscribe {subscription.arn}", _post_control(subscription, body), _owner(ctx))


async def _post_control(subscription: SubscriptionRecord, body: dict[str, Any]) -> None:
    headers = {
        "x-amz-sns-message-type": body["Type"], "x-amz-sns-message-id": body["MessageId"],
        "x-amz-sns-topic-arn": body["TopicArn"], "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    await post(subscription.endpoint, to_text(body), headers)


def record_sms(ctx: Ctx, phone: str, message: str, req: dict[str, Any]) -> str:
    """An SMS is recorded for inspection, never sent."""
    from services.sns.platform_ops import plain_attributes

    message_id = ctx.ids.uuid()
    sms = ctx.store.sms
    sms.append({
        "PhoneNumber": phone, "Message": message, "MessageId": message_id, "Timestamp": ctx.clock.now(),
        "Subject": req.get("Subject"), "MessageAttributes": plain_attributes(req.get("MessageAttributes") or {}),
        "MessageStructure": req.get("MessageStructure"),
    })
    del sms[:-RECENT]
    return message_id


def describe_delivery(delivery: DeliveryRecord) -> dict[str, Any]:
    return {
        "MessageId": delivery.message_id, "SubscriptionArn": delivery.subscription_arn,
        "Protocol": delivery.protocol, "Endpoint": delivery.endpoint, "Status": delivery.status,
        "Attempts": delivery.attempts, "NextAttemptAt": delivery.due_at,
    }
