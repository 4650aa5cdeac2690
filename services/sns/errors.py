"""SNS errors: the codes and HTTP statuses of the botocore model (awsQuery: the code is the
error's `Code` in the XML body)."""

from __future__ import annotations

from types import MappingProxyType

from services.core.errors import AwsError


class SnsError(AwsError):
    status, sender_fault = 400, True


def _sns_error(name: str, code: str, status: int = 400) -> type[SnsError]:
    return type(name, (SnsError,), {"code": code, "status": status})


AuthorizationError = _sns_error("AuthorizationError", "AuthorizationError", 403)
BatchEntryIdsNotDistinct = _sns_error("BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct")
BatchRequestTooLong = _sns_error("BatchRequestTooLong", "BatchRequestTooLong")
EmptyBatchRequest = _sns_error("EmptyBatchRequest", "EmptyBatchRequest")
EndpointDisabled = _sns_error("EndpointDisabled", "EndpointDisabled")
InvalidBatchEntryId = _sns_error("InvalidBatchEntryId", "InvalidBatchEntryId")
InvalidParameter = _sns_error("InvalidParameter", "InvalidParameter")
InvalidParameterValue = _sns_error("InvalidParameterValue", "ParameterValueInvalid")
NotFound = _sns_error("NotFound", "NotFound", 404)
OptedOut = _sns_error("OptedOut", "OptedOut")
ResourceNotFound = _sns_error("ResourceNotFound", "ResourceNotFound", 404)
TagLimitExceeded = _sns_error("TagLimitExceeded", "TagLimitExceeded")
TooManyEntriesInBatchRequest = _sns_error("TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest")
UserError = _sns_error("UserError", "UserError")
ValidationException = _sns_error("ValidationException", "ValidationException")
VerificationException = _sns_error("VerificationException", "VerificationException")  # the model gives it no code: its name

MODELED = MappingProxyType({cls.code: cls for cls in SnsError.__subclasses__()})
