"""Queue attributes: names, defaults, valid values, and which queues may set them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from dataclasses import dataclass

from services.sqs.errors import InvalidAttributeName, InvalidAttributeValue

Validator = Callable[[str], str]


def _integer(low: int, high: int) -> Validator:
    def check(value: str) -> str:
        text = value.strip()
        if not (text.lstrip("-").isdigit() and low <= int(text) <= high):
            raise ValueError
        return str(int(text))

    return check


def _boolean(value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise ValueError
    return value.lower()


def _one_of(*choices: str) -> Validator:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError
        return value

    return check


def _json_object(value: str) -> str:
    if value == "":
        return value
    parsed = json.loads(value)
    if not isinstance(parsed, dict):
        raise ValueError
    return value


def _text(value: str) -> str:
    return value


@dataclass(frozen=True)
class AttributeSpec:
    default: str | None
    check: Validator
    fifo_only: bool = False
    settable: bool = True  # False: only CreateQueue may set it (FifoQueue)


SETTABLE: Mapping[str, AttributeSpec] = MappingProxyType({
    "DelaySeconds": AttributeSpec("0", _integer(0, 900)),
    "MaximumMessageSize": AttributeSpec("1048576", _integer(1024, 1048576)),
    "MessageRetentionPeriod": AttributeSpec("345600", _integer(60, 1209600)),
    "ReceiveMessageWaitTimeSeconds": AttributeSpec("0", _integer(0, 20)),
    "VisibilityTimeout": AttributeSpec("30", _integer(0, 43200)),
    "Policy": AttributeSpec(None, _json_object),
    "RedrivePolicy": AttributeSpec(None, _json_object),
    "RedriveAllowPolicy": AttributeSpec(None, _json_object),
    "KmsMasterKeyId": AttributeSpec(None, _text),
    "KmsDataKeyReusePeriodSeconds": AttributeSpec("300", _integer(60, 86400)),
    "SqsManagedSseEnabled": AttributeSpec("true", _boolean),
    "FifoQueue": AttributeSpec(None, _boolean, settable=False),
    "ContentBasedDeduplication": AttributeSpec("false", _boolean, fifo_only=True),
    "DeduplicationScope": AttributeSpec("queue", _one_of("messageGroup", "queue"), fifo_only=True),
    "FifoThroughputLimit": AttributeSpec("perQueue", _one_of("perQueue", "perMessageGroupId"), fifo_only=True),
})

COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)

ALL_NAMES = frozenset(SETTABLE) | frozenset(COMPUTED)


def defaults(fifo: bool) -> dict[str, str]:
    out = {name: spec.default for name, spec in SETTABLE.items() if spec.default is not None and not spec.fifo_only}
    if fifo:
        out.update({name: spec.default for name, spec in SETTABLE.items() if spec.fifo_only and spec.default})
        out["FifoQueue"] = "true"
    return out


def validate(attributes: Mapping[str, str], *, fifo: bool, creating: bool) -> dict[str, str]:
    """Checked, normalized attributes; raises the error AWS gives for the first bad one."""
    out: dict[str, str] = {}
    for name, value in attributes.items():
        spec = SETTABLE.get(name)
        if spec is None or (spec.fifo_only and not fifo):
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if not spec.settable and not creating:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        try:
            out[name] = spec.check(value)
        except (ValueError, TypeError):
            raise InvalidAttributeValue(f"Invalid value for the parameter {name}.") from None
    return out
