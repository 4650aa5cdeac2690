"""A notification's signature is made when its text is first read, once per publish: unread
queue copies cost no RSA operation, and everything that reads one sees the final text."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from services.core.deferred import DeferredPiece, DeferredText, resolve
from services.core.records import to_jsonable
from services.sns.signing import Signer, verify
from tests.inprocess import InProcess

ACCOUNT, REGION = "000000000000", "us-east-1"


def test_a_piece_is_made_once_for_every_text_sharing_it() -> None:
    made: list[int] = []
    piece = DeferredPiece(4, lambda: made.append(1) or "SIGN")
    first, second = DeferredText("a<", piece, ">1"), DeferredText("b<", piece, ">2")
    assert len(first) == 8 and not piece.ready
    assert first.placeholder() == "a<AAAA>1" and made == []
    assert (first.text(), str(second), resolve(first)) == ("a<SIGN>1", "b<SIGN>2", "a<SIGN>1")
    assert made == [1]


def test_a_piece_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="4 ASCII characters came out as 3"):
        DeferredText("", DeferredPiece(4, lambda: "abc"), "").text()


def test_a_record_holding_a_deferred_text_is_snapshotted_with_the_final_text() -> None:
    text = DeferredText("{", DeferredPiece(2, lambda: "ok"), "}")
    assert to_jsonable({"body": text, "others": [text]}) == {"body": "{ok}", "others": ["{ok}"]}


@pytest.fixture()
def app() -> Any:
    running = InProcess()
    yield running
    running.close()


@pytest.fixture()
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    real = Signer.sign

    def counting(self: Signer, message: Any, version: str = "1") -> str:
        made.append(message["MessageId"])
        return real(self, message, version)

    monkeypatch.setattr(Signer, "sign", counting)
    return made


def _fan_out(app: InProcess, queues: int) -> tuple[str, list[str]]:
    topic = app.call("sns", "CreateTopic", {"Name": "signed"})["TopicArn"]
    urls = []
    for i in range(queues):
        urls.append(app.sqs("CreateQueue", QueueName=f"q{i}")["QueueUrl"])
        app.call("sns", "Subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q{i}"})
    return topic, urls


def test_publishing_to_queues_nobody_reads_signs_nothing(app: InProcess, signatures: list[str]) -> None:
    topic, urls = _fan_out(app, 3)
    for i in range(5):
        app.call("sns", "Publish", {"TopicArn": topic, "Message": f"m{i}"})
    assert signatures == []
    assert app.sqs("GetQueueAttributes", QueueUrl=urls[0], AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "5"}


def test_the_first_read_signs_once_for_all_subscribers_and_the_copies_verify(app: InProcess, signatures: list[str]) -> None:
    topic, urls = _fan_out(app, 3)
    message_id = app.call("sns", "Publish", {"TopicArn": topic, "Message": "hello", "Subject": "s"})["MessageId"]
    received = [app.sqs("ReceiveMessage", QueueUrl=url)["Messages"][0] for url in urls]
    assert signatures == [message_id]
    certificate = app.dispatcher.services["sns"].signer.certificate_pem
    for message in received:
        assert message["MD5OfBody"] == hashlib.md5(message["Body"].encode()).hexdigest()
        envelope = json.loads(message["Body"])
        assert verify(envelope, certificate)
    assert len({json.loads(m["Body"])["UnsubscribeURL"] for m in received}) == 3  # one text per subscriber
    assert len({json.loads(m["Body"])["Signature"] for m in received}) == 1


def test_an_unread_copy_in_a_snapshot_is_the_signed_text(app: InProcess, signatures: list[str]) -> None:
    topic, urls = _fan_out(app, 1)
    app.call("sns", "Publish", {"TopicArn": topic, "Message": "kept"})
    snapshot = json.loads(json.dumps(app.dispatcher.snapshot()))
    assert len(signatures) == 1
    restored = InProcess()
    try:
        restored.run(restored.dispatcher.restore(snapshot))
        [message] = restored.sqs("ReceiveMessage", QueueUrl=urls[0])["Messages"]
        envelope = json.loads(message["Body"])
        assert verify(envelope, app.dispatcher.services["sns"].signer.certificate_pem)
        assert message["MD5OfBody"] == hashlib.md5(message["Body"].encode()).hexdigest()
    finally:
        restored.close()


def test_the_envelope_is_written_as_aws_writes_it(app: InProcess) -> None:
    topic, urls = _fan_out(app, 1)
    attributes = {"colour": {"DataType": "String", "StringValue": "blue"}}
    app.call("sns", "Publish", {"TopicArn": topic, "Message": "héllo\n", "MessageAttributes": attributes})
    body = app.sqs("ReceiveMessage", QueueUrl=urls[0])["Messages"][0]["Body"]
    lines = body.split("\n")
    assert lines[0] == "{" and lines[1] == '  "Type" : "Notification",' and lines[-1] == "}"
    assert '  "Message" : "héllo\\n",' in lines  # non-ASCII kept, control characters escaped
    assert lines[-4:-1] == ['  "MessageAttributes" : {', '    "colour" : {"Type":"String","Value":"blue"}', "  }"]
    assert list(json.loads(body)) == ["Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
                                      "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
