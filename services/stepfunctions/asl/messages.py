"""What the validator checks against, and how AWS words each problem."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
END_STATE = "MISSING_END_STATE"

STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
TOP_FIELDS = ("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage")
NESTED_FIELDS = ("Comment", "StartAt", "States")
PROCESSOR_FIELDS = (*NESTED_FIELDS, "ProcessorConfig")
WAIT_FIELDS = ("SecondsPath", "Seconds", "TimestampPath", "Timestamp")
MAX_STATE_NAME = 80
MAX_INT = 99999999

_COMMON = frozenset({"Type", "Comment", "QueryLanguage", "Assign", "Output", "InputPath", "OutputPath"})
_FLOW = frozenset({"Next", "End"})
_RESULTS = frozenset({"ResultPath", "Parameters", "ResultSelector", "Retry", "Catch"})
ALLOWED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType({
    "Pass": _COMMON | _FLOW | frozenset({"ResultPath", "Parameters", "Result"}),
    "Task": _COMMON | _FLOW | _RESULTS | frozenset({
        "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
        "Credentials", "Arguments",
    }),
    "Choice": _COMMON | frozenset({"Choices", "Default"}),
    "Wait": _COMMON | _FLOW | frozenset(WAIT_FIELDS),
    "Succeed": _COMMON,
    "Fail": frozenset({"Type", "Comment", "QueryLanguage", "Error", "Cause", "ErrorPath", "CausePath"}),
    "Parallel": _COMMON | _FLOW | _RESULTS | frozenset({"Branches", "Arguments"}),
    "Map": _COMMON | _FLOW | _RESULTS | frozenset({
        "ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Items", "MaxConcurrency", "MaxConcurrencyPath",
        "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
        "ToleratedFailureCountPath", "ItemReader", "ResultWriter", "ItemBatcher", "Label",
    }),
})
REQUIRED_FIELDS = MappingProxyType({"Task": ("Resource",), "Choice": ("Choices",), "Parallel": ("Branches",)})
JSONATA_ONLY = ("Output", "Arguments", "Items")
JSONPATH_ONLY = (
    "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath", "Result",
    "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ErrorPath", "CausePath",
    "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath",
)
RETRIER_FIELDS = ("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                  "JitterStrategy", "Comment")
CATCHER_FIELDS = ("ErrorEquals", "Next", "ResultPath", "Comment", "Assign", "Output")
RULE_SELECTORS = ("And", "Or", "Not", "Variable", "Condition")

_ARN = re.compile(r"^arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# ---------------------------------------------------------------- messages


def required(*fields: str) -> str:
    return f"These fields are required: [{', '.join(fields)}]"


def non_null(field: str) -> str:
    return f"The field '{field}' should be non-null"


def not_supported(field: str) -> str:
    return f"Field '{field}' is not supported"


def only_one(*fields: str) -> str:
    return f"There should only be one of the following fields: [{', '.join(fields)}]"


def one_of(*values: str) -> str:
    return f"Value should be one of the following: [{', '.join(values)}]"


def expected_type(kind: str) -> str:
    return f"Expected value of type [{kind}]"


def missing_target(name: str) -> str:
    return f"Missing 'Next' target: {name}"


def unreachable(name: str) -> str:
    return f'State "{name}" is not reachable.'


TYPE_VALUES = f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}]"
NOT_A_JSON_OBJECT = "Definition must be a valid JSON object"
NO_TERMINAL_STATE = "Workflow has no terminal state"
NOT_EMPTY = "Value cannot be empty"
INVALID_PATH = "Value must be a valid JSONPath."
INVALID_REFERENCE_PATH = "Value is not a valid reference path"
INVALID_TIMESTAMP = "String does not match RFC3339 timestamp"
STATES_ALL_LAST = "States.ALL must appear alone and at end of list"
DOWNGRADED_QUERY_LANGUAGE = "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"


def invalid_template_value(key: str) -> str:
    return f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"


def unrecognized_resource(resource: str) -> str:
    return (f"The resource provided {resource} is not recognized. The value is not a valid resource ARN,"
            " or the resource is not available in this region.")


def only_in(language: str, field: str) -> str:
    other = "JSONPath" if language == "JSONata" else "JSONata"
    return f"The QueryLanguage is set to '{language}', but field '{field}' is only supported for the '{other}' QueryLanguage"
