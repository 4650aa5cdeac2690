"""SNS message signatures, made the way subscribers check them.

Amazon SNS signs every HTTP/S Notification, SubscriptionConfirmation and
UnsubscribeConfirmation: a PKCS#1 v1.5 RSA signature of a canonical "string to
sign", SHA-1 for SignatureVersion 1 and SHA-256 for 2, Base64-encoded in
`Signature`; the certificate holding the public key is at `SigningCertURL`. The
string to sign is, for each signed field present, its name, a newline, its value
and a newline, in byte order of the names (Developer Guide, "Verifying the
signatures of Amazon SNS messages").

Where we knowingly differ from AWS:
- The certificate is self-signed with a key made per application, not issued by
  a public CA to sns.amazonaws.com: a subscriber that checks the chain of trust
  must trust this certificate itself. Its subject does name sns.amazonaws.com.
- It is served by stepstack, so validators that only fetch certificates from
  https://sns.<region>.amazonaws.com (the AWS SDKs' message validators by default)
  must be given stepstack's host.
- The key lives as long as the Signer (it is runtime, not a record): after a
  restart, messages signed earlier no longer verify against the new certificate.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import threading
from collections.abc import Mapping
from types import MappingProxyType

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_SIGNED_FIELDS = MappingProxyType({
    "Notification": _NOTIFICATION_FIELDS,
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
})
_OPTIONAL_FIELDS = frozenset({"Subject"})  # absent from a notification published without one
_HASHES = MappingProxyType({"1": hashes.SHA1, "2": hashes.SHA256})  # by SignatureVersion

_KEY_BITS = 2048
_SUBJECT_NAME = "sns.amazonaws.com"
_VALID_DAYS = 3650
_BACKDATE_DAYS = 1  # tolerate a subscriber's clock running behind


def string_to_sign(message: Mapping[str, str]) -> str:
    """The canonical text SNS signs for `message` (a decoded JSON body: real newlines, not `\\n`).

    Raises ValueError for a Type SNS does not sign, or when a signed field is missing.
    """
    kind = message.get("Type")
    names = _SIGNED_FIELDS.get(kind) if isinstance(kind, str) else None
    if names is None:
        raise ValueError(f"SNS does not sign messages of Type {kind!r}")
    parts = []
    for name in names:
        value = message.get(name)
        if value is None:
            if name in _OPTIONAL_FIELDS:
                continue
            raise ValueError(f"a {kind} message needs {name} to be signed")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts)


def _hash_for(version: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[version]()
    except KeyError:
        raise ValueError(f"unknown SignatureVersion {version!r}: expected '1' or '2'") from None


class Signer:
    """An RSA key (2048 bits) and a self-signed X.509 certificate for it, made on first use
    (lazily: generating costs tens of ms)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._certificate: x509.Certificate | None = None
        self._pem = b""
        self._name = ""

    def _ensure(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            with self._lock:  # two threads racing must not end up with two keys
                if self._key is None:
                    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
                    certificate = _self_signed(key)
                    self._certificate = certificate
                    self._pem = certificate.public_bytes(serialization.Encoding.PEM)
                    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
                    self._name = f"SimpleNotificationService-{fingerprint[:32]}.pem"
                    self._key = key
        return self._key

    @property
    def certificate_pem(self) -> bytes:
        self._ensure()
        return self._pem

    def certificate_name(self) -> str:
        """The file name to serve the certificate under, as AWS names its own; stable for
        this Signer's life."""
        self._ensure()
        return self._name

    def signature_length(self) -> int:
        """Characters in every `Signature` (Base64 of one RSA block)."""
        return 4 * -(-(_KEY_BITS // 8) // 3)

    def sign(self, message: Mapping[str, str], version: str = "1") -> str:
        """The Base64 `Signature` of `message`: SHA1withRSA for version "1", SHA256withRSA for "2"."""
        algorithm = _hash_for(version)
        data = string_to_sign(message).encode("utf-8")
        signature = self._ensure().sign(data, padding.PKCS1v15(), algorithm)
        return base64.b64encode(signature).decode("ascii")


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, _SUBJECT_NAME),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stepstack"),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=_BACKDATE_DAYS))
        .not_valid_after(now + datetime.timedelta(days=_VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(_SUBJECT_NAME)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def verify(message: Mapping[str, str], certificate_pem: bytes) -> bool:
    """What a subscriber does: check `Signature` against the certificate, with the hash that
    `SignatureVersion` names. False for any message that does not verify, never an exception."""
    try:
        algorithm = _hash_for(message.get("SignatureVersion", ""))
        signature = base64.b64decode(message["Signature"], validate=True)
        data = string_to_sign(message).encode("utf-8")
        public_key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    except (KeyError, TypeError, ValueError, binascii.Error):
        return False
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


__all__ = ["Signer", "string_to_sign", "verify"]
