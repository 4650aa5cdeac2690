"""Mobile push: platform applications, their endpoints (device tokens), and Publish to an endpoint.

Nothing is pushed: a message published to an endpoint, directly (Publish with a TargetArn) or
through a topic's `application` subscription, is recorded on the endpoint's store (the last
RECENT of them) and shown by the `platform-endpoint-messages` inspector (and LocalStack's
/_aws/sns/platform-endpoint-messages, server/sns_messages.py).

LIMITATIONS (where we knowingly differ from AWS):
- credentials are never checked with the push service (AWS refuses ones the service rejects);
  an application without any is accepted (AWS's answer to that is not recorded);
- the EventEndpointCreated/Deleted/Updated/DeliveryFailure topics are stored, never notified;
- a topic's message to a disabled or deleted endpoint fails at once and is dropped (the
  delivery shows why); it never goes to the subscription's dead-letter queue;
- CreatePlatformApplication of an existing name answers its ARN and takes the new attributes
  (not recorded);
- the wording for an unknown application attribute, a bad Enabled value and a long
  CustomUserData parameter is ours, modelled on the recorded endpoint-attribute errors;
- AWS checks an ARN's syntax before the missing Attributes of SetPlatformApplicationAttributes;
  here the protocol layer answers the missing Attributes first (ValidationError).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from services.core.arns import build_arn
from services.core.context import Params, Result
from services.sns.errors import EndpointDisabled, InvalidParameter, NotFound
from services.sns.lookup import Ctx, arn_parts, store_for
from services.sns.publish import DEFAULT_MAX_SIZE, _check_attributes, _check_subject, _messages
from services.sns.records import DeliveryRecord, EndpointRecord, PlatformApplicationRecord, SnsStore, SubscriptionRecord
from services.sns.service import operations
from services.sns.topic_ops import page

RECENT = 1000  # messages published to endpoints, kept per store for inspection
PLATFORMS = frozenset({
    "ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "BAIDU", "GCM", "MACOS", "MACOS_SANDBOX",
    "MPNS", "WNS",
})
APPLICATION_SETTABLE = frozenset({
    "PlatformCredential", "PlatformPrincipal", "EventEndpointCreated", "EventEndpointDeleted",
    "EventEndpointUpdated", "EventDeliveryFailure", "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn",
    "SuccessFeedbackSampleRate", "ApplePlatformTeamID", "ApplePlatformBundleID", "Enabled",
})
SECRET = frozenset({"PlatformCredential", "PlatformPrincipal"})  # AWS never answers them back (recorded)
ENDPOINT_SETTABLE = frozenset({"CustomUserData", "Enabled", "Token"})
MAX_NAME = 256
MAX_USER_DATA = 2048  # bytes of UTF-8
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_NO_ENDPOINT = "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"


# -- lookups -------------------------------------------------------------------------------------


def application_by_arn(ctx: Ctx, arn: str) -> PlatformApplicationRecord:
    store = store_for(ctx, arn, "PlatformApplicationArn")
    application = store.platform_applications.get(arn) if store is not None else None
    if application is None:
        raise NotFound("PlatformApplication does not exist")
    return application


def _store_of(ctx: Ctx, application: PlatformApplicationRecord) -> SnsStore:
    _, _, _, region, account, _ = application.arn.split(":", 5)
    return ctx.store_at(account, region)


def _endpoint_store(ctx: Ctx, arn: str) -> SnsStore | None:
    parts = arn_parts(arn, "EndpointArn")
    if parts[5].count("/") != 3:
        raise InvalidParameter("Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.")
    return store_for(ctx, arn, "EndpointArn")


def endpoint_by_arn(ctx: Ctx, arn: str) -> EndpointRecord:
    store = _endpoint_store(ctx, arn)
    endpoint = store.endpoints.get(arn) if store is not None else None
    if endpoint is None:
        raise NotFound("Endpoint does not exist")
    return endpoint


def find_endpoint(ctx: Ctx, arn: str) -> EndpointRecord | None:
    """The endpoint an ARN names, or None (for Subscribe's check of an `application` endpoint)."""
    try:
        return endpoint_by_arn(ctx, arn)
    except (InvalidParameter, NotFound):
        return None


# -- attributes ----------------------------------------------------------------------------------


def _enabled(value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise InvalidParameter(f"Invalid parameter: Attributes Reason: Invalid value for attribute: Enabled: {value} is not a valid boolean")
    return value.lower()


def _checked_application_attributes(given: dict[str, str], platform: str | None) -> dict[str, str]:
    for name in given:
        if name not in APPLICATION_SETTABLE:
            raise InvalidParameter(f"Invalid parameter: Attributes Reason: Invalid attribute name: {name}")
    if platform is not None:  # creating: the two credentials come together (GCM has no principal)
        if "PlatformPrincipal" in given and "PlatformCredential" not in given:
            raise InvalidParameter("Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")
        if "PlatformCredential" in given and "PlatformPrincipal" not in given and platform != "GCM":
            raise InvalidParameter("Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
    return {k: _enabled(v) if k == "Enabled" else v for k, v in given.items()}


def application_attributes(application: PlatformApplicationRecord) -> dict[str, str]:
    shown = {"Enabled": "true"}
    shown.update({k: v for k, v in application.attributes.items() if k not in SECRET})
    return shown


def _check_user_data(value: str, parameter: str | None = None) -> None:
    if len(value.encode()) > MAX_USER_DATA:
        where = "Attributes Reason: Invalid value for attribute: CustomUserData:" if parameter is None else "CustomUserData Reason:"
        raise InvalidParameter(f"Invalid parameter: {where} must be at most {MAX_USER_DATA} bytes long in UTF-8 encoding")


def _checked_endpoint_attributes(given: dict[str, str]) -> dict[str, str]:
    for name in given:
        if name not in ENDPOINT_SETTABLE:
            raise InvalidParameter(f"Invalid parameter: Attributes Reason: Invalid attribute name: {name}")
    if "CustomUserData" in given:
        _check_user_data(given["CustomUserData"])
    return {k: _enabled(v) if k == "Enabled" else v for k, v in given.items()}


# -- platform applications -----------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not name:
        raise InvalidParameter("Invalid parameter:  Reason: cannot be empty")
    if len(name) > MAX_NAME:
        raise InvalidParameter(f"Invalid parameter: {name} Reason: must be at most {MAX_NAME} characters long")
    if not _NAME.fullmatch(name):
        raise InvalidParameter(
            f"Invalid parameter: {name} Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'"
        )


@operations.operation("CreatePlatformApplication")
async def create_platform_application(ctx: Ctx, req: Params) -> Result:
    name, platform = req["Name"], req["Platform"]
    _check_name(name)
    if platform not in PLATFORMS:
        raise InvalidParameter(f"Invalid parameter: Platform Reason: {platform} is not supported")
    attributes = _checked_application_attributes(dict(req["Attributes"]), platform)
    arn = build_arn("sns", ctx.region, ctx.account_id, f"app/{platform}/{name}")
    ctx.store.platform_applications[arn] = PlatformApplicationRecord(arn, name, platform, attributes)
    return {"PlatformApplicationArn": arn}


@operations.operation("DeletePlatformApplication")
async def delete_platform_application(ctx: Ctx, req: Params) -> Result:
    arn = req["PlatformApplicationArn"]
    store = store_for(ctx, arn, "PlatformApplicationArn")
    if store is not None and store.platform_applications.pop(arn, None) is not None:
        for endpoint_arn in [e.arn for e in store.endpoints.values() if e.application_arn == arn]:
            del store.endpoints[endpoint_arn]  # an application's endpoints go with it
    return {}  # deleting an application that does not exist succeeds


@operations.operation("GetPlatformApplicationAttributes")
async def get_platform_application_attributes(ctx: Ctx, req: Params) -> Result:
    return {"Attributes": application_attributes(application_by_arn(ctx, req["PlatformApplicationArn"]))}


@operations.operation("SetPlatformApplicationAttributes")
async def set_platform_application_attributes(ctx: Ctx, req: Params) -> Result:
    application = application_by_arn(ctx, req["PlatformApplicationArn"])
    application.attributes.update(_checked_application_attributes(dict(req["Attributes"]), None))
    return {}


@operations.operation("ListPlatformApplications")
async def list_platform_applications(ctx: Ctx, req: Params) -> Result:
    listed = [
        {"PlatformApplicationArn": a.arn, "Attributes": application_attributes(a)}
        for a in ctx.store.platform_applications.values()
    ]
    chunk, token = page(listed, req.get("NextToken"))
    return {"PlatformApplications": chunk, **({"NextToken": token} if token else {})}


# -- endpoints -----------------------------------------------------------------------------------


@operations.operation("CreatePlatformEndpoint")
async def create_platform_endpoint(ctx: Ctx, req: Params) -> Result:
    application = application_by_arn(ctx, req["PlatformApplicationArn"])
    given = _checked_endpoint_attributes(dict(req.get("Attributes") or {}))
    token = req["Token"]
    user_data = req.get("CustomUserData")
    if user_data is not None:
        _check_user_data(user_data, "CustomUserData")
        given.setdefault("CustomUserData", user_data)  # the attribute wins over the parameter (recorded)
    given["Token"] = token
    store = _store_of(ctx, application)
    for existing in store.endpoints.values():
        if existing.application_arn == application.arn and existing.attributes.get("Token") == token:
            if any(existing.attributes.get(k) != v for k, v in given.items()):
                raise InvalidParameter(
                    f"Invalid parameter: Token Reason: Endpoint {existing.arn} already exists with the same Token, but different attributes."
                )
            return {"EndpointArn": existing.arn}  # idempotent on the Token
    _, _, _, region, account, _ = application.arn.split(":", 5)
    arn = build_arn("sns", region, account, f"endpoint/{application.platform}/{application.name}/{ctx.ids.uuid()}")
    store.endpoints[arn] = EndpointRecord(arn, application.arn, {"Enabled": "true", **given})
    return {"EndpointArn": arn}


@operations.operation("DeleteEndpoint")
async def delete_endpoint(ctx: Ctx, req: Params) -> Result:
    arn = req["EndpointArn"]
    store = _endpoint_store(ctx, arn)
    if store is not None:
        store.endpoints.pop(arn, None)  # its subscriptions stay, as AWS's do (recorded)
    return {}


@operations.operation("GetEndpointAttributes")
async def get_endpoint_attributes(ctx: Ctx, req: Params) -> Result:
    return {"Attributes": dict(endpoint_by_arn(ctx, req["EndpointArn"]).attributes)}


@operations.operation("SetEndpointAttributes")
async def set_endpoint_attributes(ctx: Ctx, req: Params) -> Result:
    endpoint = endpoint_by_arn(ctx, req["EndpointArn"])
    endpoint.attributes.update(_checked_endpoint_attributes(dict(req["Attributes"])))
    return {}


@operations.operation("ListEndpointsByPlatformApplication")
async def list_endpoints_by_platform_application(ctx: Ctx, req: Params) -> Result:
    application = application_by_arn(ctx, req["PlatformApplicationArn"])
    store = _store_of(ctx, application)
    listed = [
        {"EndpointArn": e.arn, "Attributes": dict(e.attributes)}
        for e in store.endpoints.values() if e.application_arn == application.arn
    ]
    chunk, token = page(listed, req.get("NextToken"))
    return {"Endpoints": chunk, **({"NextToken": token} if token else {})}


# -- Publish with a TargetArn that names an endpoint, and a topic's application subscriptions --


def publish_to_endpoint(ctx: Ctx, arn: str, parameter: str, req: Params) -> Result:
    """Record the message for the endpoint; a disabled endpoint refuses it before the message
    is read (recorded: a message that is no JSON still answers EndpointDisabled)."""
    try:
        store = store_for(ctx, arn, parameter) if parameter == "TargetArn" else None
    except InvalidParameter:
        store = None
    if store is None or (endpoint := store.endpoints.get(arn)) is None:
        raise InvalidParameter(_NO_ENDPOINT)
    if endpoint.attributes.get("Enabled") != "true":
        raise EndpointDisabled("Endpoint is disabled")
    message, per_protocol = _messages(req)
    _check_subject(req.get("Subject"))
    attributes = dict(req.get("MessageAttributes") or {})
    if len(message.encode()) + (_check_attributes(attributes) if attributes else 0) > DEFAULT_MAX_SIZE:
        raise InvalidParameter("Invalid parameter: Message too long")
    message_id = ctx.ids.uuid()
    _record_push(ctx, store, endpoint, message_id, per_protocol, message, req.get("Subject"), attributes)
    return {"MessageId": message_id}


def deliver_to_endpoint(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord, prepared: dict[str, Any]) -> None:
    """A topic's message to an `application` subscription: recorded for its endpoint as Publish
    to the endpoint records it, or failed (not retried) when the endpoint is disabled or gone."""
    store, endpoint = _subscribed_endpoint(ctx, subscription.endpoint)
    if endpoint is None:
        outcome = "NotFound: Endpoint does not exist"
    elif endpoint.attributes.get("Enabled") != "true":
        outcome = "EndpointDisabled: Endpoint is disabled"
    else:
        _record_push(ctx, store, endpoint, delivery.message_id, prepared["per_protocol"], prepared["message"],
                     prepared["subject"], prepared["attributes"], subscription)
        outcome = "delivered"
    delivery.attempts.append({"at": ctx.clock.now(), "outcome": outcome})
    delivery.status, delivery.due_at = ("delivered" if outcome == "delivered" else "failed"), None


def _subscribed_endpoint(ctx: Ctx, arn: str) -> tuple[SnsStore, EndpointRecord | None]:
    parts = arn.split(":", 5)
    store = ctx.store_at(parts[4], parts[3], create=False) if len(parts) == 6 else None
    if store is None:
        return ctx.store, None
    return store, store.endpoints.get(arn)


def _record_push(
    ctx: Ctx, store: SnsStore, endpoint: EndpointRecord, message_id: str, per_protocol: dict[str, str] | None,
    message: str, subject: str | None, attributes: dict[str, Any], subscription: SubscriptionRecord | None = None,
) -> None:
    """What the push service would be sent: with MessageStructure=json the platform's own key
    (GCM, APNS, APNS_SANDBOX...), else the default message."""
    platform = endpoint.arn.split(":", 5)[5].split("/")[1]
    store.pushes.append({
        "EndpointArn": endpoint.arn, "MessageId": message_id, "Platform": platform, "Token": endpoint.attributes.get("Token"),
        "Message": (per_protocol or {}).get(platform, message), "Subject": subject,
        "MessageAttributes": plain_attributes(attributes), "Timestamp": ctx.clock.now(),
        "MessageStructure": "json" if per_protocol is not None else None,
        "TopicArn": subscription.topic_arn if subscription is not None else None,
        "SubscriptionArn": subscription.arn if subscription is not None else None,
    })
    del store.pushes[:-RECENT]


def plain_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Message attributes as the request gave them, binary values in base64 (JSON-able)."""
    return {
        name: {"DataType": value["DataType"], **(
            {"StringValue": value["StringValue"]} if "StringValue" in value
            else {"BinaryValue": base64.b64encode(_bytes(value.get("BinaryValue"))).decode()}
        )}
        for name, value in attributes.items()
    }


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value or "").encode()
