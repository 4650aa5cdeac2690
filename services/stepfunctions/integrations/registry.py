"""The service integrations a Task can run, and what each attempt of one works with.

An integration is registered for a (service, action) of the Resource (`INTEGRATIONS.register`),
or for every action of an AWS SDK service (`INTEGRATIONS.register_sdk`). Its `start` does the
call and returns what AWS records as the task's output (request-response) or as its
TaskSubmitted output (`.sync`, `.waitForTaskToken`); `finish` waits, without polling, for the
work a `.sync` task started and returns its output or raises the failure AWS records; `stop`
ends that work when the execution stops. Failures are StatesFailures named as AWS names them
(`Lambda.ResourceNotFoundException`, `SQS.AmazonSQSException`, ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.core.context import Result
from services.stepfunctions.integrations.resources import REQUEST, ServiceResource

if TYPE_CHECKING:
    from services.stepfunctions.interpreter.fields import Env


class TaskCall:
    """One attempt of a service Task: its resource, its parameters (after Parameters or
    Arguments), its task token (`.waitForTaskToken`), and calls to the other services as
    the execution's account and region."""

    def __init__(self, env: Env, resource: ServiceResource, params: Any, token: str | None) -> None:
        self.env = env
        self.resource = resource
        self.params = params
        self.token = token
        execution = env.runner.execution
        parts = execution.arn.split(":")
        self.region, self.account = parts[3], parts[4]
        self.execution = execution
        self.service = env.runner.service  # the SfnService running the execution

    @property
    def dispatcher(self) -> Any:
        return self.service.env.dispatcher

    @property
    def clock(self) -> Any:
        return self.env.runner.clock

    @property
    def events(self) -> Any:
        return self.service.env.events

    def aws(self, service: str, operation: str, params: dict[str, Any]) -> Awaitable[Result]:
        """Call a stepstack service's operation (input validated as on the wire)."""
        return self.dispatcher.call(service, operation, params, account_id=self.account, region=self.region)


Start = Callable[[TaskCall], Awaitable[Any]]
Finish = Callable[[TaskCall, Any], Awaitable[Any]]
Stop = Callable[[TaskCall, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Integration:
    start: Start
    patterns: frozenset[str]  # the integration patterns it supports
    finish: Finish | None = None  # `.sync`: until the work it started ends
    stop: Stop | None = None  # `.sync`: end that work (the execution stopped)


class Integrations:
    """Every integration stepstack runs, found by the resource that names it."""

    def __init__(self) -> None:
        self._actions: dict[tuple[str, str], Integration] = {}
        self._sdk: dict[str, Integration] = {}

    def register(
        self, service: str, action: str, patterns: tuple[str, ...] = (REQUEST,), finish: Finish | None = None, stop: Stop | None = None,
    ) -> Callable[[Start], Start]:
        def add(start: Start) -> Start:
            self._actions[(service, action)] = Integration(start, frozenset(patterns), finish, stop)
            return start
        return add

    def register_sdk(self, service: str, integration: Integration) -> None:
        self._sdk[service] = integration

    def find(self, resource: ServiceResource) -> Integration | None:
        if resource.sdk:
            return self._sdk.get(resource.service)
        return self._actions.get((resource.service, resource.action))


INTEGRATIONS = Integrations()
