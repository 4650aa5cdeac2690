"""Lambda's execution environments from inside (tests/inprocess.py, frozen clock): reclaiming
idle environments, the machine-wide maximum, reset, and asynchronous invocations that survive
a snapshot and restore."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from services.lambda_.runtime import runtime_of
from tests.inprocess import InProcess

ROLE = "arn:aws:iam::000000000000:role/r"
COUNTER = "import os\ncount = 0\ndef handler(event, context):\n    global count\n    count += 1\n    return [count, os.getpid()]\n"


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def make(world: InProcess, name: str, code: str = COUNTER, **config: Any) -> None:
    world.call("lambda", "CreateFunction", {
        "FunctionName": name, "Runtime": "python3.12", "Handler": "app.handler", "Role": ROLE,
        "Code": {"ZipFile": zip_of({"app.py": code})}, **config,
    })
    world.settle()


def invoke(world: InProcess, name: str, **params: Any) -> Any:
    import json

    answer = world.call("lambda", "Invoke", {"FunctionName": name, **params}, timeout=20)
    return json.loads(answer["Payload"]) if "Payload" in answer else answer


def pool(world: InProcess) -> Any:
    return runtime_of(world.dispatcher.services["lambda"]).pool


def test_an_idle_environment_is_reclaimed_after_ten_minutes(app: InProcess) -> None:
    make(app, "idle")
    (count, pid) = invoke(app, "idle")
    app.advance(9 * 60)
    assert invoke(app, "idle") == [2, pid]  # still warm: the idle clock starts again at each use
    app.advance(10 * 60 + 1)
    assert pool(app).environments() == []
    assert invoke(app, "idle")[0] == 1  # a cold start


def test_the_machine_wide_maximum_evicts_idle_environments_of_other_functions(app: InProcess) -> None:
    pool(app).max_environments = 1
    make(app, "one")
    make(app, "two")
    assert invoke(app, "one")[0] == 1
    assert invoke(app, "two")[0] == 1  # "one"'s idle environment made room
    assert invoke(app, "one")[0] == 1
    assert len(pool(app).environments()) == 1


def test_reset_kills_every_environment(app: InProcess) -> None:
    make(app, "doomed")
    invoke(app, "doomed")
    environments = pool(app).environments()
    assert len(environments) == 1
    process = environments[0].process
    app.run(app.dispatcher.reset(), timeout=10)
    app.run(process.wait(), timeout=5)
    assert process.returncode is not None
    assert pool(app).environments() == []


def test_pending_async_invocations_are_rearmed_after_a_restore(app: InProcess) -> None:
    make(app, "later", code="def handler(event, context):\n    raise ValueError('no')\n")
    app.call("lambda", "PutFunctionEventInvokeConfig", {"FunctionName": "later", "MaximumRetryAttempts": 1})
    answer = app.call("lambda", "Invoke", {"FunctionName": "later", "InvocationType": "Event", "Payload": b'{"k": 1}'})
    assert answer["StatusCode"] == 202
    store = app.dispatcher.services["lambda"].stores.get("000000000000", "us-east-1")
    app.settle()  # the attempt's timer fires: its task runs a real process
    [attempt] = [t for t in app.dispatcher.tasks._tasks if t.get_name().startswith("lambda-async")]
    app.run(attempt, timeout=20)
    [pending] = store.pending_invocations
    assert pending["attempts"] == 1 and pending["due_at"] == pytest.approx(app.clock.now() + 60)
    snapshot = app.dispatcher.snapshot()
    app.run(app.dispatcher.restore(snapshot), timeout=10)
    restored = app.dispatcher.services["lambda"].stores.get("000000000000", "us-east-1")
    assert [p["id"] for p in restored.pending_invocations] == [pending["id"]]
    assert pending["id"] in runtime_of(app.dispatcher.services["lambda"]).timers


def test_an_async_invoke_throttled_until_too_old_goes_to_on_failure_as_event_age_exceeded(app: InProcess) -> None:
    import json

    url = app.sqs("CreateQueue", QueueName="too-old")["QueueUrl"]
    arn = app.sqs("GetQueueAttributes", QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make(app, "throttled")
    app.call("lambda", "PutFunctionConcurrency", {"FunctionName": "throttled", "ReservedConcurrentExecutions": 0})
    app.call("lambda", "PutFunctionEventInvokeConfig", {
        "FunctionName": "throttled", "MaximumEventAgeInSeconds": 60, "DestinationConfig": {"OnFailure": {"Destination": arn}},
    })
    app.call("lambda", "Invoke", {"FunctionName": "throttled", "InvocationType": "Event", "Payload": b'{"late": true}'})
    app.advance(61)
    [message] = app.sqs("ReceiveMessage", QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestPayload"] == {"late": True}
    assert record["responsePayload"]["errorType"] == "TooManyRequestsException"


def test_a_provided_function_without_bootstrap_fails_with_invalid_entrypoint(app: InProcess) -> None:
    import json

    app.call("lambda", "CreateFunction", {
        "FunctionName": "nobootstrap", "Runtime": "provided.al2023", "Handler": "x", "Role": ROLE,
        "Code": {"ZipFile": zip_of({"README": "no bootstrap here"})},
    })
    answer = app.call("lambda", "Invoke", {"FunctionName": "nobootstrap"}, timeout=20)
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"])
    assert error["errorType"] == "Runtime.InvalidEntrypoint"
    assert error["errorMessage"].startswith("Couldn't find valid bootstrap(s): [")


def test_a_runtime_this_machine_cannot_run_is_refused_naming_it(app: InProcess) -> None:
    from services.core.errors import AwsError

    app.call("lambda", "CreateFunction", {
        "FunctionName": "java", "Runtime": "java21", "Handler": "a.B::handle", "Role": ROLE,
        "Code": {"ZipFile": zip_of({"a.class": ""})},
    })
    with pytest.raises(AwsError) as caught:
        app.call("lambda", "Invoke", {"FunctionName": "java"})
    assert caught.value.code == "InvalidParameterValueException"
    assert "java21" in caught.value.message
