"""What Step Functions keeps: plain records of state machines, activities and executions
(with their histories), per account and region. Parsed definitions, running tasks and
activity pollers are runtime, kept by the service beside these records."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from services.core.records import from_jsonable, to_jsonable


@dataclass
class StateMachine:
    arn: str
    name: str
    definition: str
    role_arn: str
    type: str  # STANDARD | EXPRESS
    created_at: float
    logging: dict[str, Any]
    tracing: dict[str, Any]
    revision_id: str
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "ACTIVE"  # DELETING while executions still run
    updated_at: float | None = None
    encryption: dict[str, Any] = field(default_factory=lambda: {"type": "AWS_OWNED_KEY"})
    versions_published: int = 0  # the highest version number ever given: numbers are never reused


@dataclass
class MachineVersion:
    """A published, immutable copy of a state machine (`<machine arn>:<number>`)."""

    arn: str
    machine_arn: str
    number: int
    definition: str
    role_arn: str
    type: str
    created_at: float
    logging: dict[str, Any]
    tracing: dict[str, Any]
    revision_id: str
    encryption: dict[str, Any]
    description: str | None = None


@dataclass
class MachineAlias:
    """A name (`<machine arn>:<alias>`) routing executions to one or two versions by weight."""

    arn: str
    machine_arn: str
    name: str
    routing: list[dict[str, Any]]  # [{"stateMachineVersionArn": ..., "weight": ...}]
    created_at: float
    updated_at: float
    description: str | None = None


@dataclass
class Activity:
    arn: str
    name: str
    created_at: float
    tags: dict[str, str] = field(default_factory=dict)
    encryption: dict[str, Any] = field(default_factory=lambda: {"type": "AWS_OWNED_KEY"})


@dataclass(slots=True)
class HistoryEvent:
    id: int
    previous_id: int
    timestamp: float
    type: str
    details: dict[str, Any] | None
    # stepstack's own, never on the wire: what resuming the execution needs (interpreter/replay.py)
    note: dict[str, Any] | None = None


@dataclass(eq=False)
class Execution:
    arn: str
    name: str
    machine_arn: str
    machine_name: str
    machine_type: str
    definition: str  # the definition as it was when the execution started
    role_arn: str
    input_text: str
    started_at: float
    status: str = "RUNNING"  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output_text: str | None = None
    error: str | None = None
    cause: str | None = None
    stopped_at: float | None = None
    timeout_at: float | None = None  # the definition's TimeoutSeconds, as a deadline
    events: list[HistoryEvent] = field(default_factory=list)
    version_arn: str | None = None  # started through a version, or an alias that chose it
    alias_arn: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    redrive_tokens: dict[str, float] = field(default_factory=dict)  # the last client tokens redriven -> redriveDate
    map_run_arn: str | None = None  # a child execution of a distributed Map: the Map Run that started it
    mock_test_case: dict[str, Any] | None = None  # started as `<machine arn>#<test case>` (integrations/mocks/)

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"


@dataclass
class MapRun:
    """The child executions a distributed Map state started, one per item or batch, and the
    settings that govern them (UpdateMapRun changes the last three while it runs)."""

    arn: str  # <region/account>:mapRun:<machine>/<label>:<id>
    execution_arn: str  # the execution whose Map state started it
    machine_arn: str  # what its children run: <machine arn>/<label>
    label: str
    state_name: str
    execution_type: str  # STANDARD | EXPRESS children
    started_at: float
    batch_sizes: list[int]  # items in each planned child execution, in order
    max_concurrency: int = 0  # 0: as many as the service allows
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None
    children: list[str] = field(default_factory=list)  # ARNs of the children started so far, in plan order
    status: str = "RUNNING"  # RUNNING | SUCCEEDED | FAILED | ABORTED
    stopped_at: float | None = None
    redrive_count: int = 0  # redriven with its parent execution
    redrive_date: float | None = None

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"


@dataclass
class SfnStore:
    state_machines: dict[str, StateMachine] = field(default_factory=dict)  # by ARN
    activities: dict[str, Activity] = field(default_factory=dict)  # by ARN
    executions: dict[str, Execution] = field(default_factory=dict)  # by ARN
    versions: dict[str, MachineVersion] = field(default_factory=dict)  # by version ARN
    aliases: dict[str, MachineAlias] = field(default_factory=dict)  # by alias ARN
    map_runs: dict[str, MapRun] = field(default_factory=dict)  # by Map Run ARN


def _plain(record: Any) -> dict[str, Any]:
    """A copy made of JSON values: a snapshot shares nothing with the live records."""
    return {f.name: to_jsonable(getattr(record, f.name)) for f in fields(record)}


def dump_store(store: SfnStore) -> dict[str, Any]:
    return {
        "state_machines": [_plain(m) for m in store.state_machines.values()],
        "activities": [_plain(a) for a in store.activities.values()],
        "versions": [_plain(v) for v in store.versions.values()],
        "aliases": [_plain(a) for a in store.aliases.values()],
        "executions": [
            {**_plain(e), "events": [_plain(ev) for ev in e.events]} for e in store.executions.values()
        ],
        "map_runs": [_plain(r) for r in store.map_runs.values()],
    }


def load_store(data: dict[str, Any]) -> SfnStore:
    data = from_jsonable(data)  # a copy: the snapshot stays as it was
    store = SfnStore()
    for raw in data.get("state_machines", []):
        machine = StateMachine(**raw)
        store.state_machines[machine.arn] = machine
    for raw in data.get("activities", []):
        activity = Activity(**raw)
        store.activities[activity.arn] = activity
    for raw in data.get("versions", []):
        version = MachineVersion(**raw)
        store.versions[version.arn] = version
    for raw in data.get("aliases", []):
        alias = MachineAlias(**raw)
        store.aliases[alias.arn] = alias
    for raw in data.get("executions", []):
        values = dict(raw)
        events = [HistoryEvent(**ev) for ev in values.pop("events")]
        execution = Execution(**values, events=events)
        store.executions[execution.arn] = execution
    for raw in data.get("map_runs", []):
        map_run = MapRun(**raw)
        store.map_runs[map_run.arn] = map_run
    return store
