"""Which service and operation a request is for, from the signals SDKs send."""

from __future__ import annotations

import subprocess
import sys

import pytest

from protocols import HttpRequest, Router, RoutingError, all_specs, credential_scope
from protocols.sigv4 import host_region, host_service_label
from tests.conftest import ROOT

ROUTER = Router(all_specs())


def request(
    body: str = "",
    path: str = "/",
    *,
    method: str = "POST",
    query: str = "",
    scope_service: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    **headers: str,
) -> HttpRequest:
    all_headers = {"host": "127.0.0.1:4566", "content-type": content_type}
    if scope_service:
        all_headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-west-1/{scope_service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=abc"
        )
    all_headers.update({k.replace("_", "-").lower(): v for k, v in headers.items()})
    return HttpRequest(method, path, path, query, all_headers, body.encode())


def routed(req: HttpRequest) -> tuple[str, str, str]:
    route = ROUTER.route(req)
    return route.spec.name, route.protocol.name, route.operation.name


def test_json_target_names_service_and_operation() -> None:
    sqs = request("{}", content_type="application/x-amz-json-1.0", x_amz_target="AmazonSQS.ReceiveMessage")
    sfn = request("{}", content_type="application/x-amz-json-1.0", x_amz_target="AWSStepFunctions.StartExecution")
    assert routed(sqs) == ("sqs", "json", "ReceiveMessage")
    assert routed(sfn) == ("stepfunctions", "json", "StartExecution")


def test_action_unique_to_one_service_needs_no_other_hint() -> None:
    assert routed(request("Action=Publish&TopicArn=x&Message=m")) == ("sns", "query", "Publish")
    assert routed(request("Action=SendMessage&MessageBody=m")) == ("sqs", "query", "SendMessage")


def test_action_both_services_have_is_told_apart_by_signature_scope() -> None:
    body = "Action=AddPermission&Label=l"
    assert routed(request(body, scope_service="sns")) == ("sns", "query", "AddPermission")
    assert routed(request(body, scope_service="sqs")) == ("sqs", "query", "AddPermission")


def test_action_both_services_have_goes_to_sqs_for_a_queue_url() -> None:
    assert routed(request("Action=RemovePermission&Label=l", path="/000000000000/q"))[0] == "sqs"
    assert routed(request("Action=RemovePermission&Label=l&QueueUrl=http%3A%2F%2Fh%2F1%2Fq"))[0] == "sqs"
    assert routed(request("Action=RemovePermission&Label=l&TopicArn=arn"))[0] == "sns"


def test_host_label_names_the_service() -> None:
    req = request("Action=AddPermission&Label=l", host="sqs.eu-west-1.amazonaws.com")
    assert routed(req)[0] == "sqs"
    assert host_service_label("sns.us-east-2.amazonaws.com:4566") == "sns"
    assert host_service_label("127.0.0.1:4566") is None
    assert host_service_label("localhost") is None
    assert host_region("sqs.eu-central-1.amazonaws.com") == "eu-central-1"
    assert host_region("localhost:4566") is None


def test_presigned_query_string_scope() -> None:
    query = "X-Amz-Credential=AKID%2F20260101%2Fap-south-1%2Fsqs%2Faws4_request&X-Amz-Signature=0"
    scope = credential_scope(request(query=query))
    assert scope is not None and (scope.access_key, scope.region, scope.service) == ("AKID", "ap-south-1", "sqs")


def test_authorization_header_scope() -> None:
    scope = credential_scope(request(scope_service="states"))
    assert scope is not None and (scope.access_key, scope.region, scope.service) == ("123456789012", "eu-west-1", "states")
    assert credential_scope(request(authorization="Bearer token")) is None
    assert credential_scope(request(authorization="AWS4-HMAC-SHA256 Credential=broken")) is None


def test_batch_rest_paths_with_uri_labels() -> None:
    arn = "arn%3Aaws%3Abatch%3Aus-east-1%3A000000000000%3Ajob-queue%2Fq"
    assert routed(request("{}", path="/v1/submitjob", content_type="application/json")) == ("batch", "rest-json", "SubmitJob")
    for method, operation in (("GET", "ListTagsForResource"), ("POST", "TagResource"), ("DELETE", "UntagResource")):
        req = request("", path=f"/v1/tags/{arn}", method=method, content_type="application/json")
        route = ROUTER.route(req)
        assert route.operation.name == operation
        assert route.extra["labels"] == {"resourceArn": "arn:aws:batch:us-east-1:000000000000:job-queue/q"}


def test_untag_resource_reads_repeated_query_keys() -> None:
    req = request("", path="/v1/tags/arn", method="DELETE", query="tagKeys=a&tagKeys=b", content_type="application/json")
    route = ROUTER.route(req)
    assert route.protocol.parse(req, route.operation, **route.extra) == {"resourceArn": "arn", "tagKeys": ["a", "b"]}


@pytest.mark.parametrize(
    "req, code",
    [
        (request("{}", content_type="application/x-amz-json-1.0", x_amz_target="Nope.Op"), "UnknownOperationException"),
        (request("{}", content_type="application/x-amz-json-1.0", x_amz_target="AmazonSQS.Nope"), "UnknownOperationException"),
        (request("Action=NoSuchAction"), "InvalidAction"),
        (request("Action=Publish", scope_service="sqs"), "InvalidAction"),
        (request("", path="/nowhere", method="GET"), "UnknownOperationException"),
        (request("a=b", scope_service="sns"), "MissingAction"),
    ],
)
def test_requests_for_nothing_get_aws_errors(req: HttpRequest, code: str) -> None:
    with pytest.raises(RoutingError) as caught:
        ROUTER.route(req)
    assert caught.value.error.code == code
    assert 400 <= caught.value.error.status < 500


def test_coverage_document_is_generated_from_the_code() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "coverage", "--check", "--output", "docs/coverage.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    text = (ROOT / "docs/coverage.md").read_text()
    for operation in ("SendMessage", "Publish", "StartExecution", "SubmitJob"):
        assert f"| {operation} |" in text
