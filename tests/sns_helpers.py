"""Helpers for the SNS tests: topics wired to queues, and a real HTTP subscriber."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

POLL_FOR = 5.0


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def queue_with_arn(sqs: Any, name: str | None = None, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name or unique("q"), Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def bodies(sqs: Any, url: str, expected: int, wait: int = 2) -> list[dict[str, Any]]:
    """Receive until `expected` messages arrived (long polls: no sleeping), then check none more."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + POLL_FOR
    while len(got) < expected and time.monotonic() < deadline:
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                                   MessageAttributeNames=["All"]).get("Messages", [])
    return got


def deliveries(server: Any, topic_arn: str) -> list[dict[str, Any]]:
    status, body = server.admin("GET", f"/_stepstack/sns/deliveries?TopicArn={quote(topic_arn, safe='')}")
    assert status == 200, body
    return body["Deliveries"]


def wait_for(condition: Any, what: str, timeout: float = POLL_FOR) -> Any:
    """Poll a seam (an inspection endpoint, a recorded request) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class Subscriber:
    """A local HTTP endpoint: records every request; answers `statuses` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                owner.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "path": self.path})
                status = owner.statuses.pop(0) if owner.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["headers"].get("x-amz-sns-message-type") == kind]

    def json_of(self, kind: str) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.of_type(kind)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
