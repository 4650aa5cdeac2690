"""The rest-json protocol: operation from method + URI, members in labels,
query string, headers and a JSON body (or, where the shape names a `payload` member, the
body is that member: raw bytes for a blob, text for a string, JSON for a structure);
errors carry their HTTP status."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from protocols.base import Protocol
from protocols.http import HttpRequest, HttpResponse
from protocols.json_rpc import decode_json_object
from protocols.model import OperationModel, Shape
from protocols.readers import INVALID, Reader, json_reader, text_reader
from protocols.specs import RestRoute
from protocols.validation import Problem
from protocols.writers import json_dumps
from services.core.errors import AwsError


class _Binding:
    """Where each input member of one operation travels, with its reader."""

    def __init__(self, operation: OperationModel, check: bool) -> None:
        shape = operation.input_shape
        self.labels: list[tuple[str, str, Reader]] = []
        self.query: list[tuple[str, str, Reader, bool]] = []
        self.headers: list[tuple[str, str, Reader]] = []
        self.required: list[str] = list(shape.required_members) if shape is not None else []
        self.body: Reader | None = None
        self.bound: frozenset[str] = frozenset()  # members that travel outside the body
        self.payload: tuple[str, str, Reader | None] | None = None  # (member, its type, reader of a structure)
        if shape is None:
            return
        payload = shape.serialization.get("payload")
        body_members = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                self.labels.append((name, wire, text_reader(member, check)))
            elif location == "querystring":
                is_list = member.type_name == "list"
                reader = text_reader(member.member if is_list else member, check)
                self.query.append((name, wire, reader, is_list))
            elif location == "header":
                self.headers.append((name, wire.lower(), text_reader(member, check)))
            elif name == payload:
                kind = member.type_name
                self.payload = (name, kind, json_reader(member, check) if kind == "structure" else None)
            else:
                body_members[name] = member
        self.bound = frozenset(n for n, *_ in (*self.labels, *self.query, *self.headers))
        if body_members and self.payload is None:
            self.body = json_reader(shape, check)


class RestJsonProtocol(Protocol):
    name = "rest-json"
    content_type = "application/json"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self._bindings: dict[str, _Binding] = {}
        self._routes_by_method: dict[str, list[RestRoute]] = {}
        for route in spec.routes:
            self._routes_by_method.setdefault(route.method, []).append(route)
        # the first path segment of every route ("/v1/"): other paths are not ours, at no cost
        self._prefixes = tuple({route.first_segment for route in spec.routes})

    def compile_reader(self, shape: Shape) -> Reader:
        return json_reader(shape, self.rules.check_constraints)

    def binding(self, operation: OperationModel) -> _Binding:
        binding = self._bindings.get(operation.name)
        if binding is None:
            binding = self._bindings[operation.name] = _Binding(operation, self.rules.check_constraints)
        return binding

    def claims(self, request: HttpRequest) -> bool:
        """Whether the path starts as one of this service's routes does."""
        return request.raw_path.split("?", 1)[0].startswith(self._prefixes)

    def match(self, request: HttpRequest) -> tuple[RestRoute, dict[str, str]] | None:
        """The route for this method and path, with its URI labels."""
        path = request.raw_path.split("?", 1)[0]
        if not path.startswith(self._prefixes):
            return None
        for route in self._routes_by_method.get(request.method, ()):
            if route.query and not all(pair in request.query for pair in route.query):
                continue
            found = route.pattern.match(path)
            if found:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def parse(self, request: HttpRequest, operation: OperationModel, **route: Any) -> dict[str, Any]:
        binding = self.binding(operation)
        problems: list[Problem] = []
        params: dict[str, Any] = {}
        if binding.body is not None:
            body = decode_json_object(request.body, self.rules)
            # Members bound elsewhere must come from their own location, not the body.
            bound = binding.bound
            body = {k: v for k, v in body.items() if k not in bound}
            body_problems: list[Problem] = []
            value = binding.body(body, "", body_problems)
            problems.extend(p for p in body_problems if p.kind != "missing" or p.path not in bound)
            if value is not INVALID:
                params.update(value)
        if binding.payload is not None and (request.body or binding.payload[1] == "blob"):
            name, kind, reader = binding.payload  # an empty blob payload is an empty blob (InvokeAsync's InvokeArgs)
            if reader is not None:
                value = reader(decode_json_object(request.body, self.rules), name, problems)
                if value is not INVALID:
                    params[name] = value
            else:
                params[name] = request.body.decode("utf-8", "replace") if kind == "string" else request.body
        labels: dict[str, str] = route.get("labels", {})
        for name, wire, reader in binding.labels:
            if labels.get(wire):
                params[name] = reader(labels[wire], name, problems)
        if binding.query:
            values: dict[str, list[str]] = {}
            for key, value in request.query:
                values.setdefault(key, []).append(value)
            for name, wire, reader, is_list in binding.query:
                if wire in values:
                    items = [reader(v, name, problems) for v in values[wire]]
                    params[name] = items if is_list else items[-1]
        for name, wire, reader in binding.headers:
            if wire in request.headers:
                params[name] = reader(request.headers[wire], name, problems)
        for name in binding.required:
            if name not in params and not any(p.path == name for p in problems):
                problems.append(Problem("missing", name, "Member must not be null"))
        if problems:
            raise self.fail(problems)
        return params

    def serialize(self, operation: OperationModel, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
        result = result or {}
        status = int(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        headers: list[tuple[str, str]] = []
        body = result
        payload = shape.serialization.get("payload") if shape is not None else None
        if shape is not None and (payload or any(m.serialization.get("location") for m in shape.members.values())):
            body = {}
            for name, value in result.items():
                member = shape.members.get(name)
                location = member.serialization.get("location") if member is not None else None
                if location == "header":
                    headers.append((member.serialization.get("name", name), str(value)))
                elif location == "statusCode":
                    status = int(value)
                else:
                    body[name] = value
        if payload:
            value = body.get(payload)
            kind = shape.members[payload].type_name
            if kind in ("blob", "string"):
                data = value if isinstance(value, bytes) else (value or "").encode("utf-8")
                return HttpResponse(status, data, headers, content_type=self.content_type)
            return HttpResponse(status, json_dumps(value if value is not None else {}), headers, content_type=self.content_type)
        return HttpResponse(status, json_dumps(body), headers, content_type=self.content_type)

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        body = {"__type": error.code, "message": error.message, **error.fields}
        headers = [("x-amzn-ErrorType", error.code)]
        return HttpResponse(error.status, json_dumps(body), headers, content_type=self.content_type)
