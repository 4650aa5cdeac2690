"""Mocked responses at work: a Task state that the execution's test case names gets, for each
invocation, the entry of its mocked response that covers it, instead of calling anything.

As AWS documents Step Functions Local (and where it is silent, as docs/differences.md says
stepstack chose):
- invocations of a state are counted per execution from 0: every attempt (Retry) and every
  time the state runs again (a loop, each Map iteration, each Parallel branch naming it; the
  child executions of a distributed Map share their parent's test case and counts);
- `Return` is the task's result, `Throw` fails the task with its Error and Cause (so Retry and
  Catch apply); an invocation that no entry covers fails the execution (States.Runtime);
- a service integration keeps its history: TaskScheduled, TaskStarted, then TaskSucceeded or
  TaskFailed; `.sync` and `.waitForTaskToken` record TaskSubmitted in between, and the Return
  is their final output (the callback's output for `.waitForTaskToken`, which gets a task token
  as usual);
- a Lambda function ARN records LambdaFunctionScheduled, LambdaFunctionStarted, then
  LambdaFunctionSucceeded or LambdaFunctionFailed; its output is the Return's `Payload` when the
  Return is an object that has one (an Invoke response, as AWS's examples write them), else the
  Return itself;
- an activity cannot be mocked: the execution fails with Step Functions Local's States.Runtime.

StartExecution refuses a test case naming a state that is no Task state of the machine
(`not_task_states`): a typo would otherwise run the real integration unnoticed.

The invocation counts live on the execution record beside the test case it started with, so a
resumed execution carries on counting (a replayed attempt is not counted twice: only a call
that is really made takes an entry).

LIMITATIONS: TaskSubmitted's output is `{}` (no call was submitted); the mocked response
answers at once, so TimeoutSeconds and HeartbeatSeconds never expire.
"""

from __future__ import annotations

from typing import Any

from services.stepfunctions.asl import ast
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.integrations.registry import Integration, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, SYNC, SYNC2, TOKEN
from services.stepfunctions.interpreter.dataflow import checked_dumps, dumps
from services.stepfunctions.interpreter.fields import Env
from services.stepfunctions.interpreter.replay import recorded_outcome

ACTIVITY_CAUSE = "Activity state cannot be mocked. Please remove mocks mapped for all activity state in the mock config file."
_ALL_PATTERNS = frozenset({REQUEST, SYNC, SYNC2, TOKEN})


class MockedState:
    """One mocked Task state of a running execution's test case."""

    def __init__(self, test_case: dict[str, Any], name: str) -> None:
        self.test_case, self.name = test_case, name
        self.spec = test_case["states"][name]

    def take(self) -> dict[str, Any]:
        """The entry of the next invocation (counted on the record); States.Runtime if none."""
        calls = self.test_case.setdefault("calls", {})
        number = calls.get(self.name, 0)
        calls[self.name] = number + 1
        return self.entry(number)

    def entry(self, number: int) -> dict[str, Any]:
        for entry in self.spec["entries"]:
            if entry["first"] <= number <= entry["last"]:
                return entry
        raise runtime(
            f"The mocked response '{self.spec['response']}' of the test case '{self.test_case['testCase']}' has no entry "
            f"for invocation {number} of the state '{self.name}' (invocations count from 0: \"0\", \"1-2\", ...)."
        )

    def last_taken(self) -> dict[str, Any]:
        """The entry of the latest invocation (a resumed `.sync` task finishing what it started)."""
        return self.entry(max(self.test_case.get("calls", {}).get(self.name, 1) - 1, 0))

    # -- as a service integration ---------------------------------------------------------

    def integration(self) -> Integration:
        """An integration for any resource and pattern that answers with the mocked entries."""
        taken: list[dict[str, Any]] = []

        async def start(call: TaskCall) -> Any:
            entry = self.take()
            taken.append(entry)
            pattern = call.resource.pattern
            if pattern == REQUEST:
                return outcome(entry)
            if pattern == TOKEN and call.token is not None:  # the callback arrives at once
                broker = call.env.runner.broker
                if entry["returns"]:
                    broker.succeed(call.token, dumps(entry["value"]))
                else:
                    broker.fail(call.token, entry["value"]["Error"], entry["value"]["Cause"])
            return {}

        async def finish(call: TaskCall, submitted: Any) -> Any:
            return outcome(taken[-1] if taken else self.last_taken())

        return Integration(start, _ALL_PATTERNS, finish)


def outcome(entry: dict[str, Any]) -> Any:
    """A Return's value, or a Throw raised as the task's failure."""
    if entry["returns"]:
        return entry["value"]
    raise StatesFailure(entry["value"]["Error"], entry["value"]["Cause"])


def mocked_state(env: Env, state: ast.State) -> MockedState | None:
    """The mocked response of this Task state in its execution's test case, if it has one."""
    test_case = getattr(env.runner.execution, "mock_test_case", None)
    if not test_case or state.name not in test_case.get("states", {}):
        return None
    return MockedState(test_case, state.name)


async def run_mocked_function(env: Env, mocked: MockedState, resource: str, value: Any, timeout: int | None) -> Any:
    """A Lambda function ARN as the resource, answered by its mocked response."""
    lane = env.lane
    details: dict[str, Any] = {"resource": resource, "input": dumps(value), "inputDetails": {"truncated": False}}
    if timeout is not None:
        details["timeoutInSeconds"] = timeout
    lane.add("LambdaFunctionScheduled", details)
    if lane.replay is not None and (ended := _recorded_function_end(env)) is not None:
        return ended()
    lane.add("LambdaFunctionStarted")
    entry = mocked.take()
    if not entry["returns"]:
        thrown = entry["value"]
        lane.add("LambdaFunctionFailed", {"error": thrown["Error"], "cause": thrown["Cause"]})
        raise StatesFailure(thrown["Error"], thrown["Cause"])
    result = entry["value"]
    if isinstance(result, dict) and "Payload" in result:
        result = result["Payload"]
    try:
        text = checked_dumps(result, resource)  # too large: fails as a real function's answer does
    except StatesFailure as failure:
        lane.add("LambdaFunctionFailed", {"error": failure.error, "cause": failure.cause})
        raise
    lane.add("LambdaFunctionSucceeded", {"output": text, "outputDetails": {"truncated": False}})
    return result


def _recorded_function_end(env: Env) -> Any:
    """Resuming: the recorded end of this attempt, as a function returning or raising it."""
    lane = env.lane
    replay = lane.replay
    assert replay is not None
    started = replay.next_of(lane, "LambdaFunctionStarted")
    if started is None:
        return None
    for kind in ("LambdaFunctionSucceeded", "LambdaFunctionFailed"):
        end = next((e for e in replay.children.get(started.id, ()) if e.id not in replay.used and e.type == kind), None)
        if end is None:
            continue
        lane.add("LambdaFunctionStarted")
        lane.add(kind, end.details)
        return recorded_outcome(end, "LambdaFunctionSucceeded")
    return None


def not_task_states(test_case: dict[str, Any], definition: ast.StateMachineDefinition) -> list[str]:
    """The states a test case mocks that are not Task states of the definition (at any depth:
    Parallel branches, Map processors); a typo would otherwise run the real integration."""
    tasks: set[str] = set()

    def walk(machine: ast.StateMachineDefinition) -> None:
        for name, state in machine.states.items():
            if isinstance(state, ast.TaskState):
                tasks.add(name)
            elif isinstance(state, ast.ParallelState):
                for branch in state.branches:
                    walk(branch)
            elif isinstance(state, ast.MapState):
                walk(state.item_processor)

    walk(definition)
    return sorted(name for name in test_case["states"] if name not in tasks)
