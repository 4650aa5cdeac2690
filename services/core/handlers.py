"""Operation handlers per service, and the dispatch that HTTP and services share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Generic, TypeVar

from services.core.clock import Clock
from services.core.context import Handler, Params, RequestContext, Result
from services.core.errors import AwsError, NotImplementedOperation
from services.core.stores import AccountRegionStores

S = TypeVar("S")


class ServiceNotEnabled(AwsError):
    code, status, sender_fault = "ServiceNotEnabled", 501, False


class ServiceHandlers(Generic[S]):
    """Name -> handler for one service, plus its per-account/region state."""

    def __init__(self, name: str, store_factory: Callable[[], S] | None = None) -> None:
        self.name = name
        self.handlers: dict[str, Handler] = {}
        self.long_running: set[str] = set()  # operations that may wait (long polls)
        self.stores: AccountRegionStores[S] | None = (
            AccountRegionStores(store_factory) if store_factory is not None else None
        )
        self._reset_hooks: list[Callable[[], None]] = []

    def operation(self, name: str, *, long_running: bool = False) -> Callable[[Handler], Handler]:
        """Register a handler; `long_running` ones are cancelled when their client disconnects."""

        def register(handler: Handler) -> Handler:
            if name in self.handlers:
                raise ValueError(f"{self.name}.{name} is registered twice")
            self.handlers[name] = handler
            if long_running:
                self.long_running.add(name)
            return handler

        return register

    def on_reset(self, hook: Callable[[], None]) -> Callable[[], None]:
        self._reset_hooks.append(hook)
        return hook

    def implemented(self) -> frozenset[str]:
        return frozenset(self.handlers)

    def store_for(self, account_id: str, region: str) -> S | None:
        return self.stores.get(account_id, region) if self.stores is not None else None

    def reset(self) -> None:
        """Run the reset hooks (which release waiters and timers), then drop all state."""
        for hook in self._reset_hooks:
            hook()
        if self.stores is not None:
            self.stores.reset()


class Dispatcher:
    """Routes (service, operation, params) to a handler: one path for HTTP and services alike."""

    def __init__(self, clock: Clock, services: Iterable[ServiceHandlers[Any]], enabled: Iterable[str]) -> None:
        self.clock = clock
        self.services = {s.name: s for s in services}
        self.enabled = frozenset(enabled)

    def handler_for(self, service: str, operation: str) -> Handler:
        if service not in self.enabled:
            raise ServiceNotEnabled(f"Service {service} is not enabled in this stepstack (see STEPSTACK_SERVICES).")
        handlers = self.services.get(service)
        handler = handlers.handlers.get(operation) if handlers is not None else None
        if handler is None:
            raise NotImplementedOperation(service, operation)
        return handler

    def is_long_running(self, service: str, operation: str) -> bool:
        handlers = self.services.get(service)
        return handlers is not None and operation in handlers.long_running

    async def dispatch(self, ctx: RequestContext[Any], service: str, operation: str, params: Params) -> Result:
        handler = self.handler_for(service, operation)
        store = self.services[service].store_for(ctx.account_id, ctx.region)
        if not ctx.service:  # a fresh context from the gateway: fill it in (cheaper than a copy)
            ctx.service, ctx.operation, ctx.store = service, operation, store
            return await handler(ctx, params)
        return await handler(replace(ctx, service=service, operation=operation, store=store), params)

    def reset(self) -> None:
        # Timers stay: each service's reset hook cancels its own waits, so no
        # request blocked on the clock is stranded.
        for handlers in self.services.values():
            handlers.reset()
