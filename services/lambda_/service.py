"""The Lambda service of one application: its stores of records, and the runtime beside them
(execution environments and their Runtime API servers, the asynchronous-invocation timers;
runtime/ owns them)."""

from __future__ import annotations

from typing import Any

from services.core.service import Operations, Service, ServiceEnv
from services.lambda_.records import LambdaStore, dump_store, load_store

operations = Operations("lambda")


class LambdaService(Service[LambdaStore]):
    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, LambdaStore)
        self.runtime: Any = None  # the environments' pool (runtime/), made on first invoke
        self.inspectors["code"] = self._code
        self.pollers: dict[str, list[Any]] = {}  # event source mapping UUID -> its poller tasks (sqs_poller.py)

    def _code(self, query: dict[str, str]) -> Any:
        """A zip stepstack keeps (GetFunction's and GetLayerVersion's Code.Location), as bytes:
        `/_stepstack/lambda/code?Account=...&Region=...&Sha256=<hex>`."""
        from services.lambda_.errors import ResourceNotFoundException

        store = self.stores.peek(query.get("Account", ""), query.get("Region", ""))
        code = store.code.get(query.get("Sha256", "")) if store is not None else None
        if code is None:
            raise ResourceNotFoundException("The code you requested does not exist.")
        return bytes(code)

    def release(self) -> None:
        """Reset or shutdown: kill every execution environment, drop the async invocations' timers."""
        super().release()
        if self.runtime is not None:
            self.runtime.close()

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        from services.lambda_ import sqs_poller

        self.load_stores(snapshot, load_store)
        self.pollers.clear()
        sqs_poller.resume(self)
        from services.lambda_.async_invoke import rearm

        rearm(self)  # pending asynchronous invocations; execution environments start again on demand

    async def reset(self) -> None:
        self.pollers.clear()  # their tasks are this service's: the base reset cancels them
        await super().reset()
        if self.runtime is not None:
            self.runtime.close()


def create(env: ServiceEnv) -> LambdaService:
    return LambdaService(env)
