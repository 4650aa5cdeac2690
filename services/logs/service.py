"""The CloudWatch Logs service of one application: stores of log groups. There is no
runtime beside the records (retention is applied on the clock when a group is used)."""

from __future__ import annotations

from typing import Any

from services.core.service import Operations, Service, ServiceEnv
from services.logs.records import LogsStore, dump_store, load_store

operations = Operations("logs")


class LogsService(Service[LogsStore]):
    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, LogsStore)

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        self.load_stores(snapshot, load_store)


def create(env: ServiceEnv) -> LogsService:
    return LogsService(env)
