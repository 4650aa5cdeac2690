"""Problems found while reading input, and the error each service answers for them.

Each service words input errors its own way: SQS in the Query style
(`MissingParameter`), Step Functions and Batch in the coral style
(`1 validation error detected: Value null at 'name' failed to satisfy constraint:
Member must not be null`), and JSON services answer `SerializationException` for
a value of the wrong type. A Query key that names no member is
`InvalidQueryParameter` (400), the error the SQS and SNS API references list
among their common errors for a query string that does not adhere to AWS
standards; it is reported before any other problem, as the key is rejected
before the values are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from services.core.errors import AwsError, declare_error

ProblemKind = Literal["missing", "type", "constraint", "unknown"]


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    path: str  # wire names joined by '.', e.g. "Entries.1.Id"; for "unknown", the form key
    detail: str  # "must be an integer", "Member must have length less than or equal to 80"
    value: Any = None


@dataclass(frozen=True)
class InputRules:
    """How one service reports input problems."""

    missing: type[AwsError]
    invalid: type[AwsError]
    serialization: type[AwsError]
    style: Literal["query", "coral"]
    check_constraints: int  # CHECK_NONE, CHECK_LIMITS (min, max, enum) or CHECK_PATTERNS (also patterns)
    lower_first: bool = False  # coral paths start lower-case for Query services (SNS)
    unknown: type[AwsError] | None = None  # a Query key that is no member; None: `invalid`
    lower_segments: bool = False  # every segment of a path decapitalized (Lambda: 'code.zipFile')
    # A JSON body that does not parse, or is no object: the service's `serialization` error,
    # its message this prefix before the detail
    malformed_prefix: str = ""

    def malformed(self, detail: str) -> AwsError:
        return self.serialization(self.malformed_prefix + detail)

    def error(self, problems: list[Problem]) -> AwsError:
        stray = next((p for p in problems if p.kind == "unknown"), None)
        if stray is not None:
            return (self.unknown or self.invalid)(f"The query parameter {stray.path} is invalid.")
        first = problems[0]
        if self.style == "query":
            if first.kind == "missing":
                return self.missing(f"The request must contain the parameter {first.path}.")
            return self.invalid(f"Value {_show(first.value)} for parameter {first.path} is invalid. Reason: {first.detail}.")
        if first.kind == "type" and self.serialization is not self.invalid:
            return self.serialization(f"{first.detail} at '{self._path(first.path)}'")
        parts = [self._coral(p) for p in problems]
        count = len(parts)
        noun = "validation error" if count == 1 else "validation errors"
        return self.invalid(f"{count} {noun} detected: " + "; ".join(parts))

    def _path(self, path: str) -> str:
        if self.lower_segments:
            return ".".join(map(_decapitalize, path.split(".")))
        if self.lower_first and path:
            return path[0].lower() + path[1:]
        return path

    def _coral(self, problem: Problem) -> str:
        value = "null" if problem.kind == "missing" else _show(problem.value)
        detail = "Member must not be null" if problem.kind == "missing" else problem.detail
        return f"Value {value} at '{self._path(problem.path)}' failed to satisfy constraint: {detail}"


def _decapitalize(name: str) -> str:
    """Java's bean rule, as coral services name members: `FunctionName` -> `functionName`, `UUID` stays."""
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 100 else f"'{value[:100]}...'"
    if isinstance(value, (list, dict)):
        return "[...]" if isinstance(value, list) else "{...}"
    return str(value)


SqsMissingParameter = declare_error("MissingParameter", 400, True, "MissingParameter")
SqsInvalidParameterValue = declare_error("InvalidParameterValue", 400, True, "InvalidParameterValue")
SnsValidationError = declare_error("ValidationError", 400, True)
ValidationException = declare_error("ValidationException", 400, True)
SerializationException = declare_error("SerializationException", 400, True)
InvalidQueryParameter = declare_error("InvalidQueryParameter", 400, True)
BatchClientException = declare_error("ClientException", 400, True)
LogsInvalidParameter = declare_error("InvalidParameterException", 400, True)
LambdaInvalidRequestContent = declare_error("InvalidRequestContentException", 400, True)

CHECK_NONE, CHECK_LIMITS, CHECK_PATTERNS = 0, 1, 2  # False and True stand for the first two

INPUT_RULES: Mapping[str, InputRules] = MappingProxyType({
    "sqs": InputRules(
        SqsMissingParameter, SqsInvalidParameterValue, SqsInvalidParameterValue, "query", False,
        unknown=InvalidQueryParameter,
    ),
    "sns": InputRules(
        SnsValidationError, SnsValidationError, SnsValidationError, "coral", False, lower_first=True,
        unknown=InvalidQueryParameter,
    ),
    "stepfunctions": InputRules(ValidationException, ValidationException, SerializationException, "coral", True),
    "batch": InputRules(BatchClientException, BatchClientException, SerializationException, "coral", True),
    "logs": InputRules(LogsInvalidParameter, LogsInvalidParameter, SerializationException, "coral", True),
    # Lambda checks its members' regular-expression patterns too (its answers quote them)
    "lambda": InputRules(
        ValidationException, ValidationException, LambdaInvalidRequestContent, "coral", CHECK_PATTERNS,
        lower_segments=True, malformed_prefix="Could not parse request body into json: ",
    ),
})
