"""Lambda's data plane through boto3 against the real server: functions built as real zips here,
created with CreateFunction, run through AWS's Runtime API (awslambdaric, a shell `bootstrap`,
Node.js), answering Invoke as AWS does and logging to CloudWatch Logs."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zip_of(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    status, _ = own_server.admin("POST", "/_stepstack/reset")
    assert status == 200
    return own_server


@pytest.fixture(scope="module")
def lam(server: Server) -> Any:
    return server.client("lambda", read_timeout=30)


@pytest.fixture(scope="module")
def create(lam: Any) -> Callable[..., str]:
    def make(files: dict[str, str], *, runtime: str = "python3.12", handler: str = "app.handler",
             executable: tuple[str, ...] = (), **config: Any) -> str:
        name = f"fn-{uuid.uuid4().hex[:10]}"
        try:
            answer = lam.create_function(
                FunctionName=name, Runtime=runtime, Handler=handler, Role=ROLE,
                Code={"ZipFile": zip_of(files, executable)}, **config,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "NotImplemented":
                pytest.skip("the Lambda control plane (CreateFunction) is not there yet")
            raise
        if answer.get("State") == "Pending":
            lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
        return name

    return make


@pytest.fixture()
def fifo_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="lambda-test-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def payload_of(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Payload"].read())


ECHO = "def handler(event, context):\n    return {'echo': event, 'id': context.aws_request_id}\n"


def test_handler_return_value_is_the_payload(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": ECHO})
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"a": [1, 2]}))
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    body = payload_of(answer)
    assert body == {"echo": {"a": [1, 2]}, "id": answer["ResponseMetadata"]["RequestId"]}


def test_unhandled_exception_answers_the_runtime_error_document(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": "class Boom(Exception):\n    pass\n\ndef handler(event, context):\n    raise Boom('it broke: ' + event['why'])\n"})
    answer = lam.invoke(FunctionName=name, Payload=b'{"why": "on purpose"}')
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = payload_of(answer)
    assert error["errorType"] == "Boom"
    assert error["errorMessage"] == "it broke: on purpose"
    assert error["requestId"] == answer["ResponseMetadata"]["RequestId"]
    assert any("raise Boom" in frame for frame in error["stackTrace"])


def test_missing_handler_module_is_an_import_module_error(lam: Any, create: Callable[..., str]) -> None:
    name = create({"other.py": "x = 1\n"})
    answer = lam.invoke(FunctionName=name, LogType="Tail")
    assert answer["FunctionError"] == "Unhandled"
    error = payload_of(answer)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'app'" in error["errorMessage"]
    assert "Runtime.ImportModuleError" in base64.b64decode(answer["LogResult"]).decode()


def test_printed_lines_are_in_log_result_and_in_the_log_group(server: Server, lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": "def handler(event, context):\n    print('first line')\n    print('second', event['n'])\n    return 1\n"})
    answer = lam.invoke(FunctionName=name, Payload=b'{"n": 7}', LogType="Tail")
    request_id = answer["ResponseMetadata"]["RequestId"]
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert f"START RequestId: {request_id} Version: $LATEST" in tail
    assert "first line\nsecond 7\n" in tail
    assert f"END RequestId: {request_id}" in tail
    report = re.search(rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB"
                       r"\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms", tail)
    assert report, tail
    logs = server.client("logs")
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert len(streams) == 1
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", streams[0]["logStreamName"])
    events = logs.get_log_events(logGroupName=f"/aws/lambda/{name}", logStreamName=streams[0]["logStreamName"])["events"]
    messages = [e["message"] for e in events]
    start = messages.index(f"START RequestId: {request_id} Version: $LATEST")
    assert messages[start + 1:start + 3] == ["first line", "second 7"]
    assert messages[start + 3] == f"END RequestId: {request_id}"
    assert messages[start + 4].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    # warm: the second invocation's REPORT has no Init Duration
    second = lam.invoke(FunctionName=name, Payload=b'{"n": 8}', LogType="Tail")
    assert "Init Duration" not in base64.b64decode(second["LogResult"]).decode()


def test_timeout_kills_the_environment_and_answers_task_timed_out(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": "import time\ncalls = 0\ndef handler(event, context):\n    global calls\n    calls += 1\n"
                              "    if event.get('hang'):\n        time.sleep(60)\n    return calls\n"}, Timeout=1)
    assert payload_of(lam.invoke(FunctionName=name, Payload=b"{}")) == 1
    answer = lam.invoke(FunctionName=name, Payload=b'{"hang": true}')
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert answer["FunctionError"] == "Unhandled"
    message = payload_of(answer)["errorMessage"]
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\dT[\d:.]+Z {request_id} Task timed out after 1\.00 seconds", message), message
    assert payload_of(lam.invoke(FunctionName=name, Payload=b"{}")) == 1  # a new environment: module state starts again


def test_environment_variables_are_awss_and_the_functions_own(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": "import os\ndef handler(event, context):\n"
                             "    return {**os.environ, 'cwd': os.getcwd(), 'remaining': context.get_remaining_time_in_millis(),\n"
                             "            'arn': context.invoked_function_arn, 'memory': context.memory_limit_in_mb}\n"},
                  Environment={"Variables": {"GREETING": "hello"}}, MemorySize=256)
    env = payload_of(lam.invoke(FunctionName=name))
    remaining, arn, memory = env.pop("remaining"), env.pop("arn"), env.pop("memory")
    assert 2000 < remaining <= 3000  # the default 3 s timeout, counted from the invocation (not from INIT)
    assert (arn, memory) == (f"arn:aws:lambda:us-east-1:000000000000:function:{name}", "256")
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["GREETING"] == "hello"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["_HANDLER"] == "app.handler"
    assert env["LAMBDA_TASK_ROOT"] == env["cwd"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["TZ"] == ":UTC"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LANG", "PATH"} <= set(env)
    leaked = [k for k in env if k.startswith("STEPSTACK_") or k in ("HOME", "VIRTUAL_ENV", "PYTEST_VERSION")]
    assert leaked == []  # nothing else of the server's environment


def test_a_layer_provides_a_module(lam: Any, create: Callable[..., str]) -> None:
    layer = lam.publish_layer_version(
        LayerName=f"helpers-{uuid.uuid4().hex[:6]}", CompatibleRuntimes=["python3.12"],
        Content={"ZipFile": zip_of({"python/helper.py": "def shout(text):\n    return text.upper() + '!'\n"})},
    )
    name = create({"app.py": "import helper\ndef handler(event, context):\n    return helper.shout(event['text'])\n"},
                  Layers=[layer["LayerVersionArn"]])
    assert payload_of(lam.invoke(FunctionName=name, Payload=b'{"text": "from the layer"}')) == "FROM THE LAYER!"


COUNTER = (
    "import os, time\ncount = 0\n"
    "def handler(event, context):\n    global count\n    count += 1\n"
    "    barrier = event.get('barrier')\n"
    "    if barrier:\n"
    "        open(os.path.join(barrier, context.aws_request_id), 'w').close()\n"
    "        deadline = time.time() + 10\n"
    "        while len(os.listdir(barrier)) < event['parties'] and time.time() < deadline:\n"
    "            time.sleep(0.01)\n"
    "    return {'count': count, 'pid': os.getpid(), 'together': len(os.listdir(barrier)) if barrier else 0}\n"
)


def test_warm_reuse_keeps_module_state_and_concurrent_invokes_get_their_own_environments(
    lam: Any, create: Callable[..., str], fifo_dir: Path,
) -> None:
    name = create({"app.py": COUNTER})
    first, second = (payload_of(lam.invoke(FunctionName=name)) for _ in range(2))
    assert (first["count"], second["count"]) == (1, 2)
    assert first["pid"] == second["pid"]
    event = json.dumps({"barrier": str(fifo_dir), "parties": 3})
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: payload_of(lam.invoke(FunctionName=name, Payload=event)), range(3)))
    assert all(a["together"] == 3 for a in answers)  # all three ran at the same time
    assert len({a["pid"] for a in answers}) == 3


BLOCKER = (
    "import os\n"
    "def handler(event, context):\n"
    "    with open(event['started'], 'w') as f:\n        f.write('started')\n"
    "    with open(event['release']) as f:\n        f.read()\n"
    "    return 'released'\n"
)


def test_reserved_concurrency_throttles_with_awss_reason(lam: Any, create: Callable[..., str], fifo_dir: Path) -> None:
    name = create({"app.py": BLOCKER})
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    started, release = fifo_dir / "started", fifo_dir / "release"
    os.mkfifo(started)
    os.mkfifo(release)
    result: dict[str, Any] = {}
    event = json.dumps({"started": str(started), "release": str(release)})
    runner = threading.Thread(target=lambda: result.update(first=payload_of(lam.invoke(FunctionName=name, Payload=event))))
    runner.start()
    try:
        with open(started) as f:  # blocks until the first invocation runs
            assert f.read() == "started"
        with pytest.raises(ClientError) as caught:
            lam.invoke(FunctionName=name, Payload=event)
        error = caught.value.response
        assert error["Error"]["Code"] == "TooManyRequestsException"
        assert error["Error"]["Message"] == "Rate Exceeded."
        assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    finally:
        with open(release, "w") as f:
            f.write("go")
        runner.join(20)
    assert result["first"] == "released"


def test_an_alias_routes_to_its_version(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": "def handler(event, context):\n    return 'one'\n"})
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=zip_of({"app.py": "def handler(event, context):\n    return 'two'\n"}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    by_alias = lam.invoke(FunctionName=name, Qualifier="live")
    assert (payload_of(by_alias), by_alias["ExecutedVersion"]) == ("one", "1")
    by_arn = lam.invoke(FunctionName=f"arn:aws:lambda:us-east-1:000000000000:function:{name}:live")
    assert payload_of(by_arn) == "one"
    latest = lam.invoke(FunctionName=name)
    assert (payload_of(latest), latest["ExecutedVersion"]) == ("two", "$LATEST")


def test_a_weighted_alias_sends_invokes_to_both_versions(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": "def handler(event, context):\n    return 'one'\n"})
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=zip_of({"app.py": "def handler(event, context):\n    return 'two'\n"}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="canary", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    answers = [lam.invoke(FunctionName=name, Qualifier="canary") for _ in range(40)]
    executed = {(a["ExecutedVersion"], payload_of(a)) for a in answers}
    assert executed == {("1", "one"), ("2", "two")}  # each answer names the version that ran it
    share = sum(a["ExecutedVersion"] == "2" for a in answers) / len(answers)
    assert 0.1 <= share <= 0.9  # 40 draws at 0.5: outside this once in ten million runs


def test_a_function_calls_sqs_through_boto3(server: Server, lam: Any, create: Callable[..., str]) -> None:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=f"from-lambda-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    name = create({"app.py": "import boto3\nsqs = boto3.client('sqs')\n"
                             "def handler(event, context):\n"
                             "    return sqs.send_message(QueueUrl=event['url'], MessageBody=event['body'])['MessageId']\n"})
    message_id = payload_of(lam.invoke(FunctionName=name, Payload=json.dumps({"url": url, "body": "hi from inside"})))
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in received] == [(message_id, "hi from inside")]


def test_a_failing_async_invoke_is_retried_then_sent_to_its_on_failure_queue(
    server: Server, lam: Any, create: Callable[..., str],
) -> None:
    sqs = server.client("sqs")
    trace = sqs.create_queue(QueueName=f"attempts-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    failures = sqs.create_queue(QueueName=f"failures-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    failures_arn = sqs.get_queue_attributes(QueueUrl=failures, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = create({"app.py": "import os, boto3\nsqs = boto3.client('sqs')\n"
                             "def handler(event, context):\n"
                             "    sqs.send_message(QueueUrl=os.environ['TRACE'], MessageBody=context.aws_request_id)\n"
                             "    raise RuntimeError('always fails')\n"},
                  Environment={"Variables": {"TRACE": trace}})
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": failures_arn}})
    answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"order": 42}')
    assert answer["StatusCode"] == 202
    request_id = answer["ResponseMetadata"]["RequestId"]

    def attempt() -> str:
        messages = sqs.receive_message(QueueUrl=trace, WaitTimeSeconds=10)["Messages"]
        sqs.delete_message(QueueUrl=trace, ReceiptHandle=messages[0]["ReceiptHandle"])
        return messages[0]["Body"]

    assert attempt() == request_id  # the first attempt, right away
    assert sqs.receive_message(QueueUrl=failures, WaitTimeSeconds=0).get("Messages") is None
    server.advance(61)  # the first retry comes about a minute later
    assert attempt() == request_id
    server.advance(121)  # the second about two minutes after that
    assert attempt() == request_id
    record = json.loads(sqs.receive_message(QueueUrl=failures, WaitTimeSeconds=10)["Messages"][0]["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id, "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"order": 42}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "always fails"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    server.advance(600)
    assert sqs.receive_message(QueueUrl=trace, WaitTimeSeconds=0).get("Messages") is None  # no fourth attempt


SHELL_BOOTSTRAP = """#!/bin/sh
set -eu
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  echo "handling $ID with $_HANDLER"
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\\"shell\\": $EVENT}" > /dev/null
  rm -f "$HEADERS"
done
"""


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell bootstrap uses curl")
def test_a_provided_al2023_shell_bootstrap_runs(lam: Any, create: Callable[..., str]) -> None:
    name = create({"bootstrap": SHELL_BOOTSTRAP}, runtime="provided.al2023", handler="function.handler", executable=("bootstrap",))
    answer = lam.invoke(FunctionName=name, Payload=b'{"x": 1}', LogType="Tail")
    assert payload_of(answer) == {"shell": {"x": 1}}
    assert f"handling {answer['ResponseMetadata']['RequestId']} with function.handler" in base64.b64decode(answer["LogResult"]).decode()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_nodejs_handler_runs(lam: Any, create: Callable[..., str]) -> None:
    name = create({"index.mjs": "let calls = 0;\nexport const handler = async (event, context) => {\n"
                                "  calls += 1;\n  console.log('node got', event.n);\n"
                                "  if (event.fail) throw new TypeError('bad n');\n"
                                "  return { doubled: event.n * 2, calls, fn: context.functionName };\n};\n"},
                  runtime="nodejs20.x", handler="index.handler")
    answer = lam.invoke(FunctionName=name, Payload=b'{"n": 21}', LogType="Tail")
    assert payload_of(answer) == {"doubled": 42, "calls": 1, "fn": name}
    assert "\tINFO\tnode got 21" in base64.b64decode(answer["LogResult"]).decode()
    assert payload_of(lam.invoke(FunctionName=name, Payload=b'{"n": 1}'))["calls"] == 2
    failed = lam.invoke(FunctionName=name, Payload=b'{"n": 1, "fail": true}')
    assert failed["FunctionError"] == "Unhandled"
    error = payload_of(failed)
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "bad n")
    assert any("index.mjs" in line for line in error["trace"])


def test_dry_run_and_payload_limits(lam: Any, create: Callable[..., str]) -> None:
    name = create({"app.py": ECHO})
    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'"' + b"x" * 1_048_576 + b'"')
    assert caught.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert caught.value.response["Error"]["Message"] == "1048578 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b"not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="no-such-function")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_environments_die_with_the_server(spare_servers: Any) -> None:
    from tests.conftest import stop_server

    own = spare_servers.take()
    try:
        lam = own.client("lambda")
        lam.create_function(FunctionName="pid", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": zip_of({"app.py": "import os\ndef handler(event, context):\n    return os.getpid()\n"})})
        pid = payload_of(lam.invoke(FunctionName="pid"))
        assert _alive(pid)
    finally:
        stop_server(own)
    assert not _alive(pid)
    assert "Traceback" not in own.log_path.read_text()
