"""Change events by resource ARN: who listens hears each change as it happens.

A service publishes a change of one of its resources (a message's state, an
execution's new history event, a job's status) under the resource's ARN.
Subscribers name an ARN or an ARN prefix. Publishing costs one dict lookup when
nobody listens; nothing ever polls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("stepstack.events")

Event = dict[str, Any]
Listener = Callable[[str, Event], None]


class Subscription:
    __slots__ = ("key", "listener", "prefix", "_events")

    def __init__(self, events: ChangeEvents, key: str, listener: Listener, prefix: bool) -> None:
        self._events = events
        self.key = key
        self.listener = listener
        self.prefix = prefix

    def cancel(self) -> None:
        self._events._remove(self)


class ChangeEvents:
    def __init__(self) -> None:
        self._exact: dict[str, list[Subscription]] = {}
        self._prefixed: list[Subscription] = []
        self.active = False  # anyone listening at all: publishers check this before building an event

    def subscribe(self, arn: str, listener: Listener, *, prefix: bool = False) -> Subscription:
        subscription = Subscription(self, arn, listener, prefix)
        if prefix:
            self._prefixed.append(subscription)
        else:
            self._exact.setdefault(arn, []).append(subscription)
        self.active = True
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        if subscription.prefix:
            if subscription in self._prefixed:
                self._prefixed.remove(subscription)
        else:
            listeners = self._exact.get(subscription.key)
            if listeners is not None and subscription in listeners:
                listeners.remove(subscription)
                if not listeners:
                    del self._exact[subscription.key]
        self.active = bool(self._exact or self._prefixed)

    def publish(self, arn: str, event: Event) -> None:
        exact = self._exact.get(arn)
        if exact is None and not self._prefixed:
            return
        targets = list(exact or ())
        targets += [s for s in self._prefixed if arn.startswith(s.key)]
        for subscription in targets:
            try:
                subscription.listener(arn, event)
            except Exception:  # one broken listener must not stop the others or the publisher
                log.exception("change listener for %s failed", subscription.key)

    async def wait_for(self, arn: str, accept: Callable[[Event], bool]) -> Event:
        """The next event of `arn` that `accept` takes (the caller checks the current state first)."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

        def listener(_: str, event: Event) -> None:
            if not future.done() and accept(event):
                future.set_result(event)

        subscription = self.subscribe(arn, listener)
        try:
            return await future
        finally:
            subscription.cancel()

    def __len__(self) -> int:
        return sum(len(v) for v in self._exact.values()) + len(self._prefixed)
