"""What every wire protocol offers the gateway."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from protocols.http import HttpRequest, HttpResponse
from protocols.model import OperationModel, Shape
from protocols.quirks import ServiceQuirks, service_quirks
from protocols.readers import INVALID, Reader
from protocols.specs import ServiceSpec
from protocols.validation import INPUT_RULES, InputRules, Problem
from services.core.errors import AwsError, declare_error


class Protocol(ABC):
    """Decode a request into params, encode a result or an AwsError.

    One instance per service; per-operation readers and writers are built on
    first use and kept.
    """

    name: ClassVar[str] = ""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self.rules: InputRules = INPUT_RULES[spec.name]
        self.quirks: ServiceQuirks = service_quirks(spec.name)
        self._readers: dict[str, Any] = {}

    @abstractmethod
    def parse(self, request: HttpRequest, operation: OperationModel, **route: Any) -> dict[str, Any]:
        ...

    @abstractmethod
    def serialize(self, operation: OperationModel, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
        ...

    @abstractmethod
    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        ...

    @abstractmethod
    def compile_reader(self, shape: Shape) -> Reader:
        """The reader of this protocol's wire values for an input shape."""
        ...

    def input_reader(self, operation: OperationModel) -> Reader | None:
        try:
            return self._readers[operation.name]
        except KeyError:
            shape = operation.input_shape
            reader = self.compile_reader(shape) if shape is not None else None
            self._readers[operation.name] = reader
            return reader

    def read_input(self, operation: OperationModel, wire_value: Any) -> dict[str, Any]:
        """Typed params from the decoded wire value, or the service's input error."""
        reader = self.input_reader(operation)
        if reader is None:
            return {}
        problems: list[Problem] = []
        params = reader(wire_value, "", problems)
        if problems:
            raise self.fail(problems)
        return params if params is not INVALID else {}

    def body_too_large(self, limit: int) -> AwsError:
        """The service's error for a body past the server's limit, before it is read."""
        return declare_error(self.quirks.body_too_large, 413, True)(f"Request body larger than {limit} bytes.")

    def fail(self, problems: list[Problem]) -> AwsError:
        """The service's own error for these input problems."""
        return self.rules.error(problems)
