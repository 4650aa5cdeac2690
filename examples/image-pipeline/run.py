"""Run the image pipeline against a running stepstack, end to end.

Sets up the queues, the topic with its filtered subscriptions, the Lambda functions, the event
source mapping, the Batch queue and job definition and the state machine (again and again:
each run updates what an earlier run made); drops one upload message per sample image; answers
the approval requests as a human would; waits for every image's outcome on the approved and
rejected queues; prints each image's path through the workflow. Exits 1 if an image did not
reach the outcome expected of it, or did not finish in time.

    python run.py [--endpoint URL] [--test-case NAME] [--expect FILE] [--timeout SECONDS]

The endpoint defaults to AWS_ENDPOINT_URL, else http://127.0.0.1:4566. --test-case starts the
executions as `<machine arn>#NAME`, so stepstack applies that test case of its mock
configuration (STEPSTACK_SFN_MOCK_CONFIG; mock-config.json here forces the failure path).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
MACHINE = "image-pipeline"  # the name mock-config.json's StateMachines entry uses
ROLE = "arn:aws:iam::000000000000:role/image-pipeline"
FUNCTIONS = ("start", "validate", "thumbnail", "metadata", "compensate")


def clients(endpoint: str) -> dict[str, Any]:
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return {name: session.client(name, endpoint_url=endpoint) for name in ("sqs", "sns", "lambda", "stepfunctions", "batch")}


# -- set up (or bring up to date) everything the pipeline uses ---------------------------------------


def queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)  # nothing of an earlier run is counted in this one
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def outcome_topic(sns: Any, sqs: Any) -> tuple[str, dict[str, str]]:
    """The outcome topic, fanned out by a filter policy to an approved and a rejected queue."""
    topic = sns.create_topic(Name="image-outcomes")["TopicArn"]
    urls = {}
    for name, outcomes in (("approved", ["approved"]), ("rejected", ["rejected", "failed"])):
        url, arn = queue(sqs, f"images-{name}")
        urls[name] = url
        existing = [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] if s["Endpoint"] == arn]
        if not existing:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={
                "FilterPolicy": json.dumps({"outcome": outcomes}), "RawMessageDelivery": "true",
            })
    return topic, urls


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(HERE / "functions" / "pipeline.py", "pipeline.py")
    return buffer.getvalue()


def function(lam: Any, name: str, environment: dict[str, str]) -> str:
    config = {"Runtime": "python3.12", "Handler": f"pipeline.{name}", "Role": ROLE, "Timeout": 30,
              "Environment": {"Variables": environment}}
    full = f"image-pipeline-{name}"
    try:
        arn = lam.create_function(FunctionName=full, Code={"ZipFile": code_zip()}, **config)["FunctionArn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceConflictException":
            raise
        lam.update_function_code(FunctionName=full, ZipFile=code_zip())
        lam.get_waiter("function_updated_v2").wait(FunctionName=full)
        arn = lam.update_function_configuration(FunctionName=full, **config)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=full)
    lam.get_waiter("function_updated_v2").wait(FunctionName=full)
    return arn


def batch_resources(batch: Any, output: Path) -> tuple[str, str]:
    """A job queue and the analysis job's definition (the process executor runs it on this host)."""
    environments = batch.describe_compute_environments(computeEnvironments=["image-pipeline"])["computeEnvironments"]
    if not environments:
        batch.create_compute_environment(computeEnvironmentName="image-pipeline", type="MANAGED", computeResources={
            "type": "EC2", "minvCpus": 0, "maxvCpus": 4, "instanceTypes": ["optimal"],
            "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"],
        })
    if not batch.describe_job_queues(jobQueues=["image-pipeline"])["jobQueues"]:
        batch.create_job_queue(jobQueueName="image-pipeline", priority=1,
                               computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "image-pipeline"}])
    definition = batch.register_job_definition(jobDefinitionName="image-analysis", type="container", containerProperties={
        "image": "python:3.12-slim", "vcpus": 1, "memory": 256,
        "command": [sys.executable, str(HERE / "jobs" / "analyze.py"), "Ref::image"],
        "environment": [{"name": "OUTPUT_DIR", "value": str(output)}],
    })
    return "image-pipeline", definition["jobDefinitionArn"]


def state_machine(sfn: Any, names: dict[str, str]) -> str:
    text = (HERE / "definition.json").read_text()
    for key, value in names.items():
        text = text.replace("${" + key + "}", value)
    existing = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == MACHINE]
    if existing:
        sfn.update_state_machine(stateMachineArn=existing[0]["stateMachineArn"], definition=text, roleArn=ROLE)
        return existing[0]["stateMachineArn"]
    return sfn.create_state_machine(name=MACHINE, definition=text, roleArn=ROLE)["stateMachineArn"]


def set_up(aws: dict[str, Any], output: Path, test_case: str | None) -> dict[str, Any]:
    sqs, lam = aws["sqs"], aws["lambda"]
    uploads_url, uploads_arn = queue(sqs, "image-uploads")
    approvals_url, _ = queue(sqs, "image-approvals")
    topic, outcome_queues = outcome_topic(aws["sns"], sqs)
    job_queue, job_definition = batch_resources(aws["batch"], output)
    arns = {name: function(lam, name, {"OUTPUT_DIR": str(output)}) for name in FUNCTIONS if name != "start"}
    machine = state_machine(aws["stepfunctions"], {
        "ValidateFunction": arns["validate"], "ThumbnailFunction": arns["thumbnail"], "MetadataFunction": arns["metadata"],
        "CompensateFunction": arns["compensate"], "JobQueue": job_queue, "JobDefinition": job_definition,
        "ApprovalQueue": approvals_url, "OutcomeTopic": topic,
    })
    starter_environment = {"STATE_MACHINE_ARN": machine, "OUTPUT_DIR": str(output)}
    if test_case:
        starter_environment["TEST_CASE"] = test_case
    function(lam, "start", starter_environment)
    mappings = lam.list_event_source_mappings(FunctionName="image-pipeline-start")["EventSourceMappings"]
    if not any(m["EventSourceArn"] == uploads_arn for m in mappings):
        lam.create_event_source_mapping(FunctionName="image-pipeline-start", EventSourceArn=uploads_arn, BatchSize=1)
    return {"uploads": uploads_url, "approvals": approvals_url, "outcomes": outcome_queues, "machine": machine}


# -- the run ----------------------------------------------------------------------------------------


class Approver(threading.Thread):
    """The human in the loop: approves an image at least 32 pixels on each side."""

    def __init__(self, aws: dict[str, Any], queue_url: str) -> None:
        super().__init__(daemon=True)
        self.sqs, self.sfn, self.url = aws["sqs"], aws["stepfunctions"], queue_url
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for message in self.sqs.receive_message(QueueUrl=self.url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
                request = json.loads(message["Body"])
                size = request["metadata"]
                approved = size["width"] >= 32 and size["height"] >= 32
                answer = {"approved": approved, "reason": "approved" if approved else "too small to approve"}
                self.sfn.send_task_success(taskToken=request["token"], output=json.dumps(answer))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def outcomes(aws: dict[str, Any], queues: dict[str, str], images: list[str], deadline: float) -> dict[str, dict[str, Any]]:
    """Each image's announced outcome, read from the approved and rejected queues."""
    found: dict[str, dict[str, Any]] = {}
    while len(found) < len(images) and time.monotonic() < deadline:
        for url in queues.values():
            for message in aws["sqs"].receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
                announced = json.loads(message["Body"])
                found[Path(announced["image"]).name] = announced
                aws["sqs"].delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def path_through(sfn: Any, machine: str, name: str) -> str:
    """The states an execution entered, in order (a retried task shows its attempts)."""
    arn = machine.replace(":stateMachine:", ":execution:") + f":{name}"
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    by_id = {event["id"]: event for event in events}
    steps: list[str] = []
    attempts: dict[str, int] = {}
    for event in events:
        if event["type"].endswith("StateEntered"):
            steps.append(event["stateEnteredEventDetails"]["name"])
        elif event["type"] in ("TaskScheduled", "LambdaFunctionScheduled"):
            entered = event  # each event names the one before it in its branch: back to the state's entry
            while not entered["type"].endswith("StateEntered") and entered["previousEventId"] in by_id:
                entered = by_id[entered["previousEventId"]]
            state = entered.get("stateEnteredEventDetails", {}).get("name", "?")
            attempts[state] = attempts.get(state, 0) + 1
    return " -> ".join(f"{s} (x{attempts[s]})" if attempts.get(s, 0) > 1 else s for s in steps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"))
    parser.add_argument("--test-case", help="a test case of stepstack's mock configuration")
    parser.add_argument("--expect", type=Path, default=HERE / "samples" / "expected.json")
    parser.add_argument("--samples", type=Path, default=HERE / "samples")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    expected: dict[str, str] = json.loads(args.expect.read_text())
    aws = clients(args.endpoint)
    output = Path(tempfile.mkdtemp(prefix="image-pipeline-"))
    resources = set_up(aws, output, args.test_case)
    approver = Approver(aws, resources["approvals"])
    approver.start()
    run = uuid.uuid4().hex[:8]
    names = {image: f"{Path(image).stem}-{run}" for image in expected}
    for image, name in names.items():
        upload = {"image": str((args.samples / image).resolve()), "name": name}  # an S3 upload event's stand-in
        aws["sqs"].send_message(QueueUrl=resources["uploads"], MessageBody=json.dumps(upload))
    found = outcomes(aws, resources["outcomes"], list(expected), time.monotonic() + args.timeout)
    approver.done.set()
    wrong = 0
    for image, outcome in expected.items():
        got = found.get(image, {}).get("outcome", "no outcome in time")
        mark = "ok" if got == outcome else f"EXPECTED {outcome}"
        wrong += got != outcome
        try:
            steps = path_through(aws["stepfunctions"], resources["machine"], names[image])
        except ClientError:
            steps = "(no execution)"
        print(f"{image}: {got} [{mark}]\n    {steps}")
    print(f"{len(expected) - wrong} of {len(expected)} images reached their expected outcome; thumbnails in {output}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
