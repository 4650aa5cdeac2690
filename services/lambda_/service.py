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

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        self.load_stores(snapshot, load_store)


def create(env: ServiceEnv) -> LambdaService:
    return LambdaService(env)
