"""Every operation of the four botocore models reaches the server and gets a real answer.

docs/coverage.md says which operations are implemented. A "no" must answer HTTP 501
`NotImplemented` in its service's own wire protocol, naming the operation; a "yes"
must succeed with valid input. So the not-implemented checks shrink and the success
checks grow as operations land, with no list here to keep in step. Input that breaks
the model gets each service's own validation error before any dispatch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, ServiceModel

from tests.conftest import ROOT, Server, start_server, stop_server
from tests.raw_http import FORM, SQS_JSON, RawResponse, send
from tests.shape_values import example_input

SERVICES = ("sqs", "sns", "stepfunctions", "batch", "logs", "lambda")
COVERAGE = ROOT / "docs" / "coverage.md"
ROLE = "arn:aws:iam::000000000000:role/r"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
# the content type each wire protocol gives its error bodies
ERROR_CONTENT_TYPES = {"query": "text/xml", "json": "application/x-amz-json-1.", "rest-json": "application/json"}


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def all_operations() -> list[tuple[str, str]]:
    return [(service, op) for service in SERVICES for op in service_model(service).operation_names]


@cache
def coverage() -> dict[str, dict[str, bool]]:
    """service -> operation -> implemented, from the `## service` tables of docs/coverage.md."""
    tables: dict[str, dict[str, bool]] = {}
    rows: dict[str, bool] | None = None
    for line in COVERAGE.read_text().splitlines():
        if heading := re.match(r"## (\S+)", line):
            rows = tables.setdefault(heading.group(1), {})
        elif rows is not None and (row := re.match(r"\| (\w+) \| (yes|no) \|$", line)):
            rows[row.group(1)] = row.group(2) == "yes"
    return tables


def covered(implemented: bool) -> list[tuple[str, str]]:
    return [(s, op) for s in SERVICES for op, done in sorted(coverage()[s].items()) if done is implemented]


def method_name(client: Any, operation: str) -> str:
    inverse = {api: method for method, api in client.meta.method_to_api_mapping.items()}
    return inverse[operation]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own: the success checks delete and reset freely."""
    running = start_server(tmp_path_factory.mktemp("every-operation"))
    yield running
    stop_server(running)
    log = running.log_path.read_text()
    assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


@pytest.fixture(scope="module")
def model_clients(own_server: Server) -> Callable[[str], Any]:
    """One boto3 client per service. Host prefixes are off: StartSyncExecution's `sync-`
    would otherwise be prepended to 127.0.0.1, a host that does not resolve. The read
    timeout is short so that a long poll given the wrong input fails instead of hanging."""
    clients: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in clients:
            clients[service] = own_server.client(service, inject_host_prefix=False, read_timeout=15)
        return clients[service]

    return make


def raw(server: Server, method: str, path: str, body: bytes | str | None, headers: dict[str, str]) -> RawResponse:
    return send(server.host, server.port, method, path, body, headers)


# -- resources that valid input points at --------------------------------------------


def sqs_world(sqs: Any) -> dict[str, Any]:
    """Queues with messages, a receipt handle, a redrive pair and a running move task."""
    arn = "arn:aws:sqs:us-east-1:000000000000:{}".format
    v: dict[str, Any] = {"name": "every", "dlq_arn": arn("every-dlq")}
    v["url"] = sqs.create_queue(QueueName="every")["QueueUrl"]
    v["fifo"] = sqs.create_queue(QueueName="every.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    v["dlq"] = sqs.create_queue(QueueName="every-dlq")["QueueUrl"]
    redrive = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": v["dlq_arn"], "maxReceiveCount": 5})}
    sqs.set_queue_attributes(QueueUrl=v["url"], Attributes=redrive)
    sqs.add_permission(QueueUrl=v["url"], Label="every", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    sqs.send_message_batch(QueueUrl=v["url"], Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    v["handle"] = sqs.receive_message(QueueUrl=v["url"], WaitTimeSeconds=0)["Messages"][0]["ReceiptHandle"]
    sqs.send_message(QueueUrl=v["dlq"], MessageBody="dead")
    # a second redrive pair whose move task, at one message a second, is still running when cancelled
    move_dlq = sqs.create_queue(QueueName="every-move-dlq")["QueueUrl"]
    source = sqs.create_queue(QueueName="every-move-source")["QueueUrl"]
    redrive = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("every-move-dlq"), "maxReceiveCount": 5})}
    sqs.set_queue_attributes(QueueUrl=source, Attributes=redrive)
    sqs.send_message_batch(QueueUrl=move_dlq, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(5)])
    # sent straight to the dead-letter queue, the messages have no source to return to: a destination
    started = sqs.start_message_move_task(
        SourceArn=arn("every-move-dlq"), DestinationArn=arn("every"), MaxNumberOfMessagesPerSecond=1
    )
    v["move_task"] = started["TaskHandle"]
    return v


def stepfunctions_world(sfn: Any) -> dict[str, Any]:
    """A standard and an express Pass machine, an activity with one task handed out
    (its token) and one waiting, and the executions behind them still running."""
    v: dict[str, Any] = {"role": ROLE, "definition": PASS}
    v["machine"] = sfn.create_state_machine(name="every", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    express = sfn.create_state_machine(name="every-express", definition=PASS, roleArn=ROLE, type="EXPRESS")
    v["express"] = express["stateMachineArn"]
    v["activity"] = sfn.create_activity(name="every")["activityArn"]
    task = {"Type": "Task", "Resource": v["activity"], "End": True}
    worker = sfn.create_state_machine(
        name="every-worker", definition=json.dumps({"StartAt": "A", "States": {"A": task}}), roleArn=ROLE
    )["stateMachineArn"]
    v["execution"] = sfn.start_execution(stateMachineArn=worker)["executionArn"]
    sfn.start_execution(stateMachineArn=worker)
    v["token"] = sfn.get_activity_task(activityArn=v["activity"])["taskToken"]
    versioned = sfn.create_state_machine(name="every-versioned", definition=PASS, roleArn=ROLE, publish=True)
    v["versioned"], v["version"] = versioned["stateMachineArn"], versioned["stateMachineVersionArn"]
    v["alias"] = sfn.create_state_machine_alias(
        name="every", routingConfiguration=[{"stateMachineVersionArn": v["version"], "weight": 100}]
    )["stateMachineAliasArn"]
    sfn.update_state_machine(stateMachineArn=v["versioned"], definition=WAIT)
    v["version2"] = sfn.publish_state_machine_version(stateMachineArn=v["versioned"])["stateMachineVersionArn"]
    failing = sfn.create_state_machine(
        name="every-failing", definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}), roleArn=ROLE
    )["stateMachineArn"]
    v["failed"] = sfn.start_execution(stateMachineArn=failing)["executionArn"]
    while sfn.describe_execution(executionArn=v["failed"])["status"] == "RUNNING":  # a Fail state: it ends at once
        pass
    child = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100000, "End": True}},
             "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}
    distributed = sfn.create_state_machine(name="every-distributed", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": child, "End": True}}}
    ))["stateMachineArn"]
    v["map_execution"] = sfn.start_execution(stateMachineArn=distributed, input="[1]")["executionArn"]
    while not (runs := sfn.list_map_runs(executionArn=v["map_execution"])["mapRuns"]):  # started at once
        pass
    v["map_run"] = runs[0]["mapRunArn"]  # its one child waits: the Map Run keeps running
    return v


def sns_world(sns: Any) -> dict[str, Any]:
    """A topic with a queue subscribed, an http subscription waiting for confirmation (its
    token read from the inspection endpoint, as a test would), a platform application with an
    endpoint, and a pending SMS sandbox number (its code read from the recorded texts)."""
    import urllib.request

    v: dict[str, Any] = {"queue_arn": "arn:aws:sqs:us-east-1:000000000000:every-sns"}
    endpoint = sns.meta.endpoint_url
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    sqs.create_queue(QueueName="every-sns")
    v["topic"] = sns.create_topic(Name="every")["TopicArn"]
    v["subscription"] = sns.subscribe(TopicArn=v["topic"], Protocol="sqs", Endpoint=v["queue_arn"])["SubscriptionArn"]
    sns.add_permission(TopicArn=v["topic"], Label="every", AWSAccountId=["111111111111"], ActionName=["Publish"])
    sns.subscribe(TopicArn=v["topic"], Protocol="http", Endpoint="http://127.0.0.1:9/never")
    with urllib.request.urlopen(f"{endpoint}/_stepstack/sns/subscriptions?Account=000000000000&Region=us-east-1") as answer:
        pending = [s for s in json.loads(answer.read())["Subscriptions"] if s.get("Token")]
    v["token"] = pending[0]["Token"]
    app = sns.create_platform_application(Name="every", Platform="GCM", Attributes={"PlatformCredential": "key"})
    v["app"] = app["PlatformApplicationArn"]
    v["endpoint"] = sns.create_platform_endpoint(PlatformApplicationArn=v["app"], Token="every-token")["EndpointArn"]
    v["sandbox_number"] = "+15555550100"
    sns.create_sms_sandbox_phone_number(PhoneNumber=v["sandbox_number"])
    with urllib.request.urlopen(f"{endpoint}/_stepstack/sns/sms?Account=000000000000&Region=us-east-1") as answer:
        v["otp"] = json.loads(answer.read())["Messages"][-1]["OneTimePassword"]
    return v


def logs_world(logs: Any) -> dict[str, Any]:
    """A log group with a stream holding one event, stamped on the server's clock."""
    import urllib.request

    with urllib.request.urlopen(f"{logs.meta.endpoint_url}/_stepstack/clock") as answer:
        now = int(json.loads(answer.read())["now"] * 1000)
    v: dict[str, Any] = {"group": "every", "stream": "every", "group_arn": "arn:aws:logs:us-east-1:000000000000:log-group:every"}
    logs.create_log_group(logGroupName="every", tags={"k": "v"})
    logs.create_log_stream(logGroupName="every", logStreamName="every")
    v["events"] = [{"timestamp": now, "message": "hello"}]
    logs.put_log_events(logGroupName="every", logStreamName="every", logEvents=v["events"])
    return v


def batch_world(batch: Any) -> dict[str, Any]:
    """A compute environment, a queue on it, a job definition and a scheduling policy."""
    resources = {"type": "EC2", "maxvCpus": 4, "instanceTypes": ["optimal"], "subnets": ["subnet-1"]}
    v: dict[str, Any] = {"policy": batch.create_scheduling_policy(name="every", tags={"k": "v"})["arn"]}
    v["free_policy"] = batch.create_scheduling_policy(name="every-free")["arn"]
    v["ce"] = batch.create_compute_environment(computeEnvironmentName="every", type="MANAGED", computeResources=resources)["computeEnvironmentArn"]
    v["disabled_ce"] = batch.create_compute_environment(computeEnvironmentName="every-off", type="UNMANAGED", state="DISABLED")["computeEnvironmentArn"]
    v["queue"] = batch.create_job_queue(
        jobQueueName="every", priority=1, schedulingPolicyArn=v["policy"], computeEnvironmentOrder=[{"order": 1, "computeEnvironment": v["ce"]}]
    )["jobQueueArn"]
    v["disabled_queue"] = batch.create_job_queue(
        jobQueueName="every-off", priority=1, state="DISABLED", computeEnvironmentOrder=[{"order": 1, "computeEnvironment": v["ce"]}]
    )["jobQueueArn"]
    v["container"] = {"image": "busybox", "command": ["true"], "vcpus": 1, "memory": 64}
    v["definition"] = batch.register_job_definition(jobDefinitionName="every", type="container", containerProperties=v["container"])["jobDefinitionArn"]
    v["job"] = batch.submit_job(jobName="every", jobQueue=v["queue"], jobDefinition=v["definition"], shareIdentifier="a", schedulingPriorityOverride=1)["jobId"]
    return v


def lambda_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def lambda_world(lam: Any) -> dict[str, Any]:
    """A function with version 1, an alias, a permission, reserved concurrency and an invoke
    config, and a layer version with a permission of its own."""
    v: dict[str, Any] = {"fn": "every", "zip": lambda_zip(), "role": ROLE}
    v["fn_arn"] = lam.create_function(FunctionName="every", Runtime="python3.12", Role=ROLE, Handler="handler.handler",
                                      Code={"ZipFile": v["zip"]}, Tags={"k": "v"})["FunctionArn"]
    lam.publish_version(FunctionName="every")
    lam.create_alias(FunctionName="every", Name="every-alias", FunctionVersion="1")
    lam.add_permission(FunctionName="every", StatementId="every", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    lam.put_function_concurrency(FunctionName="every", ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="every", MaximumRetryAttempts=1)
    v["layer_arn"] = lam.publish_layer_version(LayerName="every", Content={"ZipFile": v["zip"]})["LayerVersionArn"]
    lam.add_layer_version_permission(LayerName="every", VersionNumber=1, StatementId="every", Action="lambda:GetLayerVersion", Principal="*")
    import boto3

    sqs = boto3.client("sqs", endpoint_url=lam.meta.endpoint_url, region_name=lam.meta.region_name,
                       aws_access_key_id="000000000000", aws_secret_access_key="test")
    for name in ("every-mapped", "every-free"):
        sqs.create_queue(QueueName=name)
    v["free_queue_arn"] = f"arn:aws:sqs:{lam.meta.region_name}:000000000000:every-free"
    v["esm"] = lam.create_event_source_mapping(
        EventSourceArn=f"arn:aws:sqs:{lam.meta.region_name}:000000000000:every-mapped", FunctionName="every", Enabled=False)["UUID"]
    return v


# A service's first operations may need none; its first resources need a world here.
WORLDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "sqs": sqs_world, "stepfunctions": stepfunctions_world, "sns": sns_world, "logs": logs_world,
    "batch": batch_world, "lambda": lambda_world,
}

# Top-level members that name a resource, by member name, pointed at the world's.
RESOURCES = {
    "QueueUrl": "$url",
    "ReceiptHandle": "$handle",
    "SourceArn": "$dlq_arn",
    "TaskHandle": "$move_task",
    "stateMachineArn": "$machine",
    "activityArn": "$activity",
    "executionArn": "$execution",
    "taskToken": "$token",
    "resourceArn": "$machine",
    "roleArn": "$role",
    "definition": "$definition",
    "TopicArn": "$topic",
    "SubscriptionArn": "$subscription",
    "ResourceArn": "$topic",
    "logGroupName": "$group",
    "logStreamName": "$stream",
    "FunctionName": "$fn",
}

# What an operation needs beyond its required members and resources: values with
# meaning (attributes, batch entries, JSON), and prompt answers for the long polls.
VALID: dict[str, dict[str, Any]] = {
    "sqs.AddPermission": {"Label": "second", "AWSAccountIds": ["111111111111"], "Actions": ["ReceiveMessage"]},
    "sqs.ChangeMessageVisibility": {"VisibilityTimeout": 10},
    "sqs.ChangeMessageVisibilityBatch": {"Entries": [{"Id": "a", "ReceiptHandle": "$handle", "VisibilityTimeout": 5}]},
    "sqs.CreateQueue": {"QueueName": "every-new", "Attributes": {"DelaySeconds": "5"}, "tags": {"k": "v"}},
    "sqs.DeleteMessageBatch": {"Entries": [{"Id": "a", "ReceiptHandle": "$handle"}]},
    "sqs.GetQueueAttributes": {"AttributeNames": ["All"]},
    "sqs.GetQueueUrl": {"QueueName": "$name"},
    "sqs.ListDeadLetterSourceQueues": {"QueueUrl": "$dlq"},
    "sqs.ListQueues": {"QueueNamePrefix": "every", "MaxResults": 2},
    "sqs.ReceiveMessage": {"MaxNumberOfMessages": 2, "WaitTimeSeconds": 0, "MessageSystemAttributeNames": ["All"]},
    "sqs.RemovePermission": {"Label": "every"},
    "sqs.SendMessage": {"MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}},
    "sqs.SendMessageBatch": {
        "QueueUrl": "$fifo",
        "Entries": [{"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"}],
    },
    "sqs.SetQueueAttributes": {"Attributes": {"VisibilityTimeout": "10"}},
    "sqs.TagQueue": {"Tags": {"a": "b"}},
    "sqs.UntagQueue": {"TagKeys": ["a"]},
    "stepfunctions.CreateActivity": {"name": "every-new"},
    "stepfunctions.CreateStateMachine": {"name": "every-new", "definition": WAIT, "tags": [{"key": "k", "value": "v"}]},
    "stepfunctions.GetActivityTask": {"workerName": "w"},  # the world left one task waiting
    "stepfunctions.GetExecutionHistory": {"reverseOrder": True},
    "stepfunctions.ListActivities": {"maxResults": 1},
    "stepfunctions.ListExecutions": {"stateMachineArn": "$machine"},  # or a mapRunArn: neither is required alone
    "stepfunctions.SendTaskFailure": {"error": "E", "cause": "c"},
    "stepfunctions.SendTaskSuccess": {"output": "{}"},
    "stepfunctions.StartExecution": {"input": "{}"},
    "stepfunctions.StartSyncExecution": {"stateMachineArn": "$express", "input": "{}"},  # a Pass: answers at once
    "stepfunctions.StopExecution": {"error": "E"},
    "stepfunctions.RedriveExecution": {"executionArn": "$failed"},  # it fails again each time
    "stepfunctions.TestState": {"definition": json.dumps({"Type": "Pass", "End": True}), "input": "{}", "inspectionLevel": "DEBUG"},
    "stepfunctions.TagResource": {"resourceArn": "$activity", "tags": [{"key": "k", "value": "v"}]},
    "stepfunctions.UntagResource": {"tagKeys": ["k"]},
    "stepfunctions.UpdateStateMachine": {"definition": WAIT},
    "stepfunctions.PublishStateMachineVersion": {"stateMachineArn": "$versioned"},
    "stepfunctions.ListStateMachineVersions": {"stateMachineArn": "$versioned"},
    "stepfunctions.DeleteStateMachineVersion": {"stateMachineVersionArn": "$version2"},  # no alias points at it
    "stepfunctions.CreateStateMachineAlias": {"name": "every-new", "routingConfiguration": [{"stateMachineVersionArn": "$version", "weight": 100}]},
    "stepfunctions.DescribeStateMachineAlias": {"stateMachineAliasArn": "$alias"},
    "stepfunctions.UpdateStateMachineAlias": {"stateMachineAliasArn": "$alias", "description": "d"},
    "stepfunctions.DeleteStateMachineAlias": {"stateMachineAliasArn": "$alias"},
    "stepfunctions.ListStateMachineAliases": {"stateMachineArn": "$versioned"},
    "stepfunctions.ListMapRuns": {"executionArn": "$map_execution"},
    "stepfunctions.DescribeMapRun": {"mapRunArn": "$map_run"},
    "stepfunctions.UpdateMapRun": {"mapRunArn": "$map_run", "maxConcurrency": 5},
    "sns.AddPermission": {"Label": "second", "AWSAccountId": ["111111111111"], "ActionName": ["Subscribe"]},
    "sns.ConfirmSubscription": {"Token": "$token"},
    "sns.CreateTopic": {"Name": "every-new", "Attributes": {"DisplayName": "d"}, "Tags": [{"Key": "k", "Value": "v"}]},
    "sns.Publish": {"TopicArn": "$topic", "Message": "hello", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}},
    "sns.PublishBatch": {"PublishBatchRequestEntries": [{"Id": "a", "Message": "x"}]},
    "sns.PutDataProtectionPolicy": {"DataProtectionPolicy": json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})},
    "sns.RemovePermission": {"Label": "every"},
    "sns.SetSubscriptionAttributes": {"AttributeName": "RawMessageDelivery", "AttributeValue": "true"},
    "sns.SetTopicAttributes": {"AttributeName": "DisplayName", "AttributeValue": "shown"},
    "sns.Subscribe": {"Protocol": "sqs", "Endpoint": "$queue_arn"},
    "sns.TagResource": {"Tags": [{"Key": "k", "Value": "v"}]},
    "sns.UntagResource": {"TagKeys": ["k"]},
    "sns.CheckIfPhoneNumberIsOptedOut": {"phoneNumber": "+15555550111"},
    "sns.CreatePlatformApplication": {"Name": "every-new", "Platform": "ADM", "Attributes": {"PlatformPrincipal": "id", "PlatformCredential": "secret"}},
    "sns.CreatePlatformEndpoint": {"PlatformApplicationArn": "$app", "Token": "every-new-token", "CustomUserData": "u"},
    "sns.CreateSMSSandboxPhoneNumber": {"PhoneNumber": "+15555550112", "LanguageCode": "en-US"},
    "sns.DeleteEndpoint": {"EndpointArn": "$endpoint"},
    "sns.DeletePlatformApplication": {"PlatformApplicationArn": "$app"},
    "sns.DeleteSMSSandboxPhoneNumber": {"PhoneNumber": "$sandbox_number"},
    "sns.GetEndpointAttributes": {"EndpointArn": "$endpoint"},
    "sns.GetPlatformApplicationAttributes": {"PlatformApplicationArn": "$app"},
    "sns.GetSMSAttributes": {"attributes": ["MonthlySpendLimit"]},
    "sns.ListEndpointsByPlatformApplication": {"PlatformApplicationArn": "$app"},
    "sns.ListOriginationNumbers": {"MaxResults": 10},
    "sns.ListSMSSandboxPhoneNumbers": {"MaxResults": 10},
    "sns.OptInPhoneNumber": {"phoneNumber": "+15555550111"},
    "sns.SetEndpointAttributes": {"EndpointArn": "$endpoint", "Attributes": {"Enabled": "false"}},
    "sns.SetPlatformApplicationAttributes": {"PlatformApplicationArn": "$app", "Attributes": {"SuccessFeedbackSampleRate": "50"}},
    "sns.SetSMSAttributes": {"attributes": {"DefaultSMSType": "Transactional"}},
    "sns.VerifySMSSandboxPhoneNumber": {"PhoneNumber": "$sandbox_number", "OneTimePassword": "$otp"},
    "logs.CreateLogGroup": {"logGroupName": "every-new", "tags": {"k": "v"}},
    "logs.CreateLogStream": {"logStreamName": "every-new"},
    "logs.DescribeLogStreams": {"logGroupName": "$group", "orderBy": "LastEventTime", "descending": True},
    "logs.FilterLogEvents": {"logGroupName": "$group", "filterPattern": "hello"},
    "logs.GetLogEvents": {"logGroupName": "$group", "startFromHead": True},
    "logs.ListTagsForResource": {"resourceArn": "$group_arn"},
    "logs.PutLogEvents": {"logEvents": "$events"},
    "logs.PutRetentionPolicy": {"retentionInDays": 7},
    "logs.PutLogGroupDeletionProtection": {"logGroupIdentifier": "$group", "deletionProtectionEnabled": True},
    "logs.TagLogGroup": {"tags": {"a": "b"}},
    "logs.TagResource": {"resourceArn": "$group_arn", "tags": {"a": "b"}},
    "logs.UntagLogGroup": {"tags": ["k"]},
    "logs.UntagResource": {"resourceArn": "$group_arn", "tagKeys": ["k"]},
    "batch.CreateComputeEnvironment": {"computeEnvironmentName": "every-new", "type": "UNMANAGED", "unmanagedvCpus": 4},
    "batch.CreateJobQueue": {"jobQueueName": "every-new", "priority": 1, "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "$ce"}]},
    "batch.CreateSchedulingPolicy": {"name": "every-new", "fairsharePolicy": {"shareDistribution": [{"shareIdentifier": "a*", "weightFactor": 1.0}]}},
    "batch.DeleteComputeEnvironment": {"computeEnvironment": "$disabled_ce"},
    "batch.DeleteJobQueue": {"jobQueue": "$disabled_queue"},
    "batch.DeleteSchedulingPolicy": {"arn": "$free_policy"},
    "batch.DeregisterJobDefinition": {"jobDefinition": "$definition"},
    "batch.DescribeComputeEnvironments": {"computeEnvironments": ["$ce"]},
    "batch.DescribeJobDefinitions": {"jobDefinitionName": "every", "status": "ACTIVE"},
    "batch.DescribeJobQueues": {"jobQueues": ["$queue"]},
    "batch.DescribeSchedulingPolicies": {"arns": ["$policy"]},
    "batch.ListSchedulingPolicies": {"maxResults": 1},
    "batch.ListTagsForResource": {"resourceArn": "$policy"},
    "batch.RegisterJobDefinition": {"jobDefinitionName": "every", "type": "container", "containerProperties": "$container"},
    "batch.TagResource": {"resourceArn": "$queue", "tags": {"a": "b"}},
    "batch.UntagResource": {"resourceArn": "$policy", "tagKeys": ["k"]},
    "batch.UpdateComputeEnvironment": {"computeEnvironment": "$ce", "computeResources": {"maxvCpus": 8}},
    "batch.UpdateJobQueue": {"jobQueue": "$queue", "priority": 5},
    "batch.UpdateSchedulingPolicy": {"arn": "$policy", "fairsharePolicy": {"shareDecaySeconds": 60}},
    "batch.SubmitJob": {"jobName": "every-new", "jobQueue": "$queue", "jobDefinition": "every", "shareIdentifier": "a", "schedulingPriorityOverride": 1},
    "batch.DescribeJobs": {"jobs": ["$job"]},
    "batch.ListJobs": {"jobQueue": "$queue", "jobStatus": "SUCCEEDED"},
    "batch.CancelJob": {"jobId": "$job", "reason": "every"},
    "batch.TerminateJob": {"jobId": "$job", "reason": "every"},
    "batch.CancelJobs": {"jobs": ["$job"], "reason": "every"},
    "batch.TerminateJobs": {"jobs": ["$job"], "reason": "every"},
    "batch.GetJobQueueSnapshot": {"jobQueue": "$queue"},
    "lambda.CreateFunction": {"FunctionName": "every-new", "Runtime": "python3.12", "Role": "$role", "Handler": "handler.handler", "Code": {"ZipFile": "$zip"}},
    "lambda.UpdateFunctionCode": {"ZipFile": "$zip"},
    "lambda.UpdateFunctionConfiguration": {"Timeout": 10},
    "lambda.CreateAlias": {"Name": "every-new", "FunctionVersion": "1"},
    "lambda.GetAlias": {"Name": "every-alias"},
    "lambda.UpdateAlias": {"Name": "every-alias", "FunctionVersion": "$LATEST"},
    "lambda.DeleteAlias": {"Name": "every-alias"},
    "lambda.CreateEventSourceMapping": {"EventSourceArn": "$free_queue_arn"},
    "lambda.GetEventSourceMapping": {"UUID": "$esm"},
    "lambda.UpdateEventSourceMapping": {"UUID": "$esm", "BatchSize": 5},
    "lambda.DeleteEventSourceMapping": {"UUID": "$esm"},
    "lambda.AddPermission": {"StatementId": "every-new", "Action": "lambda:InvokeFunction", "Principal": "*"},
    "lambda.RemovePermission": {"StatementId": "every"},
    "lambda.PutFunctionConcurrency": {"ReservedConcurrentExecutions": 10},
    "lambda.PutFunctionEventInvokeConfig": {"MaximumRetryAttempts": 2},
    "lambda.UpdateFunctionEventInvokeConfig": {"MaximumEventAgeInSeconds": 120},
    "lambda.TagResource": {"Resource": "$fn_arn", "Tags": {"a": "b"}},
    "lambda.UntagResource": {"Resource": "$fn_arn", "TagKeys": ["k"]},
    "lambda.ListTags": {"Resource": "$fn_arn"},
    "lambda.PublishLayerVersion": {"LayerName": "every", "Content": {"ZipFile": "$zip"}, "CompatibleRuntimes": ["python3.12"]},
    "lambda.GetLayerVersion": {"LayerName": "every", "VersionNumber": 1},
    "lambda.GetLayerVersionByArn": {"Arn": "$layer_arn"},
    "lambda.DeleteLayerVersion": {"LayerName": "every", "VersionNumber": 1},
    "lambda.ListLayerVersions": {"LayerName": "every"},
    "lambda.AddLayerVersionPermission": {"LayerName": "every", "VersionNumber": 1, "StatementId": "every-new", "Action": "lambda:GetLayerVersion", "Principal": "111111111111"},
    "lambda.GetLayerVersionPolicy": {"LayerName": "every", "VersionNumber": 1},
    "lambda.RemoveLayerVersionPermission": {"LayerName": "every", "VersionNumber": 1, "StatementId": "every"},
}


def valid_input(operation: OperationModel, service: str, world: dict[str, Any]) -> dict[str, Any]:
    """The required members from the shape walker, resources pointed at the world's,
    then the operation's own values from VALID."""
    shape = operation.input_shape
    example = example_input(shape)
    params = {name: example[name] for name in (shape.required_members if shape is not None else ())}
    params.update({name: RESOURCES[name] for name in params if name in RESOURCES})
    params.update(VALID.get(f"{service}.{operation.name}", {}))
    return _filled(params, world)


def _filled(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$") and value[1:] in world:
        return world[value[1:]]
    if isinstance(value, dict):
        return {k: _filled(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, world) for v in value]
    return value


# -- every operation ------------------------------------------------------------


def test_coverage_document_lists_every_operation_of_the_four_models() -> None:
    for service in SERVICES:
        assert sorted(coverage()[service]) == sorted(service_model(service).operation_names), service
    # a sanity floor: a model or document that failed to load would give no test ids at all
    assert len(covered(True)) >= 10 and len(covered(False)) + len(covered(True)) == len(all_operations())


def test_example_input_for_every_operation_passes_botocore_validation() -> None:
    """The walker's values honour min/max/enum, so botocore accepts every one of them."""
    from botocore.validate import ParamValidator

    validator = ParamValidator()
    for service, operation in all_operations():
        shape = service_model(service).operation_model(operation).input_shape
        if shape is None:
            continue
        report = validator.validate(example_input(shape), shape)
        assert not report.has_errors(), f"{service}.{operation}: {report.generate_report()}"


@pytest.mark.parametrize(("service", "operation"), covered(False), ids=lambda v: v)
def test_operation_not_implemented_answers_501_in_its_own_protocol(
    model_clients: Callable[[str], Any], service: str, operation: str
) -> None:
    client = model_clients(service)
    model = client.meta.service_model.operation_model(operation)
    with pytest.raises(ClientError) as caught:
        getattr(client, method_name(client, operation))(**example_input(model.input_shape))
    response = caught.value.response
    metadata = response["ResponseMetadata"]
    assert response["Error"]["Code"] == "NotImplemented", response
    assert metadata["HTTPStatusCode"] == 501, response
    assert operation in response["Error"]["Message"], response
    assert metadata.get("RequestId"), response
    protocol = client.meta.service_model.protocol
    assert metadata["HTTPHeaders"]["content-type"].startswith(ERROR_CONTENT_TYPES[protocol]), metadata
    if protocol == "rest-json":
        assert metadata["HTTPHeaders"]["x-amzn-errortype"] == "NotImplemented", metadata


@pytest.mark.parametrize(("service", "operation"), covered(True), ids=lambda v: v)
def test_operation_implemented_succeeds_with_valid_input(
    own_server: Server, model_clients: Callable[[str], Any], service: str, operation: str
) -> None:
    """Each operation on fresh resources, so destructive ones cannot spoil the others."""
    status, body = own_server.admin("POST", "/_stepstack/reset")
    assert status == 200, body
    client = model_clients(service)
    world = WORLDS[service](client) if service in WORLDS else {}
    params = valid_input(client.meta.service_model.operation_model(operation), service, world)
    try:
        response = getattr(client, method_name(client, operation))(**params)
    except ClientError as exc:
        pytest.fail(f"{service}.{operation}({params}) answered {exc.response['Error']}")
    assert 200 <= response["ResponseMetadata"]["HTTPStatusCode"] < 300, response


# -- validation before dispatch ------------------------------------------------------


def test_sqs_json_request_missing_required_member_gets_missing_parameter(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"QueueUrl": f"{server.url}/000000000000/q"}),
        {**SQS_JSON, "X-Amz-Target": "AmazonSQS.SendMessage"},
    )
    assert response.status == 400, response
    body = response.json()
    assert body["__type"].endswith("MissingParameter"), body
    assert "MessageBody" in body["message"], body
    assert response.header("x-amzn-query-error") == "MissingParameter;Sender"


def test_sqs_boto3_sees_missing_parameter_as_its_error_code(server: Server) -> None:
    """The x-amzn-query-error header is what boto3 reports as Error.Code."""
    client = server.client("sqs", parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        client.send_message(QueueUrl=f"{server.url}/000000000000/q")
    assert caught.value.response["Error"]["Code"] == "MissingParameter"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_stepfunctions_request_missing_required_member_gets_validation_exception(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        "{}",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
    )
    assert response.status == 400, response
    body = response.json()
    assert body["__type"] == "ValidationException", body
    assert (
        "Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null" in body["message"]
    ), body


def test_stepfunctions_member_of_wrong_json_type_gets_serialization_exception(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"stateMachineArn": 5}),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
    )
    assert response.status == 400, response
    assert response.json()["__type"] == "SerializationException", response.body


def test_stepfunctions_max_results_above_model_max_gets_validation_exception(server: Server) -> None:
    member = service_model("stepfunctions").operation_model("ListExecutions").input_shape.members["maxResults"]
    high = member.metadata["max"]
    assert high == 1000  # what the assertion below relies on; botocore's model says so today
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:m", "maxResults": 5000}),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListExecutions"},
    )
    assert response.status == 400, response
    body = response.json()
    assert body["__type"] == "ValidationException", body
    assert f"less than or equal to {high}" in body["message"], body
    assert "maxResults" in body["message"], body


def test_stepfunctions_max_results_at_model_max_passes_validation(server: Server) -> None:
    response = raw(
        server,
        "POST",
        "/",
        json.dumps({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:m", "maxResults": 1000}),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListExecutions"},
    )
    # validation passed: the machine simply does not exist
    assert response.status == 400, response
    assert response.json()["__type"] == "StateMachineDoesNotExist", response.body


def test_batch_request_missing_required_members_gets_client_exception(server: Server) -> None:
    response = raw(server, "POST", "/v1/submitjob", "{}", {"Content-Type": "application/json"})
    assert response.status == 400, response
    body = response.json()
    assert body["__type"] == "ClientException", body
    assert response.header("x-amzn-ErrorType") == "ClientException"
    for member in ("jobName", "jobQueue", "jobDefinition"):
        assert f"Value null at '{member}'" in body["message"], body


def test_batch_member_of_wrong_json_type_gets_serialization_exception(server: Server) -> None:
    body = {"jobName": "j", "jobQueue": "q", "jobDefinition": "d", "retryStrategy": {"attempts": "three"}}
    response = raw(server, "POST", "/v1/submitjob", json.dumps(body), {"Content-Type": "application/json"})
    assert response.status == 400, response
    assert response.json()["__type"] == "SerializationException", response.body


def test_sns_query_request_missing_required_member_gets_validation_error(server: Server) -> None:
    response = raw(server, "POST", "/", "Action=Publish&Version=2010-03-31", FORM)
    assert response.status == 400, response
    assert (response.header("content-type") or "").startswith("text/xml")
    error = response.xml_error()
    assert error["Code"] == "ValidationError", error
    assert error["Type"] == "Sender", error
    assert "message" in error["Message"], error
