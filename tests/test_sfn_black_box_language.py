"""Through boto3: every intrinsic function inside a running execution, and
invalid definitions refused by CreateStateMachine with AWS's problem codes."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import error_of, output_of, run, unique

ROLE = "arn:aws:iam::000000000000:role/r"


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def evaluate(sfn: Any, parameters: dict[str, Any], given: Any) -> Any:
    definition = {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    _, described = run(sfn, definition, given)
    assert described["status"] == "SUCCEEDED", described
    return output_of(described)


def test_every_intrinsic_function_in_an_execution(sfn: Any) -> None:
    given = {"name": "Ada", "list": [1, 2, 2, 3], "json": "{\"a\":1}", "obj": {"a": 1}, "other": {"b": 2}, "text": "a,b,,c"}
    out = evaluate(sfn, {
        "format.$": "States.Format('Hello {}, you have {} items', $.name, States.ArrayLength($.list))",
        "toJson.$": "States.StringToJson($.json)",
        "toString.$": "States.JsonToString($.obj)",
        "array.$": "States.Array(1, 'two', $.name)",
        "partition.$": "States.ArrayPartition($.list, 3)",
        "contains.$": "States.ArrayContains($.list, 3)",
        "range.$": "States.ArrayRange(1, 9, 2)",
        "item.$": "States.ArrayGetItem($.list, 1)",
        "length.$": "States.ArrayLength($.list)",
        "unique.$": "States.ArrayUnique($.list)",
        "encoded.$": "States.Base64Encode($.name)",
        "decoded.$": "States.Base64Decode('QWRh')",
        "md5.$": "States.Hash($.name, 'MD5')",
        "sha256.$": "States.Hash($.name, 'SHA-256')",
        "merged.$": "States.JsonMerge($.obj, $.other, false)",
        "random.$": "States.MathRandom(1, 10)",
        "sum.$": "States.MathAdd(40, 2)",
        "split.$": "States.StringSplit($.text, ',')",
        "uuid.$": "States.UUID()",
    }, given)
    assert out["format"] == "Hello Ada, you have 4 items"
    assert out["toJson"] == {"a": 1} and json.loads(out["toString"]) == {"a": 1}
    assert out["array"] == [1, "two", "Ada"]
    assert out["partition"] == [[1, 2, 2], [3]]
    assert out["contains"] is True
    assert out["range"] == [1, 3, 5, 7, 9]
    assert out["item"] == 2 and out["length"] == 4 and out["unique"] == [1, 2, 3]
    assert out["encoded"] == base64.b64encode(b"Ada").decode() and out["decoded"] == "Ada"
    assert out["md5"] == hashlib.md5(b"Ada").hexdigest() and out["sha256"] == hashlib.sha256(b"Ada").hexdigest()
    assert out["merged"] == {"a": 1, "b": 2}
    assert 1 <= out["random"] < 10 and out["sum"] == 42
    assert out["split"] == ["a", "b", "c"]
    assert len(out["uuid"]) == 36 and out["uuid"].count("-") == 4


def test_intrinsic_failure_ends_the_execution_with_states_intrinsic_failure(sfn: Any) -> None:
    definition = {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"x.$": "States.ArrayGetItem($.list, 'one')"}, "End": True}}}
    _, described = run(sfn, definition, {"list": [1]})
    assert described["status"] == "FAILED" and described["error"] == "States.IntrinsicFailure"


def machine(states: dict[str, Any], start: str = "A", **top: Any) -> dict[str, Any]:
    return {"StartAt": start, "States": states, **top}


PASS_END = {"Type": "Pass", "End": True}

INVALID = [
    ("missing StartAt", {"States": {"A": PASS_END}}, "SCHEMA_VALIDATION_FAILED"),
    ("StartAt names no state", machine({"A": PASS_END}, start="B"), "MISSING_TRANSITION_TARGET"),
    ("Next names no state", machine({"A": {"Type": "Pass", "Next": "Nope"}}), "MISSING_TRANSITION_TARGET"),
    ("unknown state type", machine({"A": {"Type": "Magic", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("missing Type", machine({"A": {"End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("unknown field", machine({"A": {"Type": "Pass", "End": True, "Colour": "red"}}), "SCHEMA_VALIDATION_FAILED"),
    ("neither Next nor End", machine({"A": {"Type": "Pass"}}), "SCHEMA_VALIDATION_FAILED"),
    ("unreachable state", machine({"A": PASS_END, "B": PASS_END}), "MISSING_TRANSITION_TARGET"),
    ("no terminal state", machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}), "MISSING_END_STATE"),
    ("Task without Resource", machine({"A": {"Type": "Task", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("Resource not an ARN", machine({"A": {"Type": "Task", "Resource": "lambda", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("Choice without Choices", machine({"A": {"Type": "Choice"}}), "SCHEMA_VALIDATION_FAILED"),
    ("Choice rule without Next", machine({"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1}], "Default": "B"}, "B": PASS_END}), "SCHEMA_VALIDATION_FAILED"),
    ("Choice value of the wrong type", machine({"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "one", "Next": "B"}]}, "B": PASS_END}), "SCHEMA_VALIDATION_FAILED"),
    ("Wait without a duration", machine({"A": {"Type": "Wait", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("Wait with two durations", machine({"A": {"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("Fail with Next", machine({"A": {"Type": "Fail", "Next": "B"}, "B": PASS_END}), "SCHEMA_VALIDATION_FAILED"),
    ("Retry on a Pass state", machine({"A": {"Type": "Pass", "End": True, "Retry": [{"ErrorEquals": ["States.ALL"]}]}}), "SCHEMA_VALIDATION_FAILED"),
    ("States.ALL not last", machine({"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:a", "End": True, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}}), "SCHEMA_VALIDATION_FAILED"),
    ("BackoffRate below 1", machine({"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:a", "End": True, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}}), "SCHEMA_VALIDATION_FAILED"),
    ("Catch to a missing state", machine({"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:a", "End": True, "Catch": [{"ErrorEquals": ["X"], "Next": "Nope"}]}}), "MISSING_TRANSITION_TARGET"),
    ("ResultPath not a reference path", machine({"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("InputPath not a path", machine({"A": {"Type": "Pass", "InputPath": "a.b", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("bad .$ template value", machine({"A": {"Type": "Pass", "Parameters": {"x.$": "not a path"}, "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("Parallel without Branches", machine({"A": {"Type": "Parallel", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("branch jumps out of its scope", machine({"A": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "B"}}}]}, "B": PASS_END}), "MISSING_TRANSITION_TARGET"),
    ("Map without a processor", machine({"A": {"Type": "Map", "End": True}}), "SCHEMA_VALIDATION_FAILED"),
    ("TimeoutSeconds not positive", machine({"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:a", "TimeoutSeconds": 0, "End": True}}), "SCHEMA_VALIDATION_FAILED"),
]


@pytest.mark.parametrize("definition, code", [pytest.param(d, c, id=i) for i, d, c in INVALID])
def test_create_state_machine_refuses_invalid_definitions(sfn: Any, definition: dict[str, Any], code: str) -> None:
    error = error_of(sfn.create_state_machine, name=unique("bad"), definition=json.dumps(definition), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition", error
    message = error["Message"]
    assert message.startswith("Invalid State Machine Definition: '") and f"{code}:" in message, message


def test_all_problems_of_a_definition_are_listed_together(sfn: Any) -> None:
    definition = machine({"A": {"Type": "Pass", "Next": "Nope"}, "B": {"Type": "Magic", "End": True}})
    message = error_of(sfn.create_state_machine, name=unique("bad"), definition=json.dumps(definition), roleArn=ROLE)["Message"]
    assert "MISSING_TRANSITION_TARGET" in message and "SCHEMA_VALIDATION_FAILED" in message
