"""What a handler knows about the request it serves, and how it calls other services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from services.core.clock import Clock

if TYPE_CHECKING:
    from services.core.dispatch import Dispatcher
    from services.core.events import ChangeEvents
    from services.core.ids import Ids
    from services.core.service import Service
    from services.core.tasks import Supervisor

S = TypeVar("S")

Params = dict[str, Any]
Result = dict[str, Any]


@dataclass(slots=True)
class RequestContext(Generic[S]):
    """Account, region and request id of one call, the application's shared parts, and the
    called service's store (`store`) and runtime (`service`)."""

    account_id: str
    region: str
    request_id: str
    dispatcher: Dispatcher
    origin: str = "request"  # who asked: "request", or the background work that calls
    service_name: str = ""
    operation: str = ""
    host: str = "localhost:4566"  # the Host the client used, for URLs we hand back
    headers: Mapping[str, str] = field(default_factory=dict)
    store: S = None  # type: ignore[assignment]
    service: Service[S] = None  # type: ignore[assignment]

    @property
    def clock(self) -> Clock:
        return self.dispatcher.clock

    @property
    def ids(self) -> Ids:
        return self.dispatcher.ids

    @property
    def tasks(self) -> Supervisor:
        return self.dispatcher.tasks

    @property
    def events(self) -> ChangeEvents:
        return self.dispatcher.events

    @property
    def strict(self) -> bool:
        """Enforce AWS rate rules that slow tests down (STEPSTACK_STRICT)."""
        return self.dispatcher.strict

    def store_at(self, account_id: str, region: str, *, create: bool = True) -> S:
        """This service's store for another account or region (a resource named by its ARN);
        with create=False a lookup of an account never seen creates no store."""
        if account_id == self.account_id and region == self.region:
            return self.store
        stores = self.service.stores
        return stores.get(account_id, region) if create else stores.peek(account_id, region)

    def call(
        self, service: str, operation: str, params: Params, *, account_id: str | None = None, region: str | None = None
    ) -> Awaitable[Result]:
        """Call another service's operation, validated like a wire call, as this account and
        region unless told otherwise."""
        return self.dispatcher.call(
            service, operation, params,
            account_id=account_id or self.account_id, region=region or self.region,
            origin=self.origin, host=self.host,
        )

    def call_arn(self, arn: str, operation: str, params: Params) -> Awaitable[Result]:
        """Call the service that owns `arn`, in the ARN's account and region."""
        return self.dispatcher.call_arn(arn, operation, params, origin=self.origin, host=self.host)


Handler = Callable[[RequestContext[Any], Params], Awaitable[Result]]
