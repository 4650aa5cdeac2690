"""What each service does on the wire that its botocore model does not say, in one table.

The protocol code (specs, detect, query, json_rpc, readers) is generic: it
never names a service, it looks the service's entry up here. A new quirk is a
new field with a neutral default, set only on the services that have it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from protocols.sqs_query_model import sqs_query_model

QueryKeyAliases = Mapping[str, tuple[str, ...]]  # a key's wire name -> other spellings SDKs send

NO_ALIASES: QueryKeyAliases = MappingProxyType({})


@dataclass(frozen=True)
class ServiceQuirks:
    """One service's departures from what its botocore model implies."""

    # SigV4 signing names and Host labels that are not the botocore service name
    labels: frozenset[str] = frozenset()
    # Builds a Query-protocol model from the botocore model, for a JSON service
    # that older SDKs still call over Query
    query_model: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The member a Query request sent to a resource's URL takes from that URL;
    # such a request (a path of two segments, or this member in the form) is
    # this service's when an action name is shared
    url_member: str | None = None
    # Other spellings of Query keys that SDKs send and the service accepts
    query_key_aliases: QueryKeyAliases = field(default_factory=lambda: NO_ALIASES)
    # What AWS writes before the code in a json error's `__type`
    json_type_namespace: str = ""
    # Output members the model marks required that AWS itself leaves out: operation -> names
    omitted_required: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    # The code answered (HTTP 413) for a request body larger than the server reads
    body_too_large: str = "RequestEntityTooLarge"
    # A larger request body than the server's limit, for a REST service whose requests carry
    # uploads (bytes; None: the server's limit)
    max_request_bytes: int | None = None


PLAIN = ServiceQuirks()

QUIRKS: Mapping[str, ServiceQuirks] = MappingProxyType({
    "sqs": ServiceQuirks(
        labels=frozenset({"queue"}),  # queue.amazonaws.com, the legacy us-east-1 endpoint
        query_model=sqs_query_model,
        url_member="QueueUrl",
        # The SQS Query reference spells these in the singular; aws-sdk-java-v2
        # (and other SDKs generated from the JSON model) send the plural.
        query_key_aliases=MappingProxyType({
            "Attribute": ("Attributes",),
            "MessageAttribute": ("MessageAttributes",),
            "MessageSystemAttribute": ("MessageSystemAttributes",),
            "Tag": ("Tags",),
        }),
        json_type_namespace="com.amazonaws.sqs#",
    ),
    "sns": PLAIN,
    "stepfunctions": ServiceQuirks(labels=frozenset({"states"})),
    # JobDetail requires startedAt, yet AWS answers none for a job that never started
    "batch": ServiceQuirks(omitted_required=MappingProxyType({"DescribeJobs": frozenset({"startedAt"})})),
    "logs": PLAIN,
    # AWS's wire code, not the model's RequestTooLargeException
    "lambda": ServiceQuirks(
        body_too_large="RequestEntityTooLargeException",
        max_request_bytes=69_905_067 + 64 * 1024,  # a 50 MB zip, base64 in JSON, with its other members
    ),
})

# A signing name or Host label -> the botocore service name it stands for
LABELS: Mapping[str, str] = MappingProxyType(
    {label: name for name, entry in QUIRKS.items() for label in entry.labels}
)


def service_quirks(name: str) -> ServiceQuirks:
    """The service's entry; a service without one has none."""
    return QUIRKS.get(name, PLAIN)
