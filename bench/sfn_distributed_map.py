"""Distributed Map benchmark: how long a 1,000-item distributed Map takes to complete.

Against a fresh stepstack, each variant starts one execution of a Map (ProcessorConfig
DISTRIBUTED) over 1,000 items whose children are one Pass state, and times it to the end: on
the service's own clock (stopDate - startDate) and as a client sees it (StartExecution until
DescribeExecution answers SUCCEEDED, polled every 5 ms). Variants: one child per item, with
MaxConcurrency 50 and unlimited; batches of 10 (100 children); EXPRESS children.

    python -m bench.sfn_distributed_map                  # 3 rounds of each variant
    python -m bench.sfn_distributed_map --rounds 5 --items 5000
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

from bench.run import HOST, TARGETS, Server, free_port

ROLE = "arn:aws:iam::000000000000:role/bench"
POLL_GAP = 0.005
VARIANTS: dict[str, dict[str, Any]] = {
    "per item, MaxConcurrency 50": {"MaxConcurrency": 50},
    "per item, no MaxConcurrency": {},
    "batches of 10, MaxConcurrency 50": {"MaxConcurrency": 50, "ItemBatcher": {"MaxItemsPerBatch": 10}},
    "per item, EXPRESS children, MaxConcurrency 50": {"MaxConcurrency": 50, "_kind": "EXPRESS"},
}


def definition(fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    kind = fields.pop("_kind", "STANDARD")
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor, **fields, "End": True}}}


def run_once(client: Any, machine: str, items: int) -> tuple[float, float]:
    """(service seconds, client seconds) of one execution."""
    began = time.perf_counter()
    arn = client.start_execution(stateMachineArn=machine, input=json.dumps(list(range(items))))["executionArn"]
    while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
        time.sleep(POLL_GAP)
    seen = time.perf_counter() - began
    if described["status"] != "SUCCEEDED":
        raise RuntimeError(f"{arn} ended {described['status']}: {described.get('error')} {described.get('cause')}")
    return (described["stopDate"] - described["startDate"]).total_seconds(), seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sfn_distributed_map", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args(argv)
    import boto3

    with tempfile.TemporaryDirectory(prefix="bench-sfn-distributed-map-") as log_dir:
        server = Server(TARGETS["stepstack"], free_port(), Path(log_dir))
        try:
            server.start()
            client = boto3.client(
                "stepfunctions", endpoint_url=f"http://{HOST}:{server.port}", region_name="us-east-1",
                aws_access_key_id="000000000000", aws_secret_access_key="bench",
            )
            print(f"distributed Map over {args.items} items, {args.rounds} rounds each (median, best)")
            for index, (name, fields) in enumerate(VARIANTS.items()):
                machine = client.create_state_machine(
                    name=f"bench-dm-{index}", definition=json.dumps(definition(fields)), roleArn=ROLE,
                )["stateMachineArn"]
                run_once(client, machine, 10)  # warm up: parsing, first children
                timings = [run_once(client, machine, args.items) for _ in range(args.rounds)]
                service = [t[0] for t in timings]
                seen = [t[1] for t in timings]
                print(
                    f"  {name:<48} service {statistics.median(service):6.3f} s (best {min(service):.3f})"
                    f"   client {statistics.median(seen):6.3f} s (best {min(seen):.3f})"
                )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
