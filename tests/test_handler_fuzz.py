"""Generated input against every emulated SQS and Step Functions handler:
each call either succeeds or raises an AwsError, never anything else.

Inputs come from the botocore shapes (tests/shape_strategies.py), with the
queue URL, ARNs and receipt handles pointed at resources that exist, so the
handlers get past "does not exist" and into their real checks.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.specs import service_spec
from services.core.clock import Clock
from services.core.context import RequestContext
from services.core.errors import AwsError
from services.core.handlers import Dispatcher
from services.registry import SERVICE_NAMES, all_service_handlers
from tests.shape_strategies import input_strategy

LOOP = asyncio.new_event_loop()
CLOCK = Clock(frozen=True)
DISPATCHER = Dispatcher(CLOCK, all_service_handlers(), SERVICE_NAMES)
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def call(service: str, operation: str, params: dict[str, Any]) -> Any:
    ctx: RequestContext[Any] = RequestContext("000000000000", "us-east-1", "fuzz", CLOCK, DISPATCHER, host="localhost:4566")
    # long polls and sync executions wait on a frozen clock: a short real timeout ends them
    return LOOP.run_until_complete(asyncio.wait_for(DISPATCHER.dispatch(ctx, service, operation, params), 0.05))


def _fixtures() -> dict[str, Any]:
    url = call("sqs", "CreateQueue", {"QueueName": "fuzz"})["QueueUrl"]
    fifo = call("sqs", "CreateQueue", {"QueueName": "fuzz.fifo", "Attributes": {"FifoQueue": "true"}})["QueueUrl"]
    call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "hello"})
    handle = call("sqs", "ReceiveMessage", {"QueueUrl": url})["Messages"][0]["ReceiptHandle"]
    machine = call("stepfunctions", "CreateStateMachine", {"name": "fuzz", "definition": PASS, "roleArn": "arn:aws:iam::000000000000:role/r"})
    activity = call("stepfunctions", "CreateActivity", {"name": "fuzz"})["activityArn"]
    execution = call("stepfunctions", "StartExecution", {"stateMachineArn": machine["stateMachineArn"]})["executionArn"]
    return {
        "QueueUrl": st.sampled_from([url, fifo]),
        "ReceiptHandle": st.just(handle),
        "SourceArn": st.just("arn:aws:sqs:us-east-1:000000000000:fuzz"),
        "stateMachineArn": st.just(machine["stateMachineArn"]),
        "activityArn": st.just(activity),
        "executionArn": st.just(execution),
        "resourceArn": st.sampled_from([machine["stateMachineArn"], activity]),
        "definition": st.sampled_from([PASS, "{}", "not json", json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})]),
        "input": st.sampled_from(["{}", "[1]", "nope", "\"x\""]),
        "roleArn": st.just("arn:aws:iam::000000000000:role/r"),
    }


FIXTURES = _fixtures()
OPERATIONS = [
    pytest.param(service, operation, id=f"{service}-{operation}")
    for service in ("sqs", "stepfunctions")
    for operation in sorted(DISPATCHER.services[service].handlers)
]


def _strategy(service: str, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = service_spec(service).model.operation_model(operation).input_shape
    base = input_strategy(shape)
    present = {k: v for k, v in FIXTURES.items() if shape is not None and k in shape.members}
    if not present:
        return base
    return st.tuples(base, st.fixed_dictionaries(present)).map(lambda pair: {**pair[0], **pair[1]})


@pytest.mark.parametrize("service, operation", OPERATIONS)
def test_handler_answers_success_or_an_aws_error(service: str, operation: str) -> None:
    @EXAMPLES
    @given(params=_strategy(service, operation))
    def check(params: dict[str, Any]) -> None:
        try:
            call(service, operation, params)
        except (AwsError, asyncio.TimeoutError):
            pass

    check()
