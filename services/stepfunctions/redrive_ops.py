"""RedriveExecution: a FAILED, TIMED_OUT or ABORTED standard execution continues from the
states that did not succeed, under the same ARN, input and definition (interpreter/replay.py
finds the work that succeeded; only the rest runs again).

LIMITATIONS: the ExecutionNotRedrivable messages are ours (AWS's are not recorded); the
reasons are AWS's documented redriveStatusReason texts.
"""

from __future__ import annotations

from typing import Any

from services.core.context import Params, RequestContext, Result
from services.stepfunctions.errors import ExecutionNotRedrivable, InvalidArn
from services.stepfunctions.machine_ops import require_execution, sfn_of, store_of
from services.stepfunctions.models import Execution, SfnStore
from services.stepfunctions.service import operations

Ctx = RequestContext[SfnStore]

DAY = 86_400.0
REDRIVABLE_PERIOD = 14 * DAY  # from the execution's end
MAX_OPEN_TIME = 365 * DAY  # from its start
MAX_EVENTS = 24_999  # room for ExecutionRedriven and one more event under the 25,000 quota
TOKENS_KEPT = 10  # AWS answers idempotently for the last 10 client tokens, for 15 minutes
TOKEN_LIFETIME = 15 * 60.0


def redrive_status(execution: Execution, machine: Any, now: float) -> tuple[str, str | None]:
    """(redriveStatus, redriveStatusReason) as DescribeExecution reports them."""
    if execution.map_run_arn and execution.status in ("FAILED", "TIMED_OUT", "ABORTED"):
        return "REDRIVABLE_BY_MAP_RUN", None  # a Map Run's child: redriven with its parent
    if machine is None or machine.status == "DELETING":
        return "NOT_REDRIVABLE", "State machine is in DELETING status"
    if execution.status in ("RUNNING", "SUCCEEDED"):
        return "NOT_REDRIVABLE", f"Execution is {execution.status} and cannot be redriven"
    if len(execution.events) >= MAX_EVENTS:
        return "NOT_REDRIVABLE", "Execution history event limit exceeded"
    if now - execution.started_at > MAX_OPEN_TIME:
        return "NOT_REDRIVABLE", "Execution has exceeded the max execution time"
    if execution.stopped_at is not None and now - execution.stopped_at > REDRIVABLE_PERIOD:
        return "NOT_REDRIVABLE", "Execution redrivable period exceeded"
    return "REDRIVABLE", None


def redrive_fields(ctx: Ctx, execution: Execution) -> Result:
    """redriveCount, redriveDate, redriveStatus and redriveStatusReason of DescribeExecution."""
    store = store_of(ctx, execution.machine_arn, "stateMachine")
    status, reason = redrive_status(execution, store.state_machines.get(execution.machine_arn), ctx.clock.now())
    out: Result = {"redriveCount": execution.redrive_count, "redriveStatus": status}
    if execution.redrive_date is not None:
        out["redriveDate"] = execution.redrive_date
    if reason is not None:
        out["redriveStatusReason"] = reason
    return out


@operations.operation("RedriveExecution")
async def redrive_execution(ctx: Ctx, req: Params) -> Result:
    arn = req["executionArn"]
    if ":express:" in arn:
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
    execution = require_execution(ctx, arn)
    now = ctx.clock.now()
    token = req.get("clientToken")
    tokens = {t: at for t, at in execution.redrive_tokens.items() if now - at <= TOKEN_LIFETIME}
    if token is not None and token in tokens and execution.redrive_date is not None:
        return {"redriveDate": execution.redrive_date}  # the same request again: the same redrive
    store = store_of(ctx, execution.machine_arn, "stateMachine")
    status, reason = redrive_status(execution, store.state_machines.get(execution.machine_arn), now)
    if status != "REDRIVABLE":
        why = reason or "Execution can only be redriven by redriving its parent's Map Run"
        raise ExecutionNotRedrivable(f"Execution '{arn}' cannot be redriven: {why}.")
    sfn_of(ctx).redrive(execution)
    if token is not None:
        tokens[token] = now
    execution.redrive_tokens = dict(list(tokens.items())[-TOKENS_KEPT:])
    return {"redriveDate": execution.redrive_date}
