"""What SNS keeps: plain records of topics, subscriptions and deliveries.

Records hold values and ids only (a pending retry is a delivery with its `due_at`, a replay
the sequence number it has reached), so a store can be snapshotted and restored; the timers
that retry deliveries and the tasks that feed replays are runtime, rebuilt from the records
(service.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from services.core.records import from_jsonable, to_jsonable


@dataclass(eq=False)
class TopicRecord:
    name: str
    account: str
    region: str
    arn: str
    fifo: bool
    attributes: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    data_protection_policy: str = ""
    subscriptions_deleted: int = 0
    next_sequence: int = 1
    dedup: dict[str, dict[str, Any]] = field(default_factory=dict)  # FIFO: key -> {"until", "answer"}, oldest first
    archive_since: float | None = None  # FIFO with an ArchivePolicy: when archiving was enabled
    archive: list[dict[str, Any]] = field(default_factory=list)  # archived messages, oldest first (archive.py)


@dataclass(eq=False)
class SubscriptionRecord:
    arn: str  # "PendingConfirmation" subscriptions still have one (AWS hides it until confirmed)
    topic_arn: str
    protocol: str
    endpoint: str
    owner: str
    attributes: dict[str, str]
    confirmed: bool = True
    token: str | None = None  # the confirmation token of an http/https subscription
    replay: dict[str, Any] | None = None  # ReplayPolicy: {"status", "start", "end", "after": sequence reached}


@dataclass(eq=False)
class DeliveryRecord:
    """One message to one subscription: its attempts so far and, while retrying, the next."""

    message_id: str
    subscription_arn: str
    protocol: str
    endpoint: str
    payload: dict[str, Any]  # what to deliver: the envelope or the raw message, with its attributes
    attempts: list[dict[str, Any]] = field(default_factory=list)  # {"at": time, "outcome": "..."}
    status: str = "pending"  # pending | delivered | failed | dead-lettered | recorded
    due_at: float | None = None


@dataclass(eq=False)
class PlatformApplicationRecord:
    arn: str  # arn:aws:sns:<region>:<account>:app/<PLATFORM>/<name>
    name: str
    platform: str
    attributes: dict[str, str]  # as given; the credentials are never answered back


@dataclass(eq=False)
class EndpointRecord:
    arn: str  # arn:aws:sns:<region>:<account>:endpoint/<PLATFORM>/<app name>/<id>
    application_arn: str
    attributes: dict[str, str]  # Token, Enabled and CustomUserData


@dataclass
class SnsStore:
    topics: dict[str, TopicRecord] = field(default_factory=dict)  # by ARN
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)  # by ARN
    deliveries: list[DeliveryRecord] = field(default_factory=list)  # recent ones, oldest first
    sms: list[dict[str, Any]] = field(default_factory=list)  # recorded text messages, never sent
    platform_applications: dict[str, PlatformApplicationRecord] = field(default_factory=dict)  # by ARN
    endpoints: dict[str, EndpointRecord] = field(default_factory=dict)  # by ARN
    pushes: list[dict[str, Any]] = field(default_factory=list)  # recent messages published to endpoints, never sent
    sms_attributes: dict[str, str] = field(default_factory=dict)  # as set by SetSMSAttributes
    opted_out: list[str] = field(default_factory=list)  # phone numbers that opted out, in order
    sandbox_numbers: dict[str, dict[str, str]] = field(default_factory=dict)  # phone -> Status, LanguageCode, OneTimePassword


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: to_jsonable(getattr(record, f.name)) for f in fields(record)}


def dump_store(store: SnsStore) -> dict[str, Any]:
    return {
        "topics": [_plain(t) for t in store.topics.values()],
        "subscriptions": [_plain(s) for s in store.subscriptions.values()],
        "deliveries": [_plain(d) for d in store.deliveries],
        "sms": to_jsonable(store.sms),
        "platform_applications": [_plain(a) for a in store.platform_applications.values()],
        "endpoints": [_plain(e) for e in store.endpoints.values()],
        "pushes": to_jsonable(store.pushes),
        "sms_attributes": dict(store.sms_attributes),
        "opted_out": list(store.opted_out),
        "sandbox_numbers": to_jsonable(store.sandbox_numbers),
    }


def load_store(data: dict[str, Any]) -> SnsStore:
    data = from_jsonable(data)
    store = SnsStore()
    for raw in data.get("topics", []):
        topic = TopicRecord(**raw)
        store.topics[topic.arn] = topic
    for raw in data.get("subscriptions", []):
        subscription = SubscriptionRecord(**raw)
        store.subscriptions[subscription.arn] = subscription
    store.deliveries = [DeliveryRecord(**raw) for raw in data.get("deliveries", [])]
    store.sms = list(data.get("sms", []))
    for raw in data.get("platform_applications", []):
        application = PlatformApplicationRecord(**raw)
        store.platform_applications[application.arn] = application
    for raw in data.get("endpoints", []):
        endpoint = EndpointRecord(**raw)
        store.endpoints[endpoint.arn] = endpoint
    store.pushes = list(data.get("pushes", []))
    store.sms_attributes = dict(data.get("sms_attributes", {}))
    store.opted_out = list(data.get("opted_out", []))
    store.sandbox_numbers = {k: dict(v) for k, v in data.get("sandbox_numbers", {}).items()}
    return store
