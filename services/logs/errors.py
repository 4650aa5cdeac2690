"""CloudWatch Logs errors: the codes of the botocore model (json 1.1: `__type` is the code)."""

from __future__ import annotations

from services.core.errors import AwsError


class LogsError(AwsError):
    status, sender_fault = 400, True


class InvalidParameterException(LogsError):
    code = "InvalidParameterException"


class ResourceNotFoundException(LogsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(LogsError):
    code = "ResourceAlreadyExistsException"


class TooManyTagsException(LogsError):
    code = "TooManyTagsException"


class ValidationException(LogsError):
    code = "ValidationException"


GROUP_NOT_FOUND = "The specified log group does not exist."
STREAM_NOT_FOUND = "The specified log stream does not exist."
GROUP_EXISTS = "The specified log group already exists"
STREAM_EXISTS = "The specified log stream already exists"
BAD_TOKEN = "The specified nextToken is invalid."
