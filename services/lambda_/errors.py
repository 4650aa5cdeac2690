"""Lambda's errors, as the botocore model declares them (REST-JSON: the code in `x-amzn-ErrorType`
and the body's `Type`/`Message`)."""

from __future__ import annotations

from services.core.errors import AwsError


class LambdaError(AwsError):
    status, sender_fault = 400, True


def _error(name: str, status: int = 400, sender_fault: bool = True) -> type[LambdaError]:
    return type(name, (LambdaError,), {"code": name, "status": status, "sender_fault": sender_fault})


InvalidParameterValueException = _error("InvalidParameterValueException")
InvalidRequestContentException = _error("InvalidRequestContentException")
InvalidRuntimeException = _error("InvalidRuntimeException", 502, False)
InvalidZipFileException = _error("InvalidZipFileException", 502, False)
PreconditionFailedException = _error("PreconditionFailedException", 412)
RequestTooLargeException = _error("RequestTooLargeException", 413)
ResourceConflictException = _error("ResourceConflictException", 409)
ResourceInUseException = _error("ResourceInUseException")
ResourceNotFoundException = _error("ResourceNotFoundException", 404)
ResourceNotReadyException = _error("ResourceNotReadyException", 502, False)
ServiceException = _error("ServiceException", 500, False)
TooManyRequestsException = _error("TooManyRequestsException", 429)
UnsupportedMediaTypeException = _error("UnsupportedMediaTypeException", 415)
PolicyLengthExceededException = _error("PolicyLengthExceededException")
