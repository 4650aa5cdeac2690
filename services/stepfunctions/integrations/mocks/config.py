"""Step Functions Local's mock configuration file: loaded, validated, reloaded when it changes.

The file (AWS: "Configuration file for mocked service integrations") is one JSON object:

    {"StateMachines": {"<machine name>": {"TestCases": {"<test case>": {"<Task state>": "<mocked response>"}}}},
     "MockedResponses": {"<mocked response>": {"0": {"Return": ...}, "1-2": {"Throw": {"Error": ..., "Cause": ...}}}}}

Every problem is reported at once, each with the path of the field at fault, so a user fixes
the file in one go. Invocation keys are a number ("0") or an inclusive range ("1-2") that may
not overlap; an invocation no key covers fails the execution when it happens (AWS: "If you do
not specify a mocked response for a specific retry attempt ... the state machine execution
will fail").

LIMITATIONS: only JSON (no comments), and stepstack refuses fields the format does not have
(Step Functions Local's handling of them is not documented).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

log = logging.getLogger("stepstack.stepfunctions")
_KEY = re.compile(r"^(\d+)(?:-(\d+))?$")


class MockConfigError(ValueError):
    """The mock configuration file is missing, unreadable or invalid (the message says why)."""


@dataclass(frozen=True, slots=True)
class MockedEntry:
    """What invocations `first`..`last` (inclusive, counted from 0) of a mocked Task get."""

    first: int
    last: int
    returns: bool  # Return (the task's result) or Throw (its failure)
    value: Any  # the Return value; for a Throw, {"Error": ..., "Cause": ...}

    def plain(self) -> dict[str, Any]:
        return {"first": self.first, "last": self.last, "returns": self.returns, "value": self.value}


@dataclass(frozen=True, slots=True)
class MockConfig:
    test_cases: Mapping[str, Mapping[str, Mapping[str, str]]]  # machine -> test case -> state -> response
    responses: Mapping[str, tuple[MockedEntry, ...]]  # response name -> entries, by invocation

    def test_case(self, machine: str, case: str) -> dict[str, Any] | None:
        """The test case as the plain values an execution record keeps: each mocked state's
        response name and entries (None when the file has no such test case)."""
        states = self.test_cases.get(machine, {}).get(case)
        if states is None:
            return None
        return {
            "testCase": case,
            "states": {state: {"response": name, "entries": [e.plain() for e in self.responses[name]]} for state, name in states.items()},
            "calls": {},
        }


def parse_config(text: str, where: str) -> MockConfig:
    """The validated configuration; MockConfigError listing every problem otherwise."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise MockConfigError(f"The mock configuration file {where} is not valid JSON: {error}") from None
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MockConfigError(f"The mock configuration file {where} must hold a JSON object with StateMachines and MockedResponses.")
    for key in data:
        if key not in ("StateMachines", "MockedResponses"):
            problems.append(f"'{key}': unknown field (a mock configuration has StateMachines and MockedResponses)")
    responses = _responses(data.get("MockedResponses"), problems)
    cases = _machines(data.get("StateMachines"), responses, problems)
    if problems:
        listed = "\n  - ".join(problems)
        raise MockConfigError(f"The mock configuration file {where} is invalid:\n  - {listed}")
    return MockConfig(MappingProxyType(cases), MappingProxyType(responses))


def _responses(raw: Any, problems: list[str]) -> dict[str, tuple[MockedEntry, ...]]:
    if raw is None:
        problems.append("MockedResponses: missing (an object of mocked responses by name)")
        return {}
    if not isinstance(raw, dict):
        problems.append("MockedResponses: must be an object of mocked responses by name")
        return {}
    found: dict[str, tuple[MockedEntry, ...]] = {}
    for name, entries in raw.items():
        where = f"MockedResponses.{name}"
        if not isinstance(entries, dict) or not entries:
            problems.append(f"{where}: must be an object of invocation numbers (\"0\", \"1-2\") to a Return or a Throw")
            continue
        parsed = [e for key, value in entries.items() if (e := _entry(f"{where}.{key}", key, value, problems)) is not None]
        parsed.sort(key=lambda e: e.first)
        for before, after in zip(parsed, parsed[1:]):
            if after.first <= before.last:
                problems.append(f"{where}: the invocations {_span(before)} and {_span(after)} overlap")
        found[name] = tuple(parsed)
    return found


def _entry(where: str, key: str, value: Any, problems: list[str]) -> MockedEntry | None:
    match = _KEY.match(key)
    if match is None:
        problems.append(f"{where}: the key must be an invocation number (\"0\") or an inclusive range (\"1-2\")")
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        problems.append(f"{where}: the range ends before it starts")
        return None
    if not isinstance(value, dict) or len([k for k in ("Return", "Throw") if k in value]) != 1 or len(value) != 1:
        problems.append(f"{where}: must be an object with exactly one field, Return or Throw")
        return None
    if "Return" in value:
        return MockedEntry(first, last, True, value["Return"])
    thrown = value["Throw"]
    if not isinstance(thrown, dict):
        problems.append(f"{where}.Throw: must be an object with the string fields Error and Cause")
        return None
    bad = [f for f in ("Error", "Cause") if not isinstance(thrown.get(f), str)]
    extra = [f for f in thrown if f not in ("Error", "Cause")]
    if bad or extra:
        what = (f"needs the string field{'s' if len(bad) > 1 else ''} {' and '.join(bad)}" if bad else "")
        if extra:
            what += ("; " if what else "") + f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(extra)}"
        problems.append(f"{where}.Throw: {what}")
        return None
    return MockedEntry(first, last, False, {"Error": thrown["Error"], "Cause": thrown["Cause"]})


def _machines(raw: Any, responses: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    if raw is None:
        problems.append("StateMachines: missing (an object of state machine names to their TestCases)")
        return {}
    if not isinstance(raw, dict):
        problems.append("StateMachines: must be an object of state machine names to their TestCases")
        return {}
    found: dict[str, Any] = {}
    for machine, body in raw.items():
        where = f"StateMachines.{machine}"
        if not isinstance(body, dict) or not isinstance(body.get("TestCases"), dict):
            problems.append(f"{where}: must be an object with one field, TestCases (an object of test cases by name)")
            continue
        for key in body:
            if key != "TestCases":
                problems.append(f"{where}.{key}: unknown field (a state machine has TestCases only)")
        cases: dict[str, Any] = {}
        for case, states in body["TestCases"].items():
            at = f"{where}.TestCases.{case}"
            if not isinstance(states, dict):
                problems.append(f"{at}: must be an object of Task state names to mocked response names")
                continue
            for state, name in states.items():
                if not isinstance(name, str):
                    problems.append(f"{at}.{state}: must be the name of a mocked response (a string)")
                elif name not in responses:
                    problems.append(f"{at}.{state}: the mocked response '{name}' is not in MockedResponses")
            cases[case] = MappingProxyType(dict(states))
        found[machine] = MappingProxyType(cases)
    return found


def _span(entry: MockedEntry) -> str:
    return str(entry.first) if entry.first == entry.last else f"{entry.first}-{entry.last}"


def load_config(path: str) -> MockConfig:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise MockConfigError(f"The mock configuration file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MockConfigError(f"The mock configuration file {path} cannot be read: {error}") from None
    return parse_config(text, path)


class MockConfigFile:
    """The file named by SFN_MOCK_CONFIG / STEPSTACK_SFN_MOCK_CONFIG, read again when its
    modification time or size changes (checked on each use: one stat, no polling thread).
    A file that became invalid keeps its error until it is fixed."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._config: MockConfig | None = None
        self._error: MockConfigError | None = None

    def current(self) -> MockConfig:
        """The configuration as the file holds it now; MockConfigError if none is set or it is invalid."""
        if self.path is None:
            raise MockConfigError(
                "stepstack has no mock configuration file: set SFN_MOCK_CONFIG (or STEPSTACK_SFN_MOCK_CONFIG) to its path."
            )
        try:
            stat = os.stat(self.path)
            seen: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            seen = None
        if seen is None or seen != self._seen:
            self._seen = seen
            try:
                self._config, self._error = load_config(self.path), None
                log.info("mock configuration %s loaded: %d test cases", self.path, sum(map(len, self._config.test_cases.values())))
            except MockConfigError as error:
                self._config, self._error = None, error
                log.error("%s", error)
        if self._error is not None:
            raise self._error
        assert self._config is not None
        return self._config
