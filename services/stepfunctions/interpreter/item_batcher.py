"""ItemBatcher: a distributed Map's items grouped into the inputs of its child executions.

A batch is `{"BatchInput": ..., "Items": [...]}` (BatchInput only when the state gives one),
with at most MaxItemsPerBatch items and at most MaxInputBytesPerBatch bytes of JSON text; a
batch closes when the next item would break either limit. The limits are literals or
(JSONPath) reference paths into the state input, or (JSONata) expressions; BatchInput is a
payload template (JSONPath) or a JSONata value, evaluated once for the whole Map.

LIMITATIONS: an item that alone exceeds MaxInputBytesPerBatch gets a batch of its own, and the
wording of a limit that is not a positive integer is ours (AWS's answers are not recorded).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from services.stepfunctions.asl import ast
from services.stepfunctions.data.jsonpath import to_json
from services.stepfunctions.failures import runtime
from services.stepfunctions.interpreter.branches import _integer_at, _jsonata_number
from services.stepfunctions.interpreter.dataflow import compiled, dumps
from services.stepfunctions.interpreter.fields import Env, jsonata_value

MAX_BATCH_BYTES = 256 * 1024
_FIELDS = (("max_items", "MaxItemsPerBatch"), ("max_bytes", "MaxInputBytesPerBatch"))


def _batcher(state: ast.MapState) -> SimpleNamespace:
    """The ItemBatcher's fields as attributes, so templates and expressions compile once and
    are kept on it (it is kept on the frozen state)."""
    found = state.__dict__.get("_batcher")
    if found is None:
        raw = state.item_batcher or {}
        found = SimpleNamespace(
            max_items=raw.get("MaxItemsPerBatch"), max_items_path=raw.get("MaxItemsPerBatchPath"),
            max_bytes=raw.get("MaxInputBytesPerBatch"), max_bytes_path=raw.get("MaxInputBytesPerBatchPath"),
            batch_input=raw.get("BatchInput"),
        )
        state.__dict__["_batcher"] = found
    return found


def _limit(env: Env, state: ast.MapState, value: Any, attribute: str, field: str) -> int | None:
    batcher = _batcher(state)
    literal, path = getattr(batcher, attribute), getattr(batcher, f"{attribute}_path")
    if state.jsonata and isinstance(literal, str):
        found = _jsonata_number(env, batcher, attribute, field, integer=True)
    elif not state.jsonata and path is not None:
        found, field = _integer_at(env, value, path, f"{field}Path"), f"{field}Path"
    else:
        found = literal
    if found is None:
        return None
    if found <= 0:
        failure = runtime(f"The {field} field must be a positive integer, but was {to_json(found)}.")
        failure.before_start = True  # type: ignore[attr-defined]  # like the other Map settings
        raise failure
    return int(found)


def _batch_input(env: Env, state: ast.MapState, value: Any) -> Any:
    batcher = _batcher(state)
    if batcher.batch_input is None:
        return ast.ABSENT
    if state.jsonata:
        return jsonata_value(env, batcher, "batch_input", "BatchInput")
    template = compiled(batcher, "batch_input")
    return template.evaluate(value, env.context) if template is not None else batcher.batch_input


def plan_batches(env: Env, state: ast.MapState, value: Any, items: list[Any]) -> tuple[list[Any], list[int]]:
    """(child inputs, items in each): one child per item without an ItemBatcher."""
    if state.item_batcher is None:
        return items, [1] * len(items)
    max_items = _limit(env, state, value, "max_items", "MaxItemsPerBatch")
    max_bytes = min(_limit(env, state, value, "max_bytes", "MaxInputBytesPerBatch") or MAX_BATCH_BYTES, MAX_BATCH_BYTES)
    shared = _batch_input(env, state, value)
    head: dict[str, Any] = {} if shared is ast.ABSENT else {"BatchInput": shared}
    empty = len(dumps({**head, "Items": []}).encode("utf-8"))
    inputs: list[Any] = []
    sizes: list[int] = []
    batch: list[Any] = []
    size = empty

    def close() -> None:
        inputs.append({**head, "Items": batch})
        sizes.append(len(batch))

    for item in items:
        grows = len(dumps(item).encode("utf-8")) + (1 if batch else 0)
        if batch and ((max_items is not None and len(batch) >= max_items) or size + grows > max_bytes):
            close()
            batch, size = [], empty
            grows -= 1  # no comma before the first item
        batch.append(item)
        size += grows
    if batch:
        close()
    return inputs, sizes
