"""The Docker executor (STEPSTACK_BATCH_EXECUTOR=docker): a job attempt runs as a container of
its image, through the docker SDK (the optional extra `stepstack[docker]`).

The container gets the launch's command (none: the image's default, as on AWS), environment,
memory (MiB) and vCPUs as limits, and `host.docker.internal` pointing at this machine so a job
can call stepstack. Its stdout and stderr go line by line to CloudWatch Logs (output.py); kill
is `docker stop` with a grace of `grace` real seconds (AWS waits 30 s); the container is removed
once it has ended.

Without the SDK, or without an engine that answers, every attempt fails with exit code None and
a reason that says so; the executor logs one warning when it is made, and tries to connect
again at each attempt (an engine started later is found).

LIMITATIONS: written against the docker SDK 7 API without a Docker engine at hand; the
engine-less path is tested, the rest is not yet.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.batch.executor import Launch, Outcome
from services.batch.output import Lines, LogSink, WriteLines, cloudwatch
from services.batch.process_executor import GRACE

if TYPE_CHECKING:
    from services.core.clock import Clock

log = logging.getLogger("stepstack.batch")

NO_SDK = "stepstack's docker executor: the docker package is not installed (pip install 'stepstack[docker]')"


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


@dataclass(eq=False)
class _Attempt:
    container: Any = None
    reason: str | None = None
    stopping: bool = False


class DockerExecutor:
    """Runs job attempts as Docker containers; see the module docstring."""

    def __init__(self, dispatcher: Any, clock: Clock, *, grace: float = GRACE, write_lines: WriteLines | None = None) -> None:
        self.dispatcher = dispatcher
        self.clock = clock
        self.grace = grace
        self._write_lines = write_lines
        self._running: dict[str, _Attempt] = {}
        self.unavailable: str | None = None  # why no engine can be used, when none can
        self._client = self._connect()
        if self._client is None:
            log.warning("%s; Batch jobs will fail until one is", self.unavailable)

    def _connect(self) -> Any:
        try:
            import docker
        except ImportError:
            self.unavailable = NO_SDK
            return None
        try:
            client = docker.from_env(timeout=10)
            client.ping()
        except Exception as exc:  # noqa: BLE001 - the SDK raises several kinds; all mean "no engine"
            self.unavailable = f"stepstack's docker executor: no Docker engine reachable at {engine_address()} ({exc})"
            return None
        self.unavailable = None
        return client

    async def run(self, launch: Launch) -> Outcome:
        client = self._client or await asyncio.to_thread(self._connect)
        if client is None:
            return Outcome(None, self.unavailable)
        self._client = client
        attempt = self._running[launch.job_id] = _Attempt()
        try:
            return await self._run(client, launch, attempt)
        finally:
            if self._running.get(launch.job_id) is attempt:
                del self._running[launch.job_id]
            if attempt.container is not None:
                await asyncio.to_thread(_remove, attempt.container)

    async def _run(self, client: Any, launch: Launch, attempt: _Attempt) -> Outcome:
        from docker.errors import APIError, ImageNotFound

        try:
            attempt.container = await asyncio.to_thread(_create, client, launch)
        except (ImageNotFound, APIError) as exc:
            kind = "CannotPullContainerError" if isinstance(exc, ImageNotFound) or "pull" in str(exc) else "CannotCreateContainerError"
            return Outcome(None, f"{kind}: Error response from daemon: {_explain(exc)}")
        try:
            await asyncio.to_thread(attempt.container.start)
        except APIError as exc:
            return Outcome(None, f"CannotStartContainerError: Error response from daemon: {_explain(exc)}")
        if attempt.reason is not None:
            self._stop(attempt)
        write = cloudwatch(self._write_lines, self.dispatcher, launch.account, launch.region, launch.log_group, launch.log_stream)
        sink = LogSink(self.clock, write, f"job {launch.job_id} attempt {launch.attempt}")
        loop = asyncio.get_running_loop()
        logs = asyncio.ensure_future(asyncio.to_thread(_follow, attempt.container, loop, sink))
        try:
            status = await asyncio.to_thread(attempt.container.wait)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(_remove, attempt.container))
            attempt.container = None
            sink.abort()
            raise
        await asyncio.wait([logs], timeout=2.0)
        await sink.close()
        return Outcome(int(status.get("StatusCode", 0)), attempt.reason)

    def kill(self, job_id: str, reason: str) -> None:
        attempt = self._running.get(job_id)
        if attempt is None:
            return
        if attempt.reason is None:
            attempt.reason = reason
        if attempt.container is not None:
            self._stop(attempt)

    def _stop(self, attempt: _Attempt) -> None:
        if not attempt.stopping:
            attempt.stopping = True
            asyncio.get_running_loop().run_in_executor(None, _stop, attempt.container, self.grace)

    def running(self) -> list[str]:
        return sorted(self._running)

    def terminate_all(self, reason: str, grace: float | None = None) -> None:
        for job_id in list(self._running):
            self.kill(job_id, reason)

    async def close(self, grace: float = 1.0) -> None:
        """Stop what runs; the runs themselves remove their containers."""
        for attempt in list(self._running.values()):
            if attempt.container is not None:
                await asyncio.to_thread(_stop, attempt.container, grace)


def _create(client: Any, launch: Launch) -> Any:
    from docker.errors import ImageNotFound

    options = dict(
        command=list(launch.command) or None,
        environment=dict(launch.environment),
        labels={"stepstack.batch.job": launch.job_id, "stepstack.batch.attempt": str(launch.attempt)},
        mem_limit=f"{launch.memory}m",
        nano_cpus=int(launch.vcpus * 1e9),
        extra_hosts={"host.docker.internal": "host-gateway"},
    )
    try:
        return client.containers.create(launch.image, **options)
    except ImageNotFound:
        client.images.pull(launch.image)
        return client.containers.create(launch.image, **options)


def _follow(container: Any, loop: asyncio.AbstractEventLoop, sink: LogSink) -> None:
    """In a thread: the container's output, demultiplexed, into the sink on the loop."""
    out, err = Lines(), Lines()
    for stdout, stderr in container.attach(stdout=True, stderr=True, stream=True, logs=True, demux=True):
        if stdout:
            loop.call_soon_threadsafe(sink.add, out.feed(stdout))
        if stderr:
            loop.call_soon_threadsafe(sink.add, err.feed(stderr))
    loop.call_soon_threadsafe(sink.add, out.end() + err.end())


def _stop(container: Any, grace: float) -> None:
    try:
        container.stop(timeout=max(1, round(grace)))
    except Exception as exc:  # noqa: BLE001 - already gone
        log.debug("docker stop %s: %s", getattr(container, "id", "?"), exc)


def _remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except Exception as exc:  # noqa: BLE001 - already gone
        log.debug("docker rm %s: %s", getattr(container, "id", "?"), exc)


def _explain(exc: Any) -> str:
    return str(getattr(exc, "explanation", None) or exc)
