"""Raw HTTP/1.1 keep-alive load driver (stdlib asyncio, uvloop when available).

The request bytes are built once; each connection then loops
write-request / read-full-response for a fixed duration, so the client
spends almost no CPU per call compared with boto3.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import math
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_CONNECTIONS = 4096
MAX_DURATION = 600.0
CONNECT_TIMEOUT = 5.0
STOP_GRACE = 2.0
READ_LIMIT = 1 << 20
RECONNECT_PAUSE = 0.05

_CRLF = b"\r\n"
_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class LoadTarget:
    """Where to send load: a loopback host and a port."""

    host: str
    port: int

    def host_header(self) -> str:
        """Value for the ``Host`` header (IPv6 literals get brackets)."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class RawRequest:
    """A pre-built HTTP request: method, path, headers and body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, default_host: str | None = None) -> bytes:
        """Serialise to HTTP/1.1 bytes, adding Host/Content-Length if absent."""
        names = {name.lower() for name in self.headers}
        lines = [f"{self.method} {self.path} HTTP/1.1"]
        if "host" not in names and default_host:
            lines.append(f"Host: {default_host}")
        lines.extend(f"{name}: {value}" for name, value in self.headers.items())
        if "content-length" not in names and (self.body or self.method not in ("GET", "HEAD")):
            lines.append(f"Content-Length: {len(self.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + self.body


@dataclass
class LoadResult:
    """Outcome of one load run; latencies cover successful responses only."""

    requests: int
    errors: int
    duration: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    connections: int
    connect_errors: int = 0
    io_errors: int = 0
    status_errors: int = 0
    timeouts: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON friendly)."""
        data = asdict(self)
        data["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        return data

    def summary(self) -> str:
        """One human-readable line."""
        codes = ",".join(f"{k}:{v}" for k, v in sorted(self.statuses.items())) or "-"
        return (
            f"requests={self.requests} rps={self.rps:.0f} p50={self.p50_ms:.2f}ms "
            f"p99={self.p99_ms:.2f}ms errors={self.errors} connections={self.connections} "
            f"duration={self.duration:.1f}s statuses={codes}"
        )


class ProtocolError(Exception):
    """The server's response could not be parsed."""


def resolve_loopback(host: str) -> str:
    """Return a connectable loopback address for ``host`` or raise ValueError.

    Only 127.0.0.0/8, ::1 and ``localhost`` (resolving to those) are allowed.
    """
    bare = host.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    try:
        addr = ipaddress.ip_address(bare)
    except ValueError:
        addr = None
    if addr is not None:
        if addr.is_loopback:
            return str(addr)
        raise ValueError(f"refusing non-loopback host {host!r}")
    if bare.lower() != "localhost":
        raise ValueError(f"refusing non-loopback host {host!r} (use 127.0.0.1, ::1 or localhost)")
    try:
        infos = socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve {host!r}: {exc}") from exc
    addrs = [str(info[4][0]) for info in infos]
    loop_addrs = [a for a in addrs if ipaddress.ip_address(a.split("%")[0]).is_loopback]
    if not loop_addrs or len(loop_addrs) != len(addrs):
        raise ValueError(f"{host!r} resolves to non-loopback addresses {addrs}")
    ipv4 = [a for a in loop_addrs if ":" not in a]
    return (ipv4 or loop_addrs)[0]


async def read_response(reader: asyncio.StreamReader, head_only: bool = False) -> tuple[int, bool]:
    """Read one full HTTP/1.1 response; return (status, keep_alive).

    Handles Content-Length, chunked transfer encoding, bodiless statuses
    and read-until-close bodies. Interim 1xx responses are skipped.
    """
    while True:
        head = await reader.readuntil(_HEAD_END)
        if not head.startswith(b"HTTP/1."):
            raise ProtocolError(f"bad status line: {head[:40]!r}")
        try:
            status = int(head[9:12])
        except ValueError as exc:
            raise ProtocolError(f"bad status line: {head[:40]!r}") from exc
        if 100 <= status < 200 and status != 101:
            continue
        break
    lower = head.lower()
    keep_alive = not head.startswith(b"HTTP/1.0")
    pos = lower.find(b"\r\nconnection:")
    if pos >= 0:
        value = lower[pos + 13 : lower.index(_CRLF, pos + 2)].strip()
        if b"close" in value:
            keep_alive = False
        elif b"keep-alive" in value:
            keep_alive = True
    if head_only or status in (204, 304) or status < 200:
        return status, keep_alive
    pos = lower.find(b"\r\ntransfer-encoding:")
    if pos >= 0 and b"chunked" in lower[pos + 20 : lower.index(_CRLF, pos + 2)]:
        await _read_chunked(reader)
        return status, keep_alive
    pos = lower.find(b"\r\ncontent-length:")
    if pos >= 0:
        try:
            length = int(lower[pos + 17 : lower.index(_CRLF, pos + 2)])
        except ValueError as exc:
            raise ProtocolError("bad Content-Length") from exc
        if length:
            await reader.readexactly(length)
        return status, keep_alive
    # No framing: the body runs until the server closes the connection.
    while await reader.read(65536):
        pass
    return status, False


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    """Consume a chunked body including any trailers."""
    while True:
        line = await reader.readuntil(_CRLF)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size line: {line[:40]!r}") from exc
        if size == 0:
            while await reader.readuntil(_CRLF) != _CRLF:
                pass
            return
        await reader.readexactly(size + 2)


class _Run:
    """Shared mutable state of one load run."""

    def __init__(self, expected: frozenset[int]) -> None:
        self.expected = expected
        self.measuring = False
        self.stop = False
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.connect_errors = 0
        self.io_errors = 0
        self.status_errors = 0
        self.busy: set[int] = set()


async def _worker(wid: int, run: _Run, host: str, port: int, payload: bytes, head_only: bool) -> None:
    """One connection: loop request/response until told to stop."""
    lat_append = run.latencies.append
    statuses = run.statuses
    expected = run.expected
    clock = time.perf_counter
    while not run.stop:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=READ_LIMIT), CONNECT_TIMEOUT
            )
        except (TimeoutError, OSError):
            if run.measuring:
                run.connect_errors += 1
            await asyncio.sleep(RECONNECT_PAUSE)
            continue
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            while not run.stop:
                run.busy.add(wid)
                start = clock()
                writer.write(payload)
                status, keep_alive = await read_response(reader, head_only)
                elapsed = clock() - start
                run.busy.discard(wid)
                if run.measuring:
                    statuses[status] += 1
                    if status in expected:
                        lat_append(elapsed)
                    else:
                        run.status_errors += 1
                if not keep_alive:
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError):
            run.busy.discard(wid)
            if run.measuring:
                run.io_errors += 1
            await asyncio.sleep(RECONNECT_PAUSE)
        finally:
            writer.close()


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def run_load(
    target: LoadTarget,
    request: RawRequest,
    connections: int,
    duration: float,
    warmup: float = 1.0,
    expected_status: Iterable[int] = frozenset({200}),
) -> LoadResult:
    """Drive ``connections`` keep-alive connections at ``target`` and measure.

    Runs ``warmup`` seconds unrecorded, then ``duration`` seconds recorded.
    Total wall time is bounded by warmup + duration + a short stop grace.
    """
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise ValueError(f"connections must be in 1..{MAX_CONNECTIONS}")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be in (0, {MAX_DURATION}]")
    if not 0 <= warmup <= MAX_DURATION:
        raise ValueError(f"warmup must be in [0, {MAX_DURATION}]")
    address = resolve_loopback(target.host)
    payload = request.encode(default_host=target.host_header())
    run = _Run(frozenset(expected_status))
    head_only = request.method.upper() == "HEAD"
    tasks = [
        asyncio.create_task(_worker(i, run, address, target.port, payload, head_only))
        for i in range(connections)
    ]
    timeouts = 0
    try:
        if warmup:
            await asyncio.sleep(warmup)
        run.measuring = True
        started = time.perf_counter()
        await asyncio.sleep(duration)
        run.measuring = False
        elapsed = time.perf_counter() - started
        run.stop = True
        _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        # Workers still blocked in a request long after the end are timeouts.
        timeouts = len(run.busy & {i for i, t in enumerate(tasks) if t in pending})
    finally:
        run.stop = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    lats = sorted(run.latencies)
    count = len(lats)
    errors = run.connect_errors + run.io_errors + run.status_errors + timeouts
    return LoadResult(
        requests=count,
        errors=errors,
        duration=elapsed,
        rps=count / elapsed if elapsed > 0 else 0.0,
        p50_ms=_percentile(lats, 50) * 1000.0,
        p99_ms=_percentile(lats, 99) * 1000.0,
        mean_ms=(sum(lats) / count * 1000.0) if count else 0.0,
        max_ms=(lats[-1] * 1000.0) if count else 0.0,
        connections=connections,
        connect_errors=run.connect_errors,
        io_errors=run.io_errors,
        status_errors=run.status_errors,
        timeouts=timeouts,
        statuses=dict(run.statuses),
    )


def run_sync(coro: Any) -> Any:
    """Run a coroutine on uvloop when importable, else the default loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def main(argv: list[str] | None = None) -> int:
    """CLI: run one workload against host:port and print one result line."""
    from bench.workloads import WORKLOADS

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback host only")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--workload", default="sqs-list-queues", choices=sorted(WORKLOADS))
    args = parser.parse_args(argv)
    try:
        target = LoadTarget(args.host, args.port)
        resolve_loopback(args.host)
        workload = WORKLOADS[args.workload]
        request = workload(args.host, args.port)
        result: LoadResult = run_sync(
            run_load(target, request, args.connections, args.duration, args.warmup, workload.expected_status)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"workload={args.workload} target={target.host_header()} {result.summary()}")
    return 0 if result.errors == 0 and result.requests > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
