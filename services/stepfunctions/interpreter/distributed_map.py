"""Distributed Map: each item, or each batch of items (item_batcher.py), runs as a child
execution under a Map Run.

The parent records MapStateStarted, MapRunStarted, then MapRunSucceeded and MapStateSucceeded,
or MapRunFailed (the runner adds MapStateFailed); its MapStateExited follows MapRunStarted, as
AWS links it in histories recorded since late 2024. Children are Execution records that the
service runs in-process (SfnService.start_child), each with its own history and context
object (`$$.Execution` is the child's, `$$.StateMachine.Id` the Map Run's
`<machine>/<label>`). The Map Run hears each child end through the ExecutionStatus change
events the service publishes, and starts the next ones within its MaxConcurrency, which
UpdateMapRun may change while it runs; so may the tolerated failure thresholds, counted in
items (a failed batch fails all its items). A failed child beyond the threshold fails the Map
Run with States.ExceedToleratedFailureThreshold (without thresholds, the first failure does)
and aborts the children still running. Stopping or timing out the parent aborts them too, and
the Map Run ends ABORTED.

Resuming (replay.py): the recorded MapRunStarted names the Map Run; its children that were
running resume as executions of their own, the ones not yet started start as planned.

Redriving the parent redrives its Map Run (MapRunRedriven, as AWS documents): children that
did not succeed run again within its concurrency, STANDARD ones redriven (what they did that
succeeded is kept), EXPRESS ones started anew; those never started start.

LIMITATIONS: ItemReader and ResultWriter need Amazon S3 and are refused when the machine is
created; a child's context object has no `$$.Map` (ItemSelector reads `$$.Map.Item`, in the
parent); the output of a tolerated failed child is `{"Error", "Cause"}`; without a Label the Map
Run's name part is a generated id (as recorded AWS ARNs show).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from services.core.events import Subscription
from services.stepfunctions.asl import ast
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.interpreter.branches import (
    EXCEEDED,
    _items,
    _map_settings,
    item_selector,
    over_tolerance,
    selected_item,
)
from services.stepfunctions.interpreter.dataflow import checked_dumps, dumps
from services.stepfunctions.interpreter.fields import Env
from services.stepfunctions.interpreter.item_batcher import plan_batches
from services.stepfunctions.models import Execution, MapRun
from services.stepfunctions.names import resource_arn

if TYPE_CHECKING:
    from services.stepfunctions.service import SfnService

UNLIMITED = 10_000  # AWS: without MaxConcurrency, up to 10,000 child executions run at once
ENDED_WITH_PARENT = "The execution that started its Map Run ended."
ENDED_WITH_RUN = "Its Map Run failed: the tolerated failure threshold was exceeded."


def _service(env: Env) -> SfnService:
    """The service running this execution."""
    service = env.runner.service
    if service is None:  # TestState runs states without one
        raise runtime("stepstack runs a distributed Map only inside its Step Functions service.")
    return service


def _child_definition(state: ast.MapState) -> str:
    """The ItemProcessor as the definition its children run (a whole state machine of its own)."""
    found = state.__dict__.get("_child_definition")
    if found is None:
        processor = state.raw.get("ItemProcessor") or state.raw.get("Iterator") or {}
        text = {k: v for k, v in processor.items() if k != "ProcessorConfig"}
        if state.item_processor.query_language == "JSONata":
            text["QueryLanguage"] = "JSONata"
        found = state.__dict__["_child_definition"] = dumps(text)
    return found


async def run_distributed_map(env: Env, state: ast.MapState) -> list[Any]:
    sfn, lane = _service(env), env.lane
    value = env.raw if state.jsonata else apply_path(env.raw, state.input_path, env.context)
    concurrency, count, percentage = _map_settings(env, state, value, default=0)
    items = _items(env, state, value)
    selector = item_selector(state)
    selected = [
        selected_item(env, state, value, selector, {"Map": {"Item": {"Index": i, "Value": item}}}, item)
        for i, item in enumerate(items)
    ]
    inputs, sizes = plan_batches(env, state, value, selected)
    text = _child_definition(state)
    definition = sfn.parsed(text)
    lane.add("MapStateStarted", {"length": len(items)}, note={"entered": env.entered_id})
    record, kind = _recorded_run(sfn, env)
    restarts: list[int] = []
    if record is not None and kind == "redrive":
        _redrive(sfn, record)
        kind = "MapRunRedriven"
    if record is not None and kind == "MapRunRedriven":
        restarts = _to_run_again(sfn, record)
    if record is None:
        record, kind = _new_map_run(sfn, env, state, sizes, concurrency, count, percentage), "MapRunStarted"
    details: dict[str, Any] = {"mapRunArn": record.arn}
    if kind == "MapRunRedriven":
        details["redriveCount"] = record.redrive_count
    started = lane.add(kind or "MapRunStarted", details)
    driver = MapRunDriver(sfn, record, env.runner.execution, inputs, text, definition, restarts)
    drivers = sfn.map_run_drivers()
    drivers[record.arn] = driver
    try:
        failure = await driver.run()
    except asyncio.CancelledError:
        driver.end("ABORTED", ENDED_WITH_PARENT)
        raise
    finally:
        drivers.pop(record.arn, None)
        if record.running:  # a failure of stepstack's own: nothing is left running
            driver.end("FAILED", ENDED_WITH_PARENT)
        driver.close()
    if failure is not None:
        lane.add("MapRunFailed", {"error": failure.error, "cause": failure.cause})
        raise failure
    lane.add("MapRunSucceeded")
    lane.add("MapStateSucceeded", note={"entered": env.entered_id})
    lane.follow(started)
    return driver.results()


def _recorded_run(sfn: SfnService, env: Env) -> tuple[MapRun | None, str | None]:
    """Replaying: the Map Run the recorded MapRunStarted or MapRunRedriven names, with that
    event's type; redriving: the Map Run of the attempt before, with "redrive"."""
    lane = env.lane
    replay = lane.replay
    if replay is None:
        return None, None
    parts = env.runner.execution.arn.split(":")
    store = sfn.stores.find(parts[4], parts[3])
    if store is None:
        return None, None
    for kind in ("MapRunRedriven", "MapRunStarted"):
        recorded = replay.next_of(lane, kind)
        if recorded is not None:
            return store.map_runs.get((recorded.details or {}).get("mapRunArn", "")), kind
    before = [e for e in replay.children.get(lane.last, ()) if e.type in ("MapRunStarted", "MapRunRedriven")]
    if before:  # redriven: that Map Run goes on
        return store.map_runs.get((before[-1].details or {}).get("mapRunArn", "")), "redrive"
    return None, None


def _redrive(sfn: SfnService, record: MapRun) -> None:
    record.status, record.stopped_at = "RUNNING", None
    record.redrive_count += 1
    record.redrive_date = sfn.clock.now()


def _to_run_again(sfn: SfnService, record: MapRun) -> list[int]:
    """A redriven Map Run's children still to run again: those that ended without success
    before the redrive (a resumed one may have run some again already)."""
    parts = record.arn.split(":")
    executions = sfn.stores.get(parts[4], parts[3]).executions
    since = record.redrive_date or 0.0
    return [
        index for index, arn in enumerate(record.children)
        if (child := executions.get(arn)) is None
        or (child.status != "SUCCEEDED" and not child.running and (child.stopped_at or 0.0) <= since)
    ]


def _new_map_run(
    sfn: SfnService, env: Env, state: ast.MapState, sizes: list[int], concurrency: int,
    count: int | None, percentage: float | None,
) -> MapRun:
    parent = env.runner.execution
    parts = parent.arn.split(":")
    region, account = parts[3], parts[4]
    label = state.label or sfn.env.ids.uuid()
    family = f"{parent.machine_name.split('/')[0]}/{label}"
    record = MapRun(
        arn=resource_arn(region, account, "mapRun", family, sfn.env.ids.uuid()),
        execution_arn=parent.arn,
        machine_arn=resource_arn(region, account, "stateMachine", family),
        label=label,
        state_name=state.name,
        execution_type=str((state.processor_config or {}).get("ExecutionType") or "STANDARD"),
        started_at=sfn.clock.now(),
        batch_sizes=sizes,
        max_concurrency=concurrency,
        tolerated_failure_count=count,
        tolerated_failure_percentage=percentage,
    )
    sfn.stores.get(account, region).map_runs[record.arn] = record
    return record


class MapRunDriver:
    """Runtime of one running Map Run: starts children within its concurrency and hears each
    end; everything it knows is in the MapRun record and the children's Execution records."""

    def __init__(
        self, sfn: SfnService, record: MapRun, parent: Execution, inputs: list[Any], text: str, definition: Any,
        restarts: list[int] | None = None,
    ) -> None:
        self.sfn, self.record, self.parent = sfn, record, parent
        self.restarts = list(restarts or ())  # children to run again (a redrive), before new ones
        self.inputs, self.text, self.definition = inputs, text, definition
        parts = record.arn.split(":")
        self.executions = sfn.stores.get(parts[4], parts[3]).executions
        self.total_items = sum(record.batch_sizes)
        self.running: dict[str, Subscription] = {}  # child ARN -> its status subscription
        self.failed_items = 0
        self._wake: asyncio.Future[None] | None = None
        again = set(self.restarts)
        for index, arn in enumerate(record.children):  # resumed: what the children did meanwhile
            child = self.executions.get(arn)
            if index in again:
                continue
            if child is not None and child.running:
                self._watch(index, child)
            else:
                self._ended(index, child)

    def poke(self) -> None:
        """Something changed (a child ended, UpdateMapRun): the run loop looks again."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def run(self) -> StatesFailure | None:
        """Until every child has ended (None) or the failures exceed the threshold."""
        loop = asyncio.get_running_loop()
        record = self.record
        while True:
            if self._exceeded():
                self.end("FAILED", ENDED_WITH_RUN)
                return StatesFailure("States.ExceedToleratedFailureThreshold", EXCEEDED)
            limit = record.max_concurrency or UNLIMITED
            try:
                while (self.restarts or len(record.children) < len(self.inputs)) and len(self.running) < limit:
                    self._start(self.restarts.pop(0) if self.restarts else len(record.children))
            except StatesFailure as failure:  # a child's input over the payload limit
                self.end("FAILED", failure.cause)
                return failure
            if not self.running and not self.restarts and len(record.children) >= len(self.inputs):
                self.end("SUCCEEDED")
                return None
            self._wake = loop.create_future()
            await self._wake

    def _exceeded(self) -> bool:
        record = self.record
        count, percentage = record.tolerated_failure_count, record.tolerated_failure_percentage
        if count is None and percentage is None:
            count = 0
        return self.failed_items > 0 and over_tolerance(self.failed_items, self.total_items, count, percentage)

    def _start(self, index: int) -> None:
        sfn, record, parent = self.sfn, self.record, self.parent
        if index < len(record.children):  # a redrive: the child runs again
            earlier = self.executions.get(record.children[index])
            if earlier is not None and earlier.machine_type == "STANDARD":
                sfn.redrive(earlier)
                self._watch(index, earlier)
                return
        parts = record.arn.split(":")
        region, account = parts[3], parts[4]
        family = record.machine_arn.split(":", 6)[6]
        name = sfn.env.ids.uuid()
        express = record.execution_type == "EXPRESS"
        names = (family, name, sfn.env.ids.uuid()) if express else (family, name)
        child = Execution(
            resource_arn(region, account, "express" if express else "execution", *names), name, record.machine_arn,
            family, record.execution_type, self.text, parent.role_arn, checked_dumps(self.inputs[index], record.state_name),
            sfn.clock.now(), map_run_arn=record.arn,
            mock_test_case=parent.mock_test_case,  # a test case's mocks reach the children; one count, as for an inline Map
        )
        if index < len(record.children):
            record.children[index] = child.arn  # an EXPRESS child is started anew
        else:
            record.children.append(child.arn)
        sfn.start_child(child, self.definition)
        self._watch(index, child)

    def _watch(self, index: int, child: Execution) -> None:
        def heard(_: str, event: dict[str, Any]) -> None:
            if event.get("type") == "ExecutionStatus" and child.arn in self.running:
                self.running.pop(child.arn).cancel()
                self._ended(index, child)
                self.poke()

        self.running[child.arn] = self.sfn.env.events.subscribe(child.arn, heard)

    def _ended(self, index: int, child: Execution | None) -> None:
        if child is None or child.status != "SUCCEEDED":
            self.failed_items += self.record.batch_sizes[index]

    def end(self, status: str, cause: str = "") -> None:
        """The Map Run ends: children still running are aborted."""
        for arn in list(self.running):
            self.running.pop(arn).cancel()
            child = self.executions.get(arn)
            if child is not None:
                self.sfn.abort_child(child, cause)
        if self.record.running:
            self.record.status, self.record.stopped_at = status, self.sfn.clock.now()

    def close(self) -> None:
        for subscription in self.running.values():
            subscription.cancel()
        self.running.clear()

    def results(self) -> list[Any]:
        """Each child's output in item order; a tolerated failure's error and cause."""
        out: list[Any] = []
        for arn in self.record.children:
            child = self.executions.get(arn)
            if child is not None and child.status == "SUCCEEDED" and child.output_text is not None:
                out.append(json.loads(child.output_text))
            else:
                out.append({"Error": child.error if child else None, "Cause": child.cause if child else None})
        return out
