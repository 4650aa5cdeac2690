"""SQS queue lifecycle, black-box through boto3: CreateQueue's name rules and what it
does for a name that exists, DeleteQueue, PurgeQueue, and the 60-second limits of
strict mode (STEPSTACK_STRICT) on purging and on recreating a deleted queue.

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/): CreateQueue,
DeleteQueue, PurgeQueue; and the SQS Developer Guide (quotas).
Where AWS documents no exact error message only the code (what boto3 reports as
Error.Code, i.e. the legacy Query code) and the HTTP status are checked.

Each test makes its own queues with unique names; nothing resets state. Shared
helpers: tests/sqs_helpers.py and tests/sqs_queue_helpers.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server, start_server, stop_server
from tests.sqs_helpers import DEFAULT_ACCOUNT, error_of, queue, queue_arn, queue_attributes, unique_name
from tests.sqs_queue_helpers import NON_EXISTENT, assert_error, counts, redrive


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


# == CreateQueue: names ==================================================================


@pytest.mark.parametrize(
    "length",
    [1, 80],
    ids=["one-char", "eighty-chars"],
)
def test_create_queue_accepts_names_of_1_to_80_characters(sqs: Any, length: int) -> None:
    name = (uuid.uuid4().hex * 3)[:length]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/{name}")
    sqs.delete_queue(QueueUrl=url)


def test_create_queue_accepts_alphanumerics_hyphens_and_underscores(sqs: Any) -> None:
    name = f"Az09-_{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


@pytest.mark.parametrize(
    "name",
    [
        "x" * 81,
        "has.dot",
        "has space",
        "has/slash",
        "star*",
        "colon:name",
        "ümlaut",
    ],
    ids=["81-chars", "dot", "space", "slash", "star", "colon", "non-ascii"],
)
def test_create_queue_rejects_invalid_names_with_invalid_parameter_value(sqs: Any, name: str) -> None:
    assert_error(error_of(sqs.create_queue, QueueName=name), "InvalidParameterValue")


def test_create_fifo_queue_name_of_80_characters_including_suffix_is_accepted(sqs: Any) -> None:
    name = (uuid.uuid4().hex * 3)[:75] + ".fifo"
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    assert url.endswith(f"/{name}")


def test_create_fifo_queue_name_of_81_characters_including_suffix_is_rejected(sqs: Any) -> None:
    name = (uuid.uuid4().hex * 3)[:76] + ".fifo"
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"FifoQueue": "true"})
    assert_error(response, "InvalidParameterValue")


def test_create_queue_with_fifo_suffix_but_without_fifo_attribute_is_rejected(sqs: Any) -> None:
    name = unique_name("nofifoattr") + ".fifo"
    assert_error(error_of(sqs.create_queue, QueueName=name), "InvalidParameterValue")
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


def test_create_queue_with_fifo_attribute_but_without_fifo_suffix_is_rejected(sqs: Any) -> None:
    name = unique_name("nosuffix")
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"FifoQueue": "true"})
    assert_error(response, "InvalidParameterValue")
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


# == CreateQueue: existing names =========================================================


def test_create_queue_with_same_attributes_returns_same_url(sqs: Any) -> None:
    name = unique_name("same")
    attributes = {"VisibilityTimeout": "45", "DelaySeconds": "3"}
    first = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    second = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    assert first == second
    listed = sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    assert listed == [first]


def test_create_queue_without_attributes_for_existing_queue_returns_its_url(sqs: Any) -> None:
    # QueueNameExists: "returned only if the request includes attributes whose values differ"
    name = unique_name("noattrs")
    first = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == first
    assert queue_attributes(sqs, first, "VisibilityTimeout") == {"VisibilityTimeout": "45"}


def test_create_queue_naming_a_default_value_explicitly_returns_existing_url(sqs: Any) -> None:
    name = unique_name("explicitdefault")
    first = sqs.create_queue(QueueName=name)["QueueUrl"]
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30", "DelaySeconds": "0"})
    assert again["QueueUrl"] == first


def test_create_queue_with_different_attribute_value_fails_with_queue_already_exists(sqs: Any) -> None:
    name = unique_name("differs")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "46"})
    assert_error(response, "QueueAlreadyExists")
    assert queue_attributes(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "45"}


def test_create_queue_existing_name_with_another_attribute_differing_from_default_fails(sqs: Any) -> None:
    name = unique_name("differs2")
    sqs.create_queue(QueueName=name)
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "10"})
    assert_error(response, "QueueAlreadyExists")


def test_create_queue_with_same_redrive_policy_returns_same_url(sqs: Any) -> None:
    dlq_arn = queue_arn(sqs, queue(sqs, prefix="dlq"))
    name = unique_name("sameredrive")
    attributes = {"RedrivePolicy": redrive(dlq_arn, 4), "VisibilityTimeout": "40"}
    first = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"] == first


def test_queue_names_are_case_sensitive(sqs: Any) -> None:
    name = unique_name("case")
    lower = queue(sqs, name=name.lower())
    upper = queue(sqs, name=name.upper(), VisibilityTimeout=44)
    assert lower != upper
    assert queue_attributes(sqs, lower, "VisibilityTimeout") == {"VisibilityTimeout": "30"}
    assert queue_attributes(sqs, upper, "VisibilityTimeout") == {"VisibilityTimeout": "44"}


def test_same_name_in_two_accounts_are_two_queues(server: Server, sqs: Any) -> None:
    other = server.client("sqs", access_key="777788889999")
    name = unique_name("twoaccounts")
    mine = queue(sqs, name=name, VisibilityTimeout=11)
    theirs = queue(other, name=name, VisibilityTimeout=22)
    assert mine != theirs
    assert queue_attributes(sqs, mine, "VisibilityTimeout") == {"VisibilityTimeout": "11"}
    assert queue_attributes(other, theirs, "VisibilityTimeout") == {"VisibilityTimeout": "22"}


# == DeleteQueue ========================================================================


def test_deleted_queue_is_gone_for_get_queue_url_and_send(sqs: Any) -> None:
    name = unique_name("del")
    url = queue(sqs, name=name)
    sqs.delete_queue(QueueUrl=url)
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)
    assert_error(error_of(sqs.send_message, QueueUrl=url, MessageBody="hello"), NON_EXISTENT)
    assert_error(error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"]), NON_EXISTENT)
    assert url not in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])


def test_delete_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('nodel')}"
    assert_error(error_of(sqs.delete_queue, QueueUrl=url), NON_EXISTENT)


def test_recreating_deleted_queue_is_allowed_immediately_without_strict_mode(sqs: Any) -> None:
    name = unique_name("recreate")
    url = queue(sqs, name=name, VisibilityTimeout=40)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    sqs.delete_queue(QueueUrl=url)
    again = queue(sqs, name=name)
    assert again == url
    attrs = queue_attributes(sqs, again, "VisibilityTimeout", "ApproximateNumberOfMessages")
    assert attrs == {"VisibilityTimeout": "30", "ApproximateNumberOfMessages": "0"}


# == PurgeQueue =========================================================================


def test_purge_queue_removes_visible_inflight_and_delayed_messages(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    for i in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f"visible-{i}")
    sqs.send_message(QueueUrl=url, MessageBody="inflight")
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]) == 1
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=30)
    assert counts(sqs, url) == (2, 1, 1)
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)
    server.advance(31)  # neither the in-flight nor the delayed message comes back
    assert counts(sqs, url) == (0, 0, 0)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_second_purge_right_away_is_allowed_without_strict_mode(sqs: Any) -> None:
    url = queue(sqs)
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="after first purge")
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)


def test_purge_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('nopurge')}"
    assert_error(error_of(sqs.purge_queue, QueueUrl=url), NON_EXISTENT)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("strict"), env={"STEPSTACK_STRICT": "1"})
    yield running
    stop_server(running)
    log = running.log_path.read_text()
    assert "Traceback" not in log, f"the strict server logged a traceback:\n{log}"


def test_strict_mode_rejects_second_purge_within_60_seconds(strict: Server) -> None:
    sqs = strict.client("sqs")
    url = queue(sqs)
    sqs.purge_queue(QueueUrl=url)
    assert_error(error_of(sqs.purge_queue, QueueUrl=url), "AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    strict.advance(30)
    assert_error(error_of(sqs.purge_queue, QueueUrl=url), "AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    strict.advance(31)
    sqs.purge_queue(QueueUrl=url)


def test_strict_mode_purge_limit_is_per_queue(strict: Server) -> None:
    sqs = strict.client("sqs")
    first, second = queue(sqs), queue(sqs)
    sqs.purge_queue(QueueUrl=first)
    sqs.purge_queue(QueueUrl=second)


def test_strict_mode_rejects_recreating_a_queue_within_60_seconds_of_deleting_it(strict: Server) -> None:
    sqs = strict.client("sqs")
    name = unique_name("strictdel")
    url = queue(sqs, name=name)
    sqs.delete_queue(QueueUrl=url)
    response = error_of(sqs.create_queue, QueueName=name)
    assert_error(response, "AWS.SimpleQueueService.QueueDeletedRecently", 400)
    strict.advance(61)
    assert queue(sqs, name=name) == url
