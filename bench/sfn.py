"""Step Functions benchmark: executions/s and state transitions/s.

Two workloads, each run against every target started fresh (stepstack, and
moto's server with its state-machine execution switched on through
/moto-api/config; moto 5.2 answers 500 to every execution of a state machine
after its first, which shows as errors): a chain of 10 Pass states, and an inline Map of 100 items
(one Pass state each). W workers each start an execution over raw HTTP and
poll DescribeExecution until it ends, for a fixed time; completed executions
and their state transitions are counted. Everything stays on 127.0.0.1 and
every loop is bounded in time.

    python -m bench.sfn                      # stepstack and moto, 5 s per workload
    python -m bench.sfn --targets stepstack --duration 2 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.load import LoadTarget, RawRequest, run_sync
from bench.run import HOST, TARGETS, Server, free_port
from bench.sqs_client import SqsConnection, read_full_response
from bench.workloads import json_request

ROLE = "arn:aws:iam::000000000000:role/bench"
POLL_GAP = 0.002
CALL_TIMEOUT = 30.0

CHAIN = {
    "StartAt": "S0",
    "States": {f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < 9 else {"End": True})} for i in range(10)},
}
JSONATA_CHAIN = {  # the same chain in JSONata, each state computing its output
    "QueryLanguage": "JSONata",
    "StartAt": "S0",
    "States": {
        f"S{i}": {"Type": "Pass", "Output": {"x": "{% $states.input.x + 1 %}"}, **({"Next": f"S{i + 1}"} if i < 9 else {"End": True})}
        for i in range(10)
    },
}
MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    },
}
WORKLOADS = {
    # name: (definition, input, state transitions per execution: states entered)
    "pass-chain-10": (CHAIN, {"x": 1}, 10),
    "jsonata-chain-10": (JSONATA_CHAIN, {"x": 1}, 10),
    "map-100": (MAP, {"items": list(range(100))}, 101),
}


class SfnConnection(SqsConnection):
    """The keep-alive raw-HTTP connection of bench.sqs, speaking AWSStepFunctions.* instead."""

    async def sfn(self, action: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request: RawRequest = json_request(
            self.target.host, self.target.port, "states", f"AWSStepFunctions.{action}", json.dumps(params).encode()
        )
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(request.encode())
            status, keep_alive, body = await asyncio.wait_for(read_full_response(self.reader), CALL_TIMEOUT)
        except BaseException:
            self.close()
            raise
        if not keep_alive:
            self.close()
        try:
            return status, json.loads(body or b"{}")
        except ValueError:
            return (status if status != 200 else 599), {"raw": body[:200].decode(errors="replace")}


async def drive(port: int, machine_arn: str, payload: dict[str, Any], workers: int, duration: float) -> dict[str, Any]:
    """W workers start-and-wait executions until `duration` ends; counts finished ones."""
    deadline = time.monotonic() + duration
    stats = {"succeeded": 0, "failed": 0, "errors": 0}
    text = json.dumps(payload)

    async def worker() -> None:
        connection = SfnConnection(LoadTarget(HOST, port))
        try:
            while time.monotonic() < deadline:
                name = uuid.uuid4().hex  # moto names every unnamed execution "None"
                params = {"stateMachineArn": machine_arn, "input": text, "name": name}
                status, started = await connection.sfn("StartExecution", params)
                if status != 200:
                    stats["errors"] += 1
                    continue
                while time.monotonic() < deadline + CALL_TIMEOUT:
                    status, described = await connection.sfn("DescribeExecution", {"executionArn": started["executionArn"]})
                    if status != 200:
                        stats["errors"] += 1
                        break
                    if described["status"] != "RUNNING":
                        stats["succeeded" if described["status"] == "SUCCEEDED" else "failed"] += 1
                        break
                    await asyncio.sleep(POLL_GAP)
        except (OSError, asyncio.TimeoutError):
            stats["errors"] += 1
        finally:
            connection.close()

    started_at = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(workers))), duration + CALL_TIMEOUT + 5)
    stats["seconds"] = round(time.monotonic() - started_at, 2)
    return stats


def _create_machine(port: int, name: str, definition: dict[str, Any]) -> str:
    import boto3

    client = boto3.client(
        "stepfunctions", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1",
        aws_access_key_id="000000000000", aws_secret_access_key="bench",
    )
    return client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def _enable_moto_execution(port: int) -> None:
    body = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
    request = urllib.request.Request(f"http://{HOST}:{port}/moto-api/config", data=body, method="POST")
    urllib.request.urlopen(request, timeout=10).read()


def bench_target(name: str, workers: int, duration: float, log_dir: Path) -> list[dict[str, Any]]:
    server = Server(TARGETS[name], free_port(), log_dir)
    rows = []
    try:
        server.start()
        if name == "moto":
            _enable_moto_execution(server.port)
        for workload, (definition, payload, transitions) in WORKLOADS.items():
            arn = _create_machine(server.port, f"bench-{workload}", definition)
            stats = run_sync(drive(server.port, arn, payload, workers, duration))
            done = stats["succeeded"]
            rows.append({
                "target": name, "workload": workload, "workers": workers, **stats,
                "executions_per_s": round(done / stats["seconds"], 1) if stats["seconds"] else 0.0,
                "transitions_per_s": round(done * transitions / stats["seconds"], 1) if stats["seconds"] else 0.0,
            })
    except RuntimeError as exc:
        rows.append({"target": name, "failed": str(exc)})
    finally:
        server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sfn", description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="stepstack,moto", help="comma list from stepstack,moto")
    parser.add_argument("--workers", type=int, default=16, help="concurrent start-and-wait workers (default 16)")
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per workload (default 5)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sfn-") as log_dir:
        for name in [t.strip() for t in args.targets.split(",") if t.strip()]:
            print(f"running {name} ...", file=sys.stderr)
            rows += bench_target(name, args.workers, args.duration, Path(log_dir))
    header = f"{'target':10} {'workload':14} {'exec/s':>8} {'transitions/s':>14} {'done':>6} {'failed':>6} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for row in rows:
        if "failed" in row and isinstance(row["failed"], str):
            print(f"{row['target']:10} FAILED: {row['failed'].splitlines()[0]}")
            continue
        print(
            f"{row['target']:10} {row['workload']:14} {row['executions_per_s']:>8} {row['transitions_per_s']:>14} "
            f"{row['succeeded']:>6} {row['failed']:>6} {row['errors']:>6}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all("failed" not in r or not isinstance(r["failed"], str) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
