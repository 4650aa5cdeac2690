"""TestState: one state evaluated on its own, with what each step of its data flow gave.

The state (alone, or named by `stateName` in a whole definition) is parsed like any
definition and evaluated by the interpreter's own functions (states.py, fields.py, task.py);
a mock stands in for the work of a Task, Map or Parallel. Retriers and Catchers are not run
but reported: RETRIABLE (with the retrier's index and the backoff it would wait, counting
`stateConfiguration.retrierRetryCount` retries done), CAUGHT_ERROR (the catcher's index, its
next state and output) or FAILED.

LIMITATIONS: a Wait state answers at once (its duration is checked, not waited); a Task
without a mock runs only what the interpreter runs (activities are refused, as on AWS, so
every other resource fails with the interpreter's States.TaskFailed); `fieldValidationMode`
checks a mocked result against botocore's output shape of the integration's API (aws-sdk
and the optimized lambda, sqs, sns, states, events, dynamodb, batch, ecs integrations);
TRACE adds nothing (stepstack has no HTTP Task to show the request and response of).
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
import json
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from services.core.context import Params, RequestContext, Result
from services.stepfunctions.asl import ast
from services.stepfunctions.data.jsonpath import set_result
from services.stepfunctions.data.references import ContextObject
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.errors import InvalidArn, InvalidDefinition, InvalidExecutionInput, ValidationException
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.interpreter.branches import EXCEEDED, _items, _map_settings, item_selector, selected_item
from services.stepfunctions.interpreter.dataflow import dumps, effective_input
from services.stepfunctions.interpreter.fields import Env, assignments, jsonata_value, plain_output, result_output, selected_result, task_input
from services.stepfunctions.interpreter.history import History
from services.stepfunctions.interpreter.item_batcher import plan_batches
from services.stepfunctions.interpreter.retry import find_catcher, find_retrier
from services.stepfunctions.interpreter.scope import Scope
from services.stepfunctions.interpreter.states import Outcome, evaluate_choice, evaluate_pass, evaluate_succeed, fail_failure, following
from services.stepfunctions.interpreter.task import run_task
from services.stepfunctions.models import Execution, SfnStore
from services.stepfunctions.service import operations

Ctx = RequestContext[SfnStore]
BARE_NAME = "StateName"  # what AWS calls a state given on its own (its schema errors say /States/StateName/...)
MACHINE_NAME, EXECUTION_NAME = "TestStateMachine", "TestStateExecution"
NOT_MOCKABLE = ("Pass", "Fail", "Succeed", "Choice", "Wait")
NEEDS_MOCK = "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"


@operations.operation("TestState")
async def test_state(ctx: Ctx, req: Params) -> Result:
    level = req.get("inspectionLevel", "INFO")
    state, definition = _the_state(ctx, req["definition"], req.get("stateName"))
    mock, config = req.get("mock"), req.get("stateConfiguration") or {}
    mocked = _check_mock(state, mock, req, config)
    role = req.get("roleArn")
    if role is not None and not role.startswith("arn:"):
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {role}'")
    raw = _json_param(req.get("input", "{}"), "input")
    variables = _json_param(req["variables"], "variables") if "variables" in req else {}
    if not isinstance(variables, dict):
        raise ValidationException("Invalid variables provided: variables must be a JSON object.")
    context = _json_param(req["context"], "context") if "context" in req else None
    if context is not None and not isinstance(context, dict):
        raise ValidationException("Invalid Context object provided: the context must be a JSON object.")
    if "mapIterationFailureCount" in config:
        if mock is None:
            raise ValidationException("TestState does not support MapIterationFailureCount when a mock is not specified.")
        if isinstance(mocked, list) and config["mapIterationFailureCount"] > len(mocked):
            raise ValidationException("Map iteration failure count must be less than or equal to the number of Map iterations")
    if isinstance(state, (ast.MapState, ast.ParallelState)) and mock is None:
        raise InvalidDefinition(NEEDS_MOCK)
    if (caused_by := config.get("errorCausedByState")) is not None and caused_by not in _state_names(definition):
        raise ValidationException(f"The state '{caused_by}' named by errorCausedByState is not in the definition.")
    if "mapItemReaderData" in config:
        _json_param(config["mapItemReaderData"], "mapItemReaderData")
    probe = _Probe(ctx, state, definition, raw, variables, context, role)
    return await probe.run(mock, mocked, config, level)


# -- the request ---------------------------------------------------------------------------------


def _the_state(ctx: Ctx, text: str, name: str | None) -> tuple[ast.State, ast.StateMachineDefinition]:
    try:
        raw = json.loads(text)
    except ValueError:
        raise InvalidDefinition("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: the definition is not valid JSON'") from None
    if not isinstance(raw, dict):
        raise InvalidDefinition("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the definition must be a JSON object'")
    if name is not None:
        definition = ctx.service.parsed(text)  # type: ignore[attr-defined]
        state = definition.states.get(name)
        if state is None:
            raise ValidationException(f"State with name '{name}' is not in the state machine definition.")
        return state, definition
    machine: dict[str, Any] = {"StartAt": BARE_NAME, "States": {BARE_NAME: raw}}
    for target in _targets(raw):  # where it goes need not exist: a placeholder for each
        if target != BARE_NAME:
            machine["States"].setdefault(target, {"Type": "Succeed"})
    definition = ctx.service.parsed(json.dumps(machine))  # type: ignore[attr-defined]
    return definition.states[BARE_NAME], definition


def _targets(raw: dict[str, Any]) -> list[str]:
    found = [raw.get("Next"), raw.get("Default")]
    found += [c.get("Next") for c in raw.get("Choices") or () if isinstance(c, dict)]
    found += [c.get("Next") for c in raw.get("Catch") or () if isinstance(c, dict)]
    return [t for t in found if isinstance(t, str)]


def _state_names(definition: ast.StateMachineDefinition) -> set[str]:
    names: set[str] = set()
    for name, state in definition.states.items():
        names.add(name)
        for inner in getattr(state, "branches", ()) or ():
            names |= _state_names(inner)
        if isinstance(state, ast.MapState):
            names |= _state_names(state.item_processor)
    return names


def _json_param(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        if field == "input":
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: 'the input is not valid JSON: {text[:100]}'") from None
        raise ValidationException(f"Invalid {field} provided: it must be valid JSON.") from None


def _check_mock(state: ast.State, mock: dict[str, Any] | None, req: Params, config: dict[str, Any]) -> Any:
    """The mocked result (parsed), after AWS's checks of the mock against the state."""
    if mock is None:
        if isinstance(state, ast.TaskState) and _is_activity(state.resource):
            raise ValidationException("TestState does not support Activity tasks when a mock is not specified.")
        return None
    if state.type in NOT_MOCKABLE:
        raise ValidationException(f"State type '{state.type}' is not supported when a mock is specified")
    if ("result" in mock) == ("errorOutput" in mock):
        raise ValidationException("A test mock should have only one of the following fields: [result, errorOutput].")
    if req.get("revealSecrets"):
        raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")
    if "errorOutput" in mock:
        return None
    try:
        result = json.loads(mock["result"])
    except ValueError:
        raise ValidationException("Mocked result must be valid JSON") from None
    if isinstance(state, ast.MapState):
        if state.result_writer is not None:
            if not isinstance(result, dict):
                raise ValidationException("Mocked result must be a JSON object.")
        elif not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
    elif isinstance(state, ast.ParallelState):
        if not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
        if len(result) != len(state.branches):
            raise ValidationException("Mocked result must contain the same number of items as number of Parallel branches.")
    elif isinstance(state, ast.TaskState):
        problem = check_mocked_result(state.resource, result, mock.get("fieldValidationMode", "STRICT"))
        if problem is not None:
            raise ValidationException(f"Mock result schema validation error: {problem}")
    return result


def _is_activity(resource: str) -> bool:
    parts = resource.split(":")
    return len(parts) > 6 and parts[2] == "states" and parts[5] == "activity"


# -- the evaluation ------------------------------------------------------------------------------


class _Probe:
    """One state evaluated the way runner.py evaluates it, noting each step of its data flow."""

    def __init__(self, ctx: Ctx, state: ast.State, definition: ast.StateMachineDefinition, raw: Any, variables: dict[str, Any], context: dict[str, Any] | None, role: str | None) -> None:
        from services.stepfunctions.interpreter.runner import Runner, iso

        self.state, self.raw = state, raw
        now = ctx.clock.now()
        machine_arn = f"arn:{_partition(ctx.region)}:states:{ctx.region}:{ctx.account_id}:stateMachine:{MACHINE_NAME}"
        execution = Execution(
            f"arn:{_partition(ctx.region)}:states:{ctx.region}:{ctx.account_id}:express:{MACHINE_NAME}:{EXECUTION_NAME}",
            EXECUTION_NAME, machine_arn, MACHINE_NAME, "EXPRESS", "", role, dumps(raw), now,  # type: ignore[arg-type]
        )
        history = History([], ctx.clock)
        service: Any = ctx.service
        self.runner = Runner(execution, definition, history, ctx.clock, service.broker, _no_finish, ctx.ids.random)  # the application's seeded randomness
        self.scope = Scope()
        if variables:
            self.scope.assign(variables)
        retries = isinstance(state, (ast.TaskState, ast.MapState, ast.ParallelState))
        if context is None:
            self.context = self.runner.context(state, {}, self.scope, 0 if retries else None)
        else:
            given = copy.deepcopy(context)
            given.setdefault("State", {"EnteredTime": iso(now), "Name": state.name})
            self.context = ContextObject(given, variables=self.scope.visible(), random=self.runner.rng)
        self.lane = history.lane()
        self.env = Env(self.runner, state, raw, self.context, self.lane, 1, self.scope, now)
        self.data: dict[str, Any] = {"input": raw}

    async def run(self, mock: dict[str, Any] | None, mocked: Any, config: dict[str, Any], level: str) -> Result:
        state, env = self.state, self.env
        answer: dict[str, Any]
        try:
            output, next_state, assigned = await self._evaluate(mock, mocked, config)
            answer = {"status": "SUCCEEDED", "output": dumps(output)}
            if next_state is not None:
                answer["nextState"] = next_state
        except StatesFailure as failure:
            answer = {"error": failure.error, "cause": failure.cause}
            assigned = None
            details: dict[str, Any] = {}
            retriers = getattr(state, "retry", ())
            index = find_retrier(retriers, failure.error, failure.heartbeat)
            if index is not None:
                details["retryIndex"] = index
                done = config.get("retrierRetryCount", 0)
                retrier = retriers[index]
                if done < retrier.max_attempts:
                    delay = retrier.interval_seconds * retrier.backoff_rate**done
                    if retrier.max_delay_seconds is not None:
                        delay = min(delay, retrier.max_delay_seconds)
                    details["retryBackoffIntervalSeconds"] = int(delay)
                    answer["status"] = "RETRIABLE"
            if "status" not in answer:
                catcher = find_catcher(getattr(state, "catch", ()), failure.error, failure.heartbeat)
                if catcher is None:
                    answer["status"] = "FAILED"
                else:
                    details["catchIndex"] = list(state.catch).index(catcher)  # type: ignore[attr-defined]
                    error_output = {"Error": failure.error, "Cause": failure.cause}
                    if state.jsonata:
                        output = jsonata_value(env, catcher, "output", "Output", default=error_output, errorOutput=error_output)
                        assigned = assignments(env, catcher, error_output, errorOutput=error_output)
                    else:
                        output = set_result(env.raw, catcher.result_path, error_output)
                        assigned = assignments(env, catcher, error_output)
                    answer.update(status="CAUGHT_ERROR", output=dumps(output), nextState=catcher.next)
            if details:
                self.data["errorDetails"] = details
        if level != "INFO":
            if assigned:
                self.scope.assign(assigned)
            if self.scope.values:
                self.data["variables"] = dict(self.scope.values)
            answer["inspectionData"] = {
                key: value if key in _PLAIN else dumps(value) for key, value in self.data.items()
            }
        return answer

    async def _evaluate(self, mock: dict[str, Any] | None, mocked: Any, config: dict[str, Any]) -> tuple[Any, str | None, Any]:
        state, env, data = self.state, self.env, self.data
        if isinstance(state, ast.PassState):
            if not state.jsonata:
                if state.result is ast.ABSENT:
                    data["afterInputPath"] = apply_path(env.raw, state.input_path, env.context)
                    data["afterParameters"] = effective_input(state, env.raw, env.context)
                    data["afterResultSelector"] = data["afterParameters"]
                else:
                    data["result"] = state.result
                    data["afterResultSelector"] = state.result
            outcome = evaluate_pass(env, state)
            if not state.jsonata:
                data["afterResultPath"] = set_result(env.raw, state.result_path, data["afterResultSelector"])
            return outcome.output, outcome.next, outcome.assigned
        if isinstance(state, (ast.ChoiceState, ast.SucceedState, ast.FailState, ast.WaitState)):
            if not state.jsonata:
                data["afterInputPath"] = apply_path(env.raw, state.input_path, env.context)
            if isinstance(state, ast.FailState):
                raise fail_failure(env, state)
            if isinstance(state, ast.ChoiceState):
                outcome = evaluate_choice(env, state)
            elif isinstance(state, ast.SucceedState):
                outcome = evaluate_succeed(env, state)
            else:
                from services.stepfunctions.interpreter.states import _wait_until

                _wait_until(env, state, data.get("afterInputPath", env.raw))  # its duration checked, not waited
                value = data.get("afterInputPath", env.raw)
                outcome = Outcome(plain_output(env, state, value), following(state), assignments(env, state, value))
            return outcome.output, outcome.next, outcome.assigned
        return await self._work(state, mock, mocked, config)

    async def _work(self, state: Any, mock: dict[str, Any] | None, mocked: Any, config: dict[str, Any]) -> tuple[Any, str | None, Any]:
        env, data = self.env, self.data
        if isinstance(state, ast.MapState):
            value = env.raw if state.jsonata else apply_path(env.raw, state.input_path, env.context)
            if not state.jsonata:
                data["afterInputPath"] = value
            concurrency, count, percentage = _map_settings(env, state, value)
            if state.item_reader is None and not state.jsonata:
                data["afterItemsPath"] = apply_path(value, state.items_path, env.context)
            _map_inputs(env, state, value, data)
            data["maxConcurrency"] = state.max_concurrency if state.max_concurrency_path is None and not isinstance(state.raw.get("MaxConcurrency"), str) else concurrency
            if count is not None:
                data["toleratedFailureCount"] = count
            if percentage is not None:
                data["toleratedFailurePercentage"] = float(percentage)
            failures = config.get("mapIterationFailureCount", 0)
            if mock is not None and "errorOutput" not in mock and (count is not None or percentage is not None):
                total = len(mocked) if isinstance(mocked, list) else 0
                if (count is not None and failures > count) or (percentage is not None and total and failures * 100 / total > percentage):
                    raise StatesFailure("States.ExceedToleratedFailureThreshold", EXCEEDED)
        elif isinstance(state, ast.ParallelState):
            if not state.jsonata:
                task_input(env, state)  # evaluated for its failures; AWS shows no step before the result
        else:
            value = task_input(env, state)
            if state.jsonata:
                data["afterArguments"] = value
            else:
                data["afterInputPath"] = apply_path(env.raw, state.input_path, env.context)
                data["afterParameters"] = value
        if mock is not None and "errorOutput" in mock:
            error = mock["errorOutput"]
            raise StatesFailure(error.get("error", ""), error.get("cause", ""))
        if mock is None:
            result = await run_task(env, state, data.get("afterArguments", data.get("afterParameters")))
        else:
            result = mocked
        if isinstance(state, ast.TaskState):
            data["result"] = result
        selected = selected_result(env, state, result)
        if not state.jsonata:
            data["afterResultSelector"] = selected
        assigned = assignments(env, state, selected, result=selected)
        output = result_output(env, state, selected)
        if not state.jsonata:
            data["afterResultPath"] = set_result(env.raw, state.result_path, selected)
        return output, following(state), assigned


def _map_inputs(env: Env, state: ast.MapState, value: Any, data: dict[str, Any]) -> None:
    """afterItemSelector (each iteration's input) and afterItemBatcher (each batch), when the
    state has those fields."""
    if state.item_selector is None and getattr(state, "parameters", None) is None and state.item_batcher is None:
        return
    items = _items(env, state, value)
    selector = item_selector(state)
    if state.item_selector is not None or selector is not None:
        items = [selected_item(env, state, value, selector, {"Map": {"Item": {"Index": i, "Value": item}}}, item) for i, item in enumerate(items)]
        data["afterItemSelector"] = items
    if state.item_batcher is not None:
        data["afterItemBatcher"] = plan_batches(env, state, value, items)[0]


_PLAIN = frozenset({"errorDetails", "maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage"})


def _no_finish(*_: Any, **__: Any) -> None:
    pass


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# -- a mocked result against the integration's API output shape ----------------------------------

_OPTIMIZED = MappingProxyType({  # resource "arn:aws:states:::<service>:<action>" -> (botocore service, operation)
    ("lambda", "invoke"): ("lambda", "Invoke"),
    ("sqs", "sendMessage"): ("sqs", "SendMessage"),
    ("sns", "publish"): ("sns", "Publish"),
    ("states", "startExecution"): ("stepfunctions", "StartExecution"),
    ("events", "putEvents"): ("events", "PutEvents"),
    ("batch", "submitJob"): ("batch", "SubmitJob"),
    ("ecs", "runTask"): ("ecs", "RunTask"),
})
_SDK_NAMES = MappingProxyType({"sfn": "stepfunctions", "states": "stepfunctions"})
_AS_JSON = MappingProxyType({("lambda", "Invoke"): frozenset({"Payload"})})  # blobs the integration hands over as JSON


def _integration(resource: str) -> tuple[str, str] | None:
    parts = resource.split(":")
    if len(parts) < 7 or parts[2] != "states" or parts[3] or parts[4]:
        return None
    service, action = parts[5], parts[6].split(".")[0]
    if service == "aws-sdk" and len(parts) > 7:
        name = _SDK_NAMES.get(parts[6], parts[6])
        action = parts[7].split(".")[0]
        return name, action[:1].upper() + action[1:]
    if service == "dynamodb":
        return "dynamodb", action[:1].upper() + action[1:]
    return _OPTIMIZED.get((service, action))


@cache
def _model(service: str) -> dict[str, Any] | None:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / service
    versions = sorted(root.glob("*/service-2.json*")) if root.is_dir() else []
    if not versions:
        return None
    path = versions[-1]
    text = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return json.loads(text)


def check_mocked_result(resource: str, result: Any, mode: str) -> str | None:
    """What is wrong with a mocked result for the integration's API (None: nothing, or an
    integration whose output shape stepstack does not know). PRESENT checks only the fields
    given; STRICT also requires the shape's required fields; NONE checks nothing."""
    if mode == "NONE":
        return None
    found = _integration(resource)
    model = _model(found[0]) if found is not None else None
    if found is None or model is None:
        return None
    operation = model["operations"].get(found[1])
    if operation is None or "output" not in operation:
        return None
    skip = _AS_JSON.get(found, set())
    return _check(model["shapes"], operation["output"]["shape"], result, mode == "STRICT", None, skip)


def _check(shapes: dict[str, Any], name: str, value: Any, strict: bool, field: str | None, skip: set[str]) -> str | None:
    shape = shapes[name]
    kind = shape["type"]
    shown = field or "result"
    if kind == "structure":
        if not isinstance(value, dict):
            return f"Field '{shown}' must be an object"
        members = {key[:1].upper() + key[1:]: member for key, member in shape.get("members", {}).items()}
        if strict:
            for required in shape.get("required", ()):
                if required[:1].upper() + required[1:] not in value:
                    return f"Required field '{required[:1].upper() + required[1:]}' is missing"
        for key, item in value.items():
            member = members.get(key)
            if member is None or key in skip:
                continue  # fields the API does not have are let through, as AWS does
            problem = _check(shapes, member["shape"], item, strict, key, set())
            if problem is not None:
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"Field '{shown}' must be an array"
        for item in value:
            problem = _check(shapes, shape["member"]["shape"], item, strict, field, set())
            if problem is not None:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"Field '{shown}' must be an object"
        for item in value.values():
            problem = _check(shapes, shape["value"]["shape"], item, strict, field, set())
            if problem is not None:
                return problem
        return None
    if kind in ("string", "blob", "timestamp"):
        if not isinstance(value, str):
            return f"Field '{shown}' must be a string"
        if "enum" in shape and value not in shape["enum"]:
            return f"Field '{shown}' is not an expected value"
        if "min" in shape and len(value) < shape["min"]:
            return f"Field '{shown}' is smaller than the minimum length"
        if "max" in shape and len(value) > shape["max"]:
            return f"Field '{shown}' is larger than the maximum length"
        return None
    if kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"Field '{shown}' must be a number"
        if "min" in shape and value < shape["min"]:
            return f"Field '{shown}' is less than the minimum value"
        if "max" in shape and value > shape["max"]:
            return f"Field '{shown}' exceeds the maximum value"
        return None
    if kind == "boolean" and not isinstance(value, bool):
        return f"Field '{shown}' must be a boolean"
    return None
