"""SQS queue URLs and ARNs, GetQueueUrl and ListQueues, black-box through boto3: the URL
and ARN a queue gets (endpoint, account, region), looking a queue up by name, and
listing queues by prefix, page by page, per account and region.

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/): CreateQueue,
GetQueueUrl, ListQueues.
Where AWS documents no exact error message only the code (what boto3 reports as
Error.Code, i.e. the legacy Query code) and the HTTP status are checked.

Each test makes its own queues with unique names; nothing resets state. Shared
helpers: tests/sqs_helpers.py and tests/sqs_queue_helpers.py.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import Server, start_server, stop_server
from tests.sqs_helpers import DEFAULT_ACCOUNT, error_of, queue, queue_arn, unique_name
from tests.sqs_queue_helpers import NON_EXISTENT, assert_error


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """A server of the module's own, as every test_sqs_queue_* file has (some move the clock)."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def boto_client(endpoint: str, region: str = "us-east-1", access_key: str = "test") -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


# == CreateQueue: URL, account, region =================================================


def test_create_queue_url_is_endpoint_account_and_name(server: Server, sqs: Any) -> None:
    name = unique_name("url")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"http://{server.host}:{server.port}/{DEFAULT_ACCOUNT}/{name}"


def test_create_queue_url_uses_the_host_the_client_used(server: Server) -> None:
    client = boto_client(f"http://localhost:{server.port}")
    name = unique_name("host")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"http://localhost:{server.port}/{DEFAULT_ACCOUNT}/{name}"


def test_twelve_digit_access_key_is_the_account_in_queue_url_and_arn(server: Server) -> None:
    client = server.client("sqs", access_key="123456789012")
    name = unique_name("acct")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"http://{server.host}:{server.port}/123456789012/{name}"
    assert queue_arn(client, url) == f"arn:aws:sqs:us-east-1:123456789012:{name}"


def test_queue_arn_names_the_region_of_the_request(server: Server) -> None:
    client = server.client("sqs", region="eu-west-1")
    name = unique_name("region")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    assert queue_arn(client, url) == f"arn:aws:sqs:eu-west-1:{DEFAULT_ACCOUNT}:{name}"


# == GetQueueUrl ========================================================================


def test_get_queue_url_returns_the_created_url(sqs: Any) -> None:
    name = unique_name("geturl")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_get_queue_url_of_missing_queue_is_non_existent_queue_400(sqs: Any) -> None:
    assert_error(error_of(sqs.get_queue_url, QueueName=unique_name("missing")), NON_EXISTENT, 400)


def test_get_queue_url_with_own_account_id_as_owner(server: Server) -> None:
    client = server.client("sqs", access_key="210987654321")
    name = unique_name("owner")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    assert client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="210987654321")["QueueUrl"] == url


def test_get_queue_url_of_another_accounts_queue_with_owner_account_id(server: Server, sqs: Any) -> None:
    owner = server.client("sqs", access_key="111122223333")
    name = unique_name("shared")
    url = owner.create_queue(QueueName=name)["QueueUrl"]
    owner.add_permission(QueueUrl=url, Label="share", AWSAccountIds=[DEFAULT_ACCOUNT], Actions=["GetQueueUrl"])
    assert url == f"http://{server.host}:{server.port}/111122223333/{name}"
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="111122223333")["QueueUrl"] == url
    # without the owner the name is looked up in the caller's own account
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


def test_queues_are_per_region(server: Server, sqs: Any) -> None:
    west = server.client("sqs", region="us-west-2")
    name = unique_name("west")
    west.create_queue(QueueName=name)
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)
    assert west.get_queue_url(QueueName=name)["QueueUrl"].endswith(f"/{name}")


# == ListQueues =========================================================================


def test_list_queues_filters_by_name_prefix(sqs: Any) -> None:
    prefix = unique_name("lp")
    urls = {queue(sqs, name=f"{prefix}-{i}") for i in range(3)}
    queue(sqs, name=f"other-{prefix}")  # contains the prefix but does not start with it
    response = sqs.list_queues(QueueNamePrefix=prefix)
    assert sorted(response["QueueUrls"]) == sorted(urls)


def test_list_queues_with_unmatched_prefix_returns_no_urls(sqs: Any) -> None:
    response = sqs.list_queues(QueueNamePrefix=unique_name("nomatch"))
    assert response.get("QueueUrls", []) == []


def test_list_queues_without_max_results_returns_at_most_1000_queues(tmp_path: Any) -> None:
    # a server of its own: 1,001 queues would crowd the session server's unfiltered listings
    own = start_server(tmp_path)
    try:
        sqs = own.client("sqs")
        urls = {queue(sqs, name=f"cap-{i:04d}") for i in range(1001)}
        response = sqs.list_queues()
        assert len(response["QueueUrls"]) == 1000
        assert set(response["QueueUrls"]) <= urls
        assert "NextToken" not in response
        first = sqs.list_queues(MaxResults=1000)
        assert len(first["QueueUrls"]) == 1000
        rest = sqs.list_queues(MaxResults=1000, NextToken=first["NextToken"])
        assert set(first["QueueUrls"]) | set(rest["QueueUrls"]) == urls
        assert "NextToken" not in rest
    finally:
        stop_server(own)
    assert "Traceback" not in own.log_path.read_text()


def test_list_queues_paginates_with_max_results_and_next_token(sqs: Any) -> None:
    prefix = unique_name("page")
    urls = {queue(sqs, name=f"{prefix}-{i}") for i in range(5)}
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"QueueNamePrefix": prefix, "MaxResults": 2}
    while True:
        response = sqs.list_queues(**params)
        page = response.get("QueueUrls", [])
        assert len(page) <= 2, response
        seen.extend(page)
        pages += 1
        assert pages <= 5, "NextToken never ran out"
        if "NextToken" not in response:
            break
        params["NextToken"] = response["NextToken"]
    assert sorted(seen) == sorted(urls)  # every queue exactly once
    assert pages == 3


def test_list_queues_without_max_results_returns_no_next_token(sqs: Any) -> None:
    prefix = unique_name("nopage")
    for i in range(3):
        queue(sqs, name=f"{prefix}-{i}")
    response = sqs.list_queues(QueueNamePrefix=prefix)
    assert len(response["QueueUrls"]) == 3
    assert "NextToken" not in response


def test_list_queues_with_max_results_covering_everything_returns_no_next_token(sqs: Any) -> None:
    prefix = unique_name("fits")
    urls = {queue(sqs, name=f"{prefix}-{i}") for i in range(2)}
    response = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=10)
    assert sorted(response["QueueUrls"]) == sorted(urls)
    assert "NextToken" not in response


def test_list_queues_does_not_list_queues_of_another_region(server: Server, sqs: Any) -> None:
    prefix = unique_name("otherregion")
    west = server.client("sqs", region="us-west-2")
    west_url = queue(west, name=f"{prefix}-w")
    east_url = queue(sqs, name=f"{prefix}-e")
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [east_url]
    assert west.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [west_url]


def test_list_queues_does_not_list_queues_of_another_account(server: Server, sqs: Any) -> None:
    prefix = unique_name("otheraccount")
    other = server.client("sqs", access_key="444455556666")
    other_url = queue(other, name=f"{prefix}-o")
    assert sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []) == []
    assert other.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [other_url]
