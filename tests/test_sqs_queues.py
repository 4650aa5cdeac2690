"""SQS queue management, black-box through boto3 (JSON) and raw Query requests.

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/):
CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, Get/SetQueueAttributes,
ListDeadLetterSourceQueues, Tag/Untag/ListQueueTags, Add/RemovePermission,
PurgeQueue; and the SQS Developer Guide (quotas, dead-letter queues, FIFO high
throughput). Where AWS documents no exact error message only the code (what
boto3 reports as Error.Code, i.e. the legacy Query code) and the HTTP status
are checked.

Each test makes its own queues with unique names; nothing resets state.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import xmltodict
from botocore.config import Config

from tests.conftest import Server, start_server, stop_server
from tests.raw_http import FORM, send
from tests.sqs_helpers import (
    DEFAULT_ACCOUNT,
    error_of,
    queue,
    queue_arn,
    queue_attributes,
    unique_name,
)

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"

# name, minimum, maximum, default (CreateQueue / SetQueueAttributes "Attributes")
RANGED_ATTRIBUTES = [
    ("DelaySeconds", 0, 900, 0),
    ("MaximumMessageSize", 1024, 1048576, 1048576),
    ("MessageRetentionPeriod", 60, 1209600, 345600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20, 0),
    ("VisibilityTimeout", 0, 43200, 30),
    ("KmsDataKeyReusePeriodSeconds", 60, 86400, 300),
]
RANGE_IDS = [row[0] for row in RANGED_ATTRIBUTES]


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def status_of(response: dict[str, Any]) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def assert_error(response: dict[str, Any], code: str, status: int = 400) -> None:
    assert (response["Error"]["Code"], status_of(response)) == (code, status), response


def clock_now(server: Server) -> float:
    status, body = server.admin("GET", "/_stepstack/clock")
    assert status == 200, body
    return float(body["now"])


def boto_client(endpoint: str, region: str = "us-east-1", access_key: str = "test") -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def redrive(arn: str, max_receive_count: Any = 5) -> str:
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    attrs = queue_attributes(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


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


# == CreateQueue: attributes =============================================================


def test_create_queue_has_documented_default_attributes(sqs: Any) -> None:
    url = queue(sqs)
    attrs = queue_attributes(sqs, url)
    expected = {name: str(default) for name, _, _, default in RANGED_ATTRIBUTES if name != "KmsDataKeyReusePeriodSeconds"}
    assert {name: attrs.get(name) for name in expected} == expected, attrs
    assert attrs.get("SqsManagedSseEnabled") == "true", attrs
    # KmsDataKeyReusePeriodSeconds defaults to 300 (AWS lists it once SSE is configured)
    assert attrs.get("KmsDataKeyReusePeriodSeconds", "300") == "300", attrs


def test_standard_queue_does_not_report_fifo_attributes(sqs: Any) -> None:
    attrs = queue_attributes(sqs, queue(sqs))
    for fifo_only in ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"):
        assert fifo_only not in attrs, attrs


@pytest.mark.parametrize(("name", "low", "high", "default"), RANGED_ATTRIBUTES, ids=RANGE_IDS)
def test_create_queue_accepts_attribute_at_both_ends_of_its_range(
    sqs: Any, name: str, low: int, high: int, default: int
) -> None:
    for value in (low, high):
        url = queue(sqs, **{name: value})
        assert queue_attributes(sqs, url, name) == {name: str(value)}


@pytest.mark.parametrize(("name", "low", "high", "default"), RANGED_ATTRIBUTES, ids=RANGE_IDS)
@pytest.mark.parametrize("where", ["below", "above", "not-a-number"])
def test_create_queue_rejects_attribute_out_of_range_with_invalid_attribute_value(
    sqs: Any, name: str, low: int, high: int, default: int, where: str
) -> None:
    value = {"below": str(low - 1), "above": str(high + 1), "not-a-number": "ten"}[where]
    queue_name = unique_name("range")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={name: value})
    assert_error(response, "InvalidAttributeValue")
    assert response["Error"]["Message"] == f"Invalid value for the parameter {name}."
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


@pytest.mark.parametrize("value", ["true", "false"])
def test_create_queue_sets_sqs_managed_sse_enabled(sqs: Any, value: str) -> None:
    url = queue(sqs, SqsManagedSseEnabled=value)
    assert queue_attributes(sqs, url, "SqsManagedSseEnabled") == {"SqsManagedSseEnabled": value}


def test_create_queue_rejects_non_boolean_sqs_managed_sse_enabled(sqs: Any) -> None:
    response = error_of(sqs.create_queue, QueueName=unique_name("sse"), Attributes={"SqsManagedSseEnabled": "maybe"})
    assert_error(response, "InvalidAttributeValue")


def test_create_queue_with_unknown_attribute_name_fails_with_invalid_attribute_name(sqs: Any) -> None:
    queue_name = unique_name("unknownattr")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={"Bogus": "1"})
    assert_error(response, "InvalidAttributeName")
    assert "Bogus" in response["Error"]["Message"]
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("ContentBasedDeduplication", "true"), ("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")],
)
def test_create_standard_queue_rejects_fifo_only_attributes(sqs: Any, attribute: str, value: str) -> None:
    queue_name = unique_name("stdfifoattr")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={attribute: value})
    assert_error(response, "InvalidAttributeName")
    assert attribute in response["Error"]["Message"]
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


def test_fifo_queue_reports_fifo_defaults(sqs: Any) -> None:
    attrs = queue_attributes(sqs, queue(sqs, FifoQueue=True))
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


def test_create_fifo_queue_with_high_throughput_attributes(sqs: Any) -> None:
    url = queue(
        sqs,
        FifoQueue=True,
        ContentBasedDeduplication=True,
        DeduplicationScope="messageGroup",
        FifoThroughputLimit="perMessageGroupId",
    )
    attrs = queue_attributes(sqs, url, "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
    assert attrs == {
        "ContentBasedDeduplication": "true",
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }


@pytest.mark.parametrize(("attribute", "value"), [("DeduplicationScope", "account"), ("FifoThroughputLimit", "perAccount")])
def test_create_fifo_queue_rejects_unknown_fifo_attribute_values(sqs: Any, attribute: str, value: str) -> None:
    name = unique_name("fifobad") + ".fifo"
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"FifoQueue": "true", attribute: value})
    assert_error(response, "InvalidAttributeValue")


@pytest.mark.parametrize("how", ["create", "set"])
def test_per_message_group_throughput_needs_message_group_deduplication_scope(sqs: Any, how: str) -> None:
    # "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup."
    name = unique_name("hightp") + ".fifo"
    if how == "create":
        attributes = {"FifoQueue": "true", "DeduplicationScope": "queue", "FifoThroughputLimit": "perMessageGroupId"}
        response = error_of(sqs.create_queue, QueueName=name, Attributes=attributes)
    else:
        url = queue(sqs, name=name, FifoQueue=True)  # DeduplicationScope defaults to queue
        response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
        assert queue_attributes(sqs, url, "FifoThroughputLimit") == {"FifoThroughputLimit": "perQueue"}
    assert response["Error"]["Code"] in {"InvalidAttributeValue", "InvalidParameterValue"}, response
    assert status_of(response) == 400


def test_kms_encrypted_queue_does_not_also_report_sqs_managed_sse(sqs: Any) -> None:
    # "Only one server-side encryption option is supported per queue (for example, SSE-KMS or SSE-SQS)."
    url = queue(sqs, KmsMasterKeyId="alias/aws/sqs")
    attrs = queue_attributes(sqs, url, "KmsMasterKeyId", "SqsManagedSseEnabled", "KmsDataKeyReusePeriodSeconds")
    assert attrs == {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "false", "KmsDataKeyReusePeriodSeconds": "300"}


def test_create_queue_with_both_kms_and_sqs_managed_sse_is_rejected(sqs: Any) -> None:
    name = unique_name("twosse")
    attributes = {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}
    response = error_of(sqs.create_queue, QueueName=name, Attributes=attributes)
    assert response["Error"]["Code"] in {"InvalidAttributeValue", "InvalidAttributeName", "InvalidParameterValue"}, response
    assert status_of(response) == 400
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


def test_create_queue_with_tags(sqs: Any) -> None:
    url = queue(sqs, tags={"team": "billing", "env": "test"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "billing", "env": "test"}


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


# == GetQueueAttributes ===============================================================


def test_get_queue_attributes_computes_queue_arn(sqs: Any) -> None:
    name = unique_name("arn")
    url = queue(sqs, name=name)
    assert queue_arn(sqs, url) == f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{name}"


def test_get_queue_attributes_all_lists_every_standard_attribute(sqs: Any) -> None:
    attrs = queue_attributes(sqs, queue(sqs), "All")
    expected = {
        "QueueArn",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "VisibilityTimeout",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "SqsManagedSseEnabled",
    }
    assert expected <= set(attrs), expected - set(attrs)


def test_get_queue_attributes_returns_only_requested_names(sqs: Any) -> None:
    url = queue(sqs, VisibilityTimeout=12)
    attrs = queue_attributes(sqs, url, "VisibilityTimeout", "DelaySeconds")
    assert attrs == {"VisibilityTimeout": "12", "DelaySeconds": "0"}


def test_get_queue_attributes_without_attribute_names_returns_none(sqs: Any) -> None:
    response = sqs.get_queue_attributes(QueueUrl=queue(sqs))
    assert response.get("Attributes", {}) == {}


def test_get_queue_attributes_with_unknown_name_is_invalid_attribute_name(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Bogus"])
    assert_error(response, "InvalidAttributeName")


def test_get_queue_attributes_of_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noattrs')}"
    assert_error(error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"]), NON_EXISTENT)


def test_created_and_last_modified_timestamps_are_epoch_seconds(server: Server, sqs: Any) -> None:
    before = clock_now(server)
    attrs = queue_attributes(sqs, queue(sqs), "CreatedTimestamp", "LastModifiedTimestamp")
    after = clock_now(server)
    for name in ("CreatedTimestamp", "LastModifiedTimestamp"):
        assert attrs[name].isdigit(), attrs  # whole seconds, not milliseconds or ISO text
        assert int(before) - 1 <= int(attrs[name]) <= after + 1, (attrs, before, after)


def test_last_modified_timestamp_moves_after_set_queue_attributes(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    first = queue_attributes(sqs, url, "CreatedTimestamp", "LastModifiedTimestamp")
    server.advance(100)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "31"})
    second = queue_attributes(sqs, url, "CreatedTimestamp", "LastModifiedTimestamp")
    assert second["CreatedTimestamp"] == first["CreatedTimestamp"]
    assert int(second["LastModifiedTimestamp"]) >= int(first["LastModifiedTimestamp"]) + 99, (first, second)


def test_approximate_counts_follow_sends_receives_and_delays(server: Server, sqs: Any) -> None:
    url = queue(sqs, VisibilityTimeout=30)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert counts(sqs, url) == (3, 0, 0)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
    assert len(received) == 1
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    assert counts(sqs, url) == (2, 1, 1)
    server.advance(61)  # the receive's visibility timeout and the delay both run out
    assert counts(sqs, url) == (4, 0, 0)


def test_queue_delay_seconds_counts_new_messages_as_delayed(server: Server, sqs: Any) -> None:
    url = queue(sqs, DelaySeconds=20)
    sqs.send_message(QueueUrl=url, MessageBody="delayed")
    assert counts(sqs, url) == (0, 0, 1)
    server.advance(21)
    assert counts(sqs, url) == (1, 0, 0)


def test_deleting_a_received_message_drops_not_visible_count(sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    message = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


# == SetQueueAttributes ================================================================


def test_set_queue_attributes_changes_are_visible(sqs: Any) -> None:
    url = queue(sqs)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": "120",
            "DelaySeconds": "15",
            "MaximumMessageSize": "2048",
            "MessageRetentionPeriod": "3600",
            "ReceiveMessageWaitTimeSeconds": "5",
            "SqsManagedSseEnabled": "false",
        },
    )
    attrs = queue_attributes(sqs, url)
    assert {k: attrs[k] for k in ("VisibilityTimeout", "DelaySeconds", "MaximumMessageSize")} == {
        "VisibilityTimeout": "120",
        "DelaySeconds": "15",
        "MaximumMessageSize": "2048",
    }
    assert attrs["MessageRetentionPeriod"] == "3600"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "5"
    assert attrs["SqsManagedSseEnabled"] == "false"


@pytest.mark.parametrize(("name", "low", "high", "default"), RANGED_ATTRIBUTES, ids=RANGE_IDS)
def test_set_queue_attributes_rejects_out_of_range_value_and_changes_nothing(
    sqs: Any, name: str, low: int, high: int, default: int
) -> None:
    url = queue(sqs)
    other = "DelaySeconds" if name != "DelaySeconds" else "VisibilityTimeout"
    before = queue_attributes(sqs, url, name, other)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={other: "7", name: str(high + 1)})
    assert_error(response, "InvalidAttributeValue")
    assert response["Error"]["Message"] == f"Invalid value for the parameter {name}."
    assert queue_attributes(sqs, url, name, other) == before


def test_set_queue_attributes_with_unknown_name_is_invalid_attribute_name(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Bogus": "1", "DelaySeconds": "5"})
    assert_error(response, "InvalidAttributeName")
    assert queue_attributes(sqs, url, "DelaySeconds") == {"DelaySeconds": "0"}


def test_set_queue_attributes_rejects_read_only_attribute(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"ApproximateNumberOfMessages": "5"})
    assert_error(response, "InvalidAttributeName")


def test_standard_queue_cannot_be_made_fifo(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert response["Error"]["Code"] in {"InvalidAttributeName", "InvalidAttributeValue"}, response
    assert status_of(response) == 400
    assert "FifoQueue" not in queue_attributes(sqs, url)


def test_fifo_queue_cannot_be_made_standard(sqs: Any) -> None:
    url = queue(sqs, FifoQueue=True)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert response["Error"]["Code"] in {"InvalidAttributeName", "InvalidAttributeValue"}, response
    assert status_of(response) == 400
    assert queue_attributes(sqs, url, "FifoQueue") == {"FifoQueue": "true"}


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("ContentBasedDeduplication", "true"), ("DeduplicationScope", "messageGroup"), ("FifoThroughputLimit", "perQueue")],
)
def test_set_fifo_only_attribute_on_standard_queue_is_invalid_attribute_name(sqs: Any, attribute: str, value: str) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={attribute: value})
    assert_error(response, "InvalidAttributeName")


def test_set_fifo_attributes_on_fifo_queue(sqs: Any) -> None:
    url = queue(sqs, FifoQueue=True)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "ContentBasedDeduplication": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )
    attrs = queue_attributes(sqs, url, "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
    assert attrs == {
        "ContentBasedDeduplication": "true",
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }


def test_set_policy_attribute_is_returned(sqs: Any) -> None:
    url = queue(sqs)
    arn = queue_arn(sqs, url)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    assert json.loads(queue_attributes(sqs, url, "Policy")["Policy"]) == policy


def test_set_policy_that_is_not_json_is_invalid_attribute_value(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": "{not json"})
    assert_error(response, "InvalidAttributeValue")
    assert response["Error"]["Message"] == "Invalid value for the parameter Policy."
    assert "Policy" not in queue_attributes(sqs, url)


def test_set_queue_attributes_of_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noset')}"
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"DelaySeconds": "1"})
    assert_error(response, NON_EXISTENT)


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


# == Tags ===============================================================================


def test_tag_list_and_untag_queue(sqs: Any) -> None:
    url = queue(sqs)
    sqs.tag_queue(QueueUrl=url, Tags={"a": "1", "b": "2", "c": "3"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1", "b": "2", "c": "3"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["a", "c"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"b": "2"}


def test_tag_queue_overwrites_existing_key(sqs: Any) -> None:
    url = queue(sqs, tags={"env": "dev"})
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "team": "x"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "team": "x"}


def test_list_queue_tags_of_untagged_queue_is_empty(sqs: Any) -> None:
    assert sqs.list_queue_tags(QueueUrl=queue(sqs)).get("Tags", {}) == {}


def test_untag_queue_of_absent_key_is_accepted(sqs: Any) -> None:
    url = queue(sqs, tags={"keep": "me"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"keep": "me"}


def test_tag_queue_of_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('notag')}"
    assert_error(error_of(sqs.tag_queue, QueueUrl=url, Tags={"a": "b"}), NON_EXISTENT)


# == Permissions ========================================================================


def statements(sqs: Any, url: str) -> list[dict[str, Any]]:
    policy = queue_attributes(sqs, url, "Policy").get("Policy")
    return json.loads(policy)["Statement"] if policy else []


def test_add_permission_adds_policy_statement_with_label_as_sid(sqs: Any) -> None:
    url = queue(sqs)
    arn = queue_arn(sqs, url)
    sqs.add_permission(QueueUrl=url, Label="AliceSend", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    [statement] = statements(sqs, url)
    assert statement["Sid"] == "AliceSend"
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Principal"]["AWS"]) == ["arn:aws:iam::123456789012:root"]
    assert as_list(statement["Action"]) == ["SQS:SendMessage"]
    assert statement["Resource"] == arn


def test_add_permission_twice_with_different_labels_keeps_both(sqs: Any) -> None:
    url = queue(sqs)
    sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    sqs.add_permission(QueueUrl=url, Label="two", AWSAccountIds=["123456789012"], Actions=["ReceiveMessage"])
    assert sorted(s["Sid"] for s in statements(sqs, url)) == ["one", "two"]


def test_add_permission_with_duplicate_label_is_invalid_parameter_value(sqs: Any) -> None:
    url = queue(sqs)
    sqs.add_permission(QueueUrl=url, Label="dup", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    response = error_of(
        sqs.add_permission, QueueUrl=url, Label="dup", AWSAccountIds=["123456789012"], Actions=["DeleteMessage"]
    )
    assert_error(response, "InvalidParameterValue")
    assert len(statements(sqs, url)) == 1


def test_remove_permission_removes_the_labelled_statement(sqs: Any) -> None:
    url = queue(sqs)
    sqs.add_permission(QueueUrl=url, Label="keep", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    sqs.add_permission(QueueUrl=url, Label="drop", AWSAccountIds=["123456789012"], Actions=["ReceiveMessage"])
    sqs.remove_permission(QueueUrl=url, Label="drop")
    assert [s["Sid"] for s in statements(sqs, url)] == ["keep"]


def test_remove_permission_with_unknown_label_is_invalid_parameter_value(sqs: Any) -> None:
    url = queue(sqs)
    sqs.add_permission(QueueUrl=url, Label="present", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    response = error_of(sqs.remove_permission, QueueUrl=url, Label="absent")
    assert_error(response, "InvalidParameterValue")
    assert [s["Sid"] for s in statements(sqs, url)] == ["present"]


def test_add_permission_with_star_allows_every_action(sqs: Any) -> None:
    url = queue(sqs)
    sqs.add_permission(QueueUrl=url, Label="everything", AWSAccountIds=["123456789012"], Actions=["*"])
    [statement] = statements(sqs, url)
    assert as_list(statement["Action"]) == ["SQS:*"]


def test_add_permission_with_several_accounts_and_actions(sqs: Any) -> None:
    url = queue(sqs)
    sqs.add_permission(
        QueueUrl=url,
        Label="team",
        AWSAccountIds=["123456789012", "210987654321"],
        Actions=["SendMessage", "ReceiveMessage"],
    )
    [statement] = statements(sqs, url)
    assert sorted(as_list(statement["Principal"]["AWS"])) == [
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::210987654321:root",
    ]
    assert sorted(as_list(statement["Action"])) == ["SQS:ReceiveMessage", "SQS:SendMessage"]


@pytest.mark.parametrize("label", ["has space", "dot.ted", "x" * 81], ids=["space", "dot", "81-chars"])
def test_add_permission_with_invalid_label_is_invalid_parameter_value(sqs: Any, label: str) -> None:
    # Label: "Maximum 80 characters. Allowed characters include alphanumeric characters, hyphens, and underscores."
    url = queue(sqs)
    response = error_of(sqs.add_permission, QueueUrl=url, Label=label, AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    assert_error(response, "InvalidParameterValue")
    assert statements(sqs, url) == []


def test_add_permission_with_unknown_action_is_invalid_parameter_value(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.add_permission, QueueUrl=url, Label="bogus", AWSAccountIds=["123456789012"], Actions=["Bogus"])
    assert_error(response, "InvalidParameterValue")
    assert statements(sqs, url) == []


def test_add_permission_with_more_than_7_actions_is_rejected(sqs: Any) -> None:
    # SQS policy quotas: 7 actions per statement
    url = queue(sqs)
    actions = [
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "ChangeMessageVisibility",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListQueueTags",
        "PurgeQueue",
    ]
    sqs.add_permission(QueueUrl=url, Label="seven", AWSAccountIds=["123456789012"], Actions=actions[:7])
    response = error_of(sqs.add_permission, QueueUrl=url, Label="eight", AWSAccountIds=["123456789012"], Actions=actions)
    assert response["Error"]["Code"] in {"OverLimit", "InvalidParameterValue"}, response
    assert [s["Sid"] for s in statements(sqs, url)] == ["seven"]


def test_add_permission_beyond_20_statements_is_over_limit(sqs: Any) -> None:
    # SQS policy quotas: 20 statements; OverLimit: "AddPermission returns this error if the
    # maximum number of permissions for the queue is reached"
    url = queue(sqs)
    for i in range(20):
        sqs.add_permission(QueueUrl=url, Label=f"p{i}", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    response = error_of(sqs.add_permission, QueueUrl=url, Label="p20", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    assert response["Error"]["Code"] == "OverLimit", response
    assert len(statements(sqs, url)) == 20


def test_add_permission_to_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noperm')}"
    response = error_of(sqs.add_permission, QueueUrl=url, Label="x", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    assert_error(response, NON_EXISTENT)


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


# == Query protocol ====================================================================


def query(server: Server, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    body = urllib.parse.urlencode({**params, "Version": "2012-11-05"})
    response = send(server.host, server.port, "POST", "/", body, FORM)
    assert "xml" in (response.header("content-type") or ""), (response.status, response.headers, response.body)
    parsed = xmltodict.parse(response.body, force_list=("Attribute", "QueueUrl"))
    return response.status, parsed


def test_query_create_queue_returns_queue_url_in_create_queue_result(server: Server) -> None:
    name = unique_name("qcreate")
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "60"},
    )
    assert status == 200, parsed
    [url] = parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
    assert url == f"http://{server.host}:{server.port}/{DEFAULT_ACCOUNT}/{name}"
    assert "RequestId" in parsed["CreateQueueResponse"]["ResponseMetadata"]


def test_query_created_queue_is_visible_to_json_client(server: Server, sqs: Any) -> None:
    name = unique_name("qjson")
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "60"},
    )
    assert status == 200, parsed
    [url] = parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert queue_attributes(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "60"}


def test_query_get_queue_attributes_all_returns_name_value_pairs(server: Server, sqs: Any) -> None:
    name = unique_name("qattrs")
    url = queue(sqs, name=name, VisibilityTimeout=60)
    status, parsed = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    assert status == 200, parsed
    pairs = parsed["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attribute"]
    assert all(set(pair) == {"Name", "Value"} for pair in pairs), pairs
    attrs = {pair["Name"]: pair["Value"] for pair in pairs}
    assert attrs["VisibilityTimeout"] == "60"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{name}"
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_query_list_queues_returns_queue_urls_in_list_queues_result(server: Server, sqs: Any) -> None:
    prefix = unique_name("qlist")
    urls = sorted(queue(sqs, name=f"{prefix}-{i}") for i in range(2))
    status, parsed = query(server, {"Action": "ListQueues", "QueueNamePrefix": prefix})
    assert status == 200, parsed
    assert sorted(parsed["ListQueuesResponse"]["ListQueuesResult"]["QueueUrl"]) == urls


def test_query_delete_queue_deletes_it(server: Server, sqs: Any) -> None:
    name = unique_name("qdelete")
    url = queue(sqs, name=name)
    status, parsed = query(server, {"Action": "DeleteQueue", "QueueUrl": url})
    assert status == 200, parsed
    assert "DeleteQueueResponse" in parsed, parsed
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


def test_query_create_queue_url_uses_the_request_host_header(server: Server) -> None:
    name = unique_name("qhost")
    body = urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": name, "Version": "2012-11-05"})
    headers = {**FORM, "Host": f"localhost:{server.port}"}
    response = send(server.host, server.port, "POST", "/", body, headers)
    assert response.status == 200, response.body
    parsed = xmltodict.parse(response.body)
    assert parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"] == f"http://localhost:{server.port}/{DEFAULT_ACCOUNT}/{name}"


def test_query_get_queue_attributes_with_one_name_returns_only_it(server: Server, sqs: Any) -> None:
    url = queue(sqs, DelaySeconds=9)
    status, parsed = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "DelaySeconds"})
    assert status == 200, parsed
    pairs = parsed["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attribute"]
    assert pairs == [{"Name": "DelaySeconds", "Value": "9"}]


def test_query_create_queue_with_tags_is_visible_to_json_client(server: Server, sqs: Any) -> None:
    name = unique_name("qtags")
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Tag.1.Key": "team", "Tag.1.Value": "blue", "Tag.2.Key": "env", "Tag.2.Value": "ci"},
    )
    assert status == 200, parsed
    [url] = parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "blue", "env": "ci"}


def test_query_create_queue_with_different_attributes_answers_queue_already_exists(server: Server, sqs: Any) -> None:
    name = unique_name("qexists")
    queue(sqs, name=name, VisibilityTimeout=45)
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "46"},
    )
    assert status == 400, parsed
    assert parsed["ErrorResponse"]["Error"]["Code"] == "QueueAlreadyExists"


def test_query_missing_queue_answers_error_response_with_legacy_code(server: Server) -> None:
    status, parsed = query(server, {"Action": "GetQueueUrl", "QueueName": unique_name("qmissing")})
    assert status == 400, parsed
    error = parsed["ErrorResponse"]["Error"]
    assert error["Code"] == NON_EXISTENT
    assert error["Type"] == "Sender"
    assert error.get("Message")
    assert "RequestId" in parsed["ErrorResponse"]


def test_query_create_queue_out_of_range_attribute_is_invalid_attribute_value(server: Server) -> None:
    status, parsed = query(
        server,
        {
            "Action": "CreateQueue",
            "QueueName": unique_name("qbad"),
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "43201",
        },
    )
    assert status == 400, parsed
    error = parsed["ErrorResponse"]["Error"]
    assert error["Code"] == "InvalidAttributeValue"
    assert error["Message"] == "Invalid value for the parameter VisibilityTimeout."


# == Inspection endpoint ================================================================


def inspect(server: Server, url: str) -> tuple[int, Any]:
    return server.admin("GET", "/_stepstack/sqs/messages?" + urllib.parse.urlencode({"QueueUrl": url}))


def inspected_messages(body: Any) -> list[dict[str, Any]]:
    assert set(body) == {"QueueUrl", "QueueArn", "LongPolls", "Messages"}, body
    assert isinstance(body["Messages"], list), body
    return body["Messages"]


def test_inspection_lists_messages_with_their_state(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    visible_id = sqs.send_message(QueueUrl=url, MessageBody="stays visible")["MessageId"]
    inflight_id = sqs.send_message(QueueUrl=url, MessageBody="taken")["MessageId"]
    # receive until the "taken" message is in flight; put others back at once
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if got and got[0]["MessageId"] == inflight_id:
            break
        for message in got:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    delayed_id = sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=120)["MessageId"]
    status, body = inspect(server, url)
    assert status == 200, body
    states = {m["MessageId"]: (m["Body"], m["State"]) for m in inspected_messages(body)}
    assert states == {
        visible_id: ("stays visible", "visible"),
        inflight_id: ("taken", "inflight"),
        delayed_id: ("later", "delayed"),
    }


def test_inspection_does_not_change_messages(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    message_id = sqs.send_message(QueueUrl=url, MessageBody="look, don't touch")["MessageId"]
    for _ in range(2):
        status, body = inspect(server, url)
        assert status == 200, body
        assert [m["MessageId"] for m in inspected_messages(body)] == [message_id]
    assert counts(sqs, url) == (1, 0, 0)
    received = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [m["MessageId"] for m in received] == [message_id]
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_inspection_of_empty_queue_lists_nothing(server: Server, sqs: Any) -> None:
    status, body = inspect(server, queue(sqs))
    assert status == 200, body
    assert inspected_messages(body) == []


def test_inspection_of_unknown_queue_is_a_json_error(server: Server, sqs: Any) -> None:
    known = queue(sqs)
    assert inspect(server, known)[0] == 200
    sqs.delete_queue(QueueUrl=known)
    for url in (known, f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noinspect')}"):
        # stepstack's own endpoint (no AWS counterpart): not found, in the shape of an AWS JSON error
        not_found = {"__type": "QueueDoesNotExist", "message": "The specified queue does not exist."}
        assert inspect(server, url) == (404, not_found)
