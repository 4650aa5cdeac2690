"""Step Functions integrations benchmark: executions/s of a state machine with a Lambda task and
an SQS task, over raw HTTP.

The machine invokes a Python function (`lambda:invoke`, a real function run by stepstack's
Lambda), then sends its answer to a queue (`sqs:sendMessage`). W workers each start an
execution over raw HTTP and poll DescribeExecution until it ends (bench.sfn's driver), for a
fixed time, against a fresh stepstack. Target: at least 200 executions/s.

    python -m bench.sfn_integrations                   # 5 s, 16 workers
    python -m bench.sfn_integrations --duration 2 --workers 16
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.load import run_sync
from bench.run import HOST, TARGETS, Server, free_port
from bench.sfn import ROLE, drive

TARGET_EXECUTIONS_PER_S = 200
HANDLER = "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n"


def definition(function_arn: str, queue_url: str) -> dict[str, Any]:
    return {"StartAt": "Compute", "States": {
        "Compute": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": function_arn, "Payload.$": "$"}, "ResultSelector": {"doubled.$": "$.Payload.doubled"},
                    "Next": "Send"},
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$"}, "ResultSelector": {"id.$": "$.MessageId"}, "End": True},
    }}


def set_up(port: int) -> str:
    import boto3

    session = boto3.Session(aws_access_key_id="000000000000", aws_secret_access_key="bench", region_name="us-east-1")
    endpoint = f"http://{HOST}:{port}"
    lam, sqs, sfn = (session.client(n, endpoint_url=endpoint) for n in ("lambda", "sqs", "stepfunctions"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    function = lam.create_function(FunctionName="bench-double", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": buffer.getvalue()})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="bench-double")
    queue = sqs.create_queue(QueueName="bench-doubled")["QueueUrl"]
    machine = sfn.create_state_machine(name="bench-lambda-sqs", definition=json.dumps(definition(function, queue)), roleArn=ROLE)
    return machine["stateMachineArn"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sfn_integrations", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds run first and not counted (cold starts)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-sfn-integrations-") as log_dir:
        server = Server(TARGETS["stepstack"], free_port(), Path(log_dir))
        try:
            server.start()
            machine = set_up(server.port)
            run_sync(drive(server.port, machine, {"n": 21}, args.workers, args.warmup))
            stats = run_sync(drive(server.port, machine, {"n": 21}, args.workers, args.duration))
        finally:
            server.stop()
    rate = stats["succeeded"] / stats["seconds"] if stats["seconds"] else 0.0
    print(json.dumps({**stats, "workers": args.workers, "executions_per_s": round(rate, 1)}))
    print(f"Lambda task + SQS task: {rate:.0f} executions/s (target >= {TARGET_EXECUTIONS_PER_S})", file=sys.stderr)
    return 0 if stats["errors"] == 0 and stats["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
