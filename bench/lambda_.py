"""Lambda benchmark: warm RequestResponse invokes of an echo function, and cold starts.

A fresh stepstack gets a Python echo function. Then:

* **warm**: `--environments` connections (4 by default) each send Invoke requests one after
  another as pre-built raw HTTP (boto3's client CPU would be the bottleneck), after a warm-up that
  brings up that many environments: p50/p99 latency and invokes/s;
* **cold start**: `--cold` times, a new function is created and invoked once with boto3: the
  wall time of that first Invoke, and the Init Duration its REPORT line gives;
* **SQS mapping**: `--messages` messages (10,000 by default) sent to a queue first, then an
  event source mapping of batch size 10 to a function that does nothing: the wall time until
  the queue is empty, as messages/s.

Run ``python -m bench.lambda_`` (``--duration``, ``--environments``, ``--cold``, ``--messages``, ``--json PATH``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import re
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.load import read_response
from bench.run import HOST, TARGETS, Server, free_port
from bench.workloads import AMZ_DATE, fake_authorization

ROLE = "arn:aws:iam::000000000000:role/bench"
ECHO = "def handler(event, context):\n    return event\n"


def _client(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1", aws_access_key_id="000000000000",
                        aws_secret_access_key="bench", config=Config(retries={"max_attempts": 1}, read_timeout=60))


def _zip(code: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", code)
    return buffer.getvalue()


def _create(lam: Any, name: str) -> None:
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=ROLE, Code={"ZipFile": _zip(ECHO)})
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})


def _request(port: int, name: str, body: bytes) -> bytes:
    head = (
        f"POST /2015-03-31/functions/{name}/invocations HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nX-Amz-Date: {AMZ_DATE}\r\nAuthorization: {fake_authorization('lambda')}\r\n"
        f"X-Amz-Invocation-Type: RequestResponse\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _warm(port: int, name: str, connections: int, duration: float, warmup: float) -> dict[str, Any]:
    request = _request(port, name, b'{"hello": "bench"}')
    latencies: list[float] = []
    errors = 0
    measuring_from = time.perf_counter() + warmup
    stop_at = measuring_from + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while (now := time.perf_counter()) < stop_at:
                writer.write(request)
                status, _ = await read_response(reader)
                if now >= measuring_from:
                    latencies.append((time.perf_counter() - now) * 1000)
                    errors += status != 200
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "connections": connections, "invokes": len(latencies), "errors": errors,
        "invokes_per_s": round(len(latencies) / duration, 1),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2) if latencies else None,
    }


def _cold(lam: Any, samples: int) -> dict[str, Any]:
    walls, inits = [], []
    for i in range(samples):
        name = f"cold-{i}"
        _create(lam, name)
        started = time.perf_counter()
        answer = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
        walls.append((time.perf_counter() - started) * 1000)
        found = re.search(r"Init Duration: ([\d.]+) ms", base64.b64decode(answer["LogResult"]).decode())
        if found:
            inits.append(float(found.group(1)))
    return {"samples": samples, "first_invoke_p50_ms": round(statistics.median(walls), 1),
            "init_duration_p50_ms": round(statistics.median(inits), 1) if inits else None}


def _drain(port: int, lam: Any, messages: int) -> dict[str, Any]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1",
                       aws_access_key_id="000000000000", aws_secret_access_key="bench")
    url = sqs.create_queue(QueueName="drained")["QueueUrl"]
    for start in range(0, messages, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(min(10, messages - start))])
    lam.create_function(FunctionName="sink", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                        Code={"ZipFile": _zip("def handler(event, context):\n    return None\n")})
    started = time.perf_counter()
    lam.create_event_source_mapping(EventSourceArn="arn:aws:sqs:us-east-1:000000000000:drained", FunctionName="sink", BatchSize=10)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    while time.perf_counter() - started < 300:
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if all(left[n] == "0" for n in names):
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    return {"messages": messages, "batch_size": 10, "seconds": round(seconds, 2), "messages_per_s": round(messages / seconds, 1),
            "left": sum(int(left[n]) for n in names)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lambda_", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--environments", type=int, default=4)
    parser.add_argument("--cold", type=int, default=10)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as logs:
        server = Server(TARGETS["stepstack"], free_port(), Path(logs))
        server.start()
        try:
            lam = _client(server.port)
            _create(lam, "echo")
            row = {"target": "stepstack", "warm": asyncio.run(_warm(server.port, "echo", args.environments, args.duration, args.warmup)),
                   "cold": _cold(lam, args.cold), "sqs_mapping": _drain(server.port, lam, args.messages)}
        finally:
            server.stop()
    print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(row, indent=2))
    return 0 if row["warm"]["errors"] == 0 and row["warm"]["invokes"] else 1


if __name__ == "__main__":
    sys.exit(main())
