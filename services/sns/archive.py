"""Message archiving and replay of FIFO topics.

A FIFO topic with an `ArchivePolicy` keeps every message published to it for its
`MessageRetentionPeriod` (1 to 365 days) in `TopicRecord.archive`, oldest first; a message
whose period has passed on the service clock is forgotten. `BeginningArchiveTime` is the later
of the moment archiving was enabled and now minus the period: where a replay may start.

A subscription's `ReplayPolicy` (`{"PointType": "Timestamp", "StartingPoint": ..., "EndingPoint": ...}`)
redelivers the archived messages published in its window, in order, to that subscription only,
through `delivery.deliver_to` (so its filter policy applies). While a replay runs
(`ReplayStatus` Pending, then In progress) the subscription takes nothing from `fan_out`:
the replay reaches newly published messages in the archive, so their order holds. Without an
`EndingPoint` the replay is Completed once it has caught up, and live deliveries resume; with
one it stays In progress until the ending point has passed (delivering what is published up
to it), is then Completed, and the subscription receives no newly published messages (AWS's
documented behaviour), until its ReplayPolicy is replaced or removed. Disabling the archive
fails a replay still running (Failed).

The state is records: the archive on the topic, the replay (status, window and the sequence
number it has reached) on the subscription. The only runtime is the set of replays being fed
right now (`SnsService.replaying`); after a restore `resume` feeds every unfinished replay on
from where it stood.

Where we knowingly differ from AWS (docs/differences.md): a replayed notification has no
`Replayed` attribute (it keeps its MessageId and its publish's `Timestamp`, as on AWS); the wording of the validation errors
is ours; a StartingPoint in the future is refused; a replay runs as fast as the endpoint
takes it.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from services.sns.delivery import deliver_to
from services.sns.records import SubscriptionRecord, TopicRecord

if TYPE_CHECKING:
    from services.sns.lookup import Ctx
    from services.sns.service import SnsService

DAY = 86_400.0
MIN_DAYS, MAX_DAYS = 1, 365
PENDING, IN_PROGRESS, COMPLETED, FAILED = "Pending", "In progress", "Completed", "Failed"
RUNNING = frozenset({PENDING, IN_PROGRESS})
_KEPT = ("message_id", "message", "per_protocol", "subject", "attributes", "group", "dedup", "sequence")
_REPLAY_FIELDS = frozenset({"PointType", "StartingPoint", "EndingPoint"})


class PolicyError(ValueError):
    """An ArchivePolicy or ReplayPolicy AWS would refuse; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- the archive policy of a topic ----------------------------------------------------------


def iso(seconds: float) -> str:
    """AWS's timestamp of an attribute: UTC to the millisecond (2023-10-27T16:43:08.735Z)."""
    whole, millis = divmod(round(seconds * 1000), 1000)
    return datetime.fromtimestamp(whole, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


def check_archive_policy(value: str) -> str:
    """The policy as stored (`{"MessageRetentionPeriod":"30"}`, `{}`, or "" for none)."""
    if not value:
        return ""
    try:
        policy = json.loads(value)
    except ValueError:
        raise PolicyError("failed to parse JSON") from None
    if not isinstance(policy, dict):
        raise PolicyError("must be a JSON object")
    if not policy:
        return "{}"
    unknown = sorted(set(policy) - {"MessageRetentionPeriod"})
    if unknown:
        raise PolicyError(f"Unknown field {unknown[0]}")
    days = policy.get("MessageRetentionPeriod")
    if isinstance(days, str) and days.isdigit():
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise PolicyError(f"MessageRetentionPeriod must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}")
    return json.dumps({"MessageRetentionPeriod": str(days)}, separators=(",", ":"))


def retention_days(topic: TopicRecord) -> int | None:
    """The topic's retention period in days, or None when it does not archive."""
    text = topic.attributes.get("ArchivePolicy")
    if not text or topic.archive_since is None:
        return None
    days = json.loads(text).get("MessageRetentionPeriod")
    return int(days) if days is not None else None


def archive_policy_set(ctx: Ctx, topic: TopicRecord, value: str) -> None:
    """Apply a checked ArchivePolicy: enabling starts an empty archive, a new period keeps it
    (and forgets what the shorter one no longer covers), disabling drops it and fails the
    replays still running on it."""
    if value and value != "{}":
        topic.attributes["ArchivePolicy"] = value
        if topic.archive_since is None:
            topic.archive_since, topic.archive = ctx.clock.now(), []
        _expire(topic, ctx.clock.now())
        return
    if value:
        topic.attributes["ArchivePolicy"] = value
    else:
        topic.attributes.pop("ArchivePolicy", None)
    topic.archive_since, topic.archive = None, []
    for subscription in _subscriptions(ctx, topic):
        if subscription.replay is not None and subscription.replay["status"] in RUNNING:
            subscription.replay["status"] = FAILED


def beginning(topic: TopicRecord, now: float) -> float | None:
    """BeginningArchiveTime as epoch seconds (whole milliseconds), or None without an archive."""
    days = retention_days(topic)
    if days is None or topic.archive_since is None:
        return None
    return math.floor(max(topic.archive_since, now - days * DAY) * 1000) / 1000


def topic_attributes(ctx: Ctx, topic: TopicRecord) -> dict[str, str]:
    """The archive's attributes of GetTopicAttributes (BeginningArchiveTime)."""
    start = beginning(topic, ctx.clock.now())
    return {} if start is None else {"BeginningArchiveTime": iso(start)}


def _expire(topic: TopicRecord, now: float) -> None:
    days = retention_days(topic)
    if days is not None and topic.archive:
        gone = bisect_right(topic.archive, now - days * DAY, key=lambda entry: entry["at"])
        if gone:
            del topic.archive[:gone]


# -- publishing into the archive ---------------------------------------------------------------


def keep(ctx: Ctx, topic: TopicRecord, prepared: dict[str, Any]) -> None:
    """Archive a message just published to `topic`, if it archives (publish.py, before fan_out)."""
    if topic.archive_since is None:
        return
    now = ctx.clock.now()
    _expire(topic, now)
    entry = {key: prepared.get(key) for key in _KEPT}
    entry["attributes"] = {name: dict(value) for name, value in (prepared.get("attributes") or {}).items()}
    entry["per_protocol"] = dict(prepared["per_protocol"]) if prepared.get("per_protocol") else None
    entry["at"] = prepared["published_at"]
    topic.archive.append(entry)


def held(subscription: SubscriptionRecord) -> bool:
    """Whether live deliveries skip this subscription (fan_out then feeds its replay instead):
    its replay runs, or it has ended at an ending point."""
    replay = subscription.replay
    if replay is None:
        return False
    return replay["status"] in RUNNING or replay["status"] == COMPLETED and replay["end"] is not None


def _subscriptions(ctx: Ctx, topic: TopicRecord) -> list[SubscriptionRecord]:
    store = ctx.store_at(topic.account, topic.region)
    return [s for s in store.subscriptions.values() if s.topic_arn == topic.arn]


# -- the replay policy of a subscription ---------------------------------------------------------


def _instant(text: Any) -> float | None:
    """Epoch seconds of an ISO 8601 timestamp (UTC when it names no zone), or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def check_replay_policy(value: str, topic: TopicRecord | None, now: float) -> str:
    """A ReplayPolicy as AWS documents it, on a subscription to an archiving FIFO topic."""
    if not value or _is_empty_object(value):
        return value
    if topic is None or not topic.fifo:
        raise PolicyError("ReplayPolicy can only be set on subscriptions to FIFO topics")
    if beginning(topic, now) is None:
        raise PolicyError("ReplayPolicy needs the topic to have an ArchivePolicy")
    try:
        policy = json.loads(value)
    except ValueError:
        raise PolicyError("ReplayPolicy: failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise PolicyError("ReplayPolicy: must be a JSON object")
    unknown = sorted(set(policy) - _REPLAY_FIELDS)
    if unknown:
        raise PolicyError(f"ReplayPolicy: Unknown field {unknown[0]}")
    if policy.get("PointType") != "Timestamp":
        raise PolicyError("ReplayPolicy: PointType must be Timestamp")
    start = _instant(policy.get("StartingPoint"))
    if start is None:
        raise PolicyError("ReplayPolicy: StartingPoint must be an ISO 8601 timestamp")
    end = None
    if "EndingPoint" in policy:
        end = _instant(policy["EndingPoint"])
        if end is None:
            raise PolicyError("ReplayPolicy: EndingPoint must be an ISO 8601 timestamp")
        if end < start:
            raise PolicyError("ReplayPolicy: EndingPoint must not be before StartingPoint")
    if start > now:  # one before BeginningArchiveTime replays from the oldest message kept
        raise PolicyError("ReplayPolicy: StartingPoint must not be in the future")
    return value


def _is_empty_object(text: str) -> bool:
    try:
        return json.loads(text) == {}
    except ValueError:
        return False


def replay_policy_set(ctx: Ctx, topic: TopicRecord | None, subscription: SubscriptionRecord) -> None:
    """Start the replay of the subscription's (checked) ReplayPolicy; it supersedes a replay
    still running. An empty policy (or none) ends the replay and lets live deliveries in."""
    text = subscription.attributes.get("ReplayPolicy", "")
    if not text or _is_empty_object(text) or topic is None:
        subscription.attributes.pop("ReplayPolicy", None)
        subscription.replay = None
        return
    policy = json.loads(text)
    end = _instant(policy["EndingPoint"]) if "EndingPoint" in policy else None
    subscription.replay = {"status": PENDING, "start": _instant(policy["StartingPoint"]), "end": end, "after": 0}
    _start(ctx, topic, subscription.arn)


def subscription_confirmed(ctx: Ctx, topic: TopicRecord, subscription: SubscriptionRecord) -> None:
    """A replay set before its subscription was confirmed starts now."""
    if subscription.replay is not None and subscription.replay["status"] in RUNNING:
        _start(ctx, topic, subscription.arn)


def replay_status(ctx: Ctx, subscription: SubscriptionRecord) -> str | None:
    """ReplayStatus of GetSubscriptionAttributes; a replay that has caught up is Completed once
    its ending point has passed (a status is derived when asked, so no timer holds it)."""
    replay = subscription.replay
    if replay is None:
        return None
    if replay["status"] == IN_PROGRESS and replay["end"] is not None and ctx.clock.now() >= replay["end"]:
        if subscription.arn not in _replaying(ctx):
            replay["status"] = COMPLETED  # not being fed: it has delivered everything up to now
    return str(replay["status"])


# -- feeding a replay ------------------------------------------------------------------------


def _replaying(ctx: Ctx) -> set[str]:
    return ctx.service.replaying  # type: ignore[attr-defined, no-any-return]


def _start(ctx: Ctx, topic: TopicRecord, subscription_arn: str) -> None:
    """Feed the replay in a task of its own (Subscribe and SetSubscriptionAttributes answer at
    once); a replay already being fed is left to its feeder, which reads the record afresh."""
    replaying = _replaying(ctx)
    if subscription_arn in replaying:
        return
    replaying.add(subscription_arn)

    async def run() -> None:
        try:
            await _feed(ctx, topic.arn, subscription_arn)
        finally:
            replaying.discard(subscription_arn)

    owner = ctx.service.owner(topic.account, topic.region)  # type: ignore[attr-defined]
    ctx.tasks.spawn(f"sns replay {subscription_arn}", run(), owner)


async def feed_now(ctx: Ctx, topic_arn: str, subscription_arn: str) -> None:
    replaying = _replaying(ctx)
    if subscription_arn in replaying:
        return  # its feeder reaches the new message in the archive
    replaying.add(subscription_arn)
    try:
        await _feed(ctx, topic_arn, subscription_arn)
    finally:
        replaying.discard(subscription_arn)


async def _feed(ctx: Ctx, topic_arn: str, subscription_arn: str) -> None:
    """Deliver the archived messages of the replay's window that it has not reached yet, in
    order, then settle its status. Records are read afresh after every delivery: a message
    published, a policy replaced or a subscription deleted meanwhile is seen."""
    _, _, _, region, account, _ = topic_arn.split(":", 5)
    while True:
        store = ctx.store_at(account, region)
        topic = store.topics.get(topic_arn)
        subscription = store.subscriptions.get(subscription_arn)
        replay = subscription.replay if subscription is not None else None
        if topic is None or subscription is None or replay is None or replay["status"] not in RUNNING:
            return
        if not subscription.confirmed:
            return  # fed by the next publish once confirmed
        if topic.archive_since is None:
            replay["status"] = FAILED
            return
        now = ctx.clock.now()
        _expire(topic, now)
        replay["status"] = IN_PROGRESS
        archive = topic.archive
        index = max(bisect_right(archive, replay["after"], key=lambda e: int(e["sequence"])),
                    bisect_left(archive, replay["start"], key=lambda e: e["at"]))
        if index >= len(archive):
            if replay["end"] is None or now >= replay["end"]:
                replay["status"] = COMPLETED
            return
        entry = archive[index]
        if replay["end"] is not None and entry["at"] > replay["end"]:
            replay["status"] = COMPLETED
            return
        replay["after"] = int(entry["sequence"])
        await deliver_to(ctx, topic, subscription, rebuild(entry))


def rebuild(entry: dict[str, Any]) -> dict[str, Any]:
    """A prepared message (publish.prepare's shape) from an archived one."""
    prepared = {key: entry[key] for key in _KEPT}
    prepared["attributes"] = {name: dict(value) for name, value in entry["attributes"].items()}
    prepared["published_at"] = entry["at"]
    prepared["replayed"] = True
    return prepared


def resume(sns: SnsService) -> None:
    """After a restore: feed every unfinished replay on from the sequence number it reached."""
    for (account, region), store in sns.stores.items():
        for subscription in store.subscriptions.values():
            if subscription.replay is None or subscription.replay["status"] not in RUNNING:
                continue
            topic = store.topics.get(subscription.topic_arn)
            if topic is None:
                continue
            ctx = sns.env.dispatcher.context(account, region, origin="sns replay", host=sns.host)
            ctx.service, ctx.store, ctx.service_name = sns, store, "sns"
            _start(ctx, topic, subscription.arn)
