"""SQS dead-letter queue settings, black-box through boto3: the RedrivePolicy and
RedriveAllowPolicy attributes and ListDeadLetterSourceQueues. (Moving messages to
and from dead-letter queues: tests/test_sqs_redrive.py.)

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/):
Get/SetQueueAttributes, ListDeadLetterSourceQueues; and the SQS Developer Guide
(dead-letter queues).
Where AWS documents no exact error message only the code (what boto3 reports as
Error.Code, i.e. the legacy Query code) and the HTTP status are checked.

Each test makes its own queues with unique names; nothing resets state. Shared
helpers: tests/sqs_helpers.py and tests/sqs_queue_helpers.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sqs_helpers import DEFAULT_ACCOUNT, error_of, queue, queue_arn, queue_attributes, unique_name
from tests.sqs_queue_helpers import NON_EXISTENT, assert_error, redrive, status_of


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """A server of the module's own, as every test_sqs_queue_* file has (some move the clock)."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


# == RedrivePolicy / RedriveAllowPolicy =================================================


def test_redrive_policy_is_stored_and_returned(sqs: Any) -> None:
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq"))
    url = queue(sqs, RedrivePolicy=redrive(dlq_arn, 5))
    policy = json.loads(queue_attributes(sqs, url, "RedrivePolicy")["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == dlq_arn
    assert int(policy["maxReceiveCount"]) == 5


def test_redrive_policy_accepts_max_receive_count_as_string(sqs: Any) -> None:
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq"))
    url = queue(sqs)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive(dlq_arn, "3")})
    policy = json.loads(queue_attributes(sqs, url, "RedrivePolicy")["RedrivePolicy"])
    assert int(policy["maxReceiveCount"]) == 3


@pytest.mark.parametrize("count", [1, 1000])
def test_redrive_policy_accepts_max_receive_count_bounds(sqs: Any, count: int) -> None:
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq"))
    url = queue(sqs)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive(dlq_arn, count)})
    policy = json.loads(queue_attributes(sqs, url, "RedrivePolicy")["RedrivePolicy"])
    assert int(policy["maxReceiveCount"]) == count


@pytest.mark.parametrize("count", [0, 1001])
def test_redrive_policy_rejects_max_receive_count_outside_1_to_1000(sqs: Any, count: int) -> None:
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq"))
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": redrive(dlq_arn, count)})
    assert_error(response, "InvalidParameterValue")
    assert "RedrivePolicy" in response["Error"]["Message"]
    assert "RedrivePolicy" not in queue_attributes(sqs, url)


def test_redrive_policy_with_nonexistent_target_is_rejected(sqs: Any) -> None:
    missing = f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{unique_name('nodlq')}"
    queue_name = unique_name("src")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={"RedrivePolicy": redrive(missing)})
    assert_error(response, "InvalidParameterValue")
    assert "RedrivePolicy" in response["Error"]["Message"]
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


def test_redrive_policy_that_is_not_json_is_rejected(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": "not json"})
    assert response["Error"]["Code"] in {"InvalidParameterValue", "InvalidAttributeValue"}, response
    assert status_of(response) == 400


def test_empty_redrive_policy_removes_it_and_the_source_from_the_dead_letter_queue(sqs: Any) -> None:
    dlq = queue(sqs, prefix="dlq")
    url = queue(sqs, RedrivePolicy=redrive(queue_arn(sqs, dlq)))
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in queue_attributes(sqs, url)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", []) == []


def test_fifo_source_queue_needs_fifo_dead_letter_queue(sqs: Any) -> None:
    standard_dlq = queue_arn(sqs, queue(sqs, prefix="dlq"))
    name = unique_name("fifosrc") + ".fifo"
    attributes = {"FifoQueue": "true", "RedrivePolicy": redrive(standard_dlq)}
    assert_error(error_of(sqs.create_queue, QueueName=name, Attributes=attributes), "InvalidParameterValue")


def test_standard_source_queue_needs_standard_dead_letter_queue(sqs: Any) -> None:
    fifo_dlq = queue_arn(sqs, queue(sqs, prefix="dlq", FifoQueue=True))
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": redrive(fifo_dlq)})
    assert_error(response, "InvalidParameterValue")


def test_fifo_source_queue_with_fifo_dead_letter_queue_is_accepted(sqs: Any) -> None:
    fifo_dlq = queue_arn(sqs, queue(sqs, prefix="dlq", FifoQueue=True))
    url = queue(sqs, FifoQueue=True, RedrivePolicy=redrive(fifo_dlq, 2))
    policy = json.loads(queue_attributes(sqs, url, "RedrivePolicy")["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == fifo_dlq


def test_redrive_allow_policy_is_stored_and_returned(sqs: Any) -> None:
    source_arn = queue_arn(sqs, queue(sqs, prefix="src"))
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]}
    dlq = queue(sqs, prefix="dlq", RedriveAllowPolicy=json.dumps(allow))
    assert json.loads(queue_attributes(sqs, dlq, "RedriveAllowPolicy")["RedriveAllowPolicy"]) == allow


def test_deny_all_redrive_allow_policy_blocks_every_source(sqs: Any) -> None:
    dlq = queue(sqs, prefix="dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": redrive(queue_arn(sqs, dlq))})
    assert_error(response, "InvalidParameterValue")
    assert "RedrivePolicy" not in queue_attributes(sqs, url)


def test_allow_all_redrive_allow_policy_admits_any_source(sqs: Any) -> None:
    dlq = queue(sqs, prefix="dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "allowAll"}))
    url = queue(sqs, RedrivePolicy=redrive(queue_arn(sqs, dlq)))
    assert "RedrivePolicy" in queue_attributes(sqs, url)


def test_by_queue_redrive_allow_policy_admits_only_listed_sources(sqs: Any) -> None:
    allowed = queue(sqs, prefix="allowed")
    refused = queue(sqs, prefix="refused")
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn(sqs, allowed)]}
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq", RedriveAllowPolicy=json.dumps(allow)))
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes={"RedrivePolicy": redrive(dlq_arn)})
    response = error_of(sqs.set_queue_attributes, QueueUrl=refused, Attributes={"RedrivePolicy": redrive(dlq_arn)})
    assert_error(response, "InvalidParameterValue")
    assert "RedrivePolicy" in queue_attributes(sqs, allowed)
    assert "RedrivePolicy" not in queue_attributes(sqs, refused)


def test_by_queue_redrive_allow_policy_blocks_new_source_at_creation(sqs: Any) -> None:
    other = queue_arn(sqs, queue(sqs, prefix="other"))
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [other]}
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq", RedriveAllowPolicy=json.dumps(allow)))
    name = unique_name("newsrc")
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"RedrivePolicy": redrive(dlq_arn)})
    assert_error(response, "InvalidParameterValue")
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


def test_redrive_allow_policy_with_unknown_permission_is_rejected(sqs: Any) -> None:
    response = error_of(
        sqs.create_queue,
        QueueName=unique_name("dlq"),
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "allowSome"})},
    )
    assert response["Error"]["Code"] in {"InvalidParameterValue", "InvalidAttributeValue"}, response
    assert status_of(response) == 400


def test_redrive_allow_policy_with_more_than_10_source_queue_arns_is_rejected(sqs: Any) -> None:
    arns = [f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{unique_name('src')}" for _ in range(11)]
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": arns}
    response = error_of(sqs.create_queue, QueueName=unique_name("dlq"), Attributes={"RedriveAllowPolicy": json.dumps(allow)})
    assert response["Error"]["Code"] in {"InvalidParameterValue", "InvalidAttributeValue"}, response
    assert status_of(response) == 400


def test_redrive_allow_policy_source_queue_arns_need_by_queue_permission(sqs: Any) -> None:
    source_arn = queue_arn(sqs, queue(sqs, prefix="src"))
    allow = {"redrivePermission": "allowAll", "sourceQueueArns": [source_arn]}
    response = error_of(sqs.create_queue, QueueName=unique_name("dlq"), Attributes={"RedriveAllowPolicy": json.dumps(allow)})
    assert response["Error"]["Code"] in {"InvalidParameterValue", "InvalidAttributeValue"}, response
    assert status_of(response) == 400


def test_list_dead_letter_source_queues_returns_sources(sqs: Any) -> None:
    dlq = queue(sqs, prefix="dlq")
    dlq_arn = queue_arn(sqs, dlq)
    sources = {queue(sqs, prefix="src", RedrivePolicy=redrive(dlq_arn)) for _ in range(2)}
    queue(sqs, prefix="unrelated")
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sorted(sources)


def test_list_dead_letter_source_queues_of_queue_without_sources_is_empty(sqs: Any) -> None:
    response = sqs.list_dead_letter_source_queues(QueueUrl=queue(sqs))
    assert response.get("queueUrls", []) == []


def test_list_dead_letter_source_queues_paginates(sqs: Any) -> None:
    dlq = queue(sqs, prefix="dlq")
    dlq_arn = queue_arn(sqs, dlq)
    sources = {queue(sqs, prefix="src", RedrivePolicy=redrive(dlq_arn)) for _ in range(5)}
    seen: list[str] = []
    params: dict[str, Any] = {"QueueUrl": dlq, "MaxResults": 2}
    pages = 0
    while True:
        response = sqs.list_dead_letter_source_queues(**params)
        page = response.get("queueUrls", [])
        assert len(page) <= 2, response
        seen.extend(page)
        pages += 1
        assert pages <= 5, "NextToken never ran out"
        if "NextToken" not in response:
            break
        params["NextToken"] = response["NextToken"]
    assert sorted(seen) == sorted(sources)
    assert pages == 3


def test_list_dead_letter_source_queues_of_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('nodlq')}"
    assert_error(error_of(sqs.list_dead_letter_source_queues, QueueUrl=url), NON_EXISTENT)
