"""LocalStack's views of what SNS recorded and never sent, served by stepstack's own inspectors
(services/sns/service.py), so suites written for LocalStack read them unchanged:

    GET    /_aws/sns/sms-messages[?accountId=...][&region=...][&phoneNumber=...]
    DELETE /_aws/sns/sms-messages[?accountId=...][&region=...][&phoneNumber=...]
    GET    /_aws/sns/platform-endpoint-messages[?accountId=...][&region=...][&endpointArn=...]
    DELETE /_aws/sns/platform-endpoint-messages[?accountId=...][&region=...][&endpointArn=...]

A GET answers `{"sms_messages": {<phone number>: [message, ...]}, "region": <region>}` (texts
from Publish to a number, a topic's `sms` subscriptions and sandbox verification codes), or
`{"platform_endpoint_messages": {<endpoint ARN>: [message, ...]}, "region": ...}` (Publish to
an endpoint and a topic's `application` subscriptions), oldest first. With a `phoneNumber` or
`endpointArn` filter that one key is always there, its list maybe empty. A DELETE forgets the
messages it selects and answers 204. The account and region are the server's defaults unless
given; an `endpointArn` names its own account and region, as on LocalStack.

Each message has LocalStack's fields and none of ours; as LocalStack does, a message published
with MessageStructure=json shows its `Message` JSON-encoded once more (a string inside a string).
`/_stepstack/sns/sms` and `/_stepstack/sns/platform-endpoint-messages` show the plain records.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from server.gateway import Receive, Scope, Send
from services.core.errors import AwsError

if TYPE_CHECKING:
    from server.app import StepstackApp

SMS_MESSAGES = "/_aws/sns/sms-messages"
ENDPOINT_MESSAGES = "/_aws/sns/platform-endpoint-messages"
SNS_MESSAGE_VIEWS = frozenset({SMS_MESSAGES, ENDPOINT_MESSAGES})

_SMS_FIELDS = ("PhoneNumber", "TopicArn", "SubscriptionArn", "MessageId", "Message", "MessageAttributes", "MessageStructure", "Subject")
_PUSH_FIELDS = ("TargetArn", "TopicArn", "Message", "MessageAttributes", "MessageStructure", "Subject", "MessageId")


async def sns_messages(scope: Scope, receive: Receive, send: Send, app: StepstackApp) -> None:
    """The raw ASGI handler of both paths (a trailing slash allowed)."""
    path = scope["path"].rstrip("/")
    method = scope["method"]
    if method not in ("GET", "DELETE"):
        await _send(send, 405, {"__type": "MethodNotAllowed", "message": f"{method} is not allowed on {path}; use GET or DELETE."})
        return
    try:
        sns = app.dispatcher.service("sns")
    except AwsError as error:
        await _send(send, error.status, {"__type": error.code, "message": error.message})
        return
    params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    settings = app.settings
    account, region = params.get("accountId") or settings.account_id, params.get("region") or settings.region
    if path == SMS_MESSAGES:
        view, key, wanted = "sms", "PhoneNumber", params.get("phoneNumber")
    else:
        view, key, wanted = "platform-endpoint-messages", "EndpointArn", params.get("endpointArn")
        parts = (wanted or "").split(":", 5)
        if len(parts) == 6:  # the endpoint's own account and region
            region, account = parts[3], parts[4]
    query = {"Account": account, "Region": region, **({key: wanted} if wanted else {})}
    if method == "DELETE":
        sns.discard_recorded(view, query)  # type: ignore[attr-defined]
        await _send(send, 204, None)
        return
    grouped: dict[str, list[dict[str, Any]]] = {wanted: []} if wanted else {}
    for record in sns.inspect(view, query)["Messages"]:
        grouped.setdefault(record[key], []).append(_sms(record) if view == "sms" else _push(record))
    answer = "sms_messages" if view == "sms" else "platform_endpoint_messages"
    await _send(send, 200, {answer: grouped, "region": region})


def _message(record: dict[str, Any]) -> str:
    message = record["Message"]
    return json.dumps(message) if record.get("MessageStructure") == "json" else message  # json's escapes, as LocalStack's


def _sms(record: dict[str, Any]) -> dict[str, Any]:
    shown = {name: record.get(name) for name in _SMS_FIELDS}
    shown["Message"], shown["MessageAttributes"] = _message(record), record.get("MessageAttributes") or {}
    return shown


def _push(record: dict[str, Any]) -> dict[str, Any]:
    shown = {name: record.get(name) for name in _PUSH_FIELDS}
    shown["TargetArn"], shown["TopicArn"] = record["EndpointArn"], record.get("TopicArn") or ""
    shown["Message"], shown["MessageAttributes"] = _message(record), record.get("MessageAttributes") or {}
    return shown


async def _send(send: Send, status: int, body: Any) -> None:
    data = b"" if body is None else orjson.dumps(body)
    headers = [(b"content-length", str(len(data)).encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
