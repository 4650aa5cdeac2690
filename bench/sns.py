"""SNS benchmark: Publish to a topic with 10 SQS subscriptions, and how soon each delivery
can be received.

Each target (stepstack, moto) is started fresh on a free loopback port. A topic gets ten
queues subscribed (enveloped, signed deliveries, as by default). Then:

* **publishes/s**: raw-HTTP Query `Publish` requests replayed over keep-alive connections for
  `--duration` seconds (bench.load); deliveries/s is ten times that.
* **delivery latency**: one publish at a time, the time until a long poll on one of the
  queues returns it (median and p99 over `--samples` publishes).

Run ``python -m bench.sns`` (``--targets stepstack,moto``, ``--duration``, ``--json PATH``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load import LoadTarget, run_load, run_sync
from bench.run import HOST, TARGETS, Server, free_port, parse_targets
from bench.workloads import query_request

SUBSCRIBERS = 10
BODY = "x" * 256


def _clients(port: int) -> tuple[Any, Any]:
    import boto3
    from botocore.config import Config

    kwargs = dict(endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1", aws_access_key_id="000000000000",
                  aws_secret_access_key="bench", config=Config(retries={"max_attempts": 1}))
    return boto3.client("sns", **kwargs), boto3.client("sqs", **kwargs)


def _fan_out(port: int) -> tuple[str, list[str]]:
    sns, sqs = _clients(port)
    topic = sns.create_topic(Name="bench-fan-out")["TopicArn"]
    urls = []
    for i in range(SUBSCRIBERS):
        url = sqs.create_queue(QueueName=f"bench-sub-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        urls.append(url)
    return topic, urls


def _latency(port: int, topic: str, url: str, samples: int) -> dict[str, float]:
    sns, sqs = _clients(port)
    sqs.purge_queue(QueueUrl=url)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        sns.publish(TopicArn=topic, Message=BODY)
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
        if got:
            times.append((time.perf_counter() - started) * 1000)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    times.sort()
    if not times:
        return {"received": 0}
    return {"received": len(times), "p50_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(len(times) * 0.99) - 1], 2)}


def bench_target(name: str, duration: float, connections: int, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as logs:
        server = Server(TARGETS[name], free_port(), Path(logs))
        server.start()
        try:
            topic, urls = _fan_out(server.port)
            request = query_request(HOST, server.port, "sns", {"Action": "Publish", "TopicArn": topic, "Message": BODY, "Version": "2010-03-31"})
            result = run_sync(run_load(LoadTarget(HOST, server.port), request, connections, duration))
            latency = _latency(server.port, topic, urls[0], samples)
            return {"target": name, "publishes_per_s": round(result.rps, 1), "deliveries_per_s": round(result.rps * SUBSCRIBERS, 1),
                    "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors, "delivery_latency": latency}
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sns", description=__doc__)
    parser.add_argument("--targets", type=parse_targets, default=["stepstack", "moto"])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = [bench_target(name, args.duration, args.connections, args.samples) for name in args.targets]
    print(f"{'target':10} {'publish/s':>10} {'deliver/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  delivery latency")
    for row in rows:
        print(f"{row['target']:10} {row['publishes_per_s']:>10} {row['deliveries_per_s']:>10} {row['p50_ms']:>7.2f} "
              f"{row['p99_ms']:>7.2f} {row['errors']:>6}  {row['delivery_latency']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
