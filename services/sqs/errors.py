"""SQS errors: the JSON code (shape name) and the legacy Query code boto3 reports.

SQS is awsQueryCompatible: over JSON the body carries the shape name and the
`x-amzn-query-error` header carries the legacy code, which is what boto3 shows
as `Error.Code` (for example `AWS.SimpleQueueService.NonExistentQueue`).
"""

from __future__ import annotations

from types import MappingProxyType

from services.core.errors import AwsError


class SqsError(AwsError):
    status, sender_fault = 400, True


def _sqs_error(name: str, query_code: str | None = None, status: int = 400, json_code: str | None = None) -> type[SqsError]:
    """`json_code`: the `__type` AWS sends over JSON when it is not the error's name (recorded:
    InvalidParameterValueException, MissingRequiredParameterException)."""
    return type(name, (SqsError,), {"code": json_code or name, "query_code": query_code or name, "status": status})


QueueDoesNotExist = _sqs_error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
QueueNameExists = _sqs_error("QueueNameExists", "QueueAlreadyExists")
QueueDeletedRecently = _sqs_error("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently")
PurgeQueueInProgress = _sqs_error("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403)
MessageNotInflight = _sqs_error("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight")
BatchEntryIdsNotDistinct = _sqs_error("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
BatchRequestTooLong = _sqs_error("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong")
EmptyBatchRequest = _sqs_error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest")
InvalidBatchEntryId = _sqs_error("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId")
TooManyEntriesInBatchRequest = _sqs_error(
    "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
)
UnsupportedOperation = _sqs_error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation")
OverLimit = _sqs_error("OverLimit", "OverLimit", 403)
ResourceNotFoundException = _sqs_error("ResourceNotFoundException", "ResourceNotFoundException", 404)
ReceiptHandleIsInvalid = _sqs_error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid")
InvalidAttributeName = _sqs_error("InvalidAttributeName", "InvalidAttributeName")
InvalidAttributeValue = _sqs_error("InvalidAttributeValue", "InvalidAttributeValue")
InvalidMessageContents = _sqs_error("InvalidMessageContents", "InvalidMessageContents")
InvalidIdFormat = _sqs_error("InvalidIdFormat", "InvalidIdFormat")
InvalidAddress = _sqs_error("InvalidAddress", "InvalidAddress", 404)
InvalidSecurity = _sqs_error("InvalidSecurity", "InvalidSecurity", 403)
RequestThrottled = _sqs_error("RequestThrottled", "RequestThrottled")
KmsAccessDenied = _sqs_error("KmsAccessDenied", "KMS.AccessDeniedException")
KmsDisabled = _sqs_error("KmsDisabled", "KMS.DisabledException")
KmsInvalidKeyUsage = _sqs_error("KmsInvalidKeyUsage", "KMS.InvalidKeyUsageException")
KmsInvalidState = _sqs_error("KmsInvalidState", "KMS.InvalidStateException")
KmsNotFound = _sqs_error("KmsNotFound", "KMS.NotFoundException")
KmsOptInRequired = _sqs_error("KmsOptInRequired", "KMS.OptInRequired", 403)
KmsThrottled = _sqs_error("KmsThrottled", "KMS.ThrottlingException")
InvalidParameterValue = _sqs_error("InvalidParameterValue", json_code="InvalidParameterValueException")
MissingParameter = _sqs_error("MissingParameter", json_code="MissingRequiredParameterException")

MODELED = MappingProxyType({cls.code: cls for cls in SqsError.__subclasses__()})
