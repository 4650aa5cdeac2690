"""The execution environments of one application: made on demand, reused warm, one invocation
at a time each, a new one per concurrent invocation, within the function's reserved
concurrency and a machine-wide maximum (`lambda_max_environments`), reclaimed when idle for
`IDLE_SECONDS` of service time, all killed at reset and shutdown.

Environments are runtime, never records: after a restore they start again on demand.

Where we knowingly differ from AWS: unreserved functions share the machine-wide maximum (AWS's
account concurrency, 1000 by default); when it is reached by busy environments an invocation is
throttled with AWS's ConcurrentInvocationLimitExceeded.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import tempfile
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.lambda_.errors import TooManyRequestsException
from services.lambda_.runtime.environment import Environment, Outcome, Spec

if TYPE_CHECKING:
    from services.core.clock import Clock, Timer

log = logging.getLogger("stepstack.lambda")

IDLE_SECONDS = 10 * 60.0
DEFAULT_MAX_ENVIRONMENTS = 32

Key = tuple[Hashable, ...]  # (account, region, function ARN, version, revision)


def _throttle(reason: str) -> TooManyRequestsException:
    return TooManyRequestsException("Rate Exceeded.", Reason=reason)


@dataclass(eq=False)
class _Slot:
    env: Environment
    key: Key
    idle_timer: Timer | None = None


@dataclass(eq=False)
class Pool:
    """See the module docstring."""

    clock: Clock
    dispatcher: Any
    max_environments: int = DEFAULT_MAX_ENVIRONMENTS
    write_lines: Any = None
    _root: Path | None = None
    _idle: dict[Key, list[_Slot]] = field(default_factory=dict)  # warm, most recently used last
    _all: dict[Environment, _Slot] = field(default_factory=dict)
    _busy_by_function: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (account, region, arn) -> busy
    _starting: int = 0
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def root(self) -> Path:
        if self._root is None or not self._root.exists():
            self._root = Path(tempfile.mkdtemp(prefix="stepstack-lambda-"))
        return self._root

    def environments(self) -> list[Environment]:
        return [env for env in self._all if not env.dead]

    def busy(self, account: str, region: str, function_arn: str) -> int:
        return self._busy_by_function.get((account, region, function_arn), 0)

    async def run(
        self, spec: Spec, function_arn: str, reserved: int | None, request_id: str, payload: bytes,
        headers: dict[str, str],
    ) -> Outcome:
        """One invocation on a warm environment of this version, or a new one; throttled as AWS
        throttles when the function's reserved concurrency or the machine's maximum is reached."""
        fkey = (spec.account, spec.region, function_arn)
        if reserved is not None and self._busy_by_function.get(fkey, 0) >= reserved:
            raise _throttle("ReservedFunctionConcurrentInvocationLimitExceeded")
        key: Key = (spec.account, spec.region, function_arn, spec.version, spec.config.get("RevisionId"), spec.config.get("CodeSha256"))
        self._retire_stale(key)
        slot = self._take_idle(key)
        if slot is None and self._live() >= self.max_environments and not self._evict_one():
            raise _throttle("ConcurrentInvocationLimitExceeded")
        self._busy_by_function[fkey] = self._busy_by_function.get(fkey, 0) + 1
        try:
            if slot is None:
                slot, failed = await self._start(spec, key)
                if failed is not None:
                    self._all.pop(slot.env, None)
                    return await slot.env.fail_invocation(request_id, failed)
            slot.env.busy = True
            outcome = await slot.env.invoke(request_id, payload, headers)
            slot.env.busy = False
            self._park(slot)
            return outcome
        except asyncio.CancelledError:
            if slot is not None:
                self._discard(slot)
            raise
        finally:
            left = self._busy_by_function.get(fkey, 1) - 1
            if left:
                self._busy_by_function[fkey] = left
            else:
                self._busy_by_function.pop(fkey, None)

    async def _start(self, spec: Spec, key: Key) -> tuple[_Slot, Outcome | None]:
        env = Environment(spec, self.clock, self.dispatcher, self.root / f"env-{next(self._serial)}", self.write_lines)
        slot = _Slot(env, key)
        self._all[env] = slot
        self._starting += 1
        try:
            failed = await env.start()
        except BaseException:
            self._discard(slot)
            raise
        finally:
            self._starting -= 1
        return slot, failed

    def _live(self) -> int:
        return sum(1 for env in self._all if not env.dead)

    def _take_idle(self, key: Key) -> _Slot | None:
        slots = self._idle.get(key)
        while slots:
            slot = slots.pop()
            if slot.idle_timer is not None:
                slot.idle_timer.cancel()
                slot.idle_timer = None
            if not slot.env.dead:
                return slot
            self._all.pop(slot.env, None)
        return None

    def _park(self, slot: _Slot) -> None:
        if slot.env.dead:
            self._discard(slot)
            return
        slot.env.last_used = self.clock.now()
        self._idle.setdefault(slot.key, []).append(slot)
        slot.idle_timer = self.clock.call_later(IDLE_SECONDS, lambda: self._reclaim(slot))

    def _reclaim(self, slot: _Slot) -> None:
        slot.idle_timer = None
        slots = self._idle.get(slot.key)
        if slots and slot in slots:
            slots.remove(slot)
            self._discard(slot)

    def _discard(self, slot: _Slot) -> None:
        if slot.idle_timer is not None:
            slot.idle_timer.cancel()
            slot.idle_timer = None
        slots = self._idle.get(slot.key)
        if slots and slot in slots:
            slots.remove(slot)
        if slots == []:
            self._idle.pop(slot.key, None)
        self._all.pop(slot.env, None)
        slot.env.kill()

    def _evict_one(self) -> bool:
        """Make room by ending the least recently used idle environment, if there is one."""
        idle = [s for slots in self._idle.values() for s in slots]
        if not idle:
            return False
        self._discard(min(idle, key=lambda s: s.env.last_used))
        return True

    def _retire_stale(self, key: Key) -> None:
        """The version's code or configuration changed: its warm environments are stale."""
        for other in [k for k in self._idle if k[:4] == key[:4] and k != key]:
            for slot in list(self._idle.get(other, [])):
                self._discard(slot)

    def drop_function(self, account: str, region: str, function_arn: str) -> None:
        """End the idle environments of one function (deleted or updated)."""
        for key in [k for k in self._idle if k[:3] == (account, region, function_arn)]:
            for slot in list(self._idle.get(key, [])):
                self._discard(slot)

    def kill_all(self) -> None:
        """Reset or shutdown: end every environment now, and remove the pool's directory."""
        for slot in list(self._all.values()):
            self._discard(slot)
        self._idle.clear()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

