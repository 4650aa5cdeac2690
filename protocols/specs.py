"""botocore service models, loaded once, and what the protocol layer derives from them.

The models are botocore's data read by protocols/loader.py into the classes of
protocols/model.py, so that starting the server imports no botocore module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from protocols.loader import load_service_model
from protocols.model import OperationModel, ServiceModel
from protocols.quirks import service_quirks

SERVICE_NAMES: tuple[str, ...] = ("sqs", "sns", "stepfunctions", "batch", "logs", "lambda")


@dataclass(frozen=True)
class RestRoute:
    """A rest-json operation's HTTP method and URI template, as a regex."""

    operation: str
    method: str
    regex: str
    literal_length: int  # longer literal prefixes win when several routes match
    first_segment: str  # "/v1/": a cheap test before any regex
    query: tuple[tuple[str, str], ...] = ()  # literal query pairs of the URI ("?find=LayerVersion"): required, and more specific

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Compiled on first use: compiling every route would cost each start-up a few ms."""
        return re.compile(self.regex)


@dataclass
class ServiceSpec:
    """One service's model(s) and lookup tables."""

    name: str
    model: ServiceModel
    protocol: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the description `model` reads
    query_model: ServiceModel | None = None  # a JSON service's Query wire format (protocols/quirks.py)
    routes: list[RestRoute] = field(default_factory=list)

    @property
    def signing_name(self) -> str:
        return self.model.signing_name

    @property
    def target_prefix(self) -> str | None:
        return self.model.metadata.get("targetPrefix")

    @property
    def query_compatible(self) -> bool:
        return "awsQueryCompatible" in self.model.metadata

    @property
    def operation_names(self) -> list[str]:
        return list(self.model.operation_names)

    def operation(self, name: str) -> OperationModel | None:
        if name not in self._operation_set:
            return None
        return self.model.operation_model(name)

    @property
    def _operation_set(self) -> frozenset[str]:
        cached = self.__dict__.get("_ops")
        if cached is None:
            cached = self.__dict__["_ops"] = frozenset(self.model.operation_names)
        return cached


def _compile_route(operation: OperationModel) -> RestRoute:
    uri, _, literal_query = operation.http["requestUri"].partition("?")
    query = tuple((key, value) for key, _, value in (pair.partition("=") for pair in literal_query.split("&") if pair))
    pattern = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", uri):
        if part.startswith("{"):
            greedy = part.endswith("+}")
            name = part[1:-2] if greedy else part[1:-1]
            pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            literal += len(part)
            pattern += re.escape(part)
    first = "/" + uri.lstrip("/").split("/", 1)[0] + "/"
    return RestRoute(operation.name, operation.http.get("method", "POST"), f"^{pattern}/?$", literal, first, query)


@cache
def service_spec(name: str) -> ServiceSpec:
    raw = load_service_model(name, "service-2")
    model = ServiceModel(raw, service_name=name)
    spec = ServiceSpec(name=name, model=model, protocol=model.metadata["protocol"], raw=raw)
    build_query_model = service_quirks(name).query_model
    if build_query_model is not None:
        spec.query_model = ServiceModel(build_query_model(raw), service_name=name)
    if spec.protocol == "rest-json":
        routes = [_compile_route(model.operation_model(op)) for op in model.operation_names]
        spec.routes = sorted(routes, key=lambda r: (-r.literal_length, -len(r.query)))
    return spec


@cache
def all_specs() -> dict[str, ServiceSpec]:
    return {name: service_spec(name) for name in SERVICE_NAMES}
