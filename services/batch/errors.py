"""Batch errors: the model has two, ClientException (400, the caller's mistake) and
ServerException (500); AWS words each case in the message."""

from __future__ import annotations

from services.core.errors import AwsError


class ClientException(AwsError):
    code, status, sender_fault = "ClientException", 400, True


class ServerException(AwsError):
    code, status, sender_fault = "ServerException", 500, False
