"""Map Runs of distributed Map states: ListMapRuns, DescribeMapRun, UpdateMapRun, and the child
executions of one Map Run (for ListExecutions with mapRunArn).

Counts are computed from the children's records when asked: `pending` are planned children
not started yet, `resultsWritten` the children that ended with a result the Map took (any end
but ABORTED), item counts weigh each child by the items of its batch.

LIMITATIONS: redrive is not supported (failuresNotRedrivable and pendingRedrive are 0); the
messages of ResourceNotFound and of an UpdateMapRun that changes nothing are ours.
"""

from __future__ import annotations

from typing import Any

from services.core.context import Params, RequestContext, Result
from services.stepfunctions.errors import ResourceNotFound, ValidationException
from services.stepfunctions.machine_ops import require_execution, sfn_of, store_of
from services.stepfunctions.models import Execution, MapRun, SfnStore
from services.stepfunctions.names import paged_result
from services.stepfunctions.service import operations

Ctx = RequestContext[SfnStore]
NOT_FOUND = "Request references a resource that does not exist."
_COUNTED = (("RUNNING", "running"), ("SUCCEEDED", "succeeded"), ("FAILED", "failed"), ("TIMED_OUT", "timedOut"), ("ABORTED", "aborted"))


def require_map_run(ctx: Ctx, arn: str) -> MapRun:
    """The Map Run an ARN names: InvalidArn if it is not a Map Run ARN, ResourceNotFound if none."""
    store = store_of(ctx, arn, "mapRun")
    record = store.map_runs.get(arn)
    if record is None:
        raise ResourceNotFound(NOT_FOUND, resourceName=arn)
    _settle(ctx, store, record)
    return record


def _settle(ctx: Ctx, store: SfnStore, record: MapRun) -> None:
    """A Map Run whose parent ended without it (a snapshot restored past it) ends ABORTED."""
    if record.running and record.arn not in sfn_of(ctx).map_run_drivers():
        parent = store.executions.get(record.execution_arn)
        if parent is None or not parent.running:
            record.status = "ABORTED"
            record.stopped_at = parent.stopped_at if parent is not None and parent.stopped_at else ctx.clock.now()


def map_run_executions(ctx: Ctx, map_run_arn: str) -> list[Execution]:
    """The child executions a Map Run started, in the order it started them (ListExecutions
    with mapRunArn); InvalidArn / ResourceNotFound as DescribeMapRun answers them."""
    record = require_map_run(ctx, map_run_arn)
    executions = store_of(ctx, map_run_arn, "mapRun").executions
    return [executions[arn] for arn in record.children if arn in executions]


def child_list_fields(ctx: Ctx, execution: Execution) -> Result:
    """What an ExecutionListItem adds for a Map Run's child: mapRunArn and itemCount."""
    if execution.map_run_arn is None:
        return {}
    record = store_of(ctx, execution.map_run_arn, "mapRun").map_runs.get(execution.map_run_arn)
    out: Result = {"mapRunArn": execution.map_run_arn}
    if record is not None and execution.arn in record.children:
        out["itemCount"] = record.batch_sizes[record.children.index(execution.arn)]
    return out


def _counts(record: MapRun, executions: dict[str, Execution]) -> tuple[Result, Result]:
    """(executionCounts, itemCounts)."""
    by_status = {status: [0, 0] for status, _ in _COUNTED}
    for index, arn in enumerate(record.children):
        child = executions.get(arn)
        status = child.status if child is not None else "ABORTED"
        pair = by_status.setdefault(status, [0, 0])
        pair[0] += 1
        pair[1] += record.batch_sizes[index]
    started = len(record.children)
    started_items = sum(record.batch_sizes[:started])
    total_items = sum(record.batch_sizes)

    def shape(slot: int, pending: int, total: int) -> Result:
        out: Result = {"pending": pending}
        out.update({member: by_status[status][slot] for status, member in _COUNTED})
        out["total"] = total
        out["resultsWritten"] = sum(by_status[s][slot] for s in ("SUCCEEDED", "FAILED", "TIMED_OUT"))
        out.update(failuresNotRedrivable=0, pendingRedrive=0)
        return out

    return shape(0, len(record.batch_sizes) - started, len(record.batch_sizes)), shape(1, total_items - started_items, total_items)


@operations.operation("ListMapRuns")
async def list_map_runs(ctx: Ctx, req: Params) -> Result:
    execution = require_execution(ctx, req["executionArn"])
    store = store_of(ctx, execution.arn, "execution", "express")
    runs = [r for r in store.map_runs.values() if r.execution_arn == execution.arn]
    runs.sort(key=lambda r: r.started_at, reverse=True)

    def item(record: MapRun) -> Result:
        _settle(ctx, store, record)
        listed: Result = {
            "executionArn": record.execution_arn, "mapRunArn": record.arn,
            "stateMachineArn": record.machine_arn, "startDate": record.started_at,
        }
        if record.stopped_at is not None:
            listed["stopDate"] = record.stopped_at
        return listed

    return paged_result("mapRuns", runs, req, item)


@operations.operation("DescribeMapRun")
async def describe_map_run(ctx: Ctx, req: Params) -> Result:
    record = require_map_run(ctx, req["mapRunArn"])
    executions, items = _counts(record, store_of(ctx, record.arn, "mapRun").executions)
    result: Result = {
        "mapRunArn": record.arn,
        "executionArn": record.execution_arn,
        "status": record.status,
        "startDate": record.started_at,
        "maxConcurrency": record.max_concurrency,
        "toleratedFailurePercentage": float(record.tolerated_failure_percentage or 0),
        "toleratedFailureCount": int(record.tolerated_failure_count or 0),
        "itemCounts": items,
        "executionCounts": executions,
        "redriveCount": record.redrive_count,
    }
    if record.redrive_date is not None:
        result["redriveDate"] = record.redrive_date
    if record.stopped_at is not None:
        result["stopDate"] = record.stopped_at
    return result


@operations.operation("UpdateMapRun")
async def update_map_run(ctx: Ctx, req: Params) -> Result:
    record = require_map_run(ctx, req["mapRunArn"])
    changes: dict[str, Any] = {
        "max_concurrency": req.get("maxConcurrency"),
        "tolerated_failure_percentage": req.get("toleratedFailurePercentage"),
        "tolerated_failure_count": req.get("toleratedFailureCount"),
    }
    if all(value is None for value in changes.values()):
        raise ValidationException(
            "At least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount must be given."
        )
    if not record.running:
        raise ValidationException(f"Map Run is not running: '{record.arn}'")
    for attribute, value in changes.items():
        if value is not None:
            setattr(record, attribute, value)
    driver = sfn_of(ctx).map_run_drivers().get(record.arn)
    if driver is not None:
        driver.poke()  # more children may start now, or the failures so far exceed the new threshold
    return {}
