"""What Lambda's operations share: times as AWS writes them, zips and their digests, the
runtimes, environment variables, tags and Marker/MaxItems pagination."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from services.lambda_.errors import InvalidParameterValueException, LambdaError

T = TypeVar("T")

MAX_ZIPPED = 50 * 1024 * 1024  # a direct upload (ZipFile), as the quotas page lists it
MAX_UNZIPPED = 262_144_000  # 250 MB, function code and layers together
MAX_ENVIRONMENT = 4096
MAX_LAYERS = 5
MAX_TAGS = 50

# Runtimes Lambda accepts for new functions (AWS's list), and those it no longer does.
SUPPORTED_RUNTIMES = (
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x", "nodejs22.x", "java25",
    "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2", "python3.8", "python3.9", "java17",
    "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x", "provided.al2", "java8.al2",
)
DEPRECATED_RUNTIMES = frozenset({
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "java8", "python2.7",
    "python3.6", "python3.7", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "nodejs4.3-edge",
    "go1.x", "ruby2.5", "ruby2.7", "provided",
})
# What stepstack's execution environments can run (runtime/ refuses the others at invoke).
RUNNABLE_PREFIXES = ("python3.", "nodejs", "provided.")

RESERVED_ENVIRONMENT = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
_ENV_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")
ROLE_ARN = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
HANDLER = re.compile(r"[^\s]+")


class RequestEntityTooLargeException(LambdaError):
    code, status = "RequestEntityTooLargeException", 413


def runnable(runtime: str | None) -> bool:
    """Whether stepstack can run functions of this runtime (python, node.js, custom runtimes)."""
    return bool(runtime) and runtime.startswith(RUNNABLE_PREFIXES)  # type: ignore[union-attr]


def check_runtime(runtime: str) -> str:
    if runtime in DEPRECATED_RUNTIMES:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
            "We recommend you use a supported runtime while creating or updating functions."
        )
    if runtime not in SUPPORTED_RUNTIMES:
        raise InvalidParameterValueException(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(SUPPORTED_RUNTIMES)}] or be a valid ARN"
        )
    return runtime


def check_role(role: str) -> str:
    if not ROLE_ARN.fullmatch(role or ""):
        raise ValidationError(
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member must satisfy "
            r"regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
        )
    return role


def check_handler(handler: str) -> str:
    if not HANDLER.fullmatch(handler or "") or len(handler) > 128:
        raise ValidationError(
            f"1 validation error detected: Value '{handler}' at 'handler' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: [^\s]+"
        )
    return handler


class ValidationError(LambdaError):
    code = "ValidationException"


def check_range(value: int | None, low: int, high: int, member: str) -> None:
    if value is not None and not low <= value <= high:
        bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value {bound}"
        )


def check_environment(environment: dict[str, Any] | None) -> dict[str, Any]:
    """Environment.Variables: keys as AWS allows them, none reserved, 4 KB of JSON at most."""
    variables = dict((environment or {}).get("Variables") or {})
    for key in variables:
        if not _ENV_KEY.fullmatch(key):
            raise ValidationError(
                "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
                "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
            )
    reserved = [key for key in variables if key in RESERVED_ENVIRONMENT]
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            f"in this request: {', '.join(reserved)}"
        )
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_ENVIRONMENT:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            f"provided exceeded the 4KB limit. String measured: {measured}"
        )
    return {"Variables": variables}


def timestamp(seconds: float) -> str:
    """LastModified as Lambda writes it: 2024-01-01T00:00:00.000+0000."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def zip_digest(data: bytes, operation: str = "CreateFunction") -> tuple[str, str, int]:
    """(SHA-256 hex, AWS's base64 CodeSha256, size) of an uploaded zip after AWS's checks: at
    most 50 MB zipped, a readable zip, at most 250 MB unzipped."""
    if len(data) > MAX_ZIPPED:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_ZIPPED * 4 // 3 + 3} bytes for the {operation} operation"
        )
    unreadable = InvalidParameterValueException("Could not unzip uploaded file. Please check your file, then try to upload again.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            if unzipped >= MAX_UNZIPPED:
                raise InvalidParameterValueException(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
            # every member read through (at most its declared size) and its CRC checked, as an
            # environment will unzip it: encrypted members, unknown compression, bad CRCs fail here
            if archive.testzip() is not None:
                raise unreadable
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError):
        raise unreadable from None
    digest = hashlib.sha256(data)
    return digest.hexdigest(), base64.b64encode(digest.digest()).decode(), len(data)


def unzipped_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def check_tags(tags: dict[str, str] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
    tags = dict(tags or {})
    for key in tags:
        if key.lower().startswith("aws:"):
            raise InvalidParameterValueException("aws: prefixed tag key names are not allowed for external use.")
    if len({**(existing or {}), **tags}) > MAX_TAGS:
        raise InvalidParameterValueException("Number of tags exceeds resource tag limit.")
    return tags


def page(items: Sequence[T], req: dict[str, Any], render: Callable[[T], Any], key: str, default: int = 50) -> dict[str, Any]:
    """One page of `items` (MaxItems 1-10000, default 50) with an opaque NextMarker."""
    limit = req.get("MaxItems") or default
    start = _decode_marker(req.get("Marker"))
    chunk = items[start : start + limit]
    result: dict[str, Any] = {key: [render(item) for item in chunk]}
    if start + limit < len(items):
        result["NextMarker"] = base64.urlsafe_b64encode(json.dumps({"offset": start + limit}).encode()).decode()
    return result


def _decode_marker(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(marker.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidParameterValueException("Invalid marker.") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidParameterValueException("Invalid marker.")
    return offset


def statement_policy(statements: list[dict[str, Any]], resource_id: str = "default") -> str:
    """A resource policy as AWS renders it: compact JSON, Version 2012-10-17, Id default."""
    return json.dumps({"Version": "2012-10-17", "Id": resource_id, "Statement": statements}, separators=(",", ":"))

