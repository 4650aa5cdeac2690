"""Named, pre-built AWS-protocol requests for the load driver.

``WORKLOADS`` maps a name to a :class:`Workload`; calling it with
``(host, port)`` gives the :class:`~bench.load.RawRequest` to replay.
Signatures are static fakes: the emulator does not verify SigV4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.load import LoadTarget, RawRequest

AMZ_DATE = "20260101T000000Z"
ACCOUNT = "000000000000"
REGION = "us-east-1"

# Until SQS/SNS handlers exist the server answers these actions with a
# 501 NotImplemented AWS error; that is still a full trip through routing,
# protocol parsing and error serialisation, so it counts as a response.


def fake_authorization(service: str) -> str:
    """A syntactically valid SigV4 Authorization header with a dummy signature."""
    return (
        f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/{AMZ_DATE[:8]}/{REGION}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000"
    )


def _base_headers(host: str, port: int, service: str, content_type: str) -> dict[str, str]:
    """Headers shared by every workload."""
    return {
        "Host": LoadTarget(host, port).host_header(),
        "Content-Type": content_type,
        "X-Amz-Date": AMZ_DATE,
        "Authorization": fake_authorization(service),
    }


def json_request(host: str, port: int, service: str, target: str, body: bytes = b"{}") -> RawRequest:
    """An awsJson1.0 request (``X-Amz-Target`` dispatch)."""
    headers = _base_headers(host, port, service, "application/x-amz-json-1.0")
    headers["X-Amz-Target"] = target
    return RawRequest("POST", "/", headers, body)


def query_request(host: str, port: int, service: str, params: dict[str, str]) -> RawRequest:
    """An AWS query-protocol request (form-encoded ``Action=...``)."""
    headers = _base_headers(host, port, service, "application/x-www-form-urlencoded")
    return RawRequest("POST", "/", headers, urlencode(params).encode("ascii"))


@dataclass(frozen=True)
class Workload:
    """A named request builder plus the HTTP statuses that count as success."""

    name: str
    build: Callable[[str, int], RawRequest]
    expected_status: frozenset[int] = field(default=frozenset({200}))
    description: str = ""

    def __call__(self, host: str, port: int) -> RawRequest:
        return self.build(host, port)


def _sqs_list_queues(host: str, port: int) -> RawRequest:
    return json_request(host, port, "sqs", "AmazonSQS.ListQueues")


def _sqs_list_queues_query(host: str, port: int) -> RawRequest:
    return query_request(host, port, "sqs", {"Action": "ListQueues", "Version": "2012-11-05"})


def _sns_list_topics(host: str, port: int) -> RawRequest:
    return query_request(host, port, "sns", {"Action": "ListTopics", "Version": "2010-03-31"})


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("sqs-list-queues", _sqs_list_queues, description="SQS ListQueues, awsJson1.0"),
        Workload("sqs-list-queues-query", _sqs_list_queues_query, description="SQS ListQueues, query protocol"),
        Workload("sns-list-topics", _sns_list_topics, description="SNS ListTopics, query protocol"),
    )
}
