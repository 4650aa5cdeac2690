"""One-command benchmark: start each target server, load it, print a table.

Targets are started as subprocesses on free loopback ports and are always
terminated afterwards. ``--targets`` picks which ones (``TARGETS`` below is
the registry: ``stepstack``, ``ceiling`` and ``moto``).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import LoadResult, LoadTarget, run_load, run_sync
from bench.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class TargetSpec:
    """How to start one server and tell when it is ready."""

    name: str
    command: Callable[[int], list[str]]
    ready_path: str
    ready: Callable[[int], bool]


def _stepstack_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "server", "--host", HOST, "--port", str(port), "--log-level", "warning"]


def _ceiling_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling", "--host", HOST, "--port", str(port)]


@functools.cache
def moto_python() -> str:
    """An interpreter that can import ``moto.server``.

    ``STEPSTACK_BENCH_MOTO_PYTHON`` wins; otherwise this interpreter if moto is
    installed here, else the base interpreter of the virtualenv (moto is often
    installed globally rather than in the project venv).
    """
    override = os.environ.get("STEPSTACK_BENCH_MOTO_PYTHON")
    if override:
        return override
    if importlib.util.find_spec("moto") is not None:
        return sys.executable
    return getattr(sys, "_base_executable", None) or sys.executable


def _moto_cmd(port: int) -> list[str]:
    return [moto_python(), "-m", "moto.server", "-p", str(port), "-H", HOST]


TARGETS: dict[str, TargetSpec] = {
    "stepstack": TargetSpec("stepstack", _stepstack_cmd, "/_stepstack/health", lambda s: s == 200),
    "ceiling": TargetSpec("ceiling", _ceiling_cmd, "/", lambda s: True),
    "moto": TargetSpec("moto", _moto_cmd, "/moto-api/", lambda s: True),
}


def free_port() -> int:
    """Ask the kernel for an unused loopback TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _probe(port: int, path: str) -> int | None:
    """GET ``path``; return the status, or None if nothing answers yet."""
    conn = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class Server:
    """A target server subprocess with its log captured to a temp file."""

    def __init__(self, spec: TargetSpec, port: int, log_dir: Path) -> None:
        self.spec = spec
        self.port = port
        self.log_path = log_dir / f"{spec.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Launch the process and block until it is ready (or raise)."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.spec.command(self.port), cwd=ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        last: int | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with code {self.proc.returncode}\n{self.log_tail()}")
            last = _probe(self.port, self.spec.ready_path)
            if last is not None and self.spec.ready(last):
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.spec.name} not ready after {START_TIMEOUT:.0f}s "
            f"(last status {last} on {self.spec.ready_path})\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate (then kill) this process only."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)

    def log_tail(self, lines: int = 20) -> str:
        """Last lines of the captured server output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join("    " + line for line in text.splitlines()[-lines:])


def bench_target(
    spec: TargetSpec, workload_name: str, connections: int, duration: float, warmup: float, log_dir: Path
) -> dict[str, Any]:
    """Start one target, load it, stop it; return a result row."""
    workload = WORKLOADS[workload_name]
    server = Server(spec, free_port(), log_dir)
    row: dict[str, Any] = {"target": spec.name, "workload": workload_name, "connections": connections}
    try:
        server.start()
        request = workload(HOST, server.port)
        result: LoadResult = run_sync(
            run_load(LoadTarget(HOST, server.port), request, connections, duration, warmup, workload.expected_status)
        )
        row.update(result.to_dict())
    except RuntimeError as exc:
        row["failed"] = str(exc)
    finally:
        server.stop()
    return row


def format_table(rows: list[dict[str, Any]]) -> str:
    """Render result rows as a small fixed-width table."""
    header = f"{'target':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    out = [header, "-" * len(header)]
    for row in rows:
        if "failed" in row:
            out.append(f"{row['target']:<12} {'FAILED':>9}")
            continue
        out.append(
            f"{row['target']:<12} {row['rps']:>9.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['errors']:>7}"
        )
    return "\n".join(out)


def parse_targets(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown target(s) {unknown}; choose from {sorted(TARGETS)}")
    return names


def exit_on_sigterm(signum: int, frame: object) -> None:
    """Turn SIGTERM into SystemExit so ``finally`` blocks stop the servers."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point for ``python -m bench.run``."""
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--workload", default="sqs-list-queues", choices=sorted(WORKLOADS))
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per target")
    parser.add_argument("--targets", type=parse_targets, default=["stepstack", "ceiling"],
                        help=f"comma list from {','.join(TARGETS)}")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="stepstack-bench-") as tmp:
        for name in args.targets:
            print(f"running {args.workload} against {name} "
                  f"({args.connections} connections, {args.duration:g}s)...", file=sys.stderr, flush=True)
            rows.append(bench_target(TARGETS[name], args.workload, args.connections,
                                     args.duration, args.warmup, Path(tmp)))
    print(f"workload: {args.workload}  connections: {args.connections}  duration: {args.duration:g}s")
    print(format_table(rows))
    for row in rows:
        if "failed" in row:
            print(f"\n{row['target']} failed: {row['failed']}", file=sys.stderr)
    if args.json:
        payload = {
            "workload": args.workload,
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
            "results": rows,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    ok = all("failed" not in r and r["errors"] == 0 and r["requests"] > 0 for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
