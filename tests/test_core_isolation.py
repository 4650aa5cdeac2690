"""The application owns all state: no module in services/ keeps any, and two
applications in one process share nothing."""

from __future__ import annotations

import contextvars
import dataclasses
import enum
import functools
import importlib
import logging
import pkgutil
import re
import types
import typing
from typing import Any

import services
from services.core.service import Operations
from services.stepfunctions.integrations.registry import Integrations
from tests.inprocess import InProcess

_IMMUTABLE = (
    str, int, float, bool, type(None), bytes, frozenset, types.MappingProxyType, re.Pattern, type,
    types.FunctionType, types.BuiltinFunctionType, types.ModuleType, contextvars.ContextVar,
    logging.Logger, typing.TypeVar, enum.Enum,
    Operations,  # the operation table: code registered at import, never state
    Integrations,  # Step Functions' integration table: likewise
)


def _immutable(value: Any) -> bool:
    if callable(value) and not str(getattr(value, "__module__", "")).startswith("services"):
        return True  # a function imported from a library (functools wrappers included)
    if isinstance(value, functools._lru_cache_wrapper):
        return True  # memoised pure functions (compiled JSONPath): the same answer for every app
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    if isinstance(value, _IMMUTABLE):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.__dataclass_params__.frozen  # type: ignore[attr-defined]
    if type(value).__module__ in ("typing", "types", "collections.abc", "__future__"):
        return True  # annotations, aliases
    return not vars(value) if hasattr(value, "__dict__") else type(value) is object  # sentinels


def _module_globals() -> list[tuple[str, str, Any]]:
    found = []
    for info in pkgutil.walk_packages(services.__path__, "services."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not name.startswith("__"):
                found.append((info.name, name, value))
    return found


def test_no_module_in_services_keeps_state() -> None:
    everything = _module_globals()
    assert len(everything) > 300  # the walk really reached the service packages
    mutable = [f"{module}.{name}: {type(value).__name__}" for module, name, value in everything if not _immutable(value)]
    assert mutable == []


def test_the_state_check_catches_a_module_level_store() -> None:
    assert not _immutable({})
    assert not _immutable([1])
    assert not _immutable({"a"})
    assert not _immutable((1, []))
    assert _immutable(types.MappingProxyType({"a": 1}))
    assert _immutable(object())


def test_two_applications_in_one_process_share_nothing() -> None:
    first, second = InProcess(), InProcess(loop=None)
    try:
        url = first.sqs("CreateQueue", QueueName="mine")["QueueUrl"]
        first.sqs("SendMessage", QueueUrl=url, MessageBody="hello")
        first.sfn("CreateActivity", name="mine")
        assert second.sqs("ListQueues") == {}
        assert second.sfn("ListActivities")["activities"] == []
        second_url = second.sqs("CreateQueue", QueueName="mine")["QueueUrl"]
        assert second_url == url
        assert second.sqs("ReceiveMessage", QueueUrl=second_url) == {}
        assert first.sqs("ReceiveMessage", QueueUrl=url)["Messages"][0]["Body"] == "hello"
        for name in ("sqs", "stepfunctions"):
            assert first.dispatcher.services[name] is not second.dispatcher.services[name]
            assert first.dispatcher.services[name].stores is not second.dispatcher.services[name].stores
        assert first.dispatcher.ids.uuid() != second.dispatcher.ids.uuid()
    finally:
        first.close()
        second.close()
