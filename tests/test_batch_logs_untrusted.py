"""Hostile input against every implemented Batch and CloudWatch Logs operation, black-box.

Each operation starts from a valid request (tests/test_every_operation.py) on fresh
resources; then every member the request or its model names, at any depth, is swapped
for values of the wrong JSON type (null, lists for structures, strings for numbers,
deep nesting) and for values of the right type that no handler should trust (empty,
huge, negative, unicode, ARNs of other services, regions and accounts); required
members are dropped one at a time; labels in the path get odd characters. Generated
input (hypothesis, from the model) follows. Every answer must be a success or a 4xx
with one of the service's own error codes, never a 5xx; after each operation a valid
call still works and the server has logged no traceback.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.specs import service_spec
from services.registry import service_operations
from tests.conftest import Server
from tests.shape_strategies import input_strategy
from tests.test_every_operation import WORLDS, valid_input

# The codes each service answers for a caller's mistake (its model's errors, plus the
# protocol layer's SerializationException for a value of the wrong JSON type).
ERRORS = {
    "batch": {"ClientException", "SerializationException"},
    "logs": {
        "InvalidParameterException", "ResourceNotFoundException", "ResourceAlreadyExistsException",
        "TooManyTagsException", "ValidationException", "SerializationException", "InvalidSequenceTokenException",
        "DataAlreadyAcceptedException", "UnrecognizedClientException", "LimitExceededException",
        "OperationAbortedException", "AccessDeniedException", "UnknownOperationException",
    },
}
FOLLOW_UP = {"batch": ("DescribeJobQueues", {}), "logs": ("DescribeLogGroups", {})}

DEEP: Any = "x"
for _ in range(60):
    DEEP = {"a": [DEEP]}
HUGE = "h" * 300_000

# Values of the wrong JSON type for any member.
WRONG_TYPES: list[Any] = [None, "five", -7, 1.5, True, [], {}, ["x", None], {"a": {"b": None}}, DEEP]
# Values of the right type that handlers still must not trust.
HOSTILE = {
    "string": [
        "", " ", "☃ü\u202e名", "a" * 3000, "../../etc/passwd", "a/b:c*?", "%2F%00", "\u0000", "null",
        "arn:aws:sqs:eu-west-1:111111111111:q", "arn:aws:batch:eu-west-1:111111111111:job-queue/q",
        "arn:aws:logs:ap-south-1:222222222222:log-group:g:*", "arn:aws:batch:us-east-1:000000000000:job-definition/every:99",
        "arn:", "arn:aws:batch:us-east-1:000000000000:", "every:0", "every:-1", "every:abc", "every:1:2",
    ],
    "integer": [-1, 0, -(2**31), 2**31 - 1, 2**31, 2**63 - 1, -(2**63), 10**30],
    "long": [-1, 0, -(2**63), 2**63 - 1, 10**30],
    "float": [-1.0, 0.0, 1e308, -1e308, 5e-324],
    "double": [-1.0, 0.0, 1e308, -1e308, 5e-324],
    "boolean": [False],
    "timestamp": [-1, 0, 1e15, 1.5, "2020-01-01T00:00:00Z", "yesterday"],
    "list": [[], [None], ["", ""], list(range(200)), [HUGE]],
    "map": [{}, {"": ""}, {"k": None}, {f"k{i}": "v" for i in range(100)}, {"a" * 300: "b" * 300}],
    "structure": [{}, {"unknownMember": 1}],
}
LABEL_VALUES = ["", "%2F", "a%2Fb", "..", "arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq", "%E2%98%83", "a%20b", "a+b", "%00", "x" * 2000]

# Nested members the valid requests leave out, added so that their members get swapped too.
RICHER: dict[str, dict[str, Any]] = {
    "batch.RegisterJobDefinition": {
        "containerProperties": {
            "image": "busybox", "command": ["echo", "Ref::p"], "environment": [{"name": "A", "value": "a"}],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/g", "awslogs-stream-prefix": "p"}},
        },
        "parameters": {"p": "v"},
        "retryStrategy": {"attempts": 2, "evaluateOnExit": [{"onExitCode": "1", "action": "RETRY"}]},
        "timeout": {"attemptDurationSeconds": 60},
    },
    "batch.SubmitJob": {
        "containerOverrides": {
            "command": ["true"], "environment": [{"name": "B", "value": "b"}],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}], "vcpus": 1, "memory": 64,
        },
        "arrayProperties": {"size": 2}, "parameters": {"p": "v"}, "tags": {"t": "v"},
        "retryStrategy": {"attempts": 2, "evaluateOnExit": [{"onStatusReason": "*", "action": "EXIT"}]},
        "timeout": {"attemptDurationSeconds": 60},
    },
    "batch.CreateJobQueue": {
        "jobStateTimeLimitActions": [{"reason": "r", "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"}],
    },
    "batch.ListJobs": {"filters": [{"name": "JOB_NAME", "values": ["every*"]}]},
    "logs.FilterLogEvents": {"logStreamNames": ["every"], "startTime": 0, "endTime": 2**40, "limit": 5},
    "logs.GetLogEvents": {"startTime": 0, "endTime": 2**40, "limit": 5},
}


def _merged(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in extra.items()}}
    return extra


IMPLEMENTED = service_operations()
OPERATIONS = [
    pytest.param(service, operation, id=f"{service}-{operation}")
    for service in ("batch", "logs")
    for operation in sorted(IMPLEMENTED[service].implemented())
]
GENERATED = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


class Wire:
    """Requests on one keep-alive connection, built from an operation's model by hand so
    that any value, of any type, reaches the server."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        self.last_path = ""

    def close(self) -> None:
        self.connection.close()

    def call(self, service: str, operation: OperationModel, params: Any, *, labels: dict[str, str] | None = None) -> tuple[int, Any]:
        model = service_spec(service).model
        if model.protocol == "json":
            target = f"{model.metadata['targetPrefix']}.{operation.name}"
            headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
            return self._send("POST", "/", params, headers)
        path, query, body = operation.http["requestUri"], [], params
        members = operation.input_shape.members if operation.input_shape is not None else {}
        if isinstance(params, dict):
            body = {}
            for name, value in params.items():
                where = members[name].serialization.get("location") if name in members else None
                if where == "uri":
                    text = (labels or {}).get(name)
                    path = path.replace("{" + name + "}", text if text is not None else quote(str(value), safe=""))
                elif where == "querystring":
                    for item in value if isinstance(value, list) else [value]:
                        query.append(f"{quote(members[name].serialization['name'])}={quote(str(item), safe='')}")
                else:
                    body[name] = value
        for name, text in (labels or {}).items():
            path = path.replace("{" + name + "}", text)
        if "{" in path:  # a label member the hostile request left out
            path = path.split("{", 1)[0]
        if query:
            path += "?" + "&".join(query)
        payload = None if operation.http["method"] in ("GET", "DELETE") and not body else body
        return self._send(operation.http["method"], path, payload, {"Content-Type": "application/json"})

    def _send(self, method: str, path: str, params: Any, headers: dict[str, str]) -> tuple[int, Any]:
        self.last_path = path
        data = b"" if params is None else json.dumps(params).encode()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
                if attempt == 2:
                    raise
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        return response.status, body


def mutations(shape: Shape | None, value: Any, path: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, replacement) pairs: each member named by the value or its shape, at any depth,
    given wrong-type and hostile right-type values."""
    if shape is None:
        return
    if path:
        for bad in WRONG_TYPES:
            yield path, bad
        for bad in HOSTILE.get(shape.type_name, []):
            yield path, bad
    if depth >= 5:
        return
    if shape.type_name == "structure":
        present = value if isinstance(value, dict) else {}
        for name, member in shape.members.items():
            if name in present or depth == 0:
                yield from mutations(member, present.get(name), (*path, name), depth + 1)
    elif shape.type_name == "list" and isinstance(value, list) and value:
        yield from mutations(shape.member, value[0], (*path, "0"), depth + 1)
    elif shape.type_name == "map" and isinstance(value, dict) and value:
        key = next(iter(value))
        yield from mutations(shape.value, value[key], (*path, key), depth + 1)


def replaced(params: Any, path: tuple[str, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(params, list):
        out = list(params)
        out[int(head)] = replaced(out[int(head)], rest, new)
        return out
    out = dict(params) if isinstance(params, dict) else {}
    out[head] = replaced(out.get(head), rest, new)
    return out


class Checker:
    def __init__(self, server: Server, service: str) -> None:
        self.server, self.service = server, service
        self.wire = Wire(server)
        self.failures: list[str] = []
        self.log_offset = len(server.log_path.read_bytes())

    def check(self, operation: OperationModel, params: Any, **kwargs: Any) -> None:
        status, body = self.wire.call(self.service, operation, params, **kwargs)
        if 200 <= status < 300:
            return
        code = body.get("__type", "").rsplit("#", 1)[-1] if isinstance(body, dict) else None
        if status in (400, 414) and len(self.wire.last_path) > 65536:
            return  # the HTTP server's own limit on a request line, before any service reads it
        if status == 404 and code == "UnknownOperationException" and _empty_label(operation, params, kwargs.get("labels")):
            return  # no route has an empty path segment (an SDK cannot send one)
        if not (400 <= status < 500 and code in ERRORS[self.service]):
            self.failures.append(f"{status} {str(body)[:300]} <- {str(params)[:300]} {kwargs or ''}")

    def finish(self, operation: OperationModel) -> None:
        name, params = FOLLOW_UP[self.service]
        follow = service_spec(self.service).model.operation_model(name)
        status, body = self.wire.call(self.service, follow, params)
        assert status == 200, f"the follow-up {name} answered {status} {body}"
        self.wire.close()
        log = self.server.log_path.read_bytes()[self.log_offset:].decode(errors="replace")
        at = log.find("Traceback")
        assert at < 0, f"the server logged a traceback:\n{log[max(0, at - 300):at + 3000]}"
        unique = sorted(set(self.failures))
        assert not unique, f"{self.service}.{operation.name}: {len(unique)} bad answers:\n" + "\n".join(unique[:25])


def _empty_label(operation: OperationModel, params: Any, labels: dict[str, str] | None) -> bool:
    members = operation.input_shape.members if operation.input_shape is not None else {}
    names = [n for n, m in members.items() if m.serialization.get("location") == "uri"]
    given_params = params if isinstance(params, dict) else {}
    return any((labels or {}).get(n, given_params.get(n, "")) in ("", None) for n in names)


def _world(server: Server, service: str) -> tuple[Any, dict[str, Any]]:
    status, body = server.admin("POST", "/_stepstack/reset")
    assert status == 200, body
    client = server.client(service)
    return client, WORLDS[service](client)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_hostile_members_get_the_services_own_errors(own_server: Server, service: str, operation: str) -> None:
    client, world = _world(own_server, service)
    model = client.meta.service_model.operation_model(operation)
    valid = _merged(valid_input(model, service, world), RICHER.get(f"{service}.{operation}", {}))
    checker = Checker(own_server, service)
    status, body = checker.wire.call(service, model, valid)
    assert 200 <= status < 300, (status, body)
    for path, bad in mutations(model.input_shape, valid):
        checker.check(model, replaced(valid, path, bad))
    for name in model.input_shape.required_members if model.input_shape is not None else ():
        checker.check(model, {k: v for k, v in valid.items() if k != name})
    for body in (None, [], "text", 5, {"unknownMember": 1}, DEEP):
        checker.check(model, body)
    labels = [n for n, m in model.input_shape.members.items() if m.serialization.get("location") == "uri"] if model.input_shape else []
    for label in labels:
        for text in LABEL_VALUES:
            checker.check(model, valid, labels={label: text})
    checker.check(model, valid)
    checker.finish(model)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_generated_input_gets_success_or_the_services_own_errors(own_server: Server, service: str, operation: str) -> None:
    client, world = _world(own_server, service)
    model = client.meta.service_model.operation_model(operation)
    valid = valid_input(model, service, world)
    resources = {name: st.sampled_from([value, "arn:aws:sqs:us-east-1:000000000000:q"]) for name, value in valid.items() if isinstance(value, str)}
    checker = Checker(own_server, service)

    @GENERATED
    @given(st.tuples(input_strategy(model.input_shape), st.fixed_dictionaries({}, optional=resources)))
    def run(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        generated, pointed = pair
        checker.check(model, json.loads(json.dumps({**generated, **pointed}, default=_wire_value)))

    run()
    checker.finish(model)


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value.timestamp()  # datetime


def test_boto3_without_client_validation_gets_aws_errors(own_server: Server) -> None:
    """What an SDK with its checks switched off sends: the errors reach it as modeled codes."""
    batch = own_server.client("batch", parameter_validation=False)
    logs = own_server.client("logs", parameter_validation=False)
    cases = [
        (batch.submit_job, {"jobName": "j", "jobQueue": "nope", "jobDefinition": "nope", "retryStrategy": {"attempts": -1}}, {"ClientException"}),
        (batch.describe_jobs, {"jobs": ["x"] * 101}, {"ClientException"}),
        (batch.list_tags_for_resource, {"resourceArn": "arn:aws:sqs:us-east-1:000000000000:q"}, {"ClientException"}),
        (batch.cancel_job, {"jobId": "", "reason": ""}, {"ClientException"}),
        (logs.put_log_events, {"logGroupName": "nope", "logStreamName": "s", "logEvents": [{"timestamp": -1, "message": ""}]}, ERRORS["logs"]),
        (logs.get_log_events, {"logGroupName": "", "logStreamName": ""}, ERRORS["logs"]),
        (logs.put_retention_policy, {"logGroupName": "g", "retentionInDays": -5}, ERRORS["logs"]),
        (logs.list_tags_for_resource, {"resourceArn": "arn:aws:batch:us-east-1:000000000000:job-queue/q"}, ERRORS["logs"]),
    ]
    for method, params, codes in cases:
        with pytest.raises(ClientError) as caught:
            method(**params)
            pytest.fail(f"{method.__name__}({params}) succeeded")
        error = caught.value.response
        assert error["Error"]["Code"] in codes, (method, error)
        assert 400 <= error["ResponseMetadata"]["HTTPStatusCode"] < 500, (method, error)
    assert batch.describe_job_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert logs.describe_log_groups()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_fields_stepstack_cannot_honour_are_refused_not_dropped(own_server: Server) -> None:
    batch = own_server.client("batch")
    own_server.admin("POST", "/_stepstack/reset")
    ce = batch.create_compute_environment(computeEnvironmentName="u", type="UNMANAGED")["computeEnvironmentArn"]
    queue = batch.create_job_queue(jobQueueName="u", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]
    base = {"image": "busybox", "command": ["true"], "vcpus": 1, "memory": 64}
    batch.register_job_definition(jobDefinitionName="u", type="container", containerProperties=base)
    refused = [
        (batch.register_job_definition, {"jobDefinitionName": "x", "type": "container", "containerProperties": {**base, "secrets": [{"name": "S", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/p"}]}}, "secrets"),
        (batch.register_job_definition, {"jobDefinitionName": "x", "type": "container", "containerProperties": {**base, "logConfiguration": {"logDriver": "splunk"}}}, "splunk"),
        (batch.register_job_definition, {"jobDefinitionName": "x", "type": "container", "containerProperties": {**base, "logConfiguration": {"logDriver": "awslogs", "options": {"mode": "non-blocking"}}}}, "mode"),
        (batch.register_job_definition, {"jobDefinitionName": "x", "type": "container", "containerProperties": {**base, "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-region": "eu-west-1"}}}}, "eu-west-1"),
        (batch.submit_job, {"jobName": "x", "jobQueue": queue, "jobDefinition": "u", "eksPropertiesOverride": {"podProperties": {}}}, "eksPropertiesOverride"),
        (batch.submit_job, {"jobName": "x", "jobQueue": queue, "jobDefinition": "u", "ecsPropertiesOverride": {"taskProperties": [{}]}}, "ecsPropertiesOverride"),
        (batch.update_compute_environment, {"computeEnvironment": ce, "eksConfiguration": {"accessEntry": {"desiredState": "ENABLED"}}}, "EKS"),
    ]
    for method, params, word in refused:
        with pytest.raises(ClientError) as caught:
            method(**params)
            pytest.fail(f"{method.__name__}({params}) succeeded")
        assert caught.value.response["Error"]["Code"] == "ClientException", caught.value.response
        assert word in caught.value.response["Error"]["Message"], caught.value.response


def test_awslogs_group_and_stream_prefix_of_a_job_definition_are_used(own_server: Server) -> None:
    import time

    batch, logs = own_server.client("batch"), own_server.client("logs")
    own_server.admin("POST", "/_stepstack/reset")
    ce = batch.create_compute_environment(computeEnvironmentName="g", type="UNMANAGED")["computeEnvironmentArn"]
    queue = batch.create_job_queue(jobQueueName="g", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]
    options = {"awslogs-group": "/my/jobs", "awslogs-stream-prefix": "pre", "awslogs-create-group": "true"}
    container = {"image": "busybox", "command": ["echo", "hello"], "vcpus": 1, "memory": 64, "logConfiguration": {"logDriver": "awslogs", "options": options}}
    batch.register_job_definition(jobDefinitionName="g", type="container", containerProperties=container)
    job_id = batch.submit_job(jobName="g", jobQueue=queue, jobDefinition="g")["jobId"]
    deadline = time.monotonic() + 20
    while (job := batch.describe_jobs(jobs=[job_id])["jobs"][0])["status"] not in ("SUCCEEDED", "FAILED"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "SUCCEEDED", job
    stream = job["container"]["logStreamName"]
    assert stream.startswith("pre/default/"), stream
    deadline = time.monotonic() + 5
    while not (events := logs.get_log_events(logGroupName="/my/jobs", logStreamName=stream)["events"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert [e["message"] for e in events] == ["hello"]


def test_a_null_inside_a_list_or_map_is_refused_as_a_missing_member(own_server: Server) -> None:
    wire = Wire(own_server)
    batch, logs = service_spec("batch").model, service_spec("logs").model
    status, body = wire.call("batch", batch.operation_model("DescribeJobs"), {"jobs": ["x", None]})
    assert (status, body["__type"]) == (400, "ClientException"), body
    assert "Value null at 'jobs.2.member' failed to satisfy constraint: Member must not be null" in body["message"], body
    status, body = wire.call("logs", logs.operation_model("TagLogGroup"), {"logGroupName": "g", "tags": {"k": None}})
    assert status == 400 and body["__type"] in ERRORS["logs"], body
    wire.close()


def test_deletion_protection_refuses_delete_log_group_until_disabled(own_server: Server) -> None:
    logs = own_server.client("logs")
    own_server.admin("POST", "/_stepstack/reset")
    logs.create_log_group(logGroupName="kept", deletionProtectionEnabled=True)
    with pytest.raises(ClientError) as caught:
        logs.delete_log_group(logGroupName="kept")
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
    }
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:kept"
    logs.put_log_group_deletion_protection(logGroupIdentifier=arn, deletionProtectionEnabled=False)
    assert logs.describe_log_groups(logGroupNamePrefix="kept")["logGroups"][0]["deletionProtectionEnabled"] is False
    logs.delete_log_group(logGroupName="kept")
    with pytest.raises(ClientError) as caught:
        logs.put_log_group_deletion_protection(logGroupIdentifier="kept", deletionProtectionEnabled=True)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
