"""SNS message signatures, checked the way the SNS Developer Guide tells subscribers to
check them ("Verifying the signatures of Amazon SNS messages")."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.sns import signing
from services.sns.signing import Signer, string_to_sign, verify

TOKEN = (
    "2336412f37fb687f5d51e6e241d09c8058323f60b964268bfe08ce35640228c208a66d3621bd9f7b012918cf"
    "dcfe65e153df551f76df58ed147f1245e330ce77ceff06dedab9f051f7028657e6c42750bf64bc9ef711d494"
    "e9f7637b86e690779eb5568f72466806b246bd244fa9392b1bc01eeb1c5e420847a745b7aa4b0085"
)
SUBSCRIBE_URL = (
    "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"
    "&TopicArn=arn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=" + TOKEN
)

# The Developer Guide's worked examples (the string-to-sign step), as messages.
DOCS_NOTIFICATION = {
    "Type": "Notification",
    "MessageId": "4d4dc071-ddbf-465d-bba8-08f81c89da64",
    "TopicArn": "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
    "Subject": "My subject",
    "Message": "My Test Message",
    "Timestamp": "2012-06-05T04:37:04.321Z",
}
DOCS_CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "3d891288-136d-417f-bc05-901c108273ee",
    "Token": TOKEN,
    "TopicArn": "arn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
    "Message": "My Test Message",
    "SubscribeURL": SUBSCRIBE_URL,
    "Timestamp": "2012-06-03T19:25:13.719Z",
}
UNSIGNED = {  # on the wire beside the signed fields, never part of the string to sign
    "SignatureVersion": "1",
    "SigningCertURL": "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-0123.pem",
    "UnsubscribeURL": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
}


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()  # the one key of this module (each costs tens of ms)


def signed(signer: Signer, message: dict[str, str], version: str = "1") -> dict[str, str]:
    envelope = {**message, **UNSIGNED, "SignatureVersion": version}
    envelope["Signature"] = signer.sign(message, version)
    return envelope


def without_subject(message: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in message.items() if k != "Subject"}


# --- the string to sign ---------------------------------------------------------------


def test_string_to_sign_of_the_documented_notification() -> None:
    assert string_to_sign({**DOCS_NOTIFICATION, **UNSIGNED}) == (
        "Message\n"
        "My Test Message\n"
        "MessageId\n"
        "4d4dc071-ddbf-465d-bba8-08f81c89da64\n"
        "Subject\n"
        "My subject\n"
        "Timestamp\n"
        "2012-06-05T04:37:04.321Z\n"
        "TopicArn\n"
        "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        "Type\n"
        "Notification\n"
    )


def test_string_to_sign_of_a_notification_without_subject_leaves_subject_out() -> None:
    assert string_to_sign(without_subject(DOCS_NOTIFICATION)) == (
        "Message\n"
        "My Test Message\n"
        "MessageId\n"
        "4d4dc071-ddbf-465d-bba8-08f81c89da64\n"
        "Timestamp\n"
        "2012-06-05T04:37:04.321Z\n"
        "TopicArn\n"
        "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        "Type\n"
        "Notification\n"
    )


def test_string_to_sign_of_the_documented_subscription_confirmation() -> None:
    assert string_to_sign({**DOCS_CONFIRMATION, **UNSIGNED}) == (
        "Message\n"
        "My Test Message\n"
        "MessageId\n"
        "3d891288-136d-417f-bc05-901c108273ee\n"
        "SubscribeURL\n"
        "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:"
        "123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=2336412f37fb687f5d51e6e241d09c8058323f60b96426"
        "8bfe08ce35640228c208a66d3621bd9f7b012918cfdcfe65e153df551f76df58ed147f1245e330ce77ceff06deda"
        "b9f051f7028657e6c42750bf64bc9ef711d494e9f7637b86e690779eb5568f72466806b246bd244fa9392b1bc01e"
        "eb1c5e420847a745b7aa4b0085\n"
        "Timestamp\n"
        "2012-06-03T19:25:13.719Z\n"
        "Token\n"
        "2336412f37fb687f5d51e6e241d09c8058323f60b964268bfe08ce35640228c208a66d3621bd9f7b012918cfdcfe65"
        "e153df551f76df58ed147f1245e330ce77ceff06dedab9f051f7028657e6c42750bf64bc9ef711d494e9f7637b86e6"
        "90779eb5568f72466806b246bd244fa9392b1bc01eeb1c5e420847a745b7aa4b0085\n"
        "TopicArn\n"
        "arn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        "Type\n"
        "SubscriptionConfirmation\n"
    )


def test_unsubscribe_confirmation_signs_the_same_fields_as_subscription_confirmation() -> None:
    unsubscribe = {**DOCS_CONFIRMATION, "Type": "UnsubscribeConfirmation"}
    assert string_to_sign(unsubscribe) == string_to_sign(DOCS_CONFIRMATION).replace(
        "Type\nSubscriptionConfirmation\n", "Type\nUnsubscribeConfirmation\n"
    )


def test_a_subject_on_a_confirmation_is_not_signed() -> None:
    assert string_to_sign({**DOCS_CONFIRMATION, "Subject": "ignored"}) == string_to_sign(DOCS_CONFIRMATION)


def test_string_to_sign_keeps_newlines_in_the_message_as_real_newlines() -> None:
    body = json.dumps({**DOCS_NOTIFICATION, "Message": "line one\nline two"})
    assert "\\n" in body  # escaped on the wire ...
    assert "Message\nline one\nline two\nMessageId\n" in string_to_sign(json.loads(body))  # ... not when signed


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({**DOCS_NOTIFICATION, "Type": "Publish"}, "Type 'Publish'"),
        ({k: v for k, v in DOCS_NOTIFICATION.items() if k != "Type"}, "Type None"),
        ({k: v for k, v in DOCS_NOTIFICATION.items() if k != "MessageId"}, "needs MessageId"),
        ({k: v for k, v in DOCS_CONFIRMATION.items() if k != "Token"}, "needs Token"),
    ],
)
def test_string_to_sign_refuses_what_sns_never_signs(message: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        string_to_sign(message)


# --- signatures -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "message",
    [DOCS_NOTIFICATION, without_subject(DOCS_NOTIFICATION), DOCS_CONFIRMATION,
     {**DOCS_CONFIRMATION, "Type": "UnsubscribeConfirmation"}],
    ids=["notification", "notification-without-subject", "subscription-confirmation", "unsubscribe-confirmation"],
)
def test_signed_message_verifies_with_the_certificate(signer: Signer, message: dict[str, str], version: str) -> None:
    assert verify(signed(signer, message, version), signer.certificate_pem)


@pytest.mark.parametrize(("version", "algorithm"), [("1", hashes.SHA1()), ("2", hashes.SHA256())])
def test_signature_version_chooses_the_hash(signer: Signer, version: str, algorithm: hashes.HashAlgorithm) -> None:
    signature = base64.b64decode(signer.sign(DOCS_NOTIFICATION, version))
    key = x509.load_pem_x509_certificate(signer.certificate_pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, string_to_sign(DOCS_NOTIFICATION).encode(), padding.PKCS1v15(), algorithm)  # raises if not


def test_a_message_claiming_the_other_signature_version_fails(signer: Signer) -> None:
    message = signed(signer, DOCS_NOTIFICATION, "1")
    assert verify(message, signer.certificate_pem)
    assert not verify({**message, "SignatureVersion": "2"}, signer.certificate_pem)


def test_unknown_signature_version_is_refused(signer: Signer) -> None:
    with pytest.raises(ValueError, match="SignatureVersion '3'"):
        signer.sign(DOCS_NOTIFICATION, "3")
    assert not verify({**signed(signer, DOCS_NOTIFICATION), "SignatureVersion": "3"}, signer.certificate_pem)


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("field", ["Message", "MessageId", "Subject", "Timestamp", "TopicArn"])
def test_a_tampered_notification_field_fails(signer: Signer, version: str, field: str) -> None:
    message = signed(signer, DOCS_NOTIFICATION, version)
    assert verify(message, signer.certificate_pem)
    assert not verify({**message, field: message[field] + "x"}, signer.certificate_pem)


@pytest.mark.parametrize("field", ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"])
def test_a_tampered_confirmation_field_fails(signer: Signer, field: str) -> None:
    message = signed(signer, DOCS_CONFIRMATION, "2")
    assert verify(message, signer.certificate_pem)
    assert not verify({**message, field: message[field] + "x"}, signer.certificate_pem)


def test_adding_or_removing_a_subject_fails(signer: Signer) -> None:
    with_subject = signed(signer, DOCS_NOTIFICATION)
    no_subject = signed(signer, without_subject(DOCS_NOTIFICATION))
    assert not verify(without_subject(with_subject), signer.certificate_pem)
    assert not verify({**no_subject, "Subject": "My subject"}, signer.certificate_pem)


def test_a_changed_type_fails(signer: Signer) -> None:
    message = signed(signer, DOCS_CONFIRMATION)
    assert not verify({**message, "Type": "UnsubscribeConfirmation"}, signer.certificate_pem)


def test_unsigned_fields_can_change_without_breaking_the_signature(signer: Signer) -> None:
    message = signed(signer, DOCS_NOTIFICATION)
    assert verify({**message, "UnsubscribeURL": "https://elsewhere", "SigningCertURL": "https://x"}, signer.certificate_pem)


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"\0" * 256).decode()])
def test_a_malformed_signature_fails_without_raising(signer: Signer, signature: str) -> None:
    assert not verify({**signed(signer, DOCS_NOTIFICATION), "Signature": signature}, signer.certificate_pem)


def test_a_message_without_signature_or_version_fails_without_raising(signer: Signer) -> None:
    message = signed(signer, DOCS_NOTIFICATION)
    assert not verify({k: v for k, v in message.items() if k != "Signature"}, signer.certificate_pem)
    assert not verify({k: v for k, v in message.items() if k != "SignatureVersion"}, signer.certificate_pem)


def test_a_message_survives_the_trip_through_json(signer: Signer) -> None:
    message = {**DOCS_NOTIFICATION, "Message": '{"default": "h\u00e9llo\nw\u00f6rld"}\t\u2603'}
    body = json.dumps(signed(signer, message, "2"))  # ASCII-escaped, as a JSON body may be
    assert verify(json.loads(body), signer.certificate_pem)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(("version", "digest"), [("1", "-sha1"), ("2", "-sha256")])
def test_openssl_verifies_as_in_the_developer_guide(signer: Signer, tmp_path: Path, version: str, digest: str) -> None:
    """The guide's own procedure: public key out of the certificate, then `openssl dgst -verify`."""
    message = signed(signer, DOCS_NOTIFICATION, version)
    (tmp_path / "signing_cert.pem").write_bytes(signer.certificate_pem)
    (tmp_path / "string_to_sign.txt").write_bytes(string_to_sign(message).encode())
    (tmp_path / "signature.bin").write_bytes(base64.b64decode(message["Signature"]))
    run = lambda *args: subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)  # noqa: E731
    pubkey = run("openssl", "x509", "-pubkey", "-noout", "-in", "signing_cert.pem")
    (tmp_path / "public_key.pem").write_text(pubkey.stdout)
    check = run("openssl", "dgst", digest, "-verify", "public_key.pem", "-signature", "signature.bin", "string_to_sign.txt")
    assert (check.returncode, check.stdout.strip()) == (0, "Verified OK")
    (tmp_path / "string_to_sign.txt").write_bytes(string_to_sign({**message, "Message": "tampered"}).encode())
    tampered = run("openssl", "dgst", digest, "-verify", "public_key.pem", "-signature", "signature.bin", "string_to_sign.txt")
    assert tampered.returncode != 0


# --- the certificate --------------------------------------------------------------------


def test_certificate_is_a_self_signed_x509_for_the_signing_key(signer: Signer) -> None:
    certificate = x509.load_pem_x509_certificate(signer.certificate_pem)
    certificate.verify_directly_issued_by(certificate)  # its own key signed it: raises if not
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    assert certificate.version is x509.Version.v3
    assert certificate.not_valid_before_utc < certificate.not_valid_after_utc
    assert certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "sns.amazonaws.com"
    # and it is the key that signs messages
    assert verify(signed(signer, DOCS_NOTIFICATION, "2"), signer.certificate_pem)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_accepts_the_certificate_as_its_own_trust_anchor(signer: Signer, tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_bytes(signer.certificate_pem)
    check = subprocess.run(["openssl", "verify", "-CAfile", "cert.pem", "cert.pem"], cwd=tmp_path, capture_output=True)
    assert check.returncode == 0, check.stderr


def test_certificate_name_is_named_like_aws_after_the_certificate(signer: Signer) -> None:
    der = x509.load_pem_x509_certificate(signer.certificate_pem).public_bytes(serialization.Encoding.DER)
    expected = f"SimpleNotificationService-{hashlib.sha256(der).hexdigest()[:32]}.pem"
    assert signer.certificate_name() == expected
    assert signer.certificate_name() == expected  # stable


@pytest.fixture
def key_generations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    calls: list[int] = []
    generate = signing.rsa.generate_private_key

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("key_size", 0))
        return generate(*args, **kwargs)

    monkeypatch.setattr(signing.rsa, "generate_private_key", counting)
    yield calls


def test_signer_makes_its_key_on_first_use_and_only_once(key_generations: list[int]) -> None:
    fresh = Signer()
    assert key_generations == []  # creating a Signer costs nothing
    name = fresh.certificate_name()
    pem = fresh.certificate_pem
    fresh.sign(DOCS_NOTIFICATION)
    assert key_generations == [2048]
    assert (fresh.certificate_name(), fresh.certificate_pem) == (name, pem)


def test_two_signers_have_different_keys(signer: Signer) -> None:
    other = Signer()
    mine = x509.load_pem_x509_certificate(signer.certificate_pem).public_key()
    theirs = x509.load_pem_x509_certificate(other.certificate_pem).public_key()
    assert isinstance(mine, rsa.RSAPublicKey) and isinstance(theirs, rsa.RSAPublicKey)
    assert mine.public_numbers() != theirs.public_numbers()
    assert other.certificate_name() != signer.certificate_name()
    assert not verify(signed(other, DOCS_NOTIFICATION), signer.certificate_pem)
    assert not verify(signed(signer, DOCS_NOTIFICATION), other.certificate_pem)
