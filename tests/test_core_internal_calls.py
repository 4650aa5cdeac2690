"""Calls from one service to another are validated like wire calls, can target
another account or region by ARN, and ARNs follow the region's partition."""

from __future__ import annotations

import json

import pytest

from services.core.arns import build_arn, partition_of
from services.core.errors import AwsError
from tests.conftest import Server
from tests.inprocess import InProcess

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
ROLE = "arn:aws:iam::000000000000:role/r"


def error_of(app: InProcess, service: str, operation: str, params: dict, **where: str) -> AwsError:
    with pytest.raises(AwsError) as caught:
        app.call(service, operation, params, **where)
    return caught.value


def test_a_missing_member_answers_the_callees_own_error(app: InProcess) -> None:
    error = error_of(app, "sqs", "SendMessage", {"MessageBody": "x"})
    assert (error.code, error.wire_code, error.status) == ("MissingParameter", "MissingParameter", 400)
    assert error.message == "The request must contain the parameter QueueUrl."


def test_a_wrong_type_answers_the_callees_own_error(app: InProcess) -> None:
    url = app.sqs("CreateQueue", QueueName="q")["QueueUrl"]
    error = error_of(app, "sqs", "SendMessage", {"QueueUrl": url, "MessageBody": 5})
    assert (error.code, error.status) == ("InvalidParameterValue", 400)
    assert error.message == "Value 5 for parameter MessageBody is invalid. Reason: Expected a string."
    error = error_of(app, "stepfunctions", "StartExecution", {"stateMachineArn": ["not", "a", "string"]})
    assert (error.code, error.status) == ("SerializationException", 400)


def test_a_member_the_shape_lacks_is_refused_not_dropped(app: InProcess) -> None:
    url = app.sqs("CreateQueue", QueueName="q")["QueueUrl"]
    error = error_of(app, "sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "x", "DelaySecond": 5})
    assert error.code == "InvalidParameterValue"
    assert "DelaySecond" in error.message
    assert app.sqs("GetQueueAttributes", QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]) == {
        "Attributes": {"ApproximateNumberOfMessages": "0"}
    }


def test_constraints_of_the_model_are_checked_for_json_services(app: InProcess) -> None:
    error = error_of(app, "stepfunctions", "CreateActivity", {"name": ""})
    assert error.code == "ValidationException"
    assert error.message == (
        "1 validation error detected: Value '' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_an_enum_the_model_calls_not_case_sensitive_takes_any_case(app: InProcess) -> None:
    definition = {"jobDefinitionName": "d", "type": "container", "containerProperties": {"image": "busybox", "command": ["true"]}}
    registered = app.call("batch", "RegisterJobDefinition", {
        **definition, "retryStrategy": {"attempts": 2, "evaluateOnExit": [{"onExitCode": "3", "action": "Exit"}]}})
    assert registered["revision"] == 1
    [described] = app.call("batch", "DescribeJobDefinitions", {"jobDefinitions": [registered["jobDefinitionArn"]]})["jobDefinitions"]
    assert described["retryStrategy"]["evaluateOnExit"][0]["action"] == "Exit"  # kept as given
    error = error_of(app, "batch", "RegisterJobDefinition", {
        **definition, "retryStrategy": {"attempts": 2, "evaluateOnExit": [{"onExitCode": "3", "action": "Leave"}]}})
    assert (error.code, error.status) == ("ClientException", 400)
    assert "Member must satisfy enum value set: [RETRY, EXIT]" in error.message
    error = error_of(app, "batch", "CreateComputeEnvironment", {"computeEnvironmentName": "c", "type": "unmanaged"})
    assert "Member must satisfy enum value set: [MANAGED, UNMANAGED]" in error.message  # other enums stay exact


def test_an_unknown_operation_answers_not_implemented(app: InProcess) -> None:
    error = error_of(app, "batch", "DescribeServiceEnvironments", {})
    assert (error.code, error.status) == ("NotImplemented", 501)


def test_a_call_by_arn_reaches_another_account_and_region(app: InProcess) -> None:
    created = app.call(
        "stepfunctions", "CreateStateMachine", {"name": "far", "definition": PASS, "roleArn": ROLE},
        account="111111111111", region="eu-west-1",
    )
    arn = created["stateMachineArn"]
    assert arn == "arn:aws:states:eu-west-1:111111111111:stateMachine:far"
    ctx = app.dispatcher.context("000000000000", "us-east-1", origin="test")
    described = app.run(ctx.call_arn(arn, "DescribeStateMachine", {"stateMachineArn": arn}))
    assert (described["name"], described["status"]) == ("far", "ACTIVE")
    assert app.sfn("ListStateMachines")["stateMachines"] == []  # not in the caller's account
    far = app.call("stepfunctions", "ListStateMachines", {}, account="111111111111", region="eu-west-1")
    assert [m["stateMachineArn"] for m in far["stateMachines"]] == [arn]


def test_a_call_by_arn_of_no_known_service_is_refused(app: InProcess) -> None:
    ctx = app.dispatcher.context("000000000000", "us-east-1")
    with pytest.raises(AwsError) as caught:
        app.run(ctx.call_arn("arn:aws:ec2:us-east-1:000000000000:instance/i-1", "DescribeInstances", {}))
    assert caught.value.message == "Invalid Arn: 'arn:aws:ec2:us-east-1:000000000000:instance/i-1'"


def test_a_background_context_has_a_fresh_request_id_and_its_origin(app: InProcess) -> None:
    first = app.dispatcher.context("000000000000", "us-east-1", origin="sns-delivery")
    second = app.dispatcher.context("000000000000", "us-east-1", origin="sns-delivery")
    assert first.request_id != second.request_id
    assert (first.origin, first.account_id, first.region) == ("sns-delivery", "000000000000", "us-east-1")


@pytest.mark.parametrize(
    "region, partition",
    [
        ("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"), ("us-isof-south-1", "aws-iso-f"),
    ],
)
def test_the_partition_follows_the_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition
    assert build_arn("sqs", region, "000000000000", "q") == f"arn:{partition}:sqs:{region}:000000000000:q"


def test_resources_in_china_have_aws_cn_arns(server: Server) -> None:
    sqs = server.client("sqs", region="cn-north-1")
    url = sqs.create_queue(QueueName="in-china")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == "arn:aws-cn:sqs:cn-north-1:000000000000:in-china"
    sfn = server.client("stepfunctions", region="cn-north-1")
    machine = sfn.create_state_machine(name="in-china", definition=PASS, roleArn="arn:aws-cn:iam::000000000000:role/r")
    assert machine["stateMachineArn"] == "arn:aws-cn:states:cn-north-1:000000000000:stateMachine:in-china"
    described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
    assert described["name"] == "in-china"
