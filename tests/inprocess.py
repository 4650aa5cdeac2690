"""An application in this process, on a frozen clock, driven through its dispatcher.

For tests that look inside (records, waiters, snapshots) or need exact control of
time; black-box tests use the real server (conftest.py) instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from protocols.internal import InternalInput, OutputCheck
from protocols.specs import all_specs
from services.core.clock import Clock
from services.core.dispatch import Dispatcher
from services.core.ids import Ids
from services.registry import SERVICE_NAMES, service_factories

ACCOUNT = "000000000000"
REGION = "us-east-1"
START = 1_700_000_000.0


class InProcess:
    def __init__(
        self, loop: asyncio.AbstractEventLoop | None = None, *, start: float = START, seed: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.loop = loop or asyncio.new_event_loop()
        self.owns_loop = loop is None
        specs = all_specs()
        self.clock = Clock(frozen=True, start=start)
        self.dispatcher = Dispatcher(
            self.clock, service_factories(), SERVICE_NAMES, ids=Ids(seed),
            validate_input=InternalInput(specs), validate_output=OutputCheck(specs), options=options,
        )

    def run(self, work: Any, timeout: float = 2.0) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(work, timeout))

    def call(self, service: str, operation: str, params: dict[str, Any], *, account: str = ACCOUNT, region: str = REGION, timeout: float = 2.0) -> Any:
        return self.run(self.dispatcher.call(service, operation, params, account_id=account, region=region), timeout)

    def sqs(self, operation: str, **params: Any) -> Any:
        return self.call("sqs", operation, params)

    def sfn(self, operation: str, **params: Any) -> Any:
        return self.call("stepfunctions", operation, params)

    def settle(self) -> None:
        """Let background work (executions) run as far as it can without time passing."""
        self.run(self.clock.advance_settled(0))

    def advance(self, seconds: float) -> None:
        self.run(self.clock.advance_settled(seconds))

    def close(self) -> None:
        self.run(self.dispatcher.shutdown())
        if self.owns_loop:
            self.loop.close()
