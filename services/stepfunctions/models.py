"""What Step Functions keeps: state machines, activities, executions, per account and region."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StateMachine:
    arn: str
    name: str
    definition: str
    parsed: Any  # asl.ast.StateMachineDefinition
    role_arn: str
    type: str  # STANDARD | EXPRESS
    created_at: float
    logging: dict[str, Any]
    tracing: dict[str, Any]
    revision_id: str
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "ACTIVE"  # DELETING while executions still run
    updated_at: float | None = None


@dataclass
class Activity:
    arn: str
    name: str
    created_at: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SfnStore:
    state_machines: dict[str, StateMachine] = field(default_factory=dict)  # by ARN
    activities: dict[str, Activity] = field(default_factory=dict)  # by ARN
    executions: dict[str, Any] = field(default_factory=dict)  # by ARN: interpreter.execution.Execution
    broker: Any = None  # integrations.activities.ActivityBroker, made on first use
