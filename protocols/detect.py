"""Which service, protocol and operation a request is for.

Signals, strongest first: `X-Amz-Target` (json), the method and path of a
rest-json route (Batch's `/v1/...`), the `Action` form parameter (query: SNS,
and JSON services that older SDKs call over Query), told apart by the SigV4
scope, the Host's first label, the operation name and, for a service whose
resources are URLs (protocols/quirks.py `url_member`), a resource-URL path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocols.base import Protocol
from protocols.http import HttpRequest
from protocols.json_rpc import JsonProtocol
from protocols.model import OperationModel
from protocols.query import QueryProtocol, form_pairs
from protocols.quirks import LABELS, service_quirks
from protocols.rest_json import RestJsonProtocol
from protocols.sigv4 import CredentialScope, credential_scope, host_service_label
from protocols.specs import ServiceSpec
from services.core.errors import AwsError, declare_error

UnknownOperationException = declare_error("UnknownOperationException", 400, True)
InvalidAction = declare_error("InvalidAction", 400, True)
MissingAction = declare_error("MissingAction", 400, True)
UnrecognizedRequest = declare_error("UnknownOperationException", 404, True)


@dataclass(slots=True)
class Route:
    spec: ServiceSpec
    protocol: Protocol
    operation: OperationModel
    scope: CredentialScope | None
    extra: dict[str, Any] = field(default_factory=dict)


class RoutingError(Exception):
    """No operation for this request; `protocol` (if known) renders `error`."""

    def __init__(self, error: AwsError, protocol: Protocol | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.protocol = protocol


class Router:
    def __init__(self, specs: dict[str, ServiceSpec]) -> None:
        self.specs = specs
        self.protocols: dict[str, Protocol] = {}
        self.query_protocols: dict[str, QueryProtocol] = {}
        self.by_target: dict[str, ServiceSpec] = {}
        self.rest: list[RestJsonProtocol] = []
        self.query_actions: dict[str, list[str]] = {}
        for name, spec in specs.items():
            if spec.protocol == "json":
                self.protocols[name] = JsonProtocol(spec)
                if spec.target_prefix:
                    self.by_target[spec.target_prefix] = spec
            elif spec.protocol == "query":
                self.protocols[name] = self.query_protocols[name] = QueryProtocol(spec)
            elif spec.protocol == "rest-json":
                protocol = RestJsonProtocol(spec)
                self.protocols[name] = protocol
                self.rest.append(protocol)
            if spec.query_model is not None:
                self.query_protocols[name] = QueryProtocol(spec)
        for name in self.query_protocols:
            for operation in specs[name].operation_names:
                self.query_actions.setdefault(operation, []).append(name)

    def service_hint(self, request: HttpRequest, scope: CredentialScope | None) -> str | None:
        """The service named by the SigV4 scope or the Host, if any."""
        for label in (scope.service if scope else None, host_service_label(request.host)):
            if label:
                label = LABELS.get(label, label)
                if label in self.specs:
                    return label
        return None

    def route(self, request: HttpRequest) -> Route:
        scope = credential_scope(request)
        target = request.headers.get("x-amz-target")
        if target:
            return self._route_target(target, scope)
        for protocol in self.rest:
            found = protocol.match(request)
            if found is not None:
                route, labels = found
                operation = protocol.spec.model.operation_model(route.operation)
                return Route(protocol.spec, protocol, operation, scope, {"labels": labels})
        if request.method in ("POST", "GET"):
            pairs = form_pairs(request) if request.content_type != "application/json" else list(request.query)
            action = next((v for k, v in pairs if k == "Action"), None)
            if action is not None:
                return self._route_action(request, action, pairs, scope)
        hint = self.service_hint(request, scope)
        protocol = self.protocols.get(hint) if hint else self._rest_owner(request)
        if isinstance(protocol, QueryProtocol):
            raise RoutingError(MissingAction("MissingAction"), protocol)
        if protocol is not None:
            name = protocol.spec.name
            raise RoutingError(UnrecognizedRequest(f"No {name} operation matches {request.method} {request.path}."), protocol)
        raise RoutingError(
            UnrecognizedRequest(f"stepstack could not tell which AWS service {request.method} {request.path} is for."),
            None,
        )

    def _route_target(self, target: str, scope: CredentialScope | None) -> Route:
        prefix, _, name = target.partition(".")
        spec = self.by_target.get(prefix)
        if spec is None:
            raise RoutingError(UnknownOperationException(f"Unknown target: {target}"), None)
        protocol = self.protocols[spec.name]
        operation = spec.operation(name)
        if operation is None:
            raise RoutingError(UnknownOperationException(f"Unknown operation {name} for {spec.name}."), protocol)
        return Route(spec, protocol, operation, scope)

    def _route_action(
        self, request: HttpRequest, action: str, pairs: list[tuple[str, str]], scope: CredentialScope | None
    ) -> Route:
        owners = self.query_actions.get(action, [])
        hint = self.service_hint(request, scope)
        if hint in self.query_protocols:
            service = hint
        elif len(owners) == 1:
            service = owners[0]
        elif owners:
            service = self._tie_break(request, owners, pairs)
        else:
            service = hint if hint in self.query_protocols else None
        protocol = self.query_protocols.get(service) if service else None
        if protocol is None or service not in owners:
            message = f"The action {action} is not valid for this endpoint."
            raise RoutingError(InvalidAction(message), protocol or self._first_query())
        operation = protocol.operation_model(action)
        return Route(protocol.spec, protocol, operation, scope, {"pairs": pairs})

    @staticmethod
    def _tie_break(request: HttpRequest, owners: list[str], pairs: list[tuple[str, str]]) -> str:
        """Of several services with this action: one whose resource URL the request names, else one without URLs."""
        keys = {k for k, _ in pairs}
        by_url: list[str] = []
        plain: list[str] = []
        for owner in owners:
            member = service_quirks(owner).url_member
            if member is None:
                plain.append(owner)
            elif request.path.count("/") >= 2 or member in keys:
                by_url.append(owner)
        return (by_url or plain or owners)[0]

    def _rest_owner(self, request: HttpRequest) -> Protocol | None:
        """The one REST service whose paths start as this one does (a wrong method or an unknown
        path under its prefix is answered in its protocol), or None."""
        owners = [protocol for protocol in self.rest if protocol.claims(request)]
        return owners[0] if len(owners) == 1 else None

    def body_limit(self, request: HttpRequest) -> int | None:
        """The larger body limit of the REST service the path belongs to, if it has one."""
        owner = self._rest_owner(request)
        return owner.quirks.max_request_bytes if owner is not None else None

    def _first_query(self) -> Protocol | None:
        return next(iter(self.query_protocols.values()), None)

    def guess_protocol(self, request: HttpRequest) -> Protocol | None:
        """The protocol to answer in before the request is understood (e.g. body too large)."""
        target = request.headers.get("x-amz-target", "")
        spec = self.by_target.get(target.partition(".")[0])
        if spec is not None:
            return self.protocols[spec.name]
        for protocol in self.rest:
            if protocol.match(request) is not None:
                return protocol
        hint = self.service_hint(request, credential_scope(request))
        if hint in self.query_protocols and not request.content_type.startswith("application/x-amz-json"):
            return self.query_protocols[hint]
        return self.protocols.get(hint) if hint else None
