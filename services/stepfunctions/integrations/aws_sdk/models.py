"""The botocore service descriptions behind `arn:aws:states:::aws-sdk:<service>:<action>`, and the
names AWS derives from them.

AWS runs SDK integrations on the AWS SDK for Java 2.x, and its names come from that SDK:
- the service in the resource is the SDK client's name in lower case, i.e. the model's
  `serviceId` without spaces (`SQS` -> `sqs`, `SFN` -> `sfn`, `CloudWatch Logs` ->
  `cloudwatchlogs`, `DynamoDB` -> `dynamodb`);
- error names are `<Client>.<Exception>`: the client name in PascalCase (`Sqs`, `Sfn`,
  `CloudWatchLogs`, `DynamoDb`, `SecretsManager`, as recorded on AWS) and the modeled error
  shape with an `Exception` suffix (`QueueDoesNotExist` -> `QueueDoesNotExistException`); an
  error the model does not declare is the client's base exception (`DynamoDb.DynamoDbException`,
  `SecretsManager.SecretsManagerException`, as recorded);
- the action is the operation in camelCase, members are written in PascalCase.

Models are read from botocore's data files (the ones the protocol layer compiles), once each.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from services.registry import SERVICE_NAMES


@cache
def _data_root() -> Path | None:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _model_path(service: str) -> Path | None:
    root = _data_root()
    folder = root / service if root is not None else None
    versions = sorted(folder.glob("*/service-2.json*")) if folder is not None and folder.is_dir() else []
    return versions[-1] if versions else None


def _read(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


@cache
def model(service: str) -> dict[str, Any] | None:
    """The botocore service description (`operations`, `shapes`, `metadata`) of a botocore name."""
    path = _model_path(service)
    return json.loads(_read(path)) if path is not None else None


_SERVICE_ID = re.compile(rb'"serviceId"\s*:\s*"([^"]+)"')


def _service_id(service: str) -> str | None:
    path = _model_path(service)
    found = _SERVICE_ID.search(_read(path)) if path is not None else None
    return found.group(1).decode() if found is not None else None


def arn_name(service_id: str) -> str:
    """`CloudWatch Logs` -> `cloudwatchlogs`: the service as an aws-sdk resource names it."""
    return re.sub(r"[^A-Za-z0-9]", "", service_id).lower()


def client_name(service_id: str) -> str:
    """`CloudWatch Logs` -> `CloudWatchLogs`, `DynamoDB` -> `DynamoDb`, `SQS` -> `Sqs`: the
    Java SDK's client name, which prefixes the service's errors."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", service_id)
    return "".join(word[:1].upper() + word[1:].lower() for word in words)


@cache
def emulated() -> MappingProxyType[str, str]:
    """aws-sdk service name -> botocore name, for every service stepstack emulates."""
    names = {arn_name(sid): name for name in SERVICE_NAMES if (sid := _service_id(name)) is not None}
    return MappingProxyType(names)


@cache
def _every_service() -> MappingProxyType[str, str]:
    """aws-sdk service name -> botocore name for every model botocore has (read on first need:
    only a definition naming a service stepstack does not emulate needs it)."""
    root = _data_root()
    names: dict[str, str] = {}
    for folder in sorted(root.iterdir()) if root is not None else ():
        if folder.is_dir() and (sid := _service_id(folder.name)) is not None:
            names.setdefault(arn_name(sid), folder.name)
    return MappingProxyType(names)


def botocore_name(sdk_service: str) -> str | None:
    """The botocore name of the service an aws-sdk resource names; None if AWS has none."""
    return emulated().get(sdk_service) or _every_service().get(sdk_service)


def operation_name(action: str) -> str:
    return action[:1].upper() + action[1:]


def operation(service: str, action: str) -> dict[str, Any] | None:
    """The model's operation for a camelCase action (`getQueueAttributes`), None if unknown."""
    found = model(service)
    name = operation_name(action)
    if found is None or not action[:1].islower() or name not in found["operations"]:
        return None
    return found["operations"][name]


def pascal(member: str) -> str:
    return member[:1].upper() + member[1:]


@cache
def members(service: str, shape: str) -> MappingProxyType[str, tuple[str, str]]:
    """A structure's members as written in a state machine: PascalCase -> (member, its shape)."""
    spec = model(service)["shapes"][shape]  # type: ignore[index]
    return MappingProxyType({pascal(name): (name, m["shape"]) for name, m in spec.get("members", {}).items()})


def shape(service: str, name: str) -> dict[str, Any]:
    return model(service)["shapes"][name]  # type: ignore[index]


@cache
def _exceptions(service: str) -> MappingProxyType[str, str]:
    """Error code (shape name or its awsQueryError code) -> the Java SDK's exception name."""
    names: dict[str, str] = {}
    for name, spec in model(service)["shapes"].items():  # type: ignore[index]
        if spec.get("exception"):
            exception = name if name.endswith("Exception") else f"{name}Exception"
            names[name] = exception
            if (code := spec.get("error", {}).get("code")) is not None:
                names.setdefault(code, exception)
    return MappingProxyType(names)


@cache
def client(service: str) -> str:
    sid = model(service)["metadata"]["serviceId"]  # type: ignore[index]
    return client_name(sid)


def error_name(service: str, *codes: str | None) -> str:
    """`Sqs.QueueDoesNotExistException` for a modeled error, `Sqs.SqsException` otherwise."""
    known = _exceptions(service)
    prefix = client(service)
    for code in codes:
        if code and code in known:
            return f"{prefix}.{known[code]}"
    return f"{prefix}.{prefix}Exception"
