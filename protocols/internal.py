"""Validators the server injects into the dispatcher (services never import protocols/).

Input: a call from one service to another is read by the same compiled readers
as a JSON wire call, with the callee's own input rules, so bad internal params
answer the callee's AWS error; a member the shape does not have is a problem
too (a typo must not be dropped). Output: with STEPSTACK_VALIDATE_OUTPUT=1 each
result is checked against the operation's output shape by botocore's
ParamValidator, so a misspelled key never reaches a client unnoticed; botocore
is imported only then (it costs the server's start-up otherwise), and the check
runs on botocore's own model, built from the same service description.
"""

from __future__ import annotations

from typing import Any

from protocols.model import Shape
from protocols.quirks import service_quirks
from protocols.readers import INVALID, json_reader
from protocols.specs import ServiceSpec
from protocols.validation import INPUT_RULES, Problem
from services.core.deferred import DeferredText


def _unknown_members(shape: Shape, value: Any, path: str, problems: list[Problem]) -> None:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, item in value.items():
            member = shape.members.get(name)
            where = f"{path}.{name}" if path else name
            if member is None:
                problems.append(Problem("constraint", where, "Member is not part of the input shape", item))
            elif item is not None:
                _unknown_members(member, item, where, problems)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value, 1):
            _unknown_members(shape.member, item, f"{path}.{index}.member", problems)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _unknown_members(shape.value, item, f"{path}.{key}", problems)


class InternalInput:
    """(service, operation, params) -> typed params, or the callee's input error."""

    def __init__(self, specs: dict[str, ServiceSpec]) -> None:
        self.specs = specs
        self._compiled: dict[tuple[str, str], tuple[Shape, Any, Any] | None] = {}  # (service, operation) -> (shape, rules, reader)

    def _compile(self, service: str, operation: str) -> tuple[Shape, Any, Any] | None:
        shape = self.specs[service].model.operation_model(operation).input_shape
        if shape is None:
            return None
        rules = INPUT_RULES[service]
        return shape, rules, json_reader(shape, rules.check_constraints)

    def __call__(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        key = (service, operation)
        compiled = self._compiled.get(key) if key in self._compiled else self._compiled.setdefault(key, self._compile(service, operation))
        if compiled is None:
            return {}
        shape, rules, reader = compiled
        problems: list[Problem] = []
        deferred = {k: v for k, v in params.items() if type(v) is DeferredText} if isinstance(params, dict) else None
        if deferred:  # checked as their placeholder (same length and characters), passed on unmade
            params = {**params, **{k: v.placeholder() for k, v in deferred.items()}}
        if not isinstance(params, dict):
            problems.append(Problem("type", "", "Expected a structure", params))
            raise rules.error(problems)
        _unknown_members(shape, params, "", problems)
        typed = reader(params, "", problems)
        if problems:
            raise rules.error(problems)
        if deferred and typed is not INVALID:
            typed.update(deferred)
        return typed if typed is not INVALID else {}


class OutputCheck:
    """(service, operation, result) -> the problems of a result with its output shape."""

    def __init__(self, specs: dict[str, ServiceSpec]) -> None:
        from botocore.validate import ParamValidator

        self.specs = specs
        self.validator = ParamValidator()
        self._models: dict[str, Any] = {}  # service -> botocore.model.ServiceModel

    def botocore_model(self, service: str) -> Any:
        """botocore's own model of the service, from the description our model reads."""
        model = self._models.get(service)
        if model is None:
            from botocore.model import ServiceModel

            model = self._models[service] = ServiceModel(self.specs[service].raw, service_name=service)
        return model

    def __call__(self, service: str, operation: str, result: Any) -> list[str]:
        if not isinstance(result, dict):
            return [f"the result is a {type(result).__name__}, not a dict"]
        shape = self.botocore_model(service).operation_model(operation).output_shape
        if shape is None:
            return [f"unexpected members {sorted(result)}"] if result else []
        report = self.validator.validate(result, shape)
        if not report.has_errors():
            return []
        omitted = service_quirks(service).omitted_required.get(operation)
        if omitted:
            lines = [line for line in report.generate_report().splitlines()
                     if not (line.startswith("Missing required parameter") and line.rsplit(": ", 1)[-1].strip('"') in omitted)]
            return [report.generate_report()] if lines else []
        return [report.generate_report()]
