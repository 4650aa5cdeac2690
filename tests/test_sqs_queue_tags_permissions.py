"""SQS queue tags and permissions, black-box through boto3: tags given to CreateQueue,
TagQueue, UntagQueue and ListQueueTags; AddPermission and RemovePermission as the
statements of the queue's Policy.

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/): CreateQueue,
Tag/Untag/ListQueueTags, Add/RemovePermission; and the SQS Developer Guide
(policy quotas).
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
from tests.sqs_queue_helpers import NON_EXISTENT, assert_error


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """A server of the module's own, as every test_sqs_queue_* file has (some move the clock)."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# == Tags ===============================================================================


def test_create_queue_with_tags(sqs: Any) -> None:
    url = queue(sqs, tags={"team": "billing", "env": "test"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "billing", "env": "test"}


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
