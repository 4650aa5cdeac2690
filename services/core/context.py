"""What a handler knows about the request it serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from services.core.clock import Clock

if TYPE_CHECKING:
    from services.core.handlers import Dispatcher

S = TypeVar("S")

Params = dict[str, Any]
Result = dict[str, Any]


@dataclass(slots=True)
class RequestContext(Generic[S]):
    """Account, region, request id and the shared clock; `store` is the service's state."""

    account_id: str
    region: str
    request_id: str
    clock: Clock
    dispatcher: Dispatcher
    service: str = ""
    operation: str = ""
    host: str = "localhost:4566"  # the Host the client used, for URLs we hand back
    headers: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False  # enforce AWS rate rules that slow tests down (STEPSTACK_STRICT)
    store: S = None  # type: ignore[assignment]

    def dispatch(self, service: str, operation: str, params: Params) -> Awaitable[Result]:
        """Call another service's operation as the same account and region."""
        return self.dispatcher.dispatch(self, service, operation, params)


Handler = Callable[[RequestContext[Any], Params], Awaitable[Result]]
