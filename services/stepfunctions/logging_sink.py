"""A state machine's loggingConfiguration at work: its executions' history events, written
to its CloudWatch Logs group as AWS's log records (one JSON object per event), filtered
by the level, without execution data unless includeExecutionData.

Events are buffered and written by one task per execution through the dispatcher: whatever
an execution records while a write is under way goes out in the next PutLogEvents, so a busy
execution costs a call per batch, not per event.

LIMITATIONS: one log stream per execution, named `states/<machine>/<YYYY-MM-DD-HH-MM>/<id>`
(AWS's stream grouping is its own); a destination group that no longer exists is created.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from services.core.errors import AwsError
from services.logs.writer import batches, write_lines
from services.stepfunctions.models import Execution, HistoryEvent

log = logging.getLogger("stepstack.stepfunctions")

_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([\w./#-]{1,512}):\*$")

# The AWS Step Functions developer guide, "Log levels": ERROR logs the error event types,
# FATAL only the execution's end in failure.
FATAL_TYPES = frozenset({"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"})
ERROR_TYPES = FATAL_TYPES | frozenset({
    "ActivityFailed", "ActivityScheduleFailed", "ActivityTimedOut", "FailStateEntered",
    "LambdaFunctionFailed", "LambdaFunctionScheduleFailed", "LambdaFunctionStartFailed", "LambdaFunctionTimedOut",
    "MapIterationAborted", "MapIterationFailed", "MapRunAborted", "MapRunFailed", "MapStateAborted", "MapStateFailed",
    "ParallelStateAborted", "ParallelStateFailed", "TaskFailed", "TaskStartFailed", "TaskStateAborted",
    "TaskSubmitFailed", "TaskTimedOut", "WaitStateAborted",
})
_ENDS = FATAL_TYPES | {"ExecutionSucceeded"}
_DATA_FIELDS = frozenset({"input", "inputDetails", "output", "outputDetails", "parameters"})


def log_group_of(arn: Any) -> tuple[str, str, str] | None:
    """(region, account, group name) of a destination's logGroupArn, None if malformed."""
    match = _GROUP_ARN.match(arn) if isinstance(arn, str) else None
    return (match[1], match[2], match[3]) if match else None


def logs_event(level: str, event_type: str) -> bool:
    if level == "ALL":
        return True
    if level == "ERROR":
        return event_type in ERROR_TYPES
    return level == "FATAL" and event_type in FATAL_TYPES


def log_record(event: HistoryEvent, execution_arn: str, include_data: bool, redrive_count: int = 0) -> str:
    details = event.details or {}
    if not include_data:
        details = {k: v for k, v in details.items() if k not in _DATA_FIELDS}
    return json.dumps({
        "id": str(event.id),
        "type": event.type,
        "details": details,
        "previous_event_id": str(event.previous_id),
        "event_timestamp": str(int(event.timestamp * 1000)),
        "execution_arn": execution_arn,
        "redrive_count": str(redrive_count),
    }, separators=(",", ":"))


def stream_name(execution: Execution) -> str:
    minute = datetime.fromtimestamp(execution.started_at, tz=timezone.utc).strftime("%Y-%m-%d-%H-%M")
    return f"states/{execution.machine_name}/{minute}/{hashlib.sha1(execution.arn.encode()).hexdigest()[:8]}"


class ExecutionLog:
    """The log records of one execution on their way to its machine's log group."""

    def __init__(self, env: Any, owner: Any, execution: Execution, config: dict[str, Any], place: tuple[str, str, str]) -> None:
        self.env, self.owner, self.execution = env, owner, execution
        self.level, self.include_data = config["level"], bool(config.get("includeExecutionData"))
        self.region, self.account, self.group = place
        self.stream = stream_name(execution)
        self.pending: list[tuple[int, str]] = []
        self.writing = False
        self.stream_ready = False

    def hear(self, event: HistoryEvent) -> None:
        if not logs_event(self.level, event.type):
            return
        self.pending.append((int(event.timestamp * 1000), log_record(event, self.execution.arn, self.include_data, self.execution.redrive_count)))
        if not self.writing:
            self.writing = True
            self.env.tasks.spawn(f"stepfunctions logs {self.execution.arn}", self._write(), owner=self.owner)

    async def _write(self) -> None:
        dispatcher = self.env.dispatcher
        try:
            while self.pending:
                lines, self.pending = self.pending, []
                if not self.stream_ready:
                    await write_lines(dispatcher, self.account, self.region, self.group, self.stream, lines)
                    self.stream_ready = True
                    continue
                for batch in batches(lines):
                    await dispatcher.call(
                        "logs", "PutLogEvents",
                        {"logGroupName": self.group, "logStreamName": self.stream, "logEvents": batch},
                        account_id=self.account, region=self.region,
                    )
        except AwsError as error:  # AWS drops what it cannot deliver; the execution goes on
            log.warning("execution %s: log records to %s not delivered: %s", self.execution.arn, self.group, error)
            self.pending, self.stream_ready = [], False
        finally:
            self.writing = False


class ExecutionLogs:
    """The ExecutionLog of each running execution whose machine logs (runtime beside the records)."""

    def __init__(self, env: Any, machine_of: Callable[[Execution], Any]) -> None:
        self.env = env
        self.machine_of = machine_of
        self._logs: dict[str, ExecutionLog | None] = {}

    def listener(self, execution: Execution, owner: Any) -> Callable[[HistoryEvent], None] | None:
        """What hears `execution`'s new events for its log group, None if its machine does not log."""
        arn = execution.arn
        if arn not in self._logs:
            machine = self.machine_of(execution)
            config = machine.logging if machine is not None else {}
            destinations = config.get("destinations") or []
            place = log_group_of(destinations[0].get("cloudWatchLogsLogGroup", {}).get("logGroupArn")) if destinations else None
            if config.get("level", "OFF") == "OFF" or place is None:
                return None
            self._logs[arn] = ExecutionLog(self.env, owner, execution, config, place)
        sink = self._logs[arn]
        if sink is None:
            return None

        def hear(event: HistoryEvent) -> None:
            sink.hear(event)
            if event.type in _ENDS:
                self._logs.pop(arn, None)

        return hear

    def clear(self) -> None:
        self._logs.clear()
