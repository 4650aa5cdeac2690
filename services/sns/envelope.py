"""The notification envelope: its fields in AWS's order, signed once per publish, and its
text as AWS writes it (pretty JSON, `"Name" : value`, attributes one compact object per line).

Every subscriber of one publish gets the same envelope but for its UnsubscribeURL, so the
fields are built and serialized once (cached on the prepared message) and each subscriber's
text is that text with its own URL spliced in. The signature is made when first needed:
a queue's copy carries it as a deferred piece (core/deferred.py), made when the message is
first received, so publishing to queues nobody reads costs no RSA operation.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from services.core.deferred import DeferredPiece, DeferredText
from services.sns.records import SubscriptionRecord, TopicRecord

if TYPE_CHECKING:
    from services.sns.lookup import Ctx

_dumps = json.JSONEncoder(ensure_ascii=False).encode
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def iso_now(now: float) -> str:
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(now * 1000) % 1000:03d}Z"


def base_url(ctx: Ctx) -> str:
    return f"http://{ctx.host or '127.0.0.1:4566'}"


def unsubscribe_url(ctx: Ctx, subscription: SubscriptionRecord) -> str:
    return f"{base_url(ctx)}/?Action=Unsubscribe&SubscriptionArn={subscription.arn}"


class _Parts:
    """One publish's envelope for one message text: the fields before and after the
    UnsubscribeURL, and their text; a signed envelope's text is split around its signature."""

    __slots__ = ("head", "tail", "signature", "before_signature", "head_text", "tail_text")

    def __init__(self, head: dict[str, Any], tail: dict[str, Any], signature: DeferredPiece | None) -> None:
        self.head, self.tail, self.signature = head, tail, signature
        lines = ["{\n"]
        self.before_signature = ""
        for name, value in head.items():
            if name == "Signature":  # a placeholder in `head` until made
                self.before_signature = "".join(lines) + '  "Signature" : "'
                lines = ['",\n']
            else:
                lines.append(f"  {_dumps(name)} : {_dumps(value)},\n")
        self.head_text = "".join(lines) + '  "UnsubscribeURL" : '
        self.tail_text = "".join(f",\n{_member(k, v)}" for k, v in tail.items()) + "\n}"

    def fields(self) -> dict[str, Any]:
        """The head's fields, the signature made."""
        if self.signature is not None and self.head["Signature"] is None:
            self.head["Signature"] = self.signature.value()
        return self.head

    def text(self, url: str) -> str | DeferredText:
        after = self.head_text + _dumps(url) + self.tail_text
        if self.signature is None:
            return after
        if self.signature.ready:
            return self.before_signature + self.signature.value() + after
        return DeferredText(self.before_signature, self.signature, after)


def _member(name: str, value: Any) -> str:
    if name == "MessageAttributes":
        inner = ",\n".join(f"    {_dumps(k)} : {_compact(v)}" for k, v in value.items())
        return f'  "MessageAttributes" : {{\n{inner}\n  }}'
    return f"  {_dumps(name)} : {_dumps(value)}"


def to_text(envelope: dict[str, Any]) -> str:
    """Any envelope or control message as AWS writes it."""
    return "{\n" + ",\n".join(_member(k, v) for k, v in envelope.items()) + "\n}"


def _parts(ctx: Ctx, topic: TopicRecord, prepared: dict[str, Any], message: str) -> _Parts:
    cache = prepared.setdefault("envelopes", {})
    parts = cache.get(message)
    if parts is None:
        parts = cache[message] = _build(ctx, topic, prepared, message)
    return parts


def envelope(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord, prepared: dict[str, Any], message: str) -> dict[str, Any]:
    """The notification's fields for one subscriber, in AWS's order (signed now)."""
    parts = _parts(ctx, topic, prepared, message)
    return {**parts.fields(), "UnsubscribeURL": unsubscribe_url(ctx, subscription), **parts.tail}


def envelope_text(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord, prepared: dict[str, Any], message: str) -> str | DeferredText:
    """`to_text(envelope(...))` without serializing the shared fields again; the signature
    (of a standard topic) a deferred piece, made when the text is first read."""
    return _parts(ctx, topic, prepared, message).text(unsubscribe_url(ctx, subscription))


def lambda_event(subscription_arn: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The event a Lambda function subscribed to a topic receives (AWS's `Records[].Sns`: the
    URLs spelled `SigningCertUrl` and `UnsubscribeUrl`, Subject null when absent)."""
    sns = {name: fields[name] for name in ("Type", "MessageId", "TopicArn") if name in fields}
    sns["Subject"] = fields.get("Subject")
    for name in ("Message", "Timestamp", "SignatureVersion", "Signature"):
        if name in fields:
            sns[name] = fields[name]
    if "SigningCertURL" in fields:
        sns["SigningCertUrl"] = fields["SigningCertURL"]
    sns["UnsubscribeUrl"] = fields["UnsubscribeURL"]
    sns["MessageAttributes"] = fields.get("MessageAttributes", {})
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subscription_arn, "Sns": sns}]}


def _build(ctx: Ctx, topic: TopicRecord, prepared: dict[str, Any], message: str) -> _Parts:
    head: dict[str, Any] = {"Type": "Notification", "MessageId": prepared["message_id"]}
    if prepared["sequence"]:
        head["SequenceNumber"] = prepared["sequence"]
    head["TopicArn"] = topic.arn
    if prepared["subject"] is not None:
        head["Subject"] = prepared["subject"]
    head["Message"] = message
    head["Timestamp"] = iso_now(prepared["published_at"])
    signature = None
    if not topic.fifo:
        version = topic.attributes.get("SignatureVersion", "1")
        signer = ctx.service.signer  # type: ignore[attr-defined]
        signed = dict(head)  # the fields the signature covers, as they are now
        signature = DeferredPiece(signer.signature_length(), lambda: signer.sign(signed, version))
        head["SignatureVersion"] = version
        head["Signature"] = None
        head["SigningCertURL"] = f"{base_url(ctx)}/_aws/sns/{signer.certificate_name()}"
    tail: dict[str, Any] = {}
    if prepared["attributes"]:
        tail["MessageAttributes"] = {
            name: {"Type": value["DataType"], "Value": value["StringValue"] if "StringValue" in value else _b64(value.get("BinaryValue"))}
            for name, value in prepared["attributes"].items()
        }
    return _Parts(head, tail, signature)


def _b64(value: Any) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()
