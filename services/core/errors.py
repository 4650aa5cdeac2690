"""Errors as values with AWS identity.

Handlers raise an `AwsError` subclass; protocols/ renders it as Query XML, JSON
or REST-JSON. `query_code` is the legacy Query code that awsQueryCompatible
services (SQS) also send in the `x-amzn-query-error` header.
"""

from __future__ import annotations

from typing import ClassVar


class AwsError(Exception):
    """An error AWS would answer, with its code, HTTP status and fault."""

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 500
    sender_fault: ClassVar[bool] = False
    query_code: ClassVar[str | None] = None

    def __init__(self, message: str = "", **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields  # extra members of the error shape, if any

    @property
    def wire_code(self) -> str:
        """The code as written in Query XML (the legacy code when there is one)."""
        return self.query_code or self.code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


def declare_error(
    code: str, status: int = 400, sender_fault: bool = True, query_code: str | None = None
) -> type[AwsError]:
    """Build an AwsError subclass for an error known only by its code."""
    attrs = {"code": code, "status": status, "sender_fault": sender_fault, "query_code": query_code}
    return type(code, (AwsError,), attrs)


class InternalFailure(AwsError):
    code, status, sender_fault = "InternalFailure", 500, False


class NotImplementedOperation(AwsError):
    """An operation of the botocore model that stepstack does not emulate (yet)."""

    code, status, sender_fault = "NotImplemented", 501, False

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(f"The operation {operation} of service {service} is not implemented by stepstack yet.")
