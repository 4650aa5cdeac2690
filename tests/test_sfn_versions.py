"""Step Functions versions, aliases and encryptionConfiguration, as AWS documents them
(and as recorded AWS answers show them), through boto3 against a real server."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, start_server, stop_server
from botocore.exceptions import ClientError

from tests.sfn_helpers import ROLE, unique, wait_until_done

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "one", "End": True}}}
PASS_2 = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "two", "End": True}}}


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def machine(sfn: Any, definition: dict[str, Any] = PASS, **extra: Any) -> dict[str, Any]:
    return sfn.create_state_machine(name=unique("ver"), definition=json.dumps(definition), roleArn=ROLE, **extra)


def versions(sfn: Any, arn: str) -> list[str]:
    return [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]]


def error_of(call: Any, **params: Any) -> dict[str, Any]:
    """The whole error response (its Error and ResponseMetadata)."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def code_and_message(response: dict[str, Any]) -> tuple[str, str]:
    return response["Error"]["Code"], response["Error"]["Message"]


# -- versions -----------------------------------------------------------------------------


def test_create_with_publish_answers_version_one_and_describes_it(sfn: Any) -> None:
    created = machine(sfn, publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    described = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert described["stateMachineArn"] == f"{arn}:1"
    assert described["description"] == "first" and json.loads(described["definition"]) == PASS
    assert "description" not in sfn.describe_state_machine(stateMachineArn=arn)


def test_version_description_without_publish_is_a_validation_exception(sfn: Any) -> None:
    response = error_of(sfn.create_state_machine, name=unique(), definition=json.dumps(PASS), roleArn=ROLE,
                        versionDescription="d")
    assert code_and_message(response) == ("ValidationException", "Version description can only be set when publish is true")
    arn = machine(sfn)["stateMachineArn"]
    response = error_of(sfn.update_state_machine, stateMachineArn=arn, definition=json.dumps(PASS_2), versionDescription="d")
    assert response["Error"]["Code"] == "ValidationException"


def test_publish_lists_newest_first_and_an_unchanged_revision_publishes_nothing_new(sfn: Any) -> None:
    arn = machine(sfn)["stateMachineArn"]
    first = sfn.publish_state_machine_version(stateMachineArn=arn)
    again = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert first["stateMachineVersionArn"] == again["stateMachineVersionArn"] == f"{arn}:1"
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2))
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:2"
    assert versions(sfn, arn) == [f"{arn}:2", f"{arn}:1"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=f"{arn}:1")["definition"]) == PASS
    page = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1)
    assert [v["stateMachineVersionArn"] for v in page["stateMachineVersions"]] == [f"{arn}:2"]
    rest = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1, nextToken=page["nextToken"])
    assert [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]] == [f"{arn}:1"] and "nextToken" not in rest


def test_update_with_publish_and_no_change_keeps_the_revision_and_version(sfn: Any) -> None:
    arn = machine(sfn)["stateMachineArn"]
    first = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS), publish=True)
    second = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS), publish=True)
    assert first["stateMachineVersionArn"] == second["stateMachineVersionArn"] == f"{arn}:1"
    assert first["revisionId"] == second["revisionId"]
    changed = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2), publish=True, versionDescription="v2")
    assert changed["revisionId"] != first["revisionId"] and changed["stateMachineVersionArn"] == f"{arn}:2"
    assert sfn.describe_state_machine(stateMachineArn=f"{arn}:2")["revisionId"] == changed["revisionId"]


def test_publish_with_a_stale_revision_is_a_conflict(sfn: Any) -> None:
    arn = machine(sfn)["stateMachineArn"]
    old = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2))["revisionId"]
    new = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS))["revisionId"]
    response = error_of(sfn.publish_state_machine_version, stateMachineArn=arn, revisionId=old)
    assert code_and_message(response) == (
        "ConflictException",
        f"Failed to publish the State Machine version for revision {old}. The current State Machine revision is {new}.",
    )
    published = sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=new, description="d")
    assert published["stateMachineVersionArn"] == f"{arn}:1"


def test_version_numbers_are_never_reused_after_a_delete(sfn: Any) -> None:
    arn = machine(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2), publish=True)
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    assert versions(sfn, arn) == [f"{arn}:1"]
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")  # gone already: still succeeds
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS))
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:3"
    response = error_of(sfn.describe_state_machine, stateMachineArn=f"{arn}:2")
    assert code_and_message(response) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}:2'")


def test_deleting_the_machine_deletes_its_versions_and_aliases(sfn: Any) -> None:
    arn = machine(sfn, publish=True)["stateMachineArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert error_of(sfn.describe_state_machine, stateMachineArn=f"{arn}:1")["Error"]["Code"] == "StateMachineDoesNotExist"
    assert error_of(sfn.describe_state_machine_alias, stateMachineAliasArn=alias)["Error"]["Code"] == "ResourceNotFound"


# -- aliases ------------------------------------------------------------------------------


def two_versions(sfn: Any) -> str:
    arn = machine(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2), publish=True)
    return arn


def test_alias_lifecycle_create_describe_update_list_delete(sfn: Any) -> None:
    arn = two_versions(sfn)
    routing = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    created = sfn.create_state_machine_alias(name="prod", description="d", routingConfiguration=routing)
    assert created["stateMachineAliasArn"] == f"{arn}:prod"
    again = sfn.create_state_machine_alias(name="prod", description="d", routingConfiguration=routing)
    assert again["creationDate"] == created["creationDate"]  # idempotent
    sfn.update_state_machine_alias(
        stateMachineAliasArn=f"{arn}:prod",
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 50}, {"stateMachineVersionArn": f"{arn}:2", "weight": 50}],
    )
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:prod")
    assert described["name"] == "prod" and described["description"] == "d"
    assert [r["weight"] for r in described["routingConfiguration"]] == [50, 50]
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [f"{arn}:prod"]
    sfn.delete_state_machine_alias(stateMachineAliasArn=f"{arn}:prod")
    sfn.delete_state_machine_alias(stateMachineAliasArn=f"{arn}:prod")  # gone already: still succeeds
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []
    response = error_of(sfn.update_state_machine_alias, stateMachineAliasArn=f"{arn}:prod", description="x")
    assert code_and_message(response) == ("ResourceNotFound", "Request references a resource that does not exist.")


def test_alias_with_the_same_name_and_other_routing_is_a_conflict(sfn: Any) -> None:
    arn = two_versions(sfn)
    sfn.create_state_machine_alias(name="a", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}])
    response = error_of(sfn.create_state_machine_alias, name="a",
                        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}])
    assert code_and_message(response) == (
        "ConflictException",
        "Failed to create alias because an alias with the same name and a different routing configuration already exists.",
    )


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        ([("", 100)], "Routing configuration must contain state machine version ARNs. Received: [{m}]"),
        ([(":1", 50), (":1", 50)], "Routing configuration must contain distinct state machine version ARNs. Received: [{m}:1, {m}:1]"),
        ([(":1", 70), (":2", 29)], "Sum of routing configuration weights must equal 100. Received: [70, 29]"),
        ([(":1", 70), (":2", 31)], "Sum of routing configuration weights must equal 100. Received: [70, 31]"),
    ],
)
def test_alias_routing_configuration_is_validated_as_aws_words_it(sfn: Any, routing: list[tuple[str, int]], message: str) -> None:
    arn = two_versions(sfn)
    config = [{"stateMachineVersionArn": arn + suffix, "weight": weight} for suffix, weight in routing]
    response = error_of(sfn.create_state_machine_alias, name="a", routingConfiguration=config)
    assert code_and_message(response) == ("ValidationException", message.format(m=arn))


def test_alias_routing_limits_from_the_model(sfn: Any) -> None:
    arn = two_versions(sfn)
    three = [{"stateMachineVersionArn": f"{arn}:{n}", "weight": w} for n, w in ((1, 50), (2, 30), (3, 20))]
    response = error_of(sfn.create_state_machine_alias, name="a", routingConfiguration=three)
    assert response["Error"]["Code"] == "ValidationException" and "Member must have length less than or equal to 2" in response["Error"]["Message"]
    big = [{"stateMachineVersionArn": f"{arn}:1", "weight": 101}]
    response = error_of(sfn.create_state_machine_alias, name="a", routingConfiguration=big)
    assert "Member must have value less than or equal to 100" in response["Error"]["Message"]
    for bad in ("123", "INVALID ALIAS", "ALIAS@"):
        response = error_of(sfn.create_state_machine_alias, name=bad, routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}])
        assert code_and_message(response) == ("ValidationException", (
            f"1 validation error detected: Value '{bad}' at 'name' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"
        ))


def test_a_version_an_alias_points_at_cannot_be_deleted(sfn: Any) -> None:
    arn = two_versions(sfn)
    sfn.create_state_machine_alias(name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}])
    response = error_of(sfn.delete_state_machine_version, stateMachineVersionArn=f"{arn}:2")
    assert code_and_message(response) == (
        "ConflictException",
        "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [live]",
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")  # unreferenced: goes
    assert versions(sfn, arn) == [f"{arn}:2"]


# -- executions of versions and aliases ---------------------------------------------------


def test_executions_by_version_and_alias_carry_their_arns_and_run_the_version(sfn: Any) -> None:
    arn = machine(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2))  # $LATEST moves on
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    by_version = sfn.start_execution(stateMachineArn=f"{arn}:1")["executionArn"]
    by_alias = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    latest = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert by_version.startswith(arn.replace(":stateMachine:", ":execution:") + ":")
    v, a, l = (wait_until_done(sfn, e) for e in (by_version, by_alias, latest))
    assert json.loads(v["output"]) == json.loads(a["output"]) == "one" and json.loads(l["output"]) == "two"
    assert v["stateMachineArn"] == a["stateMachineArn"] == arn
    assert v["stateMachineVersionArn"] == a["stateMachineVersionArn"] == f"{arn}:1" and "stateMachineAliasArn" not in v
    assert a["stateMachineAliasArn"] == alias
    assert "stateMachineVersionArn" not in l
    for_execution = sfn.describe_state_machine_for_execution(executionArn=by_alias)
    assert json.loads(for_execution["definition"]) == PASS and for_execution["stateMachineArn"] == arn
    listed = {e["executionArn"]: e for e in sfn.list_executions(stateMachineArn=arn)["executions"]}
    assert listed[by_alias]["stateMachineAliasArn"] == alias and listed[by_version]["stateMachineVersionArn"] == f"{arn}:1"
    assert {e["executionArn"] for e in sfn.list_executions(stateMachineArn=f"{arn}:1")["executions"]} == {by_version, by_alias}
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=alias)["executions"]] == [by_alias]


def test_sync_execution_of_an_express_version(server: Server) -> None:
    sfn = server.client("stepfunctions", inject_host_prefix=False)
    arn = machine(sfn, type="EXPRESS", publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_2))
    answered = sfn.start_sync_execution(stateMachineArn=f"{arn}:1")
    assert answered["status"] == "SUCCEEDED" and json.loads(answered["output"]) == "one"


def test_alias_routes_by_weight_over_a_thousand_seeded_starts(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"STEPSTACK_SEED": "11"})
    try:
        sfn = server.client("stepfunctions")
        arn = two_versions(sfn)
        alias = sfn.create_state_machine_alias(name="canary", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 70}, {"stateMachineVersionArn": f"{arn}:2", "weight": 30},
        ])["stateMachineAliasArn"]
        for _ in range(1000):
            sfn.start_execution(stateMachineArn=alias)
        counts: Counter[str] = Counter()
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=alias):
            counts.update(e["stateMachineVersionArn"] for e in page["executions"])
    finally:
        stop_server(server)
    assert sum(counts.values()) == 1000
    assert abs(counts[f"{arn}:1"] - 700) <= 50 and abs(counts[f"{arn}:2"] - 300) <= 50, counts
    assert counts[f"{arn}:2"] > 0  # both versions are chosen, not only the heavier one


# -- encryptionConfiguration --------------------------------------------------------------


def test_encryption_defaults_to_an_aws_owned_key(sfn: Any) -> None:
    arn = machine(sfn)["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}
    activity = sfn.create_activity(name=unique("act"))["activityArn"]
    assert sfn.describe_activity(activityArn=activity)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}


def test_customer_managed_key_is_stored_and_described(sfn: Any) -> None:
    config = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/mine", "kmsDataKeyReusePeriodSeconds": 120}
    arn = machine(sfn, encryptionConfiguration=config)["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == config
    sfn.update_state_machine(stateMachineArn=arn, encryptionConfiguration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"})
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == {
        "type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k", "kmsDataKeyReusePeriodSeconds": 300,
    }
    activity = sfn.create_activity(name=unique("act"), encryptionConfiguration=config)["activityArn"]
    assert sfn.describe_activity(activityArn=activity)["encryptionConfiguration"] == config


def test_create_activity_again_is_idempotent_but_its_encryption_cannot_change(sfn: Any) -> None:
    """CreateActivity is idempotent by name (recorded: a repeat answers the same ARN; other tags
    are ignored, API reference), but ActivityAlreadyExists is "Activity already exists.
    EncryptionConfiguration may not be updated" (API reference; the CloudFormation reference
    says changing an activity's configuration gives ActivityAlreadyExists)."""
    name = unique("act")
    config = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/mine", "kmsDataKeyReusePeriodSeconds": 123}
    arn = sfn.create_activity(name=name, encryptionConfiguration=config)["activityArn"]
    again = sfn.create_activity(name=name, encryptionConfiguration=config, tags=[{"key": "k", "value": "v"}])
    assert again["activityArn"] == arn
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == []  # tags are not updated
    other_key = {**config, "kmsKeyId": "alias/other"}
    for changed in (other_key, {"type": "AWS_OWNED_KEY"}, None):
        extra = {} if changed is None else {"encryptionConfiguration": changed}
        response = error_of(sfn.create_activity, name=name, **extra)
        assert response["Error"]["Code"] == "ActivityAlreadyExists"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sfn.describe_activity(activityArn=arn)["encryptionConfiguration"] == config
    plain = sfn.create_activity(name=unique("act"))["activityArn"]
    plain_name = plain.rsplit(":", 1)[1]
    assert sfn.create_activity(name=plain_name, encryptionConfiguration={"type": "AWS_OWNED_KEY"})["activityArn"] == plain
    assert error_of(sfn.create_activity, name=plain_name, encryptionConfiguration=config)["Error"]["Code"] == "ActivityAlreadyExists"


def test_invalid_encryption_configurations(server: Server) -> None:
    sfn = server.client("stepfunctions", parameter_validation=False)  # the server's own checks
    no_key = {"type": "CUSTOMER_MANAGED_KMS_KEY"}
    response = error_of(sfn.create_state_machine, name=unique(), definition=json.dumps(PASS), roleArn=ROLE, encryptionConfiguration=no_key)
    assert response["Error"]["Code"] == "InvalidEncryptionConfiguration"
    assert error_of(sfn.create_activity, name=unique(), encryptionConfiguration=no_key)["Error"]["Code"] == "InvalidEncryptionConfiguration"
    owned_with_key = {"type": "AWS_OWNED_KEY", "kmsKeyId": "k"}
    arn = machine(sfn)["stateMachineArn"]
    response = error_of(sfn.update_state_machine, stateMachineArn=arn, encryptionConfiguration=owned_with_key)
    assert response["Error"]["Code"] == "InvalidEncryptionConfiguration"
    short = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k", "kmsDataKeyReusePeriodSeconds": 59}
    response = error_of(sfn.create_activity, name=unique(), encryptionConfiguration=short)
    assert code_and_message(response) == ("ValidationException", (
        "1 validation error detected: Value 59 at 'encryptionConfiguration.kmsDataKeyReusePeriodSeconds' "
        "failed to satisfy constraint: Member must have value greater than or equal to 60"
    ))
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}


# -- records ------------------------------------------------------------------------------


def test_versions_aliases_and_execution_qualifiers_survive_a_snapshot() -> None:
    from tests.inprocess import InProcess

    first = InProcess(seed=3)
    try:
        arn = first.sfn("CreateStateMachine", name="m", definition=json.dumps(PASS), roleArn=ROLE, publish=True)["stateMachineArn"]
        first.sfn("CreateStateMachineAlias", name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}])
        execution = first.sfn("StartExecution", stateMachineArn=f"{arn}:live")["executionArn"]
        first.settle()
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    second = InProcess(seed=4)
    try:
        second.run(second.dispatcher.restore(snapshot))
        assert [v["stateMachineVersionArn"] for v in second.sfn("ListStateMachineVersions", stateMachineArn=arn)["stateMachineVersions"]] == [f"{arn}:1"]
        assert second.sfn("DescribeStateMachineAlias", stateMachineAliasArn=f"{arn}:live")["routingConfiguration"][0]["weight"] == 100
        described = second.sfn("DescribeExecution", executionArn=execution)
        assert (described["stateMachineVersionArn"], described["stateMachineAliasArn"]) == (f"{arn}:1", f"{arn}:live")
        second.sfn("UpdateStateMachine", stateMachineArn=arn, definition=json.dumps(PASS_2))
        assert second.sfn("PublishStateMachineVersion", stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:2"
    finally:
        second.close()


def test_a_page_token_that_is_not_one_is_refused_in_aws_words(sfn: Any) -> None:
    # recorded on AWS (LocalStack's test_sfn_api_aliasing snapshot): the token is not echoed
    machine = sfn.create_state_machine(name=unique("m"), definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}), roleArn=ROLE)
    with pytest.raises(ClientError) as caught:
        sfn.list_state_machine_aliases(stateMachineArn=machine["stateMachineArn"], nextToken="InvalidToken")
    assert caught.value.response["Error"] == {"Code": "InvalidToken", "Message": "Invalid Token: 'Invalid token'"}
