"""The wire: botocore-model-driven parsers and serializers for the query, json
and rest-json protocols, AWS errors on the wire, and the SigV4 scope."""

from protocols.detect import Route, Router, RoutingError
from protocols.errors import render_unrouted
from protocols.http import HttpRequest, HttpResponse
from protocols.sigv4 import CredentialScope, credential_scope
from protocols.specs import SERVICE_NAMES, ServiceSpec, all_specs, service_spec

__all__ = [
    "SERVICE_NAMES",
    "CredentialScope",
    "HttpRequest",
    "HttpResponse",
    "Route",
    "Router",
    "RoutingError",
    "ServiceSpec",
    "all_specs",
    "credential_scope",
    "render_unrouted",
    "service_spec",
]
