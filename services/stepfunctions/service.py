"""The Step Functions service of one application: records in stores; parsed definitions,
running executions and activity pollers beside them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from services.core.clock import Timer
from services.core.service import Operations, Service, ServiceEnv
from services.stepfunctions.asl.errors import InvalidDefinition as DefinitionProblems
from services.stepfunctions.asl.parser import parse_definition
from services.stepfunctions.errors import InvalidDefinition
from services.stepfunctions.integrations.activities import ActivityBroker
from services.stepfunctions.integrations.mocks import MockConfigFile
from services.stepfunctions.interpreter.history import History
from services.stepfunctions.interpreter.replay import Replay
from services.stepfunctions.logging_sink import ExecutionLogs
from services.stepfunctions.models import Execution, HistoryEvent, SfnStore, dump_store, load_store

operations = Operations("stepfunctions")
log = logging.getLogger("stepstack.stepfunctions")

RESTORED_CAUSE = "stepstack restored a snapshot whose execution it could not resume."
MAX_PARSED = 1024


class SfnService(Service[SfnStore]):
    """Step Functions in one application. Records: the stores. Runtime: parsed definitions,
    the task and timeout timer of each running execution, and one activity broker."""

    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, SfnStore)
        self.broker = ActivityBroker(env.clock, env.ids, lambda: env.dispatcher.closing, self.activity_exists)
        self._parsed: dict[str, Any] = {}  # definition text -> asl.ast.StateMachineDefinition
        self.timeouts: dict[str, Timer] = {}  # execution ARN -> its TimeoutSeconds timer
        self.running: dict[str, asyncio.Task[None]] = {}  # execution ARN -> the task that runs it
        self.inspectors["activities"] = self._inspect_activities
        self.execution_logs = ExecutionLogs(env, self._machine_of)  # loggingConfiguration at work
        self.mocks = MockConfigFile(env.options.get("sfn_mock_config"))  # SFN_MOCK_CONFIG's test cases

    def activity_exists(self, arn: str) -> bool:
        parts = arn.split(":")
        store = self.stores.find(parts[4], parts[3]) if len(parts) > 6 else None
        return store is not None and arn in store.activities

    def parsed(self, text: str) -> Any:
        """The definition parsed once (a definition is immutable text); InvalidDefinition if bad."""
        found = self._parsed.get(text)
        if found is None:
            try:
                found = parse_definition(text)
            except DefinitionProblems as problems:
                raise InvalidDefinition(problems.message) from None
            if len(self._parsed) >= MAX_PARSED:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[text] = found
        return found

    def _machine_of(self, execution: Execution) -> Any:
        parts = execution.machine_arn.split(":")
        store = self.stores.find(parts[4], parts[3]) if len(parts) > 6 else None
        return store.state_machines.get(execution.machine_arn) if store is not None else None

    def history(self, execution: Execution) -> History:
        """Appends to an execution's events, publishes each as a change of the execution and
        hands it to its machine's log group (logging_sink.py)."""
        events, arn = self.env.events, execution.arn
        parts = arn.split(":")
        to_log = self.execution_logs.listener(execution, self.owner(parts[4], parts[3]))

        def on_event(event: HistoryEvent) -> None:
            if events.active:
                events.publish(arn, {"type": "HistoryEvent", "id": event.id, "eventType": event.type})
            if to_log is not None:
                to_log(event)

        return History(execution.events, self.clock, on_event)

    def finish(
        self,
        execution: Execution,
        status: str,
        *,
        output: str | None = None,
        error: str | None = None,
        cause: str | None = None,
        state: str | None = None,
    ) -> None:
        execution.status, execution.stopped_at = status, self.clock.now()
        if status == "SUCCEEDED":
            log.info("execution %s SUCCEEDED", execution.arn)
        else:
            where = f" in state {state!r}" if state else ""
            log.info("execution %s %s%s: error=%s cause=%s", execution.arn, status, where, error, cause)
        execution.output_text, execution.error, execution.cause = output, error, cause
        timer = self.timeouts.pop(execution.arn, None)
        if timer is not None:
            timer.cancel()
        self.env.events.publish(execution.arn, {"type": "ExecutionStatus", "status": status})

    def run_execution(self, execution: Execution, definition: Any, owner: Any, replay: Replay | None = None) -> None:
        """Run an execution in a task of its own (resumed from its history with `replay`), with
        its TimeoutSeconds timer."""
        from services.stepfunctions.interpreter.runner import Runner

        arn, history = execution.arn, self.history(execution)
        runner = Runner(execution, definition, history, self.clock, self.broker, self.finish, self.env.ids.derived_random(arn))
        runner.service = self  # what a distributed Map starts its children with

        async def run() -> None:
            try:
                await runner.run(replay)
            except asyncio.CancelledError:
                pass  # stopped, timed out or reset: whoever cancelled recorded why

        task = self.env.tasks.spawn(f"stepfunctions execution {arn}", run(), owner=owner)
        if execution.timeout_at is not None:

            def timed_out() -> None:
                if execution.running:
                    task.cancel()
                    history.add("ExecutionTimedOut", {"error": "States.Timeout", "cause": ""}, previous=history.last_id)
                    self.finish(execution, "TIMED_OUT", error="States.Timeout", cause="")

            self.timeouts[arn] = self.clock.call_at(execution.timeout_at, timed_out)
        self.running[arn] = task
        task.add_done_callback(lambda _: self.running.pop(arn, None))

    def redrive(self, execution: Execution) -> None:
        """RedriveExecution's work: the execution runs again from its history; what succeeded
        is found (replay.py), the rest runs. Its TimeoutSeconds starts over."""
        now = self.clock.now()
        definition = self.parsed(execution.definition)
        replay = Replay(list(execution.events), redriving_at=now)
        for event in execution.events:  # the retry deadlines of the attempts before: retries start over
            if event.note and "retry_at" in event.note:
                event.note = {k: v for k, v in event.note.items() if k != "retry_at"}
        execution.status, execution.stopped_at = "RUNNING", None
        execution.output_text = execution.error = execution.cause = None
        execution.redrive_count += 1
        execution.redrive_date = now
        execution.timeout_at = now + definition.timeout_seconds if definition.timeout_seconds is not None else None
        self.history(execution).add("ExecutionRedriven", {"redriveCount": execution.redrive_count})
        parts = execution.arn.split(":")
        self.run_execution(execution, definition, self.owner(parts[4], parts[3]), replay)

    # -- distributed Map children (interpreter/distributed_map.py) ----------------------

    def map_run_drivers(self) -> dict[str, Any]:
        """Map Run ARN -> the runtime driving it while it runs (UpdateMapRun reaches it here)."""
        return self.__dict__.setdefault("_map_run_drivers", {})

    def start_child(self, child: Execution, definition: Any) -> None:
        """A Map Run's child execution: kept beside its parent's records, run in-process."""
        parts = child.arn.split(":")
        self.stores.get(parts[4], parts[3]).executions[child.arn] = child
        self.run_execution(child, definition, self.owner(parts[4], parts[3]))

    def abort_child(self, child: Execution, cause: str) -> None:
        task = self.running.get(child.arn)
        if task is not None:
            task.cancel()
        if child.running:
            self.history(child).add("ExecutionAborted", {"error": "States.Aborted", "cause": cause})
            self.finish(child, "ABORTED", error="States.Aborted", cause=cause)

    # -- lifecycle --------------------------------------------------------------------

    def release(self) -> None:
        """Shutting down: pollers are answered empty, running executions end (ABORTED), so
        whoever waits on them (StartSyncExecution) gets an answer."""
        self.broker.release()
        for task in self.running.values():
            task.cancel()
        self._abort_running("stepstack is shutting down")

    def _abort_running(self, cause: str) -> None:
        for _, store in self.stores.items():
            for execution in store.executions.values():
                if execution.running:  # whoever waits on it (StartSyncExecution) gets an answer
                    self.history(execution).add("ExecutionAborted", {"error": "States.Aborted", "cause": cause})
                    self.finish(execution, "ABORTED", error="States.Aborted", cause=cause)

    async def reset(self) -> None:
        """Detach everything at once (a request served meanwhile sees a fresh service), then
        wait for the cancelled executions to end."""
        old_broker = self.broker
        self.broker = ActivityBroker(self.clock, self.env.ids, lambda: self.env.dispatcher.closing, self.activity_exists)
        old_broker.close()
        for task in self.running.values():
            task.cancel()
        self._abort_running("stepstack was reset")
        for timer in self.timeouts.values():
            timer.cancel()
        self.timeouts.clear()
        self.execution_logs.clear()
        self.stores.reset()
        await self.env.tasks.cancel_where(self.owns)

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        """Load the records; running executions resume from their histories (replay.py)."""
        self.load_stores(snapshot, load_store)
        for (account, region), store in self.stores.items():
            for machine in store.state_machines.values():
                try:
                    self.parsed(machine.definition)  # compiled now rather than on first start
                except InvalidDefinition:
                    pass  # its executions will say so; the rest of the snapshot still restores
            for execution in store.executions.values():
                if execution.running:
                    self._resume(execution, self.owner(account, region))

    def _resume(self, execution: Execution, owner: Any) -> None:
        try:
            definition = self.parsed(execution.definition)
        except InvalidDefinition:
            self.history(execution).add("ExecutionAborted", {"error": "States.Aborted", "cause": RESTORED_CAUSE})
            self.finish(execution, "ABORTED", error="States.Aborted", cause=RESTORED_CAUSE)
            return
        self.run_execution(execution, definition, owner, Replay(list(execution.events)))

    # -- inspection -------------------------------------------------------------------

    def _inspect_activities(self, query: dict[str, str]) -> dict[str, Any]:
        arn = query.get("activityArn")
        return {"WaitingPollers": self.broker.waiting_pollers(arn), "Running": len(self.running)}


def create(env: ServiceEnv) -> SfnService:
    return SfnService(env)
