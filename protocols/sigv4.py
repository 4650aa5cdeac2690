"""SigV4 credential scope: who is calling (access key) and where (region, service).

Signatures are not verified: stepstack accepts any credentials, as a local
emulator should. The scope still decides the account and region of a request.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.http import HttpRequest


@dataclass(frozen=True, slots=True)
class CredentialScope:
    access_key: str
    region: str
    service: str


def _parse_credential(text: str) -> CredentialScope | None:
    parts = text.strip().split("/")
    if len(parts) < 5 or parts[-1] != "aws4_request":
        return None
    # access key ids never contain '/', but be lenient with what precedes the date
    return CredentialScope("/".join(parts[:-4]), parts[-3], parts[-2])


def credential_scope(request: HttpRequest) -> CredentialScope | None:
    """The scope of an `Authorization: AWS4-HMAC-SHA256 Credential=...` header or presigned URL."""
    auth = request.headers.get("authorization")
    if auth and auth.startswith("AWS4-"):
        start = auth.find("Credential=")
        if start >= 0:
            end = auth.find(",", start)
            return _parse_credential(auth[start + 11 : end if end >= 0 else None])
        return None
    if "X-Amz-Credential" in request.query_string:
        for key, value in request.query:
            if key == "X-Amz-Credential":
                return _parse_credential(value)
    return None


def host_service_label(host: str) -> str | None:
    """`sqs.us-east-1.amazonaws.com` -> 'sqs'; plain hosts and IPs -> None."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    first, dot, _ = name.partition(".")
    if not dot or first.isdigit():
        return None
    return first.lower()


def host_region(host: str) -> str | None:
    labels = host.split(":", 1)[0].split(".")
    if len(labels) >= 3 and "-" in labels[1] and labels[1][-1].isdigit():
        return labels[1]
    return None
