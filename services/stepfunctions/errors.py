"""Step Functions API errors (answers to API calls, not failures inside executions)."""

from __future__ import annotations

from services.core.errors import AwsError


class SfnError(AwsError):
    status, sender_fault = 400, True


def _error(name: str) -> type[SfnError]:
    return type(name, (SfnError,), {"code": name})


ActivityDoesNotExist = _error("ActivityDoesNotExist")
ExecutionAlreadyExists = _error("ExecutionAlreadyExists")
ExecutionDoesNotExist = _error("ExecutionDoesNotExist")
InvalidArn = _error("InvalidArn")
InvalidDefinition = _error("InvalidDefinition")
InvalidExecutionInput = _error("InvalidExecutionInput")
InvalidLoggingConfiguration = _error("InvalidLoggingConfiguration")
InvalidName = _error("InvalidName")
InvalidOutput = _error("InvalidOutput")
InvalidToken = _error("InvalidToken")
MissingRequiredParameter = _error("MissingRequiredParameter")
ResourceNotFound = _error("ResourceNotFound")
StateMachineAlreadyExists = _error("StateMachineAlreadyExists")
StateMachineDeleting = _error("StateMachineDeleting")
StateMachineDoesNotExist = _error("StateMachineDoesNotExist")
StateMachineTypeNotSupported = _error("StateMachineTypeNotSupported")
TaskDoesNotExist = _error("TaskDoesNotExist")
TaskTimedOut = _error("TaskTimedOut")
TooManyTags = _error("TooManyTags")
ValidationException = _error("ValidationException")


class ConflictException(SfnError):
    code, status = "ConflictException", 409


InvalidEncryptionConfiguration = _error("InvalidEncryptionConfiguration")
ServiceQuotaExceededException = _error("ServiceQuotaExceededException")
ExecutionNotRedrivable = _error("ExecutionNotRedrivable")
ExecutionLimitExceeded = _error("ExecutionLimitExceeded")
