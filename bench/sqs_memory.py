"""SQS memory: does a deep queue fit, and does draining it give the memory back?

Two measurements, both over 100,000 messages of 1 KiB by default:

* **RSS of a real server** (its own process, driven over HTTP like the other
  sections): idle, with every message stored, and after all of them were
  received and deleted. The drained figure must not exceed the stored one.
* **Live Python memory of the service** (in this process, `tracemalloc`): what
  the application holds with an empty queue, with the messages stored, and
  after the drain. The drained figure must be back within 10 % of the empty one.

The default body is the other sections' 1 KiB text, which compresses well
(stepstack stores a deep queue's large bodies compressed); ``--body random``
sends 1 KiB of random base64 instead, which barely compresses: the figure for
a backlog of encrypted or already-compressed payloads.

Run ``python -m bench.sqs_memory`` (``--messages N``, ``--body text|random``, ``--json PATH``).
"""

from __future__ import annotations

import argparse
import base64
import gc
import random
import json
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from bench.load import LoadTarget, run_sync
from bench.run import HOST, TARGETS, Server, free_port
from bench.sqs import _create_queue
from bench.sqs_client import BODY_1K, cpu_percent, fill_queue, proc_status, receive_delete

MIB = 1024 * 1024
RANDOM_1K = base64.b64encode(random.Random(7).randbytes(768)).decode()
ACCOUNT, REGION = "000000000000", "us-east-1"


def server_rss(messages: int, body: str, connections: int = 32, limit_s: float = 300.0) -> dict[str, Any]:
    """RSS (MiB) of a fresh stepstack server: idle, stored, drained."""
    with tempfile.TemporaryDirectory() as logs:
        server = Server(TARGETS["stepstack"], free_port(), Path(logs))
        server.start()
        try:
            assert server.proc is not None
            pid = server.proc.pid
            url = _create_queue(server.port, "bench-memory")
            run_sync(cpu_percent(pid, 0.5))
            idle = proc_status(pid)["VmRSS"]
            target = LoadTarget(HOST, server.port)
            fill = run_sync(fill_queue(target, url, messages, connections, limit_s, body))
            stored = proc_status(pid)["VmRSS"]
            drain = run_sync(receive_delete(target, url, fill.messages, connections, limit_s))
            drained = proc_status(pid)
            return {
                "messages_stored": fill.messages, "messages_drained": drain.messages,
                "idle_mib": round(idle / 1024, 1), "stored_mib": round(stored / 1024, 1),
                "drained_mib": round(drained["VmRSS"] / 1024, 1), "peak_mib": round(drained["VmHWM"] / 1024, 1),
                "bytes_per_message": round((stored - idle) * 1024 / max(fill.messages, 1)),
                "errors": fill.errors + drain.errors,
            }
        finally:
            server.stop()


def live_memory(messages: int, body: str = BODY_1K) -> dict[str, Any]:
    """Traced Python memory (MiB) of an application in this process: empty queue, stored, drained."""
    from tests.inprocess import InProcess

    async def fill(app: InProcess, url: str, count: int) -> None:
        call = app.dispatcher.call
        for start in range(0, count, 10):
            entries = [{"Id": str(i), "MessageBody": f"{body[:-12]}{start + i:012d}"} for i in range(10)]
            await call("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": entries}, account_id=ACCOUNT, region=REGION)

    async def drain(app: InProcess, url: str) -> int:
        call, done = app.dispatcher.call, 0
        receive = {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 120}
        while got := (await call("sqs", "ReceiveMessage", receive, account_id=ACCOUNT, region=REGION)).get("Messages"):
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
            await call("sqs", "DeleteMessageBatch", {"QueueUrl": url, "Entries": entries}, account_id=ACCOUNT, region=REGION)
            done += len(got)
        return done

    def traced() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        base = traced()
        app = InProcess()
        url = app.sqs("CreateQueue", QueueName="memory")["QueueUrl"]
        app.run(fill(app, url, 10))  # an empty queue that has been used: every code path warm
        app.run(drain(app, url))
        empty = traced() - base
        app.run(fill(app, url, messages), timeout=3600)
        stored = traced() - base
        drained_count = app.run(drain(app, url), timeout=3600)
        drained = traced() - base
        app.close()
    finally:
        tracemalloc.stop()
    return {
        "messages": messages, "drained": drained_count,
        "empty_mib": round(empty / MIB, 2), "stored_mib": round(stored / MIB, 1),
        "drained_mib": round(drained / MIB, 2), "drained_over_empty": round(drained / empty, 3),
        "bytes_per_message": round((stored - empty) / messages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqs_memory", description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--body", choices=("text", "random"), default="text")
    parser.add_argument("--json", type=Path, metavar="PATH")
    args = parser.parse_args(argv)
    body = BODY_1K if args.body == "text" else RANDOM_1K
    rss = server_rss(args.messages, body)
    print(f"server RSS, {rss['messages_stored']} x 1 KiB: idle {rss['idle_mib']} MiB, stored {rss['stored_mib']} MiB "
          f"({rss['bytes_per_message']} B/message), drained ({rss['messages_drained']}) {rss['drained_mib']} MiB, "
          f"peak {rss['peak_mib']} MiB, errors {rss['errors']}")
    live = live_memory(args.messages, body)
    print(f"live Python memory: empty queue {live['empty_mib']} MiB, stored {live['stored_mib']} MiB "
          f"({live['bytes_per_message']} B/message), drained {live['drained_mib']} MiB "
          f"({live['drained_over_empty']}x empty)")
    if args.json:
        args.json.write_text(json.dumps({"rss": rss, "live": live}, indent=2))
    ok = rss["drained_mib"] <= rss["stored_mib"] and live["drained_over_empty"] <= 1.10 and not rss["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
