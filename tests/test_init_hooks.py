"""Init hooks: at start, stepstack applies the files of its init directory in name order
(resource files through its dispatch, scripts as subprocesses pointed at it), reports each
outcome in the log and in health, and says `Ready.` only after the last one (docs/init.md)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.init_hooks import InitReport, run_init_hooks
from tests.conftest import Server, start_server, stop_server
from tests.inprocess import InProcess

PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
VENV_BIN = str(Path(sys.executable).parent)  # where `aws` is installed with the test extra


def _write(directory: Path, name: str, content: str | dict[str, Any], executable: bool = False) -> Path:
    path = directory / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    if executable:
        path.chmod(0o755)
    return path


def _wait_for_ready(server: Server, timeout: float = 60) -> list[str]:
    """The log's lines, once it has a line that is exactly `Ready.`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = server.log_path.read_text().splitlines()
        if "Ready." in lines:
            return lines
        if not server.alive():
            pytest.fail("stepstack exited before Ready.:\n" + "\n".join(lines))
        time.sleep(0.05)
    pytest.fail("stepstack never said Ready.:\n" + server.log_path.read_text())


@pytest.fixture
def init_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "init.d"
    directory.mkdir()
    return directory


@pytest.fixture
def serve(tmp_path: Path, init_dir: Path) -> Iterator[Any]:
    """serve() -> (server, log lines): stepstack on `init_dir`, once it said Ready."""
    started: list[Server] = []

    def run() -> tuple[Server, list[str]]:
        path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        server = start_server(tmp_path, "--init-dir", str(init_dir), env={"PATH": path})
        started.append(server)
        return server, _wait_for_ready(server)

    yield run
    for server in started:
        stop_server(server)
        log = server.log_path.read_text()
        assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


def _index(lines: list[str], fragment: str) -> int:
    found = [i for i, line in enumerate(lines) if fragment in line]
    assert found, f"no line with {fragment!r} in:\n" + "\n".join(lines)
    return found[0]


# -- black box: a real server ------------------------------------------------------------


def test_a_resource_file_and_a_script_run_before_ready(serve: Any, init_dir: Path) -> None:
    _write(init_dir, "flow.asl.json", PASS)  # read by the resource file, not a hook itself
    _write(init_dir, "10-resources.json", {
        "sqs": {"queues": [
            {"name": "orders-dlq"},
            {
                "name": "orders",
                "attributes": {"VisibilityTimeout": "45"},
                "tags": {"team": "shop"},
                "dead_letter_queue": {"name": "orders-dlq", "max_receive_count": 3},
            },
        ]},
        "stepfunctions": {"state_machines": [{"name": "flow", "definition_file": "flow.asl.json"}]},
    })
    _write(init_dir, "20-more-queues.sh", (
        "#!/bin/sh\n"
        "set -e\n"
        "# aws-cli v1 ignores AWS_ENDPOINT_URL for sqs, so it is passed on\n"
        'aws sqs create-queue --queue-name from-script --endpoint-url "$AWS_ENDPOINT_URL"\n'
    ), executable=True)

    server, lines = serve()

    sqs, sfn = server.client("sqs"), server.client("stepfunctions")
    orders = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="orders-dlq")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=orders, AttributeNames=["All"])["Attributes"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert attributes["VisibilityTimeout"] == "45"
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    assert sqs.list_queue_tags(QueueUrl=orders)["Tags"] == {"team": "shop"}
    sqs.get_queue_url(QueueName="from-script")
    machine = sfn.describe_state_machine(stateMachineArn="arn:aws:states:us-east-1:000000000000:stateMachine:flow")
    assert json.loads(machine["definition"]) == PASS

    banner = _index(lines, "stepstack ")
    assert lines[banner].startswith("stepstack "), lines[banner]
    applied = _index(lines, "10-resources.json: applied 2 queues, 1 state machine")
    script_output = _index(lines, "20-more-queues.sh: ")  # the cli's answer, relayed line by line
    script_done = _index(lines, "20-more-queues.sh: done")
    ready = lines.index("Ready.")
    assert banner < applied < script_output < script_done < ready
    assert server.admin("GET", "/_localstack/init/ready") == (200, {
        "completed": True,
        "scripts": [
            {"stage": "READY", "name": "10-resources.json", "state": "SUCCESSFUL"},
            {"stage": "READY", "name": "20-more-queues.sh", "state": "SUCCESSFUL"},
        ],
    })


def test_a_broken_hook_is_reported_and_the_next_hooks_still_run(serve: Any, init_dir: Path) -> None:
    _write(init_dir, "10-broken.json", '{"sqs": {"queues": [}')
    _write(init_dir, "20-exits-3.sh", "echo 'about to fail' >&2\nexit 3\n")  # no exec bit: run with sh
    _write(init_dir, "30-typo.json", {"sqs": {"queue": [{"name": "never"}]}})
    _write(init_dir, "40-good.json", {"sqs": {"queues": [{"name": "still-created"}]}})

    server, lines = serve()

    server.client("sqs").get_queue_url(QueueName="still-created")
    assert _index(lines, "10-broken.json failed: invalid JSON: ") < lines.index("Ready.")
    assert _index(lines, "20-exits-3.sh failed: exited with status 3 (last output: about to fail)")
    assert _index(lines, "30-typo.json failed: sqs: unknown key 'queue'")
    status, health = server.admin("GET", "/_stepstack/health")
    assert status == 200
    init = health["init"]
    assert init["directory"].endswith("init.d") and init["state"] == "ERROR"
    assert [(h["name"], h["state"]) for h in init["hooks"]] == [
        ("10-broken.json", "ERROR"), ("20-exits-3.sh", "ERROR"), ("30-typo.json", "ERROR"), ("40-good.json", "SUCCESSFUL"),
    ]
    broken, exits, typo, good = init["hooks"]
    assert broken["error"].startswith("invalid JSON: ")
    assert exits["error"] == "exited with status 3 (last output: about to fail)"
    assert typo["error"] == "sqs: unknown key 'queue' (known: queues)"
    assert "error" not in good
    status, ready = server.admin("GET", "/_localstack/init/ready")
    assert status == 200 and ready["completed"] is True


def test_applying_the_same_resource_file_twice_creates_each_resource_once(serve: Any, init_dir: Path) -> None:
    resources = {
        "sqs": {"queues": [
            {"name": "jobs-dlq.fifo"},
            {
                "name": "jobs.fifo",
                "attributes": {"ContentBasedDeduplication": "true", "VisibilityTimeout": "60"},
                "dead_letter_queue": {"name": "jobs-dlq.fifo", "max_receive_count": 5},
                "tags": {"env": "test"},
            },
        ]},
        "stepfunctions": {
            "activities": [{"name": "work", "tags": {"env": "test"}}],
            "state_machines": [{"name": "flow", "definition": PASS, "type": "EXPRESS", "tags": {"env": "test"}}],
        },
    }
    _write(init_dir, "10-first.json", resources)
    _write(init_dir, "20-again.json", resources)

    server, _ = serve()

    sqs, sfn = server.client("sqs"), server.client("stepfunctions")
    urls = sqs.list_queues()["QueueUrls"]
    assert sorted(url.rsplit("/", 1)[1] for url in urls) == ["jobs-dlq.fifo", "jobs.fifo"]
    jobs = sqs.get_queue_url(QueueName="jobs.fifo")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=jobs, AttributeNames=["FifoQueue"])["Attributes"] == {"FifoQueue": "true"}
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["work"]
    machines = sfn.list_state_machines()["stateMachines"]
    assert [(m["name"], m["type"]) for m in machines] == [("flow", "EXPRESS")]
    tags = sfn.list_tags_for_resource(resourceArn=machines[0]["stateMachineArn"])["tags"]
    assert tags == [{"key": "env", "value": "test"}]
    assert server.admin("GET", "/_localstack/init/ready")[1]["scripts"] == [
        {"stage": "READY", "name": "10-first.json", "state": "SUCCESSFUL"},
        {"stage": "READY", "name": "20-again.json", "state": "SUCCESSFUL"},
    ]


def test_yaml_resource_files_work_like_json_ones(serve: Any, init_dir: Path) -> None:
    (init_dir / "flows").mkdir()  # a folder is not a hook: a place for definitions
    _write(init_dir, "flows/wait.asl.yaml", (
        "StartAt: Wait\n"
        "States:\n"
        "  Wait: {Type: Wait, Seconds: 1, End: true}\n"
    ))
    _write(init_dir, "10-resources.yaml", (
        "# queues, with numbers and booleans as YAML writes them\n"
        "sqs:\n"
        "  queues:\n"
        "    - name: events-dlq\n"
        "    - name: events\n"
        "      attributes:\n"
        "        DelaySeconds: 5\n"
        "        ReceiveMessageWaitTimeSeconds: 20\n"
        "      dead_letter_queue: {name: events-dlq, max_receive_count: 2}\n"
        "stepfunctions:\n"
        "  activities:\n"
        "    - name: approve\n"
        "  state_machines:\n"
        "    - name: inline\n"
        "      role_arn: arn:aws:iam::000000000000:role/flows\n"
        "      definition:\n"
        "        StartAt: Done\n"
        "        States:\n"
        "          Done: {Type: Pass, End: true}\n"
        "    - name: from-file\n"
        "      definition_file: flows/wait.asl.yaml\n"
    ))

    server, lines = serve()

    assert _index(lines, "10-resources.yaml: applied 2 queues, 1 activity, 2 state machines")
    sqs, sfn = server.client("sqs"), server.client("stepfunctions")
    events = sqs.get_queue_url(QueueName="events")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=events, AttributeNames=["All"])["Attributes"]
    assert (attributes["DelaySeconds"], attributes["ReceiveMessageWaitTimeSeconds"]) == ("5", "20")
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(":events-dlq")
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["approve"]
    arn = "arn:aws:states:us-east-1:000000000000:stateMachine:"
    inline = sfn.describe_state_machine(stateMachineArn=arn + "inline")
    assert json.loads(inline["definition"]) == PASS and inline["roleArn"] == "arn:aws:iam::000000000000:role/flows"
    from_file = sfn.describe_state_machine(stateMachineArn=arn + "from-file")
    assert json.loads(from_file["definition"])["States"]["Wait"] == {"Type": "Wait", "Seconds": 1, "End": True}
    assert from_file["roleArn"] == "arn:aws:iam::000000000000:role/stepstack"


def test_a_missing_init_directory_is_a_warning_and_nothing_runs(serve: Any, init_dir: Path) -> None:
    init_dir.rmdir()
    server, lines = serve()
    assert _index(lines, "does not exist: no init hooks run") < lines.index("Ready.")
    assert server.admin("GET", "/_stepstack/health")[1]["init"]["state"] == "SUCCESSFUL"
    assert server.admin("GET", "/_localstack/init/ready")[1] == {"completed": True, "scripts": []}


# -- in process: the hooks against a dispatcher ----------------------------------------------


def _run(app: InProcess, directory: Path, timeout: float = 300) -> InitReport:
    report = InitReport(str(directory))
    hooks = run_init_hooks(str(directory), report, app.dispatcher, "http://127.0.0.1:1", "us-east-1", "000000000000", timeout=timeout)
    app.run(hooks, timeout=20)
    assert report.completed
    return report


def _errors(report: InitReport) -> dict[str, str | None]:
    return {h.name: h.error for h in report.hooks}


def test_a_changed_resource_file_updates_what_an_earlier_one_created(app: InProcess, init_dir: Path) -> None:
    _write(init_dir, "10-before.json", {
        "sqs": {"queues": [{"name": "q", "attributes": {"VisibilityTimeout": "30"}}]},
        "stepfunctions": {"state_machines": [{"name": "m", "definition": PASS}]},
    })
    changed = {"StartAt": "Other", "States": {"Other": {"Type": "Succeed"}}}
    _write(init_dir, "20-after.json", {
        "sqs": {"queues": [{"name": "q", "attributes": {"VisibilityTimeout": "90"}}]},
        "stepfunctions": {"state_machines": [{"name": "m", "definition": changed}]},
    })
    report = _run(app, init_dir)
    assert report.state == "SUCCESSFUL", report
    url = app.sqs("GetQueueUrl", QueueName="q")["QueueUrl"]
    assert app.sqs("GetQueueAttributes", QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {"VisibilityTimeout": "90"}
    machine = app.sfn("DescribeStateMachine", stateMachineArn="arn:aws:states:us-east-1:000000000000:stateMachine:m")
    assert json.loads(machine["definition"]) == changed


def test_resource_file_mistakes_are_named_and_nothing_of_the_file_is_applied(app: InProcess, init_dir: Path) -> None:
    _write(init_dir, "a.json", {"sqs": {"queues": [{"name": "kept-out", "atributes": {}}]}})
    _write(init_dir, "b.json", {"sns": {"topics": [{"name": "t"}]}})
    _write(init_dir, "c.json", {"sqs": {"queues": [{"name": "q", "dead_letter_queue": {"name": "nowhere", "max_receive_count": 1}}]}})
    _write(init_dir, "d.json", {"sqs": {"queues": [{"name": "q", "attributes": {"NoSuchAttribute": "1"}}]}})
    _write(init_dir, "e.json", {"stepfunctions": {"state_machines": [{"name": "m", "definition_file": "missing.asl.json"}]}})
    _write(init_dir, "f.json", {"region": "moon-1", "sqs": {}})
    _write(init_dir, "g.txt", "not a hook")
    report = _run(app, init_dir)
    assert report.state == "ERROR"
    errors = _errors(report)
    assert errors["a.json"] == "sqs.queues[0]: unknown key 'atributes' (known: name, attributes, tags, dead_letter_queue)"
    assert errors["b.json"] == "stepstack does not support sns resources in init files yet"
    assert errors["c.json"] == (
        "queue q: its dead-letter queue nowhere does not exist (declare it in this file or in an earlier one)"
    )
    assert errors["d.json"] == "queue q: InvalidAttributeName: Unknown Attribute NoSuchAttribute."
    assert errors["e.json"].startswith("stepfunctions.state_machines[0].definition_file: cannot read ")
    assert errors["f.json"] == "region: 'moon-1' is not a region name (such as us-east-1)"
    assert "g.txt" not in errors
    assert app.sqs("ListQueues") == {}


def test_a_script_that_runs_too_long_is_killed_and_reported(app: InProcess, init_dir: Path) -> None:
    _write(init_dir, "10-sleeps.sh", "echo started\nsleep 30\n")
    _write(init_dir, "20-next.sh", "exit 0\n")
    started = time.monotonic()
    report = _run(app, init_dir, timeout=0.5)
    assert time.monotonic() - started < 10
    assert _errors(report) == {"10-sleeps.sh": "timed out after 0.5 s and was killed", "20-next.sh": None}


def test_scripts_see_the_endpoint_region_and_dummy_credentials(app: InProcess, init_dir: Path) -> None:
    keys = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    _write(init_dir, "10-env.py", (
        "import json, os, pathlib\n"
        f"keys = {keys!r}\n"
        "pathlib.Path('seen.json').write_text(json.dumps({k: os.environ.get(k) for k in keys}))\n"
    ))
    report = _run(app, init_dir)
    assert report.state == "SUCCESSFUL", report
    assert json.loads((init_dir / "seen.json").read_text()) == {  # the script ran in the init directory
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
