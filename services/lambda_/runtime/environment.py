"""One execution environment: a function version's code unzipped in a directory of its own,
its layers beside it (AWS's /opt), a Runtime API server (api.py) and the runtime's process.

The lifecycle is AWS's: INIT (the process starts and imports the handler; done at its first
`next`), then INVOKE after INVOKE, one at a time, warm (module state survives), until the pool
reclaims the environment or an invocation times out or the process dies.

Runtimes: `python3.x` runs `python -m awslambdaric <handler>` with this server's interpreter;
`nodejs*` runs node_bootstrap.js (our Runtime API client, same protocol) when `node` exists;
`provided*` runs the zip's `bootstrap`.

Where we knowingly differ from AWS:
- The process runs on this machine as the server's user, with the server's interpreter and
  node, not Amazon Linux; /var/task and /opt are directories of the environment's own.
- MemorySize is not enforced; Max Memory Used is the process's peak resident size (VmHWM).
- Durations are real time (a real process runs in real time); the timeout is measured on the
  service clock, so moving the clock forward times a running invocation out.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.batch.output import Lines
from services.lambda_.runtime.api import Event, Reply, RuntimeApi
from services.lambda_.runtime.logsink import Sink, stream_writer

if TYPE_CHECKING:
    from services.core.clock import Clock

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NODE_BOOTSTRAP = str(Path(__file__).with_name("node_bootstrap.js"))
PROVIDED = ("provided", "provided.al2", "provided.al2023")
TAIL_BYTES = 4096


def runtime_family(runtime: str | None) -> str | None:
    """'python', 'node' or 'provided' for a runtime this machine can run, else None."""
    if runtime and runtime.startswith("python3"):
        return "python"
    if runtime and runtime.startswith("nodejs"):
        return "node" if shutil.which("node") else None
    if runtime in PROVIDED:
        return "provided"
    return None


@dataclass(frozen=True)
class Spec:
    """What an environment is made of: one version's configuration, code and layers."""

    account: str
    region: str
    config: dict[str, Any]  # the version's FunctionConfiguration
    code: bytes
    layers: tuple[bytes, ...]
    endpoint: str  # http://host:port of this stepstack, for the SDKs inside

    @property
    def name(self) -> str:
        return self.config["FunctionName"]

    @property
    def version(self) -> str:
        return self.config.get("Version", "$LATEST")

    @property
    def log_group(self) -> str:
        logging = self.config.get("LoggingConfig") or {}
        return logging.get("LogGroup") or f"/aws/lambda/{self.name}"

    @property
    def timeout(self) -> float:
        return float(self.config.get("Timeout") or 3)

    @property
    def memory(self) -> int:
        return int(self.config.get("MemorySize") or 128)


@dataclass
class Outcome:
    """One invocation's result as the Runtime API delivered it, and what REPORT says of it."""

    kind: str  # "response" | "error" | "timeout" | "exit" (the process died)
    body: bytes
    error_type: str | None = None
    log_tail: str = ""
    duration_ms: float = 0.0
    init_ms: float | None = None  # on a cold start
    memory_mb: int = 0


@dataclass(eq=False)
class Environment:
    """See the module docstring."""

    spec: Spec
    clock: Clock
    dispatcher: Any
    root: Path  # this environment's directory: task/, opt/, runtime/
    write_lines: Any = None  # services/logs/writer.py's by default
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    stream: str = ""
    process: asyncio.subprocess.Process | None = None
    init_ms: float | None = None  # reported once, on the first invocation
    dead: bool = False
    busy: bool = False
    last_used: float = 0.0
    _api: RuntimeApi | None = None
    _sink: Sink | None = None
    _replies: dict[str | None, asyncio.Future[Reply]] = field(default_factory=dict)
    _tail: list[str] | None = None
    _exited: asyncio.Future[None] | None = None
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _retired: asyncio.Event = field(default_factory=asyncio.Event)  # kill() was called: close the log once written

    def __post_init__(self) -> None:
        day = datetime.fromtimestamp(self.clock.now(), timezone.utc).strftime("%Y/%m/%d")
        self.stream = f"{day}/[{self.spec.version}]{self.id}"

    # -- INIT ------------------------------------------------------------------------

    async def start(self) -> Outcome | None:
        """Unzip, serve the Runtime API, start the runtime and wait for its first `next`;
        an Outcome when initialisation failed (the environment is dead then)."""
        loop = asyncio.get_running_loop()
        self._exited = loop.create_future()
        self._replies[None] = loop.create_future()
        task, opt = self.root / "task", self.root / "opt"
        try:
            await asyncio.to_thread(self._unpack, task, opt)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
            self.kill()  # code stored before uploads were checked through, or a disk that failed
            return Outcome("error", _document(f"Couldn't unpack the function's code: {exc}", "Runtime.InvalidEntrypoint"), "Runtime.InvalidEntrypoint")
        self._tail = []  # init's output belongs to the first invocation's log tail
        self._api = RuntimeApi(self._on_reply)
        await self._api.start()
        write = stream_writer(self.write_lines, self.dispatcher, self.spec.account, self.spec.region, self.spec.log_group, self.stream)
        self._sink = Sink(self.clock, write, f"lambda {self.spec.name} {self.id}")
        started = time.monotonic()  # real time: a real process initialises in real time
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self._command(task), cwd=task, env=self._environment(task, opt),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            self.kill()
            if runtime_family(self.spec.config.get("Runtime")) == "provided":
                message = f"Couldn't find valid bootstrap(s): [{task / 'bootstrap'} {opt / 'bootstrap'}]"
            else:
                message = f"Couldn't start the runtime: {exc}"
            return Outcome("error", _document(message, "Runtime.InvalidEntrypoint"), "Runtime.InvalidEntrypoint")
        for stream in (self.process.stdout, self.process.stderr):
            assert stream is not None
            self._readers.append(loop.create_task(self._read(stream)))
        self.dispatcher.tasks.spawn(f"lambda-environment {self.spec.name} {self.id}", self._watch(), owner=("lambda", self.spec.account, self.spec.region))
        ready = loop.create_task(self._api.ready.wait())
        deadline = loop.create_task(self.clock.sleep(10.0))  # AWS's 10 s init phase
        await asyncio.wait([ready, self._exited, self._replies[None], deadline], return_when=asyncio.FIRST_COMPLETED)
        for waiter in (ready, deadline):
            waiter.cancel()
        self.init_ms = (time.monotonic() - started) * 1000
        if self._api.ready.is_set() and not self._replies[None].done():
            return None
        reply = self._replies[None].result() if self._replies[None].done() else None
        if reply is None and not self._exited.done():
            self.kill()  # init timed out
        await self._drain()
        if reply is not None:
            return Outcome("error", reply.body, reply.error_type or "Runtime.Unknown")
        if not self._exited.done() or self.process.returncode == -signal.SIGKILL:
            return Outcome("error", _document("Init timed out after 10.00 seconds", "Runtime.InitTimeout"), "Runtime.InitTimeout")
        return Outcome("exit", _exit_document(self.process), "Runtime.ExitError")

    async def fail_invocation(self, request_id: str, outcome: Outcome) -> Outcome:
        """Initialisation failed: the invocation that asked for it fails with its error, logged
        as AWS logs it (START, END, REPORT with Status: error); then the environment ends."""
        self._log(f"START RequestId: {request_id} Version: {self.spec.version}")
        self._log(f"END RequestId: {request_id}")
        init = self.init_ms or 0.0
        self._log(
            f"REPORT RequestId: {request_id}\tDuration: {init:.2f} ms\tBilled Duration: {max(1, int(-(-init // 1)))} ms"
            f"\tMemory Size: {self.spec.memory} MB\tMax Memory Used: {_peak_memory_mb(self.process)} MB"
            f"\tStatus: error\tError Type: {outcome.error_type}\t"
        )
        outcome.log_tail = self._take_tail()
        if self._sink is not None:
            await self._sink.flush()
        self.kill()
        return outcome

    def _unpack(self, task: Path, opt: Path) -> None:
        task.mkdir(parents=True, exist_ok=True)
        opt.mkdir(parents=True, exist_ok=True)
        (self.root / "runtime").mkdir(exist_ok=True)
        for layer in self.spec.layers:  # in order: a later layer's file wins, as in /opt
            _extract(layer, opt)
        _extract(self.spec.code, task)

    def _command(self, task: Path) -> list[str]:
        family = runtime_family(self.spec.config.get("Runtime"))
        handler = self.spec.config.get("Handler") or ""
        if family == "python":
            return [sys.executable, "-u", "-m", "awslambdaric", handler]
        if family == "node":
            return [shutil.which("node") or "node", NODE_BOOTSTRAP]
        for candidate in (task / "bootstrap", self.root / "opt" / "bootstrap"):
            if candidate.exists():
                return [str(candidate)]
        return [str(task / "bootstrap")]

    def _environment(self, task: Path, opt: Path) -> dict[str, str]:
        """AWS's defined runtime variables over the function's own; nothing of the server's
        environment but PATH and LANG."""
        config, spec = self.spec.config, self.spec
        runtime = config.get("Runtime") or ""
        minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
        base = {
            "PATH": f"{opt / 'bin'}:{os.environ.get('PATH') or DEFAULT_PATH}",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LD_LIBRARY_PATH": f"{task / 'lib'}:{opt / 'lib'}",
            "AWS_ENDPOINT_URL": spec.endpoint,
        }
        if runtime.startswith("python"):
            base["PYTHONPATH"] = ":".join([str(task), str(opt / "python"), str(opt / "python" / "lib" / minor / "site-packages")])
        if runtime.startswith("nodejs"):
            base["NODE_PATH"] = ":".join([str(opt / "nodejs" / "node_modules"), str(opt / "nodejs"), str(task)])
        user = dict((config.get("Environment") or {}).get("Variables") or {})
        reserved = {
            "_HANDLER": config.get("Handler") or "",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_RUNTIME_API": self._api.address if self._api else "",
            "LAMBDA_TASK_ROOT": str(task),
            "LAMBDA_RUNTIME_DIR": str(self.root / "runtime"),
            "AWS_ACCESS_KEY_ID": spec.account if spec.account.isdigit() else "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
        }
        if runtime not in PROVIDED:
            reserved["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{runtime}"
        logging = config.get("LoggingConfig") or {}
        if logging.get("LogFormat") == "JSON":  # the runtime clients then log JSON (our START/END/REPORT stay text)
            reserved["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            reserved["AWS_LAMBDA_LOG_LEVEL"] = logging.get("ApplicationLogLevel") or "INFO"
        return base | user | reserved

    # -- INVOKE ----------------------------------------------------------------------

    async def invoke(self, request_id: str, payload: bytes, headers: dict[str, str]) -> Outcome:
        """Hand one event to the runtime and wait for its answer, its death or the function's
        timeout (service time, from now: INIT does not count); the START/END/REPORT lines go
        to the log stream around it."""
        assert self._api is not None and self._exited is not None and self._sink is not None
        loop = asyncio.get_running_loop()
        reply = self._replies[request_id] = loop.create_future()
        if self._tail is None:
            self._tail = []
        self._log(f"START RequestId: {request_id} Version: {self.spec.version}")
        started = time.monotonic()
        deadline = self.clock.now() + self.spec.timeout
        # the process reads real time: the deadline it is told is real time too
        headers = {**headers, "Lambda-Runtime-Deadline-Ms": str(int((time.time() + self.spec.timeout * self.clock.time_scale) * 1000))}
        self._api.push(Event(request_id, payload, headers))
        timer = loop.create_task(self.clock.sleep_until(deadline))
        try:
            await asyncio.wait([reply, self._exited, timer], return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            self._replies.pop(request_id, None)
        duration = (time.monotonic() - started) * 1000
        memory = _peak_memory_mb(self.process)
        if reply.done():
            answer = reply.result()
            outcome = Outcome(answer.kind, answer.body, answer.error_type)
        elif self._exited.done():
            await self._drain()
            outcome = Outcome("exit", _exit_document(self.process, request_id), "Runtime.ExitError")
            self._log(f"RequestId: {request_id} Error: Runtime exited with error: {_exit_status(self.process)}")
        else:
            stamp = datetime.fromtimestamp(self.clock.now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {self.spec.timeout:.2f} seconds"
            outcome = Outcome("timeout", _json({"errorMessage": message}), "Sandbox.Timedout")
            self.kill()
            self._log(message)
            duration = self.spec.timeout * 1000
        self._log(f"END RequestId: {request_id}")
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {max(1, int(-(-duration // 1)))} ms"
            f"\tMemory Size: {self.spec.memory} MB\tMax Memory Used: {memory} MB"
        )
        if self.init_ms is not None:
            report += f"\tInit Duration: {self.init_ms:.2f} ms"
            outcome.init_ms, self.init_ms = self.init_ms, None
        if outcome.kind == "timeout":
            report += "\tStatus: timeout"
        self._log(report + "\t")
        outcome.duration_ms, outcome.memory_mb, outcome.log_tail = duration, memory, self._take_tail()
        await self._sink.flush()
        return outcome

    # -- output, replies, death ------------------------------------------------------

    def _on_reply(self, request_id: str | None, reply: Reply) -> None:
        future = self._replies.get(request_id)
        if future is not None and not future.done():
            future.set_result(reply)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        lines = Lines()
        while chunk := await stream.read(65536):
            self._lines(lines.feed(chunk))
        self._lines(lines.end())

    def _lines(self, lines: list[str]) -> None:
        if self._tail is not None:
            self._tail.extend(lines)
        if self._sink is not None:
            self._sink.add(lines)

    def _log(self, line: str) -> None:
        self._lines([line])

    def _take_tail(self) -> str:
        text = "".join(line + "\n" for line in self._tail or [])
        self._tail = None
        data = text.encode("utf-8")[-TAIL_BYTES:]
        return data.decode("utf-8", errors="ignore")

    async def _drain(self) -> None:
        """The process has ended: read what is left in its pipes (briefly)."""
        if self._readers:
            await asyncio.wait(self._readers, timeout=1.0)

    async def _watch(self) -> None:
        """The process's life: when it ends, the environment is dead; once the pool has let go
        of it (kill), its log is closed, its server stopped and its directory removed."""
        assert self.process is not None and self._exited is not None
        try:
            await self.process.wait()
            self.dead = True
            if not self._exited.done():
                self._exited.set_result(None)
            await self._drain()
            await self._retired.wait()
            if self._sink is not None:
                await self._sink.close()
        except asyncio.CancelledError:  # reset or shutdown: reaped, and its pipes read to their end, before it is over
            self.kill()
            if self._sink is not None:
                self._sink.abort()
            reaped = asyncio.ensure_future(self.process.wait())
            await asyncio.wait([reaped, *self._readers], timeout=2.0)
            for waiter in (reaped, *self._readers):
                waiter.cancel()
            raise
        finally:
            if self._api is not None:
                await self._api.aclose()
            shutil.rmtree(self.root, ignore_errors=True)

    def kill(self) -> None:
        """End the environment now: its process group and its Runtime API server."""
        self.dead = True
        self._retired.set()
        if self.process is not None and self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        elif self.process is None:
            if self._api is not None:
                self._api.close()
            if self._sink is not None:
                self._sink.abort()
            shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGKILL when the server dies, even by SIGKILL itself, so
    no runtime outlives it polling a Runtime API that is gone."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _extract(archive: bytes, target: Path) -> None:
    """Unzip with the files' modes (zipfile drops them: a `bootstrap` must stay executable)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for info in zf.infolist():
            path = (target / info.filename).resolve()
            if not str(path).startswith(str(target.resolve())):
                continue  # a member outside the directory
            zf.extract(info, target)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(path, mode | 0o400)


def _json(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value)


def _document(message: str, error_type: str) -> bytes:
    return _json({"errorMessage": message, "errorType": error_type})


def _exit_status(process: asyncio.subprocess.Process | None) -> str:
    code = process.returncode if process is not None else None
    if code is not None and code < 0:
        return f"signal: {signal.Signals(-code).name.lower().removeprefix('sig')}"
    return f"exit status {code}"


def _exit_document(process: asyncio.subprocess.Process | None, request_id: str | None = None) -> bytes:
    prefix = f"RequestId: {request_id} " if request_id else ""
    return _document(f"{prefix}Error: Runtime exited with error: {_exit_status(process)}", "Runtime.ExitError")


def _peak_memory_mb(process: asyncio.subprocess.Process | None) -> int:
    if process is None:
        return 0
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return max(1, int(line.split()[1]) // 1024)
    except (OSError, ValueError, IndexError):
        pass
    return 0
