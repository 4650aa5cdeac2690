"""Batch's resource operations through boto3: compute environments, job queues, job
definitions, scheduling policies and tags, as AWS documents them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.inprocess import START, InProcess

ACCOUNT = "000000000000"
PREFIX = f"arn:aws:batch:us-east-1:{ACCOUNT}:"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/exec"
EC2 = {"type": "EC2", "maxvCpus": 16, "instanceTypes": ["optimal"], "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}
FARGATE = {"type": "FARGATE", "maxvCpus": 8, "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}
CONTAINER = {"image": "busybox", "command": ["echo", "hi"], "vcpus": 1, "memory": 128}


@pytest.fixture
def batch(server: Server) -> Any:
    return server.client("batch")


def unique(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def make_ce(batch: Any, resources: dict[str, Any] | None = EC2, **extra: Any) -> str:
    params: dict[str, Any] = {"computeEnvironmentName": unique("ce"), "type": "MANAGED" if resources else "UNMANAGED", **extra}
    if resources:
        params["computeResources"] = resources
    return batch.create_compute_environment(**params)["computeEnvironmentArn"]


def ce(batch: Any, ref: str) -> dict[str, Any]:
    found = batch.describe_compute_environments(computeEnvironments=[ref])["computeEnvironments"]
    assert len(found) <= 1
    return found[0] if found else {}


def make_queue(batch: Any, *environments: str, **extra: Any) -> str:
    order = [{"order": i + 1, "computeEnvironment": e} for i, e in enumerate(environments)]
    return batch.create_job_queue(jobQueueName=unique("q"), priority=extra.pop("priority", 1), computeEnvironmentOrder=order, **extra)["jobQueueArn"]


def queue(batch: Any, ref: str) -> dict[str, Any]:
    found = batch.describe_job_queues(jobQueues=[ref])["jobQueues"]
    return found[0] if found else {}


# -- compute environments -------------------------------------------------------------


def test_a_managed_ec2_environment_is_valid_right_after_create(batch: Any) -> None:
    name = unique("ce")
    created = batch.create_compute_environment(computeEnvironmentName=name, type="MANAGED", computeResources=EC2, tags={"team": "a"})
    assert created["computeEnvironmentArn"] == f"{PREFIX}compute-environment/{name}"
    found = ce(batch, name)
    assert (found["status"], found["state"], found["statusReason"]) == ("VALID", "ENABLED", "ComputeEnvironment Healthy")
    assert found["containerOrchestrationType"] == "ECS" and found["tags"] == {"team": "a"}
    assert found["ecsClusterArn"].startswith(f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/AWSBatch-{name}-")
    assert found["serviceRole"].endswith("role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch")
    resources = found["computeResources"]
    assert (resources["minvCpus"], resources["maxvCpus"], resources["desiredvCpus"]) == (0, 16, 0)
    assert resources["instanceTypes"] == ["optimal"] and resources["subnets"] == ["subnet-1"]
    assert resources["securityGroupIds"] == ["sg-1"] and resources["allocationStrategy"] == "BEST_FIT"
    assert uuid.UUID(found["uuid"])


def test_fargate_and_unmanaged_environments_keep_what_they_were_given(batch: Any) -> None:
    fargate = ce(batch, make_ce(batch, FARGATE, state="DISABLED"))
    assert fargate["computeResources"]["type"] == "FARGATE" and fargate["state"] == "DISABLED"
    assert "minvCpus" not in fargate["computeResources"]
    unmanaged = ce(batch, make_ce(batch, None, unmanagedvCpus=12))
    assert unmanaged["type"] == "UNMANAGED" and unmanaged["unmanagedvCpus"] == 12 and "computeResources" not in unmanaged


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"type": "MANAGED"}, "computeResources must be specified for a MANAGED compute environment"),
        ({"type": "UNMANAGED", "computeResources": EC2}, "computeResources can't be specified for an UNMANAGED compute environment"),
        ({"type": "MANAGED", "computeResources": {**EC2, "minvCpus": 20}}, "minvCpus must be less than or equal to maxvCpus"),
        ({"type": "MANAGED", "computeResources": {**EC2, "desiredvCpus": 17}}, "desiredvCpus must be less than or equal to maxvCpus"),
        ({"type": "MANAGED", "computeResources": {**FARGATE, "instanceTypes": ["m5.large"]}}, "computeResources.instanceTypes is not applicable to Fargate compute environments"),
    ],
)
def test_an_invalid_environment_is_refused(batch: Any, params: dict[str, Any], message: str) -> None:
    assert error(batch.create_compute_environment, computeEnvironmentName=unique("ce"), **params) == ("ClientException", message, 400)


def test_an_environment_name_is_unique_and_well_formed(batch: Any) -> None:
    arn = make_ce(batch)
    name = arn.rsplit("/", 1)[1]
    assert error(batch.create_compute_environment, computeEnvironmentName=name, type="MANAGED", computeResources=EC2)[:2] == ("ClientException", "Object already exists")
    assert error(batch.create_compute_environment, computeEnvironmentName="-bad name", type="UNMANAGED")[0] == "ClientException"


def test_update_changes_capacity_and_state(batch: Any) -> None:
    arn = make_ce(batch)
    batch.update_compute_environment(computeEnvironment=arn, state="DISABLED", computeResources={"maxvCpus": 32, "desiredvCpus": 4})
    found = ce(batch, arn)
    assert (found["state"], found["status"]) == ("DISABLED", "VALID")
    assert (found["computeResources"]["maxvCpus"], found["computeResources"]["desiredvCpus"]) == (32, 4)
    code, message, _ = error(batch.update_compute_environment, computeEnvironment=arn, computeResources={"desiredvCpus": 40})
    assert (code, message) == ("ClientException", "desiredvCpus must be less than or equal to maxvCpus")
    assert error(batch.update_compute_environment, computeEnvironment="nope")[:2] == ("ClientException", "ComputeEnvironment nope not found.")


def test_an_enabled_or_used_environment_cannot_be_deleted(batch: Any) -> None:
    arn = make_ce(batch)
    assert "DISABLED state" in error(batch.delete_compute_environment, computeEnvironment=arn)[1]
    queue_arn = make_queue(batch, arn)
    batch.update_compute_environment(computeEnvironment=arn, state="DISABLED")
    message = error(batch.delete_compute_environment, computeEnvironment=arn)[1]
    assert message == "Cannot delete, found existing JobQueue relationship"
    batch.update_job_queue(jobQueue=queue_arn, state="DISABLED")
    batch.delete_job_queue(jobQueue=queue_arn)
    batch.delete_compute_environment(computeEnvironment=arn)
    assert ce(batch, arn) == {} and queue(batch, queue_arn) == {}


def test_a_deleted_name_can_be_used_again(batch: Any) -> None:
    arn = make_ce(batch, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=arn)
    name = arn.rsplit("/", 1)[1]
    again = batch.create_compute_environment(computeEnvironmentName=name, type="UNMANAGED")
    assert again["computeEnvironmentArn"] == arn and ce(batch, arn)["type"] == "UNMANAGED"


def test_describe_environments_pages_through_everything(server: Server) -> None:
    batch = server.client("batch", region="eu-west-3")  # a region of its own: a known count
    arns = [make_ce(batch, None) for _ in range(5)]
    seen, token, pages = [], None, 0
    while True:
        answer = batch.describe_compute_environments(maxResults=2, **({"nextToken": token} if token else {}))
        seen += [e["computeEnvironmentArn"] for e in answer["computeEnvironments"]]
        pages += 1
        token = answer.get("nextToken")
        if not token:
            break
    assert seen == arns and pages == 3
    by_name_and_arn = batch.describe_compute_environments(computeEnvironments=[arns[0].rsplit("/", 1)[1], arns[1], "missing"])
    assert [e["computeEnvironmentArn"] for e in by_name_and_arn["computeEnvironments"]] == arns[:2]
    assert error(batch.describe_compute_environments, nextToken="garbage")[0] == "ClientException"


# -- job queues -------------------------------------------------------------------------


def test_a_queue_answers_its_environments_as_arns_in_order(batch: Any) -> None:
    first, second = make_ce(batch), make_ce(batch)
    name = unique("q")
    arn = batch.create_job_queue(
        jobQueueName=name, priority=10, state="ENABLED",
        computeEnvironmentOrder=[{"order": 2, "computeEnvironment": second}, {"order": 1, "computeEnvironment": first.rsplit("/", 1)[1]}],
        jobStateTimeLimitActions=[{"reason": "stuck", "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"}],
        tags={"k": "v"},
    )["jobQueueArn"]
    assert arn == f"{PREFIX}job-queue/{name}"
    found = queue(batch, name)
    assert (found["status"], found["statusReason"], found["priority"], found["state"]) == ("VALID", "JobQueue Healthy", 10, "ENABLED")
    assert found["computeEnvironmentOrder"] == [{"order": 2, "computeEnvironment": second}, {"order": 1, "computeEnvironment": first}]
    assert found["jobStateTimeLimitActions"][0]["maxTimeSeconds"] == 600 and found["tags"] == {"k": "v"}


def test_queue_rules(batch: Any) -> None:
    ec2, fargate = make_ce(batch), make_ce(batch, FARGATE)
    assert error(batch.create_job_queue, jobQueueName=unique("q"), priority=1, computeEnvironmentOrder=[
        {"order": 1, "computeEnvironment": ec2}, {"order": 2, "computeEnvironment": fargate}])[1] == "computeEnvironmentOrder can't mix EC2 and Fargate compute environments"
    four = [{"order": i, "computeEnvironment": make_ce(batch)} for i in range(4)]
    assert "at most 3" in error(batch.create_job_queue, jobQueueName=unique("q"), priority=1, computeEnvironmentOrder=four)[1]
    assert error(batch.create_job_queue, jobQueueName=unique("q"), priority=1, computeEnvironmentOrder=[
        {"order": 1, "computeEnvironment": "ghost"}])[1] == "computeEnvironment ghost does not exist"
    limit = [{"reason": "r", "state": "RUNNABLE", "maxTimeSeconds": 599, "action": "CANCEL"}]
    assert "between 600 and 86400" in error(batch.create_job_queue, jobQueueName=unique("q"), priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ec2}], jobStateTimeLimitActions=limit)[1]
    assert error(batch.update_job_queue, jobQueue="nope", priority=2)[:2] == ("ClientException", "JobQueue nope not found.")


def test_update_queue_changes_priority_order_and_state(batch: Any) -> None:
    first, second = make_ce(batch), make_ce(batch)
    arn = make_queue(batch, first)
    assert "DISABLED state" in error(batch.delete_job_queue, jobQueue=arn)[1]
    batch.update_job_queue(jobQueue=arn, priority=99, state="DISABLED", computeEnvironmentOrder=[{"order": 1, "computeEnvironment": second}])
    found = queue(batch, arn)
    assert (found["priority"], found["state"], found["status"]) == (99, "DISABLED", "VALID")
    assert found["computeEnvironmentOrder"] == [{"order": 1, "computeEnvironment": second}]
    batch.update_compute_environment(computeEnvironment=first, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=first)  # no longer in the queue's order


def test_transitions_settle_on_the_service_clock(server: Server, batch: Any) -> None:
    """Describe right after Create/Update shows VALID: transitions take 0 seconds of service time
    by default, and a Describe settles any transition that is due."""
    arn = make_ce(batch)
    batch.update_compute_environment(computeEnvironment=arn, state="DISABLED")
    server.advance(0)
    assert ce(batch, arn)["status"] == "VALID"


# -- job definitions --------------------------------------------------------------------


def test_revisions_count_up_per_name_and_are_never_reused(batch: Any) -> None:
    name = unique("jd")
    revisions = [batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties=CONTAINER)["revision"] for _ in range(3)]
    assert revisions == [1, 2, 3]
    batch.deregister_job_definition(jobDefinition=f"{name}:3")
    assert batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties=CONTAINER)["revision"] == 4
    statuses = {d["revision"]: d["status"] for d in batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]}
    assert statuses == {1: "ACTIVE", 2: "ACTIVE", 3: "INACTIVE", 4: "ACTIVE"}
    active = batch.describe_job_definitions(jobDefinitionName=name, status="INACTIVE")["jobDefinitions"]
    assert [d["revision"] for d in active] == [3]


def test_a_definition_is_answered_with_aws_defaults(batch: Any) -> None:
    name = unique("jd")
    arn = batch.register_job_definition(
        jobDefinitionName=name, type="container", containerProperties={"image": "busybox", "vcpus": 1, "memory": 64},
        retryStrategy={"attempts": 3, "evaluateOnExit": [{"onExitCode": "1*", "action": "RETRY"}]},
        timeout={"attemptDurationSeconds": 60}, parameters={"p": "v"}, tags={"t": "1"}, propagateTags=True, schedulingPriority=5,
    )["jobDefinitionArn"]
    assert arn == f"{PREFIX}job-definition/{name}:1"
    found = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"][0]
    assert (found["status"], found["type"], found["revision"], found["containerOrchestrationType"]) == ("ACTIVE", "container", 1, "ECS")
    container = found["containerProperties"]
    assert container["command"] == [] and container["environment"] == [] and container["resourceRequirements"] == []
    assert "fargatePlatformConfiguration" not in container and "platformCapabilities" not in found
    assert found["retryStrategy"]["attempts"] == 3 and found["timeout"] == {"attemptDurationSeconds": 60}
    assert (found["parameters"], found["tags"], found["propagateTags"], found["schedulingPriority"]) == ({"p": "v"}, {"t": "1"}, True, 5)


def test_fargate_definitions_need_allowed_vcpu_memory_and_a_role(batch: Any) -> None:
    def fargate(vcpu: str, memory: str, **more: Any) -> dict[str, Any]:
        return {"image": "busybox", "executionRoleArn": ROLE, **more,
                "resourceRequirements": [{"type": "VCPU", "value": vcpu}, {"type": "MEMORY", "value": memory}]}

    name = unique("jd")
    ok = batch.register_job_definition(jobDefinitionName=name, type="container", platformCapabilities=["FARGATE"], containerProperties=fargate("0.25", "512"))
    found = batch.describe_job_definitions(jobDefinitions=[ok["jobDefinitionArn"]])["jobDefinitions"][0]
    assert found["platformCapabilities"] == ["FARGATE"]
    assert found["containerProperties"]["fargatePlatformConfiguration"] == {"platformVersion": "LATEST"}
    assert found["containerProperties"]["networkConfiguration"] == {"assignPublicIp": "DISABLED"}
    for bad, words in [
        (fargate("1", "512"), "MEMORY value 512 is not supported with VCPU value 1"),
        (fargate("3", "4096"), "VCPU value 3 is not supported"),
        ({"image": "busybox", "executionRoleArn": ROLE, "vcpus": 1, "memory": 2048}, "containerProperties.vcpus is not applicable"),
        ({**fargate("1", "2048"), "executionRoleArn": ""}, "must specify containerProperties.executionRoleArn"),
    ]:
        message = error(batch.register_job_definition, jobDefinitionName=name, type="container", platformCapabilities=["FARGATE"], containerProperties=bad)[1]
        assert words in message


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"retryStrategy": {"attempts": 11}}, "attempts must be between 1 and 10"),
        ({"retryStrategy": {"attempts": 2, "evaluateOnExit": [{"action": "EXIT", "onExitCode": "1"}] * 6}}, "at most 5"),
        ({"timeout": {"attemptDurationSeconds": 59}}, "at least 60 seconds"),
        ({"schedulingPriority": 10000}, "schedulingPriority must be between 0 and 9999"),
    ],
)
def test_definition_limits(batch: Any, extra: dict[str, Any], words: str) -> None:
    code, message, status = error(batch.register_job_definition, jobDefinitionName=unique("jd"), type="container", containerProperties=CONTAINER, **extra)
    assert (code, status) == ("ClientException", 400) and words in message


def test_multinode_definitions_cover_every_node(batch: Any) -> None:
    name = unique("mn")
    nodes = {"numNodes": 4, "mainNode": 0, "nodeRangeProperties": [{"targetNodes": "0:", "container": CONTAINER}, {"targetNodes": "2:3", "container": CONTAINER}]}
    arn = batch.register_job_definition(jobDefinitionName=name, type="multinode", nodeProperties=nodes)["jobDefinitionArn"]
    found = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"][0]
    assert found["type"] == "multinode" and found["nodeProperties"]["numNodes"] == 4
    gap = {**nodes, "nodeRangeProperties": [{"targetNodes": "0:1", "container": CONTAINER}]}
    assert "cover every node" in error(batch.register_job_definition, jobDefinitionName=name, type="multinode", nodeProperties=gap)[1]
    outside = {**nodes, "nodeRangeProperties": [{"targetNodes": "0:4", "container": CONTAINER}]}
    assert "outside the nodes 0:3" in error(batch.register_job_definition, jobDefinitionName=name, type="multinode", nodeProperties=outside)[1]
    assert "mainNode" in error(batch.register_job_definition, jobDefinitionName=name, type="multinode", nodeProperties={**nodes, "mainNode": 4})[1]


def test_describe_definitions_by_name_revision_arn_and_pages(server: Server) -> None:
    batch = server.client("batch", region="eu-north-1")
    a, b = unique("a"), unique("b")
    for name in (a, a, b):
        batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties=CONTAINER)
    arns = lambda answer: [d["jobDefinitionArn"] for d in answer["jobDefinitions"]]  # noqa: E731
    prefix = "arn:aws:batch:eu-north-1:000000000000:job-definition/"
    assert arns(batch.describe_job_definitions(jobDefinitions=[a])) == [f"{prefix}{a}:1", f"{prefix}{a}:2"]
    assert arns(batch.describe_job_definitions(jobDefinitions=[f"{a}:2", f"{prefix}{b}:1"])) == [f"{prefix}{a}:2", f"{prefix}{b}:1"]
    first = batch.describe_job_definitions(maxResults=2)
    second = batch.describe_job_definitions(maxResults=2, nextToken=first["nextToken"])
    assert arns(first) + arns(second) == [f"{prefix}{a}:1", f"{prefix}{a}:2", f"{prefix}{b}:1"] and "nextToken" not in second


def test_deregistering_an_unknown_definition_is_refused(batch: Any) -> None:
    assert error(batch.deregister_job_definition, jobDefinition="ghost:1")[:2] == ("ClientException", "JobDefinition ghost:1 not found.")


# -- scheduling policies ----------------------------------------------------------------


def test_scheduling_policy_lifecycle(batch: Any) -> None:
    name = unique("sp")
    fairshare = {"shareDecaySeconds": 3600, "computeReservation": 10, "shareDistribution": [{"shareIdentifier": "team*", "weightFactor": 0.5}]}
    arn = batch.create_scheduling_policy(name=name, fairsharePolicy=fairshare, tags={"a": "b"})["arn"]
    assert arn == f"{PREFIX}scheduling-policy/{name}"
    found = batch.describe_scheduling_policies(arns=[arn, f"{PREFIX}scheduling-policy/ghost"])["schedulingPolicies"]
    assert found == [{"name": name, "arn": arn, "fairsharePolicy": fairshare, "tags": {"a": "b"}}]
    assert {"arn": arn} in batch.list_scheduling_policies()["schedulingPolicies"]
    batch.update_scheduling_policy(arn=arn, fairsharePolicy={"shareDecaySeconds": 60})
    assert batch.describe_scheduling_policies(arns=[arn])["schedulingPolicies"][0]["fairsharePolicy"] == {"shareDecaySeconds": 60}
    queue_arn = make_queue(batch, make_ce(batch), schedulingPolicyArn=arn)
    assert queue(batch, queue_arn)["schedulingPolicyArn"] == arn
    assert "Cannot delete" in error(batch.delete_scheduling_policy, arn=arn)[1]
    batch.update_job_queue(jobQueue=queue_arn, state="DISABLED")
    batch.delete_job_queue(jobQueue=queue_arn)
    batch.delete_scheduling_policy(arn=arn)
    assert batch.describe_scheduling_policies(arns=[arn])["schedulingPolicies"] == []


@pytest.mark.parametrize(
    "fairshare",
    [
        {"shareDistribution": [{"shareIdentifier": "a*b"}]},
        {"shareDistribution": [{"shareIdentifier": "x", "weightFactor": 1000}]},
        {"computeReservation": 100},
        {"shareDecaySeconds": 604801},
    ],
)
def test_an_invalid_fairshare_policy_is_refused(batch: Any, fairshare: dict[str, Any]) -> None:
    assert error(batch.create_scheduling_policy, name=unique("sp"), fairsharePolicy=fairshare)[0] == "ClientException"


def test_a_queue_without_a_policy_cannot_gain_one(batch: Any) -> None:
    policy = batch.create_scheduling_policy(name=unique("sp"))["arn"]
    arn = make_queue(batch, make_ce(batch))
    assert error(batch.update_job_queue, jobQueue=arn, schedulingPolicyArn=policy)[0] == "ClientException"


# -- tags -------------------------------------------------------------------------------


def test_tags_on_every_resource_kind(batch: Any) -> None:
    environment = make_ce(batch)
    arns = [
        environment,
        make_queue(batch, environment),
        batch.register_job_definition(jobDefinitionName=unique("jd"), type="container", containerProperties=CONTAINER)["jobDefinitionArn"],
        batch.create_scheduling_policy(name=unique("sp"))["arn"],
    ]
    for arn in arns:
        batch.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
        batch.untag_resource(resourceArn=arn, tagKeys=["a", "missing"])
        assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert ce(batch, environment)["tags"] == {"b": "2"}


def test_tag_limits(batch: Any) -> None:
    arn = batch.create_scheduling_policy(name=unique("sp"), tags={f"k{i}": "v" for i in range(49)})["arn"]
    assert "at most 50 tags" in error(batch.tag_resource, resourceArn=arn, tags={"x": "1", "y": "2"})[1]
    assert "reserved" in error(batch.tag_resource, resourceArn=arn, tags={"aws:owner": "me"})[1]
    assert error(batch.tag_resource, resourceArn=arn, tags={"k" * 129: "v"})[0] == "ClientException"
    assert error(batch.tag_resource, resourceArn=arn, tags={"k": "v" * 257})[0] == "ClientException"
    assert error(batch.list_tags_for_resource, resourceArn=f"{PREFIX}job-queue/ghost")[:2] == ("ClientException", f"Resource {PREFIX}job-queue/ghost not found")
    assert len(batch.list_tags_for_resource(resourceArn=arn)["tags"]) == 49


# -- snapshots --------------------------------------------------------------------------


def test_snapshot_round_trip_keeps_resources_revisions_and_pending_transitions() -> None:
    app = InProcess(start=START)
    try:
        call = lambda op, **p: app.call("batch", op, p)  # noqa: E731
        environment = call("CreateComputeEnvironment", computeEnvironmentName="ce", type="MANAGED", computeResources=EC2)["computeEnvironmentArn"]
        call("CreateJobQueue", jobQueueName="q", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])
        for _ in range(2):
            call("RegisterJobDefinition", jobDefinitionName="jd", type="container", containerProperties=CONTAINER)
        call("DeregisterJobDefinition", jobDefinition="jd:2")
        call("CreateSchedulingPolicy", name="sp", tags={"a": "b"})
        call("UpdateComputeEnvironment", computeEnvironment="ce", state="DISABLED")  # UPDATING, due now
        before = json.loads(json.dumps(app.dispatcher.snapshot()))
        restored = InProcess(start=START - 3600)
        try:
            restored.run(restored.dispatcher.restore(before))
            assert json.loads(json.dumps(restored.dispatcher.snapshot())) == before
            again = lambda op, **p: restored.call("batch", op, p)  # noqa: E731
            found = again("DescribeComputeEnvironments")["computeEnvironments"]
            assert [(e["computeEnvironmentName"], e["status"], e["state"]) for e in found] == [("ce", "VALID", "DISABLED")]
            assert again("DescribeJobQueues")["jobQueues"][0]["computeEnvironmentOrder"][0]["computeEnvironment"] == environment
            assert again("RegisterJobDefinition", jobDefinitionName="jd", type="container", containerProperties=CONTAINER)["revision"] == 3
            assert [d["status"] for d in again("DescribeJobDefinitions", jobDefinitionName="jd")["jobDefinitions"]] == ["ACTIVE", "INACTIVE", "ACTIVE"]
        finally:
            restored.close()
    finally:
        app.close()
