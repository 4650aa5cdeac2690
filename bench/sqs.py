"""SQS benchmark: send, batch send, receive+delete, boto3 baseline, idle long polls, memory.

Every target (``stepstack``, ``ceiling``, ``moto``; see ``bench.run.TARGETS``)
is started fresh on a free loopback port, measured, and stopped again;
the long-poll and memory sections each get a fresh server of their own so
their RSS numbers start from an idle process. Run ``python -m bench.sqs
--help`` for the flags; ``--quick`` is a short smoke run.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from bench.load import LoadResult, LoadTarget, run_load, run_sync
from bench.run import HOST, TARGETS, Server, exit_on_sigterm, free_port, parse_targets
from bench.sqs_client import (
    BATCH_SIZE, SqsConnection, batch_params, cpu_percent, fill_queue, proc_status, receive_delete, send_params,
    sqs_request,
)
from bench.sqs_longpoll import idle_long_polls, raise_nofile
from bench.sqs_report import render, run_ok

BASE_CONCURRENCY = 32
STATELESS = {"ceiling"}  # canned answers, no queues: no receive, long-poll or memory sections
LONG_POLL_TARGETS = {"stepstack", "moto"}
ACCOUNT = "000000000000"


@dataclass(frozen=True)
class Config:
    """All knobs of one run; ``--quick`` swaps in smaller values."""

    duration: float = 5.0
    warmup: float = 1.0
    connections: int = 64
    prefill: int = 50_000
    fill_seconds: float = 20.0
    receive_workers: int = BASE_CONCURRENCY
    boto_seconds: float = 3.0
    long_polls: int = 10_000
    moto_long_polls: int = 1_000
    long_poll_measure: float = 5.0
    long_poll_settle: float = 2.0
    long_poll_open_timeout: float = 10.0
    memory_messages: int = 100_000
    moto_memory_messages: int = 20_000
    memory_seconds: float = 120.0
    moto_memory_seconds: float = 30.0
    memory_connections: int = 64
    moto_fill_connections: int = 4  # moto runs one request at a time (GIL); more only piles up abandoned work
    moto_receive_workers: int = 4  # a moto ReceiveMessage scans the queue ~30 times: 32 workers finish nothing
    quiet_seconds: float = 30.0  # max wait for the server to go idle before each phase


QUICK: dict[str, Any] = dict(duration=1.0, warmup=0.3, prefill=5_000, fill_seconds=3.0, boto_seconds=1.0, long_polls=1_000,
             moto_long_polls=200, long_poll_measure=2.0, long_poll_settle=0.5, long_poll_open_timeout=5.0,
             memory_messages=20_000, moto_memory_messages=3_000, memory_seconds=10.0, moto_memory_seconds=4.0,
             quiet_seconds=8.0)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _create_queue(port: int, name: str) -> str:
    """CreateQueue through boto3 (the real client) and return the queue URL."""
    return str(_boto_client(port).create_queue(QueueName=name)["QueueUrl"])


def _boto_client(port: int) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "sqs", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1",
        aws_access_key_id=ACCOUNT, aws_secret_access_key="bench",
        config=BotoConfig(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


def _queue_url(name: str, port: int, queue: str) -> str:
    if name in STATELESS:
        return f"http://{HOST}:{port}/{ACCOUNT}/{queue}"
    return _create_queue(port, queue)


def _section(res: dict[str, Any], key: str, fn: Callable[[], Any]) -> None:
    """Run one section; a failure is recorded under its key and the run goes on."""
    try:
        res[key] = fn()
    except Exception as exc:  # noqa: BLE001 - one broken section must not lose the others
        res[key] = {"failed": f"{type(exc).__name__}: {exc}"}
        _log(f"  {key} failed: {res[key]['failed']}")


def _quiet(server: Server, cfg: Config, below_pct: float = 10.0) -> float:
    """Wait (bounded) until the server process idles; return the seconds waited.

    A slow server may still be working through requests the previous phase
    gave up on; without this they would be billed to the next phase.
    """
    assert server.proc is not None
    started = time.perf_counter()
    while time.perf_counter() - started < cfg.quiet_seconds:
        if run_sync(cpu_percent(server.proc.pid, 0.25)) < below_pct:
            break
    return round(time.perf_counter() - started, 2)


def _fill_connections(name: str, cfg: Config) -> int:
    return cfg.moto_fill_connections if name == "moto" else cfg.memory_connections


def _load(port: int, action: str, params: dict[str, Any], connections: int, cfg: Config) -> dict[str, Any]:
    request = sqs_request(HOST, port, action, params)
    result: LoadResult = run_sync(run_load(LoadTarget(HOST, port), request, connections, cfg.duration, cfg.warmup))
    row = result.to_dict()
    if result.status_errors:  # show one full bad answer: the driver itself keeps only the status
        row["sample_error"] = _one_call(port, action, params)
    return row


def _one_call(port: int, action: str, params: dict[str, Any]) -> str:
    async def go() -> str:
        conn = SqsConnection(LoadTarget(HOST, port))
        try:
            status, body = await conn.call(action, params)
        finally:
            conn.close()
        return f"{action} -> HTTP {status}: {body[:400].decode('utf-8', 'replace')}"

    return str(run_sync(go()))


def _boto_baseline(port: int, queue_url: str, seconds: float) -> dict[str, Any]:
    """SendMessage calls/s from one boto3 client in this thread."""
    client = _boto_client(port)
    body = send_params(queue_url)["MessageBody"]
    client.send_message(QueueUrl=queue_url, MessageBody=body)  # warm the client (model loading, pool)
    calls = errors = 0
    first_error = None
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline and calls + errors < 200_000:
        try:
            client.send_message(QueueUrl=queue_url, MessageBody=body)
            calls += 1
        except Exception as exc:  # noqa: BLE001 - count and keep the first one
            errors += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    return {"calls": calls, "errors": errors, "elapsed_s": round(elapsed, 3),
            "calls_per_s": round(calls / elapsed, 1), "first_error": first_error}


def _receive_delete(name: str, server: Server, cfg: Config) -> dict[str, Any]:
    port = server.port
    url = _create_queue(port, "bench-receive")
    target = LoadTarget(HOST, port)
    fill = run_sync(fill_queue(target, url, cfg.prefill, _fill_connections(name, cfg), cfg.fill_seconds))
    _log(f"  prefilled {fill.messages} messages in {fill.elapsed:.1f}s")
    _quiet(server, cfg)
    workers = cfg.moto_receive_workers if name == "moto" else cfg.receive_workers
    drain = run_sync(receive_delete(target, url, fill.messages, workers, cfg.duration))
    return {"workers": workers, "prefill": fill.to_dict(), **drain.to_dict()}


def _throughput(name: str, server: Server, cfg: Config) -> dict[str, Any]:
    """Sections 1-4 on one server instance."""
    port = server.port
    res: dict[str, Any] = {}
    res["send"] = {}
    for conns in sorted({BASE_CONCURRENCY, cfg.connections}):
        _log(f"  SendMessage, {conns} connections")
        url = _queue_url(name, port, f"bench-send-{conns}")  # fresh queue: moto slows as a queue grows
        _quiet(server, cfg)
        _section(res["send"], str(conns), partial(_load, port, "SendMessage", send_params(url), conns, cfg))
    batch_url = _queue_url(name, port, "bench-batch")
    _quiet(server, cfg)
    _log(f"  SendMessageBatch, {BASE_CONCURRENCY} connections")
    _section(res, "batch", lambda: _load(port, "SendMessageBatch", batch_params(batch_url), BASE_CONCURRENCY, cfg))
    if isinstance(res.get("batch"), dict) and "rps" in res["batch"]:
        res["batch"]["messages_per_s"] = res["batch"]["rps"] * BATCH_SIZE
        res["batch"]["entries_per_request"] = BATCH_SIZE
    if name in STATELESS:
        res["receive_delete"] = None
    else:
        _log("  ReceiveMessage+DeleteMessageBatch")
        _quiet(server, cfg)
        _section(res, "receive_delete", lambda: _receive_delete(name, server, cfg))
    _log("  boto3 single-thread SendMessage")
    boto_url = _queue_url(name, port, "bench-boto3")
    res["boto3_waited_for_idle_s"] = _quiet(server, cfg)
    _section(res, "boto3", lambda: _boto_baseline(port, boto_url, cfg.boto_seconds))
    return res


def _long_polls(name: str, server: Server, cfg: Config) -> dict[str, Any]:
    count = cfg.long_polls if name == "stepstack" else cfg.moto_long_polls
    assert server.proc is not None
    url = _create_queue(server.port, "bench-longpoll")
    _log(f"  {count} idle long polls")
    out: dict[str, Any] = run_sync(idle_long_polls(
        LoadTarget(HOST, server.port), url, server.proc.pid, count,
        cfg.long_poll_measure, cfg.long_poll_settle, cfg.long_poll_open_timeout,
    ))
    out["alive_after"] = _one_call(server.port, "ListQueues", {}).startswith("ListQueues -> HTTP 200")
    return out


def _memory(name: str, server: Server, cfg: Config) -> dict[str, Any]:
    wanted = cfg.memory_messages if name != "moto" else min(cfg.memory_messages, cfg.moto_memory_messages)
    limit = cfg.memory_seconds if name != "moto" else min(cfg.memory_seconds, cfg.moto_memory_seconds)
    assert server.proc is not None
    pid = server.proc.pid
    url = _create_queue(server.port, "bench-memory")
    run_sync(cpu_percent(pid, 0.5))  # let start-up allocations settle
    idle = proc_status(pid)
    _log(f"  filling {wanted} messages for the memory sample")
    fill = run_sync(fill_queue(LoadTarget(HOST, server.port), url, wanted, _fill_connections(name, cfg), limit))
    _quiet(server, cfg)
    after = proc_status(pid)
    growth = after["VmRSS"] - idle["VmRSS"]
    out: dict[str, Any] = {
        "wanted": wanted, "limit_s": limit, "fill": fill.to_dict(), "messages": fill.messages,
        "idle_rss_kib": idle["VmRSS"], "rss_kib": after["VmRSS"], "growth_kib": growth,
        "bytes_per_message": round(growth * 1024 / fill.messages) if fill.messages else None,
    }
    if 0 < fill.messages < cfg.memory_messages:
        out["scaled_growth_kib"] = round(growth * cfg.memory_messages / fill.messages)
        out["note"] = (f"sent {fill.messages} of {cfg.memory_messages} in {fill.elapsed:.0f}s "
                       f"(cap {wanted} messages / {limit:g}s); growth/100k scaled linearly")
    return out


def _with_server(name: str, log_dir: Path, res: dict[str, Any], key: str, fn: Callable[[Server], Any]) -> None:
    """Start a fresh server, run ``fn`` on it, always stop it."""
    server = Server(TARGETS[name], free_port(), log_dir)
    try:
        server.start()
        assert server.proc is not None
        res.setdefault("server_idle_rss_kib", proc_status(server.proc.pid)["VmRSS"])
        _section(res, key, lambda: fn(server))
    except RuntimeError as exc:
        res[key] = {"failed": str(exc)}
        _log(f"  {name} failed to start: {exc}")
    finally:
        server.stop()
    if server.proc is not None and server.proc.returncode not in (None, 0, -signal.SIGTERM):
        res.setdefault("exit_codes", []).append(server.proc.returncode)


def bench_target(name: str, cfg: Config, log_dir: Path) -> dict[str, Any]:
    """All sections for one target; a section that cannot apply is None."""
    res: dict[str, Any] = {"target": name}
    _log(f"== {name}")
    _with_server(name, log_dir, res, "throughput", lambda s: _throughput(name, s, cfg))
    throughput = res.pop("throughput")
    res.update(throughput if "failed" not in throughput else {"failed": throughput["failed"]})
    res["long_polls"] = None
    if name in LONG_POLL_TARGETS:
        _with_server(name, log_dir, res, "long_polls", lambda s: _long_polls(name, s, cfg))
    res["memory"] = None
    if name not in STATELESS:
        _with_server(name, log_dir, res, "memory", lambda s: _memory(name, s, cfg))
    return res


def main(argv: list[str] | None = None) -> int:
    """CLI entry point for ``python -m bench.sqs``."""
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    parser = argparse.ArgumentParser(prog="python -m bench.sqs", description=__doc__)
    parser.add_argument("--targets", type=parse_targets, default=["stepstack", "ceiling", "moto"],
                        help=f"comma list from {','.join(TARGETS)}")
    parser.add_argument("--duration", type=float, help="measured seconds per load phase (default 5, quick 1)")
    parser.add_argument("--connections", type=int, default=64,
                        help="extra SendMessage concurrency besides 32 (default 64)")
    parser.add_argument("--long-polls", type=int, help="idle long polls held on stepstack (default 10000)")
    parser.add_argument("--memory-messages", type=int, help="1 KiB messages for the memory sample (default 100000)")
    parser.add_argument("--quick", action="store_true", help="short smoke run (about a minute)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every number as JSON")
    args = parser.parse_args(argv)

    cfg = replace(Config(), **QUICK) if args.quick else Config()
    cfg = replace(cfg, connections=args.connections)
    if args.duration is not None:
        cfg = replace(cfg, duration=args.duration)
    if args.long_polls is not None:
        cfg = replace(cfg, long_polls=args.long_polls)
    if args.memory_messages is not None:
        cfg = replace(cfg, memory_messages=args.memory_messages)
    soft, hard = raise_nofile()  # before any server starts, so they inherit it
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="stepstack-bench-sqs-") as tmp:
        for name in args.targets:
            results.append(bench_target(name, cfg, Path(tmp)))
    meta = {"config": asdict(cfg), "quick": args.quick, "rlimit_nofile": [soft, hard],
            "wall_s": round(time.perf_counter() - started, 1)}
    print(render(results, cfg.connections, BASE_CONCURRENCY))
    print(f"\nwall time {meta['wall_s']}s; RLIMIT_NOFILE soft={soft} hard={hard}")
    if args.json:
        args.json.write_text(json.dumps({**meta, "results": results}, indent=2, default=str) + "\n")
    return 0 if run_ok(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
