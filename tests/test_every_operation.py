"""Every operation of the four botocore models reaches the server and gets a real answer.

Until a service implements an operation it must answer 501 `NotImplemented` in its
own wire protocol, naming the operation; once implemented it must succeed with
valid input. Either way the request must have been parsed and routed, which is
what this checks for every (service, operation) pair. Input that breaks the model
gets each service's own validation error before any dispatch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

from tests.conftest import Server
from tests.raw_http import FORM, SQS_JSON, RawResponse, send
from tests.shape_values import example_input

SERVICES = ("sqs", "sns", "stepfunctions", "batch")


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def all_operations() -> list[tuple[str, str]]:
    return [(service, op) for service in SERVICES for op in service_model(service).operation_names]


def modeled_error_codes(service: str, operation: str) -> set[str]:
    """The codes boto3 may report for the operation's modeled errors (SQS: legacy codes too)."""
    from services.sqs.errors import MODELED

    from protocols.validation import INPUT_RULES

    rules = INPUT_RULES[service]  # the service's own input errors are always possible
    codes: set[str] = {rules.missing.query_code or rules.missing.code, rules.invalid.query_code or rules.invalid.code}
    for shape in service_model(service).operation_model(operation).error_shapes:
        codes.add(shape.error_code or shape.name)
        if service == "sqs" and shape.name in MODELED:
            codes.add(MODELED[shape.name].query_code or MODELED[shape.name].code)
    return codes


def method_name(client: Any, operation: str) -> str:
    inverse = {api: method for method, api in client.meta.method_to_api_mapping.items()}
    return inverse[operation]


@pytest.fixture(scope="module")
def model_clients(server: Server) -> Callable[[str], Any]:
    """One boto3 client per service. Host prefixes are off: StartSyncExecution's `sync-`
    would otherwise be prepended to 127.0.0.1, a host that does not resolve."""
    cache: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in cache:
            cache[service] = server.client(service, inject_host_prefix=False)
        return cache[service]

    return make


def raw(server: Server, method: str, path: str, body: bytes | str | None, headers: dict[str, str]) -> RawResponse:
    return send(server.host, server.port, method, path, body, headers)


# -- every operation ------------------------------------------------------------


def test_operation_list_covers_all_four_services() -> None:
    counts = {service: len(service_model(service).operation_names) for service in SERVICES}
    # a sanity floor: a model that failed to load would give no test ids at all
    assert all(count >= 10 for count in counts.values()), counts
    assert len(all_operations()) == sum(counts.values())


def test_example_input_for_every_operation_passes_botocore_validation() -> None:
    """The walker's values honour min/max/enum, so botocore accepts every one of them."""
    from botocore.validate import ParamValidator

    validator = ParamValidator()
    for service, operation in all_operations():
        shape = service_model(service).operation_model(operation).input_shape
        if shape is None:
            continue
        report = validator.validate(example_input(shape), shape)
        assert not report.has_errors(), f"{service}.{operation}: {report.generate_report()}"


@pytest.mark.parametrize(("service", "operation"), all_operations(), ids=lambda v: v)
def test_every_operation_is_routed_and_answers_not_implemented_or_succeeds(
    model_clients: Callable[[str], Any], service: str, operation: str
) -> None:
    client = model_clients(service)
    model = client.meta.service_model.operation_model(operation)
    params = example_input(model.input_shape)
    call = getattr(client, method_name(client, operation))
    try:
        response = call(**params)
    except ClientError as exc:
        error = exc.response["Error"]
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        assert exc.response["ResponseMetadata"].get("RequestId"), exc.response
        if error.get("Code") == "NotImplemented":
            assert status == 501, exc.response
            assert operation in error.get("Message", ""), exc.response
        else:
            # once implemented, made-up names may not exist: that must be one of the
            # operation's own modeled errors (a 4xx), never a server fault
            assert error.get("Code") in modeled_error_codes(service, operation), exc.response
            assert 400 <= status < 500, exc.response
    else:
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, response


# -- validation before dispatch ------------------------------------------------------


def test_sqs_json_request_missing_required_member_gets_missing_parameter(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"QueueUrl": f"{server.url}/000000000000/q"}),
        {**SQS_JSON, "X-Amz-Target": "AmazonSQS.SendMessage"},
    )
    assert response.status == 400, response
    body = response.json()
    assert body["__type"].endswith("MissingParameter"), body
    assert "MessageBody" in body["message"], body
    assert response.header("x-amzn-query-error") == "MissingParameter;Sender"


def test_sqs_boto3_sees_missing_parameter_as_its_error_code(server: Server) -> None:
    """The x-amzn-query-error header is what boto3 reports as Error.Code."""
    client = server.client("sqs", parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        client.send_message(QueueUrl=f"{server.url}/000000000000/q")
    assert caught.value.response["Error"]["Code"] == "MissingParameter"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_stepfunctions_request_missing_required_member_gets_validation_exception(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        "{}",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
    )
    assert response.status == 400, response
    body = response.json()
    assert body["__type"] == "ValidationException", body
    assert (
        "Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null" in body["message"]
    ), body


def test_stepfunctions_member_of_wrong_json_type_gets_serialization_exception(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"stateMachineArn": 5}),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
    )
    assert response.status == 400, response
    assert response.json()["__type"] == "SerializationException", response.body


def test_stepfunctions_max_results_above_model_max_gets_validation_exception(server: Server) -> None:
    member = service_model("stepfunctions").operation_model("ListExecutions").input_shape.members["maxResults"]
    high = member.metadata["max"]
    assert high == 1000  # what the assertion below relies on; botocore's model says so today
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:m", "maxResults": 5000}),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListExecutions"},
    )
    assert response.status == 400, response
    body = response.json()
    assert body["__type"] == "ValidationException", body
    assert f"less than or equal to {high}" in body["message"], body
    assert "maxResults" in body["message"], body


def test_stepfunctions_max_results_at_model_max_passes_validation(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:m", "maxResults": 1000}),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListExecutions"},
    )
    # validation passed: the machine simply does not exist
    assert response.status == 400, response
    assert response.json()["__type"] == "StateMachineDoesNotExist", response.body


def test_batch_request_missing_required_members_gets_client_exception(server: Server) -> None:
    response = raw(server, "POST", "/v1/submitjob", "{}", {"Content-Type": "application/json"})
    assert response.status == 400, response
    body = response.json()
    assert body["__type"] == "ClientException", body
    assert response.header("x-amzn-ErrorType") == "ClientException"
    for member in ("jobName", "jobQueue", "jobDefinition"):
        assert f"Value null at '{member}'" in body["message"], body


def test_batch_member_of_wrong_json_type_gets_serialization_exception(server: Server) -> None:
    body = {"jobName": "j", "jobQueue": "q", "jobDefinition": "d", "retryStrategy": {"attempts": "three"}}
    response = raw(server, "POST", "/v1/submitjob", json.dumps(body), {"Content-Type": "application/json"})
    assert response.status == 400, response
    assert response.json()["__type"] == "SerializationException", response.body


def test_sns_query_request_missing_required_member_gets_validation_error(server: Server) -> None:
    response = raw(server, "POST", "/", "Action=Publish&Version=2010-03-31", FORM)
    assert response.status == 400, response
    assert (response.header("content-type") or "").startswith("text/xml")
    error = response.xml_error()
    assert error["Code"] == "ValidationError", error
    assert error["Type"] == "Sender", error
    assert "message" in error["Message"], error
