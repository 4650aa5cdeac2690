"""The process executor: a job attempt runs as a process on this machine, as the server's user.

The command is executed directly (no shell unless it is itself `sh -c ...`), in its own session
and process group, with stdin from /dev/null, in a working directory of its own
(`<work root>/<job id>/<attempt>`, removed afterwards unless keep_workdirs), and with an
environment of PATH (the server's), HOME (the working directory) and LANG, plus the launch's
variables: nothing else of the server's environment reaches it. stdout and stderr go line by
line to CloudWatch Logs (output.py).

Where we knowingly differ from AWS:
- There is no image: `image` is ignored, and an empty command (the image's default command on
  AWS) cannot start: `CannotStartContainerError: ... No command specified`.
- vCPUs and memory are not enforced.
- Stopping (kill) sends SIGTERM to the process group and SIGKILL after `grace` *real* seconds
  (AWS waits 30 s; docker stop 10 s): this one wait is real time, not service time, because it
  gives a real process time to exit. The exit code is Docker's: 128 + the signal that ended the
  process (143 after SIGTERM, 137 after SIGKILL), or the process's own code if it handled the
  signal and exited; the reason is the one kill was given.
- When the main process exits, whatever it left running in its process group is killed, as a
  container's processes die with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.batch.executor import Launch, Outcome
from services.batch.output import Lines, LogSink, WriteLines, cloudwatch

if TYPE_CHECKING:
    from services.core.clock import Clock

log = logging.getLogger("stepstack.batch")

GRACE = 5.0  # real seconds between SIGTERM and SIGKILL
DRAIN = 2.0  # real seconds to read what is left in the pipes once the process has ended
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DAEMON = "CannotStartContainerError: Error response from daemon: "
RUNC = DAEMON + (
    "failed to create task for container: failed to create shim task: OCI runtime create failed: "
    "runc create failed: unable to start container process: "
)
NO_COMMAND = DAEMON + "No command specified (stepstack's process executor runs no image: give the job a command)"


def cannot_start(executable: str, error: BaseException) -> str:
    """The reason AWS gives when the container's command cannot be executed."""
    if isinstance(error, FileNotFoundError):
        detail = f"stat {executable}: no such file or directory" if "/" in executable else "executable file not found in $PATH"
    elif isinstance(error, PermissionError):
        detail = "permission denied"
    elif isinstance(error, OSError):
        detail = (error.strerror or str(error)).lower()
    else:
        detail = str(error)
    return f'{RUNC}exec: "{executable}": {detail}: unknown'


def exit_code(returncode: int) -> int:
    """Docker's convention: a process ended by signal N exits with 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def base_environment(workdir: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH") or DEFAULT_PATH, "HOME": str(workdir), "LANG": os.environ.get("LANG") or "C.UTF-8"}


@dataclass(eq=False)
class _Attempt:
    pid: int | None = None  # its process group too
    reason: str | None = None  # set by kill
    stopper: asyncio.TimerHandle | None = None  # the SIGKILL after the grace
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class _Output(asyncio.SubprocessProtocol):
    """The process's stdout (fd 1) and stderr (fd 2) into the sink; its exit, and the end of
    its pipes, as futures."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sink: LogSink) -> None:
        self.sink = sink
        self.lines = {1: Lines(), 2: Lines()}
        self.exited: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.SubprocessTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # before any output
        self.transport = transport  # type: ignore[assignment]

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.sink.add(self.lines[fd].feed(data))

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.sink.add(self.lines[fd].end())

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:  # the pipes are closed and the process has exited
        if not self.closed.done():
            self.closed.set_result(None)


class ProcessExecutor:
    """Runs job attempts as local processes; see the module docstring."""

    def __init__(
        self,
        dispatcher: Any,
        work_root: str | Path | None,
        clock: Clock,
        *,
        keep_workdirs: bool = False,
        grace: float = GRACE,
        write_lines: WriteLines | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.clock = clock
        self.keep_workdirs = keep_workdirs
        self.grace = grace
        self._write_lines = write_lines  # None: services/logs/writer.py's
        self._root = Path(work_root) if work_root is not None else None
        self._own_root = work_root is None  # a temporary directory of this server's, removed at close
        self._running: dict[str, _Attempt] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def work_root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="stepstack-batch-"))
        return self._root

    def workdir(self, launch: Launch) -> Path:
        return self.work_root / _safe(launch.job_id) / str(launch.attempt)

    def running(self) -> list[str]:
        return sorted(self._running)

    async def run(self, launch: Launch) -> Outcome:
        if not launch.command:
            return Outcome(None, NO_COMMAND)
        self._loop = asyncio.get_running_loop()
        attempt = self._running[launch.job_id] = _Attempt()
        workdir = self.workdir(launch)
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            return await self._run(launch, attempt, workdir)
        finally:
            if attempt.stopper is not None:
                attempt.stopper.cancel()
            if self._running.get(launch.job_id) is attempt:
                del self._running[launch.job_id]
            attempt.done.set_result(None)
            if not self.keep_workdirs:
                shutil.rmtree(workdir, ignore_errors=True)
                _remove_if_empty(workdir.parent)
                if self._own_root and not self._running and self._root is not None:
                    _remove_if_empty(self._root)  # no shutdown hook needed to leave /tmp clean
                    self._root = None if not self._root.exists() else self._root

    async def _run(self, launch: Launch, attempt: _Attempt, workdir: Path) -> Outcome:
        write = cloudwatch(self._write_lines, self.dispatcher, launch.account, launch.region, launch.log_group, launch.log_stream)
        sink = LogSink(self.clock, write, f"job {launch.job_id} attempt {launch.attempt}")
        loop = asyncio.get_running_loop()
        output = _Output(loop, sink)
        try:
            transport, _ = await loop.subprocess_exec(
                lambda: output,
                *launch.command,
                cwd=workdir,
                env=base_environment(workdir) | dict(launch.environment),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: kill reaches its children
            )
        except (OSError, ValueError) as exc:
            sink.abort()
            return Outcome(None, cannot_start(launch.command[0], exc))
        except asyncio.CancelledError:  # cancelled while its pipes were being connected
            if output.transport is not None:
                _signal_group(output.transport.get_pid(), signal.SIGKILL)
                await asyncio.wait([output.exited], timeout=DRAIN)
            sink.abort()
            raise
        attempt.pid = transport.get_pid()
        if attempt.reason is not None:  # killed while it was starting
            self._stop(attempt)
        try:
            await asyncio.shield(output.exited)  # not Process.wait(), which also waits for the pipes to close
        except asyncio.CancelledError:  # reset or shutdown: no grace, no last write
            _signal_group(attempt.pid, signal.SIGKILL)
            sink.abort()
            await asyncio.wait([output.exited], timeout=DRAIN)  # reaped before the cancellation completes
            transport.close()
            raise
        _signal_group(attempt.pid, signal.SIGKILL)  # what it left behind dies with it, as in a container
        await asyncio.wait([output.closed], timeout=DRAIN)  # one in a session of its own may hold the pipes
        transport.close()
        await sink.close()
        return Outcome(exit_code(transport.get_returncode() or 0), attempt.reason)

    def kill(self, job_id: str, reason: str) -> None:
        """Stop an attempt: SIGTERM to its process group now, SIGKILL after the grace; its run
        returns with this reason (the first one given, if kill is called again)."""
        attempt = self._running.get(job_id)
        if attempt is None:
            return
        if attempt.reason is None:
            attempt.reason = reason
        if attempt.pid is not None and attempt.stopper is None:
            self._stop(attempt)

    def _stop(self, attempt: _Attempt, grace: float | None = None) -> None:
        assert attempt.pid is not None
        pid = attempt.pid
        _signal_group(pid, signal.SIGTERM)
        assert self._loop is not None
        attempt.stopper = self._loop.call_later(
            self.grace if grace is None else grace, _signal_group, pid, signal.SIGKILL
        )

    def terminate_all(self, reason: str, grace: float | None = None) -> None:
        """Stop every running attempt (server shutdown or reset)."""
        for job_id, attempt in list(self._running.items()):
            if attempt.reason is None:
                attempt.reason = reason
            if attempt.pid is not None:
                if attempt.stopper is not None:
                    attempt.stopper.cancel()
                self._stop(attempt, grace)

    async def close(self, grace: float = 1.0) -> None:
        """Stop every running attempt, wait until each has ended, remove the work root if it is
        this server's temporary directory."""
        self.terminate_all("stepstack shut down", grace)
        pending = [a.done for a in self._running.values()]
        if pending:
            await asyncio.wait(pending, timeout=grace + DRAIN + 1)
        if self._own_root and self._root is not None and not self.keep_workdirs:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _safe(job_id: str) -> str:
    """A job id as one path component (ids are ours, but never trust a path)."""
    name = re.sub(r"[^A-Za-z0-9._:#-]", "_", job_id)
    return name if name not in ("", ".", "..") else "_"


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass
