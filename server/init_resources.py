"""Declarative init files: JSON or YAML documents of resources, applied through the dispatch.

A file is checked whole before anything is applied, so a typo changes nothing. Applying is
create-or-update, so re-running a file creates nothing twice; nothing is ever deleted: an
attribute or tag dropped from a file keeps the value an earlier run gave it. The format is
described in docs/init.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.core.arns import build_arn, partition_of
from services.core.errors import AwsError
from services.core.ids import is_account_id

SERVICES = ("sqs", "stepfunctions")
LATER = ("sns", "batch", "lambda")  # services whose resources are planned, answered "not yet"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


class InitFileError(Exception):
    """A resource file that cannot be applied; the message says where and why, on one line."""


@dataclass(frozen=True)
class Queue:
    name: str
    attributes: dict[str, str]  # AWS's attribute names and string values
    tags: dict[str, str]
    dead_letter: str | None = None  # the dead-letter queue's name, resolved to its ARN when applied
    max_receive_count: int = 0


@dataclass(frozen=True)
class Activity:
    name: str
    tags: dict[str, str]


@dataclass(frozen=True)
class StateMachine:
    name: str
    definition: str
    role_arn: str
    type: str
    tags: dict[str, str]


@dataclass(frozen=True)
class Resources:
    account_id: str
    region: str
    queues: list[Queue]
    activities: list[Activity]
    state_machines: list[StateMachine]


# -- reading and checking -------------------------------------------------------------------


def load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InitFileError(f"invalid JSON: {exc}") from None
    import yaml  # only once a YAML file is met: start-up without one stays fast

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InitFileError(f"invalid YAML: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise InitFileError(f"invalid YAML: {' '.join(str(exc).split())}") from None


def parse(document: Any, *, base: Path, account_id: str, region: str) -> Resources:
    """The resources of one file (`base`: its directory, for definition files)."""
    if document is None:  # an empty YAML file
        document = {}
    if isinstance(document, dict):
        for key in document:
            if key in LATER:
                raise InitFileError(f"stepstack does not support {key} resources in init files yet")
    top = _keys(document, "top level", optional=("account_id", "region", *SERVICES))
    account_id = _text(top.get("account_id", account_id), "account_id")
    if not is_account_id(account_id):
        raise InitFileError(f"account_id: expected 12 digits, got {account_id!r}")
    region = _text(top.get("region", region), "region")
    if not _REGION.fullmatch(region):
        raise InitFileError(f"region: {region!r} is not a region name (such as us-east-1)")
    sqs = _keys(top.get("sqs", {}), "sqs", optional=("queues",))
    sfn = _keys(top.get("stepfunctions", {}), "stepfunctions", optional=("activities", "state_machines"))
    role = build_arn("iam", "", account_id, "role/stepstack", partition=partition_of(region))
    queues = _each(sqs, "queues", "sqs", _queue)
    activities = _each(sfn, "activities", "stepfunctions", _activity)
    machines = _each(sfn, "state_machines", "stepfunctions", lambda v, w: _state_machine(v, w, base, role))
    return Resources(account_id, region, _dead_letters_first(queues), activities, machines)


def _each(section: dict[str, Any], key: str, where: str, read: Any) -> list[Any]:
    items = section.get(key, [])
    if not isinstance(items, list):
        raise InitFileError(f"{where}.{key}: expected a list, got {_kind(items)}")
    found = [read(item, f"{where}.{key}[{i}]") for i, item in enumerate(items)]
    names = [item.name for item in found]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InitFileError(f"{where}.{key}[{i}]: {name} is declared twice")
    return found


def _queue(value: Any, where: str) -> Queue:
    q = _keys(value, where, ("name",), ("attributes", "tags", "dead_letter_queue"))
    name = _text(q["name"], f"{where}.name")
    attributes = _strings(q.get("attributes", {}), f"{where}.attributes", json_values=True)
    if name.endswith(".fifo"):
        attributes.setdefault("FifoQueue", "true")  # on AWS the name alone does not make it FIFO
    if "dead_letter_queue" not in q:
        return Queue(name, attributes, _strings(q.get("tags", {}), f"{where}.tags"))
    if "RedrivePolicy" in attributes:
        raise InitFileError(f"{where}: give dead_letter_queue or attributes.RedrivePolicy, not both")
    dlq = _keys(q["dead_letter_queue"], f"{where}.dead_letter_queue", ("name", "max_receive_count"))
    count = dlq["max_receive_count"]
    if isinstance(count, bool) or not isinstance(count, int):
        raise InitFileError(f"{where}.dead_letter_queue.max_receive_count: expected a whole number, got {count!r}")
    dead_letter = _text(dlq["name"], f"{where}.dead_letter_queue.name")
    return Queue(name, attributes, _strings(q.get("tags", {}), f"{where}.tags"), dead_letter, count)


def _activity(value: Any, where: str) -> Activity:
    a = _keys(value, where, ("name",), ("tags",))
    return Activity(_text(a["name"], f"{where}.name"), _strings(a.get("tags", {}), f"{where}.tags"))


def _state_machine(value: Any, where: str, base: Path, default_role: str) -> StateMachine:
    m = _keys(value, where, ("name",), ("definition", "definition_file", "role_arn", "type", "tags"))
    if ("definition" in m) == ("definition_file" in m):
        raise InitFileError(f"{where}: give exactly one of definition and definition_file")
    if "definition_file" in m:
        definition = _definition_file(base / _text(m["definition_file"], f"{where}.definition_file"), where)
    elif isinstance(m["definition"], dict):
        definition = _json(m["definition"], f"{where}.definition")
    else:
        definition = _text(m["definition"], f"{where}.definition")
    return StateMachine(
        _text(m["name"], f"{where}.name"),
        definition,
        _text(m.get("role_arn", default_role), f"{where}.role_arn"),
        _text(m.get("type", "STANDARD"), f"{where}.type"),
        _strings(m.get("tags", {}), f"{where}.tags"),
    )


def _definition_file(path: Path, where: str) -> str:
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return _json(load(path), f"{where}.definition_file")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InitFileError(f"{where}.definition_file: cannot read {path}: {exc.strerror}") from None
    except InitFileError as exc:
        raise InitFileError(f"{where}.definition_file {path.name}: {exc}") from None


def _dead_letters_first(queues: list[Queue]) -> list[Queue]:
    """The file's order, except that a queue comes after the dead-letter queue it names."""
    by_name = {q.name: q for q in queues}
    ordered: list[Queue] = []
    placed: set[str] = set()

    def visit(queue: Queue, chain: tuple[str, ...]) -> None:
        if queue.name in placed:
            return
        if queue.name in chain:
            raise InitFileError(f"sqs.queues: dead-letter queues form a cycle: {' -> '.join((*chain, queue.name))}")
        target = by_name.get(queue.dead_letter or "")
        if target is not None:
            visit(target, (*chain, queue.name))
        ordered.append(queue)
        placed.add(queue.name)

    for queue in queues:
        visit(queue, ())
    return ordered


def _keys(value: Any, where: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InitFileError(f"{where}: expected a mapping, got {_kind(value)}")
    known = (*required, *optional)
    for key in value:
        if key not in known:
            raise InitFileError(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
    for key in required:
        if key not in value:
            raise InitFileError(f"{where}: missing key {key!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InitFileError(f"{where}: expected a non-empty string, got {_kind(value)}")
    return value


def _strings(value: Any, where: str, json_values: bool = False) -> dict[str, str]:
    """A mapping of strings; numbers and booleans as AWS writes them, and (for attributes,
    where policies are JSON documents) mappings and lists as JSON."""
    if not isinstance(value, dict):
        raise InitFileError(f"{where}: expected a mapping, got {_kind(value)}")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise InitFileError(f"{where}: expected string keys, got {key!r}")
        if isinstance(item, bool):
            out[key] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            out[key] = str(item)
        elif json_values and isinstance(item, (dict, list)):
            out[key] = _json(item, f"{where}.{key}")
        else:
            raise InitFileError(f"{where}.{key}: expected a string or a number, got {_kind(item)}")
    return out


def _json(value: Any, where: str) -> str:
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as exc:  # YAML values JSON has no form for, such as dates
        raise InitFileError(f"{where}: {exc}") from None


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}
    return names.get(type(value), f"{type(value).__name__} {value!r}")


# -- applying ---------------------------------------------------------------------------------


class _Calls:
    """dispatcher.call in the file's account and region, with the file as origin."""

    def __init__(self, dispatcher: Any, resources: Resources, origin: str, host: str) -> None:
        self.dispatcher, self.resources, self.origin, self.host = dispatcher, resources, origin, host

    async def __call__(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        r = self.resources
        return await self.dispatcher.call(
            service, operation, params, account_id=r.account_id, region=r.region, origin=self.origin, host=self.host
        )


async def apply(resources: Resources, dispatcher: Any, *, origin: str, host: str) -> str:
    """Create or update every resource; a summary such as "2 queues, 1 state machine"."""
    call = _Calls(dispatcher, resources, origin, host)
    kinds: list[tuple[str, str, list[Any], Any]] = [
        ("queue", "queues", resources.queues, _apply_queue),
        ("activity", "activities", resources.activities, _apply_activity),
        ("state machine", "state machines", resources.state_machines, _apply_state_machine),
    ]
    for word, _, items, step in kinds:
        for item in items:
            try:
                await step(call, item)
            except AwsError as exc:
                raise InitFileError(f"{word} {item.name}: {exc.code}: {exc.message}") from None
    counts = [f"{len(items)} {one if len(items) == 1 else many}" for one, many, items, _ in kinds if items]
    return ", ".join(counts) or "no resources"


async def _apply_queue(call: _Calls, queue: Queue) -> None:
    attributes = dict(queue.attributes)
    if queue.dead_letter is not None:
        target = await _queue_arn(call, queue)
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": queue.max_receive_count})
    try:
        url = (await call("sqs", "CreateQueue", {"QueueName": queue.name, "Attributes": attributes}))["QueueUrl"]
    except AwsError as exc:
        if exc.code != "QueueNameExists":  # the queue exists with other attributes: update them
            raise
        url = (await call("sqs", "GetQueueUrl", {"QueueName": queue.name}))["QueueUrl"]
        attributes.pop("FifoQueue", None)  # fixed at creation, and equal: the name says it
        await call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": attributes})
    if queue.tags:
        await call("sqs", "TagQueue", {"QueueUrl": url, "Tags": queue.tags})


async def _queue_arn(call: _Calls, queue: Queue) -> str:
    try:
        url = (await call("sqs", "GetQueueUrl", {"QueueName": queue.dead_letter}))["QueueUrl"]
    except AwsError as exc:
        if exc.code != "QueueDoesNotExist":
            raise
        raise InitFileError(
            f"queue {queue.name}: its dead-letter queue {queue.dead_letter} does not exist "
            "(declare it in this file or in an earlier one)"
        ) from None
    found = await call("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})
    return found["Attributes"]["QueueArn"]


async def _apply_activity(call: _Calls, activity: Activity) -> None:
    arn = (await call("stepfunctions", "CreateActivity", {"name": activity.name}))["activityArn"]  # idempotent on AWS
    await _tag(call, arn, activity.tags)


async def _apply_state_machine(call: _Calls, machine: StateMachine) -> None:
    params = {"name": machine.name, "definition": machine.definition, "roleArn": machine.role_arn, "type": machine.type}
    try:
        arn = (await call("stepfunctions", "CreateStateMachine", params))["stateMachineArn"]
    except AwsError as exc:
        if exc.code != "StateMachineAlreadyExists":
            raise
        r = call.resources
        arn = build_arn("states", r.region, r.account_id, f"stateMachine:{machine.name}")
        current = await call("stepfunctions", "DescribeStateMachine", {"stateMachineArn": arn})
        if current["type"] != machine.type:
            raise InitFileError(
                f"state machine {machine.name}: exists as {current['type']}, and a type cannot change "
                f"to {machine.type} (delete the state machine first)"
            ) from None
        update = {"stateMachineArn": arn, "definition": machine.definition, "roleArn": machine.role_arn}
        await call("stepfunctions", "UpdateStateMachine", update)
    await _tag(call, arn, machine.tags)


async def _tag(call: _Calls, arn: str, tags: dict[str, str]) -> None:
    if tags:
        items = [{"key": k, "value": v} for k, v in tags.items()]
        await call("stepfunctions", "TagResource", {"resourceArn": arn, "tags": items})
