"""Step Functions state machines and activities: create, describe, update, delete, list, tags."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/stepstack"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def name(prefix: str = "sm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


def test_create_and_describe_a_state_machine(sfn: Any) -> None:
    machine = name()
    created = sfn.create_state_machine(name=machine, definition=PASS, roleArn=ROLE)
    assert created["stateMachineArn"] == f"arn:aws:states:us-east-1:000000000000:stateMachine:{machine}"
    described = sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    assert described["name"] == machine and described["definition"] == PASS and described["roleArn"] == ROLE
    assert described["status"] == "ACTIVE" and described["type"] == "STANDARD"
    assert described["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert described["tracingConfiguration"] == {"enabled": False}
    assert described["creationDate"] == created["creationDate"]
    assert described["revisionId"]


def test_create_is_idempotent_for_the_same_definition_and_conflicts_otherwise(sfn: Any) -> None:
    machine = name()
    first = sfn.create_state_machine(name=machine, definition=PASS, roleArn=ROLE)
    again = sfn.create_state_machine(name=machine, definition=PASS, roleArn=ROLE)
    assert again["stateMachineArn"] == first["stateMachineArn"] and again["creationDate"] == first["creationDate"]
    other = json.dumps({"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}})
    error = error_of(sfn.create_state_machine, name=machine, definition=other, roleArn=ROLE)
    assert error["Error"]["Code"] == "StateMachineAlreadyExists"


def test_express_state_machine_keeps_its_type(sfn: Any) -> None:
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"


@pytest.mark.parametrize("bad", ["has space", "a/b", "star*", "semi;colon", "tab\tname", "br{ace}"])
def test_invalid_names_are_rejected(sfn: Any, bad: str) -> None:
    error = error_of(sfn.create_state_machine, name=bad, definition=PASS, roleArn=ROLE)
    assert error["Error"]["Code"] == "InvalidName"
    assert error["Error"]["Message"] == f"Invalid Name: '{bad}'"


def test_name_longer_than_80_fails_model_validation(sfn: Any) -> None:
    error = error_of(sfn.create_state_machine, name="x" * 81, definition=PASS, roleArn=ROLE)
    assert error["Error"]["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 80" in error["Error"]["Message"]


def test_invalid_definition_is_rejected_with_aws_message_style(sfn: Any) -> None:
    bad = json.dumps({"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}})
    error = error_of(sfn.create_state_machine, name=name(), definition=bad, roleArn=ROLE)
    assert error["Error"]["Code"] == "InvalidDefinition"
    assert error["Error"]["Message"].startswith("Invalid State Machine Definition: '")
    not_json = error_of(sfn.create_state_machine, name=name(), definition="{not json", roleArn=ROLE)
    assert not_json["Error"]["Code"] == "InvalidDefinition"


def test_invalid_role_arn_is_rejected(sfn: Any) -> None:
    error = error_of(sfn.create_state_machine, name=name(), definition=PASS, roleArn="not-an-arn")
    assert error["Error"]["Code"] == "InvalidArn"


def test_logging_configuration_is_stored_and_checked(sfn: Any, server: Server) -> None:
    server.client("logs").create_log_group(logGroupName="g")
    destination = [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:g:*"}}]
    config = {"level": "ALL", "includeExecutionData": True, "destinations": destination}
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE, loggingConfiguration=config)["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == config
    error = error_of(sfn.create_state_machine, name=name(), definition=PASS, roleArn=ROLE, loggingConfiguration={"level": "ERROR"})
    assert error["Error"]["Code"] == "InvalidLoggingConfiguration"


def test_update_changes_definition_and_revision(sfn: Any, server: Server) -> None:
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    before = sfn.describe_state_machine(stateMachineArn=arn)
    server.advance(5)
    succeed = json.dumps({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}})
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=succeed)
    after = sfn.describe_state_machine(stateMachineArn=arn)
    assert after["definition"] == succeed and after["revisionId"] == updated["revisionId"] != before["revisionId"]
    assert updated["updateDate"] > before["creationDate"]
    assert error_of(sfn.update_state_machine, stateMachineArn=arn)["Error"]["Code"] == "MissingRequiredParameter"
    bad = error_of(sfn.update_state_machine, stateMachineArn=arn, definition='{"StartAt": "X", "States": {}}')
    assert bad["Error"]["Code"] == "InvalidDefinition"
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == succeed  # unchanged by the failure


def test_delete_then_describe_does_not_exist(sfn: Any) -> None:
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    error = error_of(sfn.describe_state_machine, stateMachineArn=arn)
    assert error["Error"]["Code"] == "StateMachineDoesNotExist"
    assert arn in error["Error"]["Message"]


def test_malformed_arns_are_invalid_arn(sfn: Any) -> None:
    assert error_of(sfn.describe_state_machine, stateMachineArn="nope")["Error"]["Code"] == "InvalidArn"
    wrong_kind = "arn:aws:states:us-east-1:000000000000:activity:a"
    assert error_of(sfn.describe_state_machine, stateMachineArn=wrong_kind)["Error"]["Code"] == "InvalidArn"


def test_list_state_machines_paginates(sfn: Any, server: Server) -> None:
    region = f"eu-west-{uuid.uuid4().int % 1000}"  # a region of its own: only this test's machines
    regional = server.client("stepfunctions", region=region)
    names = sorted(name("list") for _ in range(5))
    for machine in names:
        regional.create_state_machine(name=machine, definition=PASS, roleArn=ROLE)
    first = regional.list_state_machines(maxResults=2)
    assert [m["name"] for m in first["stateMachines"]] == names[:2] and first["nextToken"]
    seen = [m["name"] for m in first["stateMachines"]]
    token = first["nextToken"]
    while token:
        page = regional.list_state_machines(maxResults=2, nextToken=token)
        seen += [m["name"] for m in page["stateMachines"]]
        token = page.get("nextToken")
    assert seen == names
    assert error_of(regional.list_state_machines, nextToken="garbage!")["Error"]["Code"] == "InvalidToken"


def test_activities_lifecycle(sfn: Any) -> None:
    activity = name("act")
    arn = sfn.create_activity(name=activity)["activityArn"]
    assert arn == f"arn:aws:states:us-east-1:000000000000:activity:{activity}"
    assert sfn.create_activity(name=activity)["activityArn"] == arn  # idempotent
    assert sfn.describe_activity(activityArn=arn)["name"] == activity
    assert arn in [a["activityArn"] for a in sfn.list_activities(maxResults=1000)["activities"]]
    sfn.delete_activity(activityArn=arn)
    assert error_of(sfn.describe_activity, activityArn=arn)["Error"]["Code"] == "ActivityDoesNotExist"


def test_tags_on_state_machines_and_activities(sfn: Any) -> None:
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE, tags=[{"key": "team", "value": "a"}])["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}, {"key": "team", "value": "b"}])
    assert {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]} == {"team": "b", "env": "dev"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    activity = sfn.create_activity(name=name("act"), tags=[{"key": "k", "value": "v"}])["activityArn"]
    assert sfn.list_tags_for_resource(resourceArn=activity)["tags"] == [{"key": "k", "value": "v"}]
    missing = "arn:aws:states:us-east-1:000000000000:stateMachine:no-such-machine"
    assert error_of(sfn.list_tags_for_resource, resourceArn=missing)["Error"]["Code"] == "ResourceNotFound"
    too_many = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    assert error_of(sfn.tag_resource, resourceArn=arn, tags=too_many)["Error"]["Code"] == "TooManyTags"


def test_validate_state_machine_definition_reports_diagnostics(sfn: Any) -> None:
    ok = sfn.validate_state_machine_definition(definition=PASS)
    assert (ok["result"], ok["diagnostics"]) == ("OK", [])
    bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}, "B": {"Type": "Pass", "End": True}}})
    failed = sfn.validate_state_machine_definition(definition=bad)
    assert failed["result"] == "FAIL" and failed["truncated"] is False
    codes = [(d["severity"], d["code"], d.get("location")) for d in failed["diagnostics"]]
    assert ("ERROR", "MISSING_TRANSITION_TARGET", "/States/A/Next") in codes
    assert any(d["code"] == "MISSING_TRANSITION_TARGET" and "not reachable" in d["message"] for d in failed["diagnostics"])
    one = sfn.validate_state_machine_definition(definition=bad, maxResults=1)
    assert len(one["diagnostics"]) == 1 and one["truncated"] is True


def test_validating_for_an_express_machine_reports_what_it_cannot_run(sfn: Any) -> None:
    callback = json.dumps({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}},
    }}})
    assert sfn.validate_state_machine_definition(definition=callback, type="STANDARD")["result"] == "OK"
    failed = sfn.validate_state_machine_definition(definition=callback, type="EXPRESS")
    assert failed["result"] == "FAIL"
    [diagnostic] = failed["diagnostics"]
    assert (diagnostic["code"], diagnostic["location"]) == ("SCHEMA_VALIDATION_FAILED", "/States/T/Resource")
    assert "Express state machine does not support '.waitForTaskToken' service integration" in diagnostic["message"]
