"""Small helpers shared by the SQS test files (keep them stable and simple).

    unique_name("orders")                  -> "orders-3f2a9c1d7e4b"  (valid queue name)
    queue(sqs)                             -> URL of a new standard queue
    queue(sqs, VisibilityTimeout=5)        -> attributes may be ints or strings
    queue(sqs, FifoQueue=True)             -> a FIFO queue; ".fifo" is appended to the name
    queue(sqs, name="exact-name")          -> a queue with exactly that name
    queue_arn(sqs, url)                    -> the queue's QueueArn attribute
    queue_attributes(sqs, url, "A", "B")   -> {"A": ..., "B": ...} ("All" when no name is given)
    error_of(sqs.get_queue_url, QueueName="x") -> the error response of a call that must fail
    wait_for_long_polls(server, url, 1)    -> returns once one ReceiveMessage waits on the queue
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

DEFAULT_ACCOUNT = "000000000000"


def unique_name(prefix: str = "q") -> str:
    """A queue name no other test uses: `<prefix>-<12 hex digits>`."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def queue(
    client: Any,
    name: str | None = None,
    *,
    prefix: str = "q",
    tags: dict[str, str] | None = None,
    **attributes: Any,
) -> str:
    """Create a queue and return its URL.

    Attribute values may be given as str, int or bool. Without `name`, a unique
    name is made from `prefix`; for FifoQueue=true it gets the `.fifo` suffix.
    """
    attrs = {key: _attribute_value(value) for key, value in attributes.items()}
    if name is None:
        name = unique_name(prefix)
        if attrs.get("FifoQueue") == "true":
            name += ".fifo"
    params: dict[str, Any] = {"QueueName": name}
    if attrs:
        params["Attributes"] = attrs
    if tags:
        params["tags"] = tags
    return client.create_queue(**params)["QueueUrl"]


def queue_attributes(client: Any, url: str, *names: str) -> dict[str, str]:
    """GetQueueAttributes of `names` (all of them when none is given)."""
    response = client.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])
    return response.get("Attributes", {})


def queue_arn(client: Any, url: str) -> str:
    return queue_attributes(client, url, "QueueArn")["QueueArn"]


def error_of(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    """Call, expect a ClientError, and return its parsed response
    (`["Error"]["Code"]`, `["Error"]["Message"]`, `["ResponseMetadata"]["HTTPStatusCode"]`)."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def error_code(call: Callable[..., Any], **params: Any) -> str:
    """The boto3 Error.Code of a call that must fail."""
    return error_of(call, **params)["Error"]["Code"]


def long_polls(server: Any, url: str) -> int:
    """How many ReceiveMessage long polls wait on the queue, as the server's inspection seam says."""
    status, body = server.admin("GET", f"/_stepstack/sqs/messages?QueueUrl={quote(url, safe='')}")
    assert status == 200, body
    return body["LongPolls"]


def wait_for_long_polls(server: Any, url: str, count: int, timeout: float = 5.0) -> None:
    """Return once exactly `count` long polls wait on the queue (fail the test after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while (waiting := long_polls(server, url)) != count:
        if time.monotonic() > deadline:
            pytest.fail(f"{waiting} long polls wait on {url} after {timeout}s, not {count}")
        time.sleep(0.01)


def protocol_client(server: Any, protocol: str, query_session: Any) -> Any:
    """A boto3 SQS client that speaks `protocol` ("json", or "query" through the conftest's
    `query_session`, as older SDKs do)."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(botocore_session=query_session) if protocol == "query" else boto3.Session()
    client = session.client(
        "sqs", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}),
    )
    assert client.meta.service_model.protocol == protocol
    return client
