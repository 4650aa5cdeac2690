"""Generated input against every emulated SQS and Step Functions handler: each call
succeeds with a result that fits its output shape or raises an AwsError, never anything
else; an InternalFailure always fails.

Each example runs against fresh resources in a new application (so destructive
operations cannot spoil the others): inputs come from the botocore shapes
(tests/shape_strategies.py), with queue URLs, ARNs, receipt handles and task
tokens pointed at resources that exist, so the handlers get past "does not exist"
and into their real checks. Each operation also gets one valid example and must
succeed at least once; the per-operation tally is printed at the end.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from protocols.internal import InternalInput, OutputCheck
from protocols.specs import all_specs, service_spec
from services.core.clock import Clock
from services.core.dispatch import Dispatcher
from services.core.errors import AwsError, InternalFailure
from services.registry import SERVICE_NAMES, service_factories, service_operations
from tests.shape_strategies import input_strategy

LOOP = asyncio.new_event_loop()
SPECS = all_specs()
EXAMPLES = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
ROLE = "arn:aws:iam::000000000000:role/r"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
TALLY: dict[str, Counter[str]] = {}


def _activity_machine(activity: str) -> str:
    return json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}})


class World:
    """A fresh application with one of everything the handlers can be pointed at."""

    def __init__(self) -> None:
        self.dispatcher = Dispatcher(
            Clock(frozen=True), service_factories(), SERVICE_NAMES,
            validate_input=InternalInput(SPECS), validate_output=OutputCheck(SPECS),
        )
        self.values: dict[str, Any] = {}

    def call(self, service: str, operation: str, params: dict[str, Any], timeout: float = 0.5) -> Any:
        work = self.dispatcher.call(service, operation, params, account_id="000000000000", region="us-east-1")
        return LOOP.run_until_complete(asyncio.wait_for(work, timeout))

    def build(self) -> World:
        sqs = lambda op, **p: self.call("sqs", op, p)  # noqa: E731
        sfn = lambda op, **p: self.call("stepfunctions", op, p)  # noqa: E731
        v = self.values
        v["url"] = sqs("CreateQueue", QueueName="fuzz")["QueueUrl"]
        v["fifo"] = sqs("CreateQueue", QueueName="fuzz.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        v["dlq"] = sqs("CreateQueue", QueueName="fuzz-dlq")["QueueUrl"]
        v["dlq_arn"] = "arn:aws:sqs:us-east-1:000000000000:fuzz-dlq"
        policy = json.dumps({"deadLetterTargetArn": v["dlq_arn"], "maxReceiveCount": 1})
        sqs("SetQueueAttributes", QueueUrl=v["url"], Attributes={"RedrivePolicy": policy})
        sqs("AddPermission", QueueUrl=v["url"], Label="fuzzlabel", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
        sqs("SendMessageBatch", QueueUrl=v["url"], Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(4)])
        v["handle"] = sqs("ReceiveMessage", QueueUrl=v["url"])["Messages"][0]["ReceiptHandle"]
        sqs("SendMessageBatch", QueueUrl=v["dlq"], Entries=[{"Id": str(i), "MessageBody": f"d{i}"} for i in range(3)])
        v["move_dlq"] = sqs("CreateQueue", QueueName="fuzz-move-dlq")["QueueUrl"]
        move_arn = "arn:aws:sqs:us-east-1:000000000000:fuzz-move-dlq"
        source = sqs("CreateQueue", QueueName="fuzz-move-src")["QueueUrl"]
        sqs("SetQueueAttributes", QueueUrl=source, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": move_arn, "maxReceiveCount": 1})})
        sqs("SendMessageBatch", QueueUrl=v["move_dlq"], Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(3)])
        v["move_task"] = sqs("StartMessageMoveTask", SourceArn=move_arn, DestinationArn=v["dlq_arn"], MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        v["machine"] = sfn("CreateStateMachine", name="fuzz", definition=PASS, roleArn=ROLE)["stateMachineArn"]
        v["express"] = sfn("CreateStateMachine", name="fuzz-express", definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
        v["activity"] = sfn("CreateActivity", name="fuzz")["activityArn"]
        v["version"] = sfn("PublishStateMachineVersion", stateMachineArn=v["machine"])["stateMachineVersionArn"]
        versioned = sfn("CreateStateMachine", name="fuzz-versioned", definition=PASS, roleArn=ROLE, publish=True)
        v["spare_version"] = versioned["stateMachineVersionArn"]
        v["alias"] = sfn("CreateStateMachineAlias", name="fuzz-alias",
                         routingConfiguration=[{"stateMachineVersionArn": v["version"], "weight": 100}])["stateMachineAliasArn"]
        worker = sfn("CreateStateMachine", name="fuzz-worker", definition=_activity_machine(v["activity"]), roleArn=ROLE)
        v["execution"] = sfn("StartExecution", stateMachineArn=worker["stateMachineArn"])["executionArn"]
        sfn("StartExecution", stateMachineArn=worker["stateMachineArn"])
        LOOP.run_until_complete(asyncio.sleep(0))  # the executions reach their Task states
        v["token"] = sfn("GetActivityTask", activityArn=v["activity"])["taskToken"]
        failing = sfn("CreateStateMachine", name="fuzz-failing", definition='{"StartAt": "F", "States": {"F": {"Type": "Fail"}}}', roleArn=ROLE)
        v["failed"] = sfn("StartExecution", stateMachineArn=failing["stateMachineArn"])["executionArn"]
        LOOP.run_until_complete(asyncio.sleep(0))  # it fails at once
        child = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": True}},
                 "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}
        distributed = sfn("CreateStateMachine", name="fuzz-distributed", roleArn=ROLE, definition=json.dumps(
            {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": child, "End": True}}}))
        v["map_execution"] = sfn("StartExecution", stateMachineArn=distributed["stateMachineArn"], input="[1]")["executionArn"]
        LOOP.run_until_complete(asyncio.sleep(0))  # its Map Run starts; the frozen clock keeps its child waiting
        v["map_run"] = sfn("ListMapRuns", executionArn=v["map_execution"])["mapRuns"][0]["mapRunArn"]
        return self

    def close(self) -> None:
        LOOP.run_until_complete(self.dispatcher.shutdown())


# Placeholders in generated and valid params, replaced per example by the World's values.
FIXTURES: dict[str, st.SearchStrategy[Any]] = {
    "QueueUrl": st.sampled_from(["$url", "$fifo"]),
    "ReceiptHandle": st.just("$handle"),
    "SourceArn": st.just("$dlq_arn"),
    "TaskHandle": st.just("$move_task"),
    "stateMachineArn": st.just("$machine"),
    "activityArn": st.just("$activity"),
    "executionArn": st.just("$execution"),
    "taskToken": st.just("$token"),
    "resourceArn": st.sampled_from(["$machine", "$activity"]),
    "stateMachineVersionArn": st.sampled_from(["$version", "$spare_version"]),
    "stateMachineAliasArn": st.just("$alias"),
    "mapRunArn": st.just("$map_run"),
    "definition": st.sampled_from([PASS, "{}", "not json", WAIT]),
    "input": st.sampled_from(["{}", "[1]", "nope", '"x"']),
    "output": st.sampled_from(["{}", "nope"]),
    "roleArn": st.just(ROLE),
}

VALID: dict[str, dict[str, Any]] = {
    "sqs.AddPermission": {"QueueUrl": "$url", "Label": "l2", "AWSAccountIds": ["111111111111"], "Actions": ["ReceiveMessage"]},
    "sqs.CancelMessageMoveTask": {"TaskHandle": "$move_task"},
    "sqs.ChangeMessageVisibility": {"QueueUrl": "$url", "ReceiptHandle": "$handle", "VisibilityTimeout": 10},
    "sqs.ChangeMessageVisibilityBatch": {"QueueUrl": "$url", "Entries": [{"Id": "a", "ReceiptHandle": "$handle", "VisibilityTimeout": 5}]},
    "sqs.CreateQueue": {"QueueName": "fuzz-new", "Attributes": {"DelaySeconds": "5"}, "tags": {"k": "v"}},
    "sqs.DeleteMessage": {"QueueUrl": "$url", "ReceiptHandle": "$handle"},
    "sqs.DeleteMessageBatch": {"QueueUrl": "$url", "Entries": [{"Id": "a", "ReceiptHandle": "$handle"}]},
    "sqs.DeleteQueue": {"QueueUrl": "$url"},
    "sqs.GetQueueAttributes": {"QueueUrl": "$url", "AttributeNames": ["All"]},
    "sqs.GetQueueUrl": {"QueueName": "fuzz"},
    "sqs.ListDeadLetterSourceQueues": {"QueueUrl": "$dlq"},
    "sqs.ListMessageMoveTasks": {"SourceArn": "$dlq_arn"},
    "sqs.ListQueueTags": {"QueueUrl": "$url"},
    "sqs.ListQueues": {"QueueNamePrefix": "fuzz", "MaxResults": 2},
    "sqs.PurgeQueue": {"QueueUrl": "$url"},
    "sqs.ReceiveMessage": {"QueueUrl": "$url", "MaxNumberOfMessages": 2, "MessageSystemAttributeNames": ["All"]},
    "sqs.RemovePermission": {"QueueUrl": "$url", "Label": "fuzzlabel"},
    "sqs.SendMessage": {"QueueUrl": "$url", "MessageBody": "hi", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}},
    "sqs.SendMessageBatch": {"QueueUrl": "$fifo", "Entries": [{"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"}]},
    "sqs.SetQueueAttributes": {"QueueUrl": "$url", "Attributes": {"VisibilityTimeout": "10"}},
    "sqs.StartMessageMoveTask": {"SourceArn": "$dlq_arn"},
    "sqs.TagQueue": {"QueueUrl": "$url", "Tags": {"a": "b"}},
    "sqs.UntagQueue": {"QueueUrl": "$url", "TagKeys": ["a"]},
    "stepfunctions.CreateActivity": {"name": "fuzz-new"},
    "stepfunctions.CreateStateMachine": {"name": "fuzz-new", "definition": WAIT, "roleArn": ROLE, "tags": [{"key": "k", "value": "v"}]},
    "stepfunctions.DeleteActivity": {"activityArn": "$activity"},
    "stepfunctions.DeleteStateMachine": {"stateMachineArn": "$machine"},
    "stepfunctions.DescribeActivity": {"activityArn": "$activity"},
    "stepfunctions.DescribeExecution": {"executionArn": "$execution"},
    "stepfunctions.DescribeStateMachine": {"stateMachineArn": "$machine"},
    "stepfunctions.DescribeStateMachineForExecution": {"executionArn": "$execution"},
    "stepfunctions.GetActivityTask": {"activityArn": "$activity", "workerName": "w"},
    "stepfunctions.GetExecutionHistory": {"executionArn": "$execution", "reverseOrder": True},
    "stepfunctions.ListActivities": {"maxResults": 1},
    "stepfunctions.ListExecutions": {"stateMachineArn": "$machine"},
    "stepfunctions.ListStateMachines": {},
    "stepfunctions.ListTagsForResource": {"resourceArn": "$machine"},
    "stepfunctions.SendTaskFailure": {"taskToken": "$token", "error": "E", "cause": "c"},
    "stepfunctions.SendTaskHeartbeat": {"taskToken": "$token"},
    "stepfunctions.SendTaskSuccess": {"taskToken": "$token", "output": "{}"},
    "stepfunctions.StartExecution": {"stateMachineArn": "$machine", "input": "{}"},
    "stepfunctions.StartSyncExecution": {"stateMachineArn": "$express", "input": "{}"},
    "stepfunctions.StopExecution": {"executionArn": "$execution", "error": "E"},
    "stepfunctions.TagResource": {"resourceArn": "$activity", "tags": [{"key": "k", "value": "v"}]},
    "stepfunctions.UntagResource": {"resourceArn": "$machine", "tagKeys": ["k"]},
    "stepfunctions.UpdateStateMachine": {"stateMachineArn": "$machine", "definition": WAIT},
    "stepfunctions.ValidateStateMachineDefinition": {"definition": PASS},
    "stepfunctions.PublishStateMachineVersion": {"stateMachineArn": "$machine", "description": "d"},
    "stepfunctions.ListStateMachineVersions": {"stateMachineArn": "$machine"},
    "stepfunctions.DeleteStateMachineVersion": {"stateMachineVersionArn": "$spare_version"},
    "stepfunctions.CreateStateMachineAlias": {"name": "fuzz-new", "routingConfiguration": [{"stateMachineVersionArn": "$version", "weight": 100}]},
    "stepfunctions.DescribeStateMachineAlias": {"stateMachineAliasArn": "$alias"},
    "stepfunctions.UpdateStateMachineAlias": {"stateMachineAliasArn": "$alias", "description": "d"},
    "stepfunctions.DeleteStateMachineAlias": {"stateMachineAliasArn": "$alias"},
    "stepfunctions.ListStateMachineAliases": {"stateMachineArn": "$machine"},
    "stepfunctions.RedriveExecution": {"executionArn": "$failed"},
    "stepfunctions.TestState": {"definition": '{"Type": "Pass", "End": true}', "input": "{}"},
    "stepfunctions.ListMapRuns": {"executionArn": "$map_execution"},
    "stepfunctions.DescribeMapRun": {"mapRunArn": "$map_run"},
    "stepfunctions.UpdateMapRun": {"mapRunArn": "$map_run", "maxConcurrency": 2},
}

OPERATIONS = [
    pytest.param(service, operation, id=f"{service}-{operation}")
    for service in ("sqs", "stepfunctions")
    for operation in sorted(service_operations()[service].implemented())
]


def _filled(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$") and value[1:] in values:
        return values[value[1:]]
    if isinstance(value, dict):
        return {k: _filled(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, values) for v in value]
    return value


def _strategy(service: str, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = service_spec(service).model.operation_model(operation).input_shape
    base = input_strategy(shape)
    present = {k: v for k, v in FIXTURES.items() if shape is not None and k in shape.members}
    if not present:
        return base
    return st.tuples(base, st.fixed_dictionaries(present)).map(lambda pair: {**pair[0], **pair[1]})


@pytest.fixture(scope="module", autouse=True)
def print_tally(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None or not TALLY:
        return
    with capture.global_and_fixture_disabled():
        print("\nhandler fuzz, per operation: successes / AWS errors / long-poll timeouts")
        for name, counts in sorted(TALLY.items()):
            print(f"  {name:<48} {counts['ok']:>3} {counts['error']:>3} {counts['timeout']:>3}")


@pytest.mark.parametrize("service, operation", OPERATIONS)
def test_handler_answers_success_or_an_aws_error(service: str, operation: str) -> None:
    name = f"{service}.{operation}"
    counts = TALLY.setdefault(name, Counter())
    long_running = service_operations()[service].is_long_running(operation)
    assert name in VALID, f"give {name} a valid example"

    @EXAMPLES
    @given(params=_strategy(service, operation))
    @example(params=VALID[name])
    def check(params: dict[str, Any]) -> None:
        world = World().build()
        try:
            world.call(service, operation, _filled(params, world.values), timeout=0.05 if long_running else 2.0)
            counts["ok"] += 1
        except InternalFailure as failure:
            pytest.fail(f"{name} answered InternalFailure: {failure.message}")
        except AwsError:
            counts["error"] += 1
        except asyncio.TimeoutError:
            if not long_running:
                raise
            counts["timeout"] += 1
        finally:
            world.close()

    check()
    assert counts["ok"] >= 1, f"{name} never succeeded: {dict(counts)}"
