"""What SNS keeps: plain records of topics, subscriptions and deliveries.

Records hold values and ids only (a pending retry is a delivery with its `due_at`), so a
store can be snapshotted and restored; the timers that retry deliveries are runtime,
rebuilt from the records (service.py).
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


@dataclass
class SnsStore:
    topics: dict[str, TopicRecord] = field(default_factory=dict)  # by ARN
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)  # by ARN
    deliveries: list[DeliveryRecord] = field(default_factory=list)  # recent ones, oldest first
    sms: list[dict[str, Any]] = field(default_factory=list)  # recorded text messages, never sent


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: to_jsonable(getattr(record, f.name)) for f in fields(record)}


def dump_store(store: SnsStore) -> dict[str, Any]:
    return {
        "topics": [_plain(t) for t in store.topics.values()],
        "subscriptions": [_plain(s) for s in store.subscriptions.values()],
        "deliveries": [_plain(d) for d in store.deliveries],
        "sms": to_jsonable(store.sms),
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
    return store
