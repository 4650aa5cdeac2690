"""Lambda's data plane runtime: execution environments (environment.py) serving AWS's Runtime
API (api.py), pooled per function version (pool.py), and the asynchronous invocations' timers.

`runtime_of(service)` is the one LambdaRuntime of an application's Lambda service, made on
first use; none of it is state: everything here is rebuilt from the records on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.lambda_.runtime.environment import Environment, Outcome, Spec, runtime_family
from services.lambda_.runtime.pool import DEFAULT_MAX_ENVIRONMENTS, Pool

if TYPE_CHECKING:
    from services.core.clock import Timer

__all__ = ["Environment", "LambdaRuntime", "Outcome", "Pool", "Spec", "runtime_family", "runtime_of"]


@dataclass(eq=False)
class LambdaRuntime:
    pool: Pool
    endpoint: str | None  # http://host:port for AWS_ENDPOINT_URL inside functions (None: the Host clients use)
    timers: dict[str, Timer] = field(default_factory=dict)  # pending async invocation id -> its timer

    def close(self) -> None:
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()
        self.pool.kill_all()


def runtime_of(service: Any) -> LambdaRuntime:
    if service.runtime is None:
        options = service.env.options
        endpoint = options.get("lambda_endpoint")
        pool = Pool(service.clock, service.env.dispatcher, int(options.get("lambda_max_environments") or DEFAULT_MAX_ENVIRONMENTS))
        service.runtime = LambdaRuntime(pool, endpoint)
    return service.runtime
