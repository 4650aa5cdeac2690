"""Parallel and Map: sub-workflows run concurrently in an asyncio.TaskGroup.

Each branch and each iteration runs in a lane of history events and a variable scope of its
own (it reads the outer variables; what it assigns stays inside). The first failure cancels
the others; after a Map iteration fails, no further iteration starts. The ...StateFailed event
is the runner's to record, once, when no retry follows.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Coroutine
from typing import Any

from services.stepfunctions.asl import ast
from services.stepfunctions.data.jsonpath import to_json
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.interpreter.dataflow import compiled
from services.stepfunctions.interpreter.fields import Env, evaluation_failure, jsonata_value, unexpected_type

INLINE_MAP_CONCURRENCY = 40
EXCEEDED = "The specified tolerated failure threshold was exceeded"


async def all_or_first_failure(coroutines: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Results in order; the first failure cancels the rest and is raised on its own."""
    tasks: list[asyncio.Task[Any]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coroutines]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]


async def run_parallel(env: Env, state: ast.ParallelState, value: Any) -> list[Any]:
    runner, lane = env.runner, env.lane
    lane.add("ParallelStateStarted", note={"entered": env.entered_id})
    scope = env.scope
    try:
        results = await all_or_first_failure([
            runner.run_definition(branch, copy.deepcopy(value), lane.branch(), scope.child(), {})
            for branch in state.branches
        ])
    finally:
        lane.rejoin(env.entered_id)
    lane.add("ParallelStateSucceeded", note={"entered": env.entered_id})
    return results


def _integer_at(env: Env, value: Any, path: str, field: str) -> int:
    """An integer, or text that is one (recorded: "1" is taken as 1); AWS quotes what it got."""
    found = apply_path(value, path, env.context)
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    text = found if isinstance(found, str) else to_json(found)
    try:
        return int(text.strip()) if isinstance(found, str) else _not_integer()
    except ValueError:
        pass
    failure = runtime(f'The {field} field refers to value "{text}" which is not a valid integer: {path}')
    failure.before_start = True  # type: ignore[attr-defined]  # recorded: no MapStateFailed follows
    raise failure


def _not_integer() -> int:
    raise ValueError


def _map_settings(
    env: Env, state: ast.MapState, value: Any, default: int = INLINE_MAP_CONCURRENCY,
) -> tuple[int, int | None, float | None]:
    """(concurrency, tolerated count, tolerated percentage), checked as AWS checks them; an absent
    or zero MaxConcurrency gives `default`."""
    concurrency: Any = state.max_concurrency
    count, percentage = state.tolerated_failure_count, state.tolerated_failure_percentage
    if state.jsonata:
        raw = state.raw
        if isinstance(raw.get("MaxConcurrency"), str):
            concurrency = _jsonata_number(env, state, "max_concurrency", "MaxConcurrency", integer=True)
        if isinstance(raw.get("ToleratedFailureCount"), str):
            count = _jsonata_number(env, state, "tolerated_failure_count", "ToleratedFailureCount", integer=True)
        if isinstance(raw.get("ToleratedFailurePercentage"), str):
            percentage = _jsonata_number(env, state, "tolerated_failure_percentage", "ToleratedFailurePercentage")
    else:
        if state.max_concurrency_path is not None:
            concurrency = _integer_at(env, value, state.max_concurrency_path, "MaxConcurrencyPath")
        if state.tolerated_failure_count_path is not None:
            count = _integer_at(env, value, state.tolerated_failure_count_path, "ToleratedFailureCountPath")
        if state.tolerated_failure_percentage_path is not None:
            found = apply_path(value, state.tolerated_failure_percentage_path, env.context)
            if isinstance(found, bool) or not isinstance(found, (int, float)):
                raise runtime(
                    f"The ToleratedFailurePercentagePath field refers to value {to_json(found)} which is not a valid number: "
                    f"{state.tolerated_failure_percentage_path}"
                )
            percentage = found
    return (concurrency if concurrency and concurrency > 0 else default), count, percentage


def _jsonata_number(env: Env, state: ast.MapState, attribute: str, field: str, integer: bool = False) -> Any:
    found = jsonata_value(env, state, attribute, field)
    if isinstance(found, bool) or not isinstance(found, (int, float)) or (integer and found != int(found)) or found < 0:
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise evaluation_failure(f"The {field} field's value must be {kind}, but was {to_json(found)}.", field)
    return int(found) if integer else found


def _items(env: Env, state: ast.MapState, value: Any) -> list[Any]:
    if state.jsonata:
        items = jsonata_value(env, state, "items", "Items", default=env.raw)
        if not isinstance(items, list):
            if state.items is ast.ABSENT:
                raise evaluation_failure(f"Map state input must be an array but was: {to_json(items)}")
            raise unexpected_type(state, "items", items, "array")
        return items
    items = apply_path(value, state.items_path, env.context)
    if not isinstance(items, list):
        raise runtime(f"Map state input must be an array but was: {to_json(items)}")
    return items


def is_distributed(state: ast.MapState) -> bool:
    return isinstance(state.processor_config, dict) and state.processor_config.get("Mode") == "DISTRIBUTED"


def selected_item(env: Env, state: ast.MapState, value: Any, selector: Any, extra: dict[str, Any], item: Any) -> Any:
    """What one iteration (or child execution) gets: the item, or ItemSelector (Parameters)
    evaluated with `$$.Map.Item` in `extra`."""
    if state.jsonata and state.item_selector is not None:
        item_env = Env(env.runner, state, env.raw, env.context.derived(extra), env.lane, env.entered_id, env.scope)
        return jsonata_value(item_env, state, "item_selector", "ItemSelector", default=item)
    if selector is not None:
        return selector.evaluate(value, env.context.derived(extra))
    return item


def item_selector(state: ast.MapState) -> Any:
    """The compiled JSONPath ItemSelector (or legacy Parameters), None for none or JSONata."""
    return None if state.jsonata else (compiled(state, "item_selector") or compiled(state, "parameters"))


async def run_map(env: Env, state: ast.MapState) -> list[Any]:
    for field, present in (("ItemReader", state.item_reader), ("ResultWriter", state.result_writer)):
        if present is not None:  # refused when the machine is created; a restored old definition may hold one
            raise runtime(f"Map state '{state.name}' uses {field}, which needs Amazon S3: stepstack does not emulate S3 yet.")
    if is_distributed(state):
        from services.stepfunctions.interpreter.distributed_map import run_distributed_map

        return await run_distributed_map(env, state)
    if state.item_batcher is not None:
        raise runtime(f"Map state '{state.name}' uses ItemBatcher, which only a DISTRIBUTED Map runs.")
    runner, lane = env.runner, env.lane
    value = env.raw if state.jsonata else apply_path(env.raw, state.input_path, env.context)
    concurrency, tolerated_count, tolerated_percentage = _map_settings(env, state, value)
    items = _items(env, state, value)
    tolerant = tolerated_count is not None or tolerated_percentage is not None
    gate = asyncio.Semaphore(concurrency)
    selector = item_selector(state)
    scope = env.scope
    lane.add("MapStateStarted", {"length": len(items)}, note={"entered": env.entered_id})
    failures = 0
    stopped = False

    async def iteration(index: int, item: Any) -> Any:
        nonlocal failures, stopped
        async with gate:
            if stopped:  # an iteration failed: none starts after it
                raise asyncio.CancelledError
            extra = {"Map": {"Item": {"Index": index, "Value": item}}}
            item_input = selected_item(env, state, value, selector, extra, item)
            own = lane.branch()
            own.add("MapIterationStarted", {"name": state.name, "index": index})
            try:
                output = await runner.run_definition(state.item_processor, item_input, own, scope.child(), extra)
            except StatesFailure as failure:
                own.add("MapIterationFailed", {"name": state.name, "index": index})
                if not tolerant:
                    stopped = True
                    raise
                failures += 1
                if over_tolerance(failures, len(items), tolerated_count, tolerated_percentage):
                    stopped = True
                    raise StatesFailure("States.ExceedToleratedFailureThreshold", EXCEEDED) from None
                return {"Error": failure.error, "Cause": failure.cause}
            own.add("MapIterationSucceeded", {"name": state.name, "index": index})
            return output

    try:
        results = await all_or_first_failure([iteration(i, item) for i, item in enumerate(items)])
    finally:
        lane.rejoin(env.entered_id)
    lane.add("MapStateSucceeded", note={"entered": env.entered_id})
    return results


def over_tolerance(failures: int, total: int, count: int | None, percentage: float | None) -> bool:
    if count is not None and failures > count:
        return True
    return percentage is not None and total > 0 and failures * 100 / total > percentage
