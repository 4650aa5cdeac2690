"""A service: its operation table (code, fixed at import) and, per application, its
state (records in stores) and runtime (timers, waiters, tasks re-derived from them).

Each service package exposes `create(env) -> Service`; the application calls it
once, so two applications in one process share nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from services.core.context import Handler
from services.core.stores import AccountRegionStores

if TYPE_CHECKING:
    from services.core.clock import Clock
    from services.core.dispatch import Dispatcher
    from services.core.events import ChangeEvents
    from services.core.ids import Ids
    from services.core.tasks import Supervisor

S = TypeVar("S")

Inspector = Callable[[dict[str, str]], Any]


class Operations:
    """Operation name -> handler, as registered by a service's modules at import."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: dict[str, Handler] = {}
        self._long_running: set[str] = set()
        self.handlers = MappingProxyType(self._handlers)

    def operation(self, name: str, *, long_running: bool = False) -> Callable[[Handler], Handler]:
        """Register a handler; `long_running` ones are cancelled when their client disconnects."""

        def register(handler: Handler) -> Handler:
            if name in self._handlers:
                raise ValueError(f"{self.name}.{name} is registered twice")
            self._handlers[name] = handler
            if long_running:
                self._long_running.add(name)
            return handler

        return register

    def is_long_running(self, name: str) -> bool:
        return name in self._long_running

    def implemented(self) -> frozenset[str]:
        return frozenset(self._handlers)


@dataclass(frozen=True)
class ServiceEnv:
    """What the application hands each service it creates."""

    clock: Clock
    ids: Ids
    tasks: Supervisor
    events: ChangeEvents
    dispatcher: Dispatcher
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # per-service settings, e.g. sqs_realism


class Service(Generic[S]):
    """One service in one application. Subclasses override the hooks they need."""

    def __init__(self, env: ServiceEnv, operations: Operations, store_factory: Callable[[], S] | None = None) -> None:
        self.env = env
        self.name = operations.name
        self.operations = operations
        self.stores: AccountRegionStores[S] = AccountRegionStores(store_factory or (lambda: None))  # type: ignore[arg-type,return-value]
        self.inspectors: dict[str, Inspector] = {}

    @property
    def clock(self) -> Clock:
        return self.env.clock

    def owner(self, account_id: str, region: str) -> Hashable:
        """The owner key of background work of one store."""
        return (self.name, account_id, region)

    def owns(self, owner: Hashable) -> bool:
        """Whether background work with this owner key is this service's."""
        return isinstance(owner, tuple) and owner[:1] == (self.name,)

    # -- hooks ------------------------------------------------------------------------

    def release(self) -> None:
        """Answer every waiting poll now with the empty answer AWS gives (reset, shutdown)."""

    async def reset(self) -> None:
        """Release waits and drop all state at once (so no request sees half of it), then
        cancel this service's background work and wait for it."""
        self.release()
        self.stores.reset()
        await self.env.tasks.cancel_where(self.owns)

    def snapshot(self) -> Any:
        """A JSON-able value from which restore() rebuilds the state and its timers."""
        return None

    def dump_stores(self, dump: Callable[[S], Any]) -> list[dict[str, Any]]:
        """The stores as a snapshot: one entry per account and region, each store dumped."""
        return [{"account": account, "region": region, "store": dump(store)} for (account, region), store in self.stores.items()]

    def load_stores(self, snapshot: Any, load: Callable[[Any], S]) -> None:
        """Replace the stores by a snapshot's (made by dump_stores)."""
        self.stores.reset()
        for entry in snapshot:
            self.stores.put(entry["account"], entry["region"], load(entry["store"]))

    def restore(self, snapshot: Any) -> None:
        """Replace the state by a snapshot's and re-arm every timer from its records."""

    def inspect(self, name: str, query: dict[str, str]) -> Any:
        """A read-only view registered by the service (the admin endpoints show these)."""
        inspector = self.inspectors.get(name)
        return inspector(query) if inspector is not None else None
