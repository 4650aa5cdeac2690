"""What every wire protocol offers the gateway."""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.model import OperationModel

from protocols.http import HttpRequest, HttpResponse
from protocols.specs import ServiceSpec
from protocols.validation import INPUT_RULES, InputRules, Problem
from services.core.errors import AwsError


class Protocol:
    """Decode a request into params, encode a result or an AwsError.

    One instance per service; per-operation readers and writers are built on
    first use and kept.
    """

    name: ClassVar[str] = ""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self.rules: InputRules = INPUT_RULES[spec.name]
        self._readers: dict[str, Any] = {}

    def parse(self, request: HttpRequest, operation: OperationModel, **route: Any) -> dict[str, Any]:
        raise NotImplementedError

    def serialize(self, operation: OperationModel, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
        raise NotImplementedError

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        raise NotImplementedError

    def fail(self, problems: list[Problem]) -> AwsError:
        """The service's own error for these input problems."""
        return self.rules.error(problems)
