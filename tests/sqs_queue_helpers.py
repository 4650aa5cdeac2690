"""Helpers shared by the SQS queue-management test files (tests/test_sqs_queue_*.py).

    NON_EXISTENT                           -> the legacy error code of a missing queue
    status_of(response)                    -> the HTTP status of a (boto3 error) response
    assert_error(response, code, 400)      -> the response is that error code with that status
    redrive(dlq_arn, 5)                    -> a RedrivePolicy attribute value (JSON text)
    counts(sqs, url)                       -> (visible, not visible, delayed) approximate counts

The general SQS test helpers (queue, unique_name, error_of, ...) are in tests/sqs_helpers.py.
"""

from __future__ import annotations

import json
from typing import Any

from tests.sqs_helpers import queue_attributes

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


def status_of(response: dict[str, Any]) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def assert_error(response: dict[str, Any], code: str, status: int = 400) -> None:
    assert (response["Error"]["Code"], status_of(response)) == (code, status), response


def redrive(arn: str, max_receive_count: Any = 5) -> str:
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    attrs = queue_attributes(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )
