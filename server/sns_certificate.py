"""`/_aws/sns/SimpleNotificationService-<id>.pem`: the certificate whose key signs SNS
messages, at the SigningCertURL every signed message names (services/sns/signing.py), so a
subscriber that verifies signatures can fetch it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.gateway import Receive, Scope, Send

if TYPE_CHECKING:
    from server.app import StepstackApp

SNS_CERTIFICATES = "/_aws/sns/"


async def sns_certificate(scope: Scope, receive: Receive, send: Send, app: StepstackApp) -> None:
    name = scope["path"][len(SNS_CERTIFICATES):]
    service = app.dispatcher.services.get("sns")
    view = service.inspectors.get("certificate") if service is not None else None
    found = view({"Name": name}) if view is not None else None
    if not found:
        status, body, kind = 404, b"Not Found", b"text/plain"
    else:
        status, body, kind = 200, found["Pem"].encode(), b"application/x-pem-file"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
