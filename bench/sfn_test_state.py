"""TestState benchmark: calls/s of TestState on a Pass state, over raw HTTP.

One pre-built awsJson1.0 request (a Pass state with InputPath, Parameters and ResultPath,
at inspection level DEBUG) sent on keep-alive connections by bench.load against a fresh
stepstack; every answer must be 200. Target: at least 1,000 calls/s.

    python -m bench.sfn_test_state                      # 5 s, 16 connections
    python -m bench.sfn_test_state --duration 2 --connections 32
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.load import LoadTarget, run_load, run_sync
from bench.run import HOST, TARGETS, Server, free_port
from bench.workloads import json_request

STATE = {"Type": "Pass", "InputPath": "$.in", "Parameters": {"v.$": "$.x", "k": 1}, "ResultPath": "$.out", "End": True}
BODY = {"definition": json.dumps(STATE), "input": json.dumps({"in": {"x": 42}}), "inspectionLevel": "DEBUG"}
TARGET_CALLS_PER_S = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sfn_test_state", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-sfn-test-state-") as log_dir:
        server = Server(TARGETS["stepstack"], free_port(), Path(log_dir))
        try:
            server.start()
            request = json_request(HOST, server.port, "states", "AWSStepFunctions.TestState", json.dumps(BODY).encode())
            result = run_sync(run_load(LoadTarget(HOST, server.port), request, args.connections, args.duration))
        finally:
            server.stop()
    print(result.summary())
    rate = result.to_dict().get("rps", 0.0)
    print(f"TestState (Pass, DEBUG): {rate:.0f} calls/s (target >= {TARGET_CALLS_PER_S})", file=sys.stderr)
    return 0 if result.to_dict().get("errors", 0) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
