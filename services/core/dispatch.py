"""The dispatch that HTTP and services share: (service, operation, params) -> handler.

Wire calls arrive already decoded and validated by protocols/. Calls from one
service to another go through `call`, whose params are validated by the same
compiled readers (the server injects the validator: services never import
protocols/), so bad internal input answers the callee's own AWS error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from services.core.clock import Clock
from services.core.context import Params, RequestContext, Result
from services.core.errors import AwsError, InternalFailure, NotImplementedOperation
from services.core.events import ChangeEvents
from services.core.ids import Ids
from services.core.arns import parse_arn
from services.core.service import Service, ServiceEnv
from services.core.tasks import Supervisor

log = logging.getLogger("stepstack.dispatch")

InputValidator = Callable[[str, str, Params], Params]  # typed params, or raises the service's AwsError
OutputValidator = Callable[[str, str, Result], list[str]]  # problems with a result (none: valid)
ServiceFactory = Callable[[ServiceEnv], Service[Any]]

# the service namespace in an ARN -> the service's botocore name
ARN_SERVICES = MappingProxyType({"states": "stepfunctions", "sqs": "sqs", "sns": "sns", "batch": "batch", "logs": "logs", "lambda": "lambda"})


class ServiceNotEnabled(AwsError):
    code, status, sender_fault = "ServiceNotEnabled", 501, False


class InvalidTarget(AwsError):
    code, status, sender_fault = "ValidationException", 400, True


class Dispatcher:
    """Owns the services of one application and routes every call to their handlers."""

    def __init__(
        self,
        clock: Clock,
        factories: Iterable[ServiceFactory],
        enabled: Iterable[str],
        *,
        ids: Ids | None = None,
        strict: bool = False,
        validate_input: InputValidator | None = None,
        validate_output: OutputValidator | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.clock = clock
        self.ids = ids or Ids()
        self.tasks = Supervisor()
        self.events = ChangeEvents()
        self.strict = strict
        self.closing = False  # shutting down: polls answer at once
        self.validate_input = validate_input
        self.validate_output = validate_output
        env = ServiceEnv(clock, self.ids, self.tasks, self.events, self, MappingProxyType(dict(options or {})))
        self.services: dict[str, Service[Any]] = {}
        for factory in factories:
            service = factory(env)
            self.services[service.name] = service
        self.enabled = frozenset(enabled)

    # -- contexts ------------------------------------------------------------------------

    def context(
        self,
        account_id: str,
        region: str,
        *,
        origin: str = "request",
        host: str = "localhost:4566",
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> RequestContext[Any]:
        """A context for a request, or for work that outlives one (deliveries, executions, jobs)."""
        return RequestContext(
            account_id, region, request_id or self.ids.uuid(), self, origin=origin, host=host, headers=headers or {}
        )

    # -- calls ---------------------------------------------------------------------------

    def service(self, name: str) -> Service[Any]:
        if name not in self.enabled:
            raise ServiceNotEnabled(f"Service {name} is not enabled in this stepstack (see STEPSTACK_SERVICES).")
        service = self.services.get(name)
        if service is None:
            raise ServiceNotEnabled(f"Service {name} is not part of this stepstack.")
        return service

    def is_long_running(self, service: str, operation: str) -> bool:
        found = self.services.get(service)
        return found is not None and found.operations.is_long_running(operation)

    async def dispatch(self, ctx: RequestContext[Any], service: str, operation: str, params: Params) -> Result:
        """Run a handler with params already validated (by the wire protocol, or by `call`)."""
        target = self.service(service)
        handler = target.operations.handlers.get(operation)
        if handler is None:
            raise NotImplementedOperation(service, operation)
        ctx.service_name, ctx.operation, ctx.service = service, operation, target
        ctx.store = target.stores.get(ctx.account_id, ctx.region)
        result = await handler(ctx, params)
        if self.validate_output is not None:
            problems = self.validate_output(service, operation, result)
            if problems:
                log.error("%s %s returned a result that breaks its output shape: %s", service, operation, "; ".join(problems))
                raise InternalFailure(f"stepstack answered {service} {operation} with an invalid result; see its log.")
        return result

    async def call(
        self,
        service: str,
        operation: str,
        params: Params,
        *,
        account_id: str,
        region: str,
        origin: str = "internal",
        host: str = "localhost:4566",
    ) -> Result:
        """An internal call: params validated against the callee's input shape first."""
        target = self.service(service)
        if operation not in target.operations.handlers:
            raise NotImplementedOperation(service, operation)
        if self.validate_input is not None:
            params = self.validate_input(service, operation, params)
        ctx = self.context(account_id, region, origin=origin, host=host)
        return await self.dispatch(ctx, service, operation, params)

    async def call_arn(self, arn: str, operation: str, params: Params, *, origin: str = "internal", host: str = "localhost:4566") -> Result:
        """Call the service that owns `arn`, in the ARN's account and region."""
        parsed = parse_arn(arn)
        service = ARN_SERVICES.get(parsed.service) if parsed is not None else None
        if parsed is None or service is None or not parsed.region or not parsed.account:
            raise InvalidTarget(f"Invalid Arn: '{arn}'")
        return await self.call(
            service, operation, params, account_id=parsed.account, region=parsed.region, origin=origin, host=host
        )

    # -- the whole application -----------------------------------------------------------

    def release(self) -> None:
        """Answer every waiting poll now (the first step of a shutdown)."""
        for service in self.services.values():
            service.release()

    async def reset(self, only: str | None = None) -> None:
        """Drop the state of every service (or of the one named)."""
        for name, service in self.services.items():
            if only is None or name == only:
                await service.reset()

    async def shutdown(self) -> None:
        self.closing = True
        self.release()
        await self.tasks.shutdown()

    def snapshot(self) -> dict[str, Any]:
        states = {name: s.snapshot() for name, s in self.services.items()}
        return {"clock": self.clock.now(), "services": {k: v for k, v in states.items() if v is not None}}

    async def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace all state by a snapshot's: service time moves on to the snapshot's, never back."""
        await self.reset()
        self.clock.reach(float(snapshot.get("clock", 0.0)))
        for name, service in self.services.items():
            state = snapshot.get("services", {}).get(name)
            if state is not None:
                service.restore(state)
