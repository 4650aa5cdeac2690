"""The typed tree of an Amazon States Language definition.

One frozen dataclass per state type. Templates (Parameters, ResultSelector, ItemSelector,
Result, Assign, Credentials, JSONata Arguments/Output) are kept as the raw JSON the user wrote;
the interpreter compiles them. Sequences are tuples so a parsed definition can be shared by
every execution of a state machine.

Paths keep the difference ASL makes between a field that is absent and one that is JSON null:
absent InputPath/OutputPath/ResultPath/ItemsPath mean "$"; null means "discard" (None here).
`Pass.result` uses the ABSENT sentinel, because `"Result": null` is a real result.

Known differences from AWS:
- ItemReader, ResultWriter, ItemBatcher and ProcessorConfig are kept as raw dicts
  (distributed Map is later work).
- JSONata fields are carried raw here; the validator parses their expressions and the
  interpreter compiles them once (interpreter/fields.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

JSON = Any


class _Absent:
    _instance: ClassVar[_Absent | None] = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()
"""A field that the definition does not have (as opposed to one set to JSON null)."""


# ---------------------------------------------------------------- error handling


@dataclass(frozen=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter_strategy: str = "NONE"  # NONE | FULL
    comment: str | None = None


@dataclass(frozen=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"  # None: JSON null, the error output is discarded
    comment: str | None = None
    assign: JSON = None
    output: JSON = ABSENT  # JSONata


# ---------------------------------------------------------------- Choice rules

STRING_OPERATORS = (
    "StringEquals", "StringLessThan", "StringGreaterThan",
    "StringLessThanEquals", "StringGreaterThanEquals",
)
NUMERIC_OPERATORS = (
    "NumericEquals", "NumericLessThan", "NumericGreaterThan",
    "NumericLessThanEquals", "NumericGreaterThanEquals",
)
TIMESTAMP_OPERATORS = (
    "TimestampEquals", "TimestampLessThan", "TimestampGreaterThan",
    "TimestampLessThanEquals", "TimestampGreaterThanEquals",
)
TYPE_TEST_OPERATORS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
COMPARISON_OPERATORS: tuple[str, ...] = (
    *STRING_OPERATORS, *(f"{op}Path" for op in STRING_OPERATORS), "StringMatches",
    *NUMERIC_OPERATORS, *(f"{op}Path" for op in NUMERIC_OPERATORS),
    "BooleanEquals", "BooleanEqualsPath",
    *TIMESTAMP_OPERATORS, *(f"{op}Path" for op in TIMESTAMP_OPERATORS),
    *TYPE_TEST_OPERATORS,
)


@dataclass(frozen=True, kw_only=True)
class ChoiceRule:
    """A Choice rule; only the top-level rules of a Choice state have `next`."""

    next: str | None = None
    comment: str | None = None
    assign: JSON = None
    output: JSON = ABSENT  # JSONata: the output when this rule is chosen


@dataclass(frozen=True, kw_only=True)
class ComparisonRule(ChoiceRule):
    variable: str
    operator: str  # one of COMPARISON_OPERATORS
    value: JSON  # for a *Path operator: the reference path to compare against

    @property
    def value_is_path(self) -> bool:
        return self.operator.endswith("Path")


@dataclass(frozen=True, kw_only=True)
class AndRule(ChoiceRule):
    rules: tuple[ChoiceRule, ...]


@dataclass(frozen=True, kw_only=True)
class OrRule(ChoiceRule):
    rules: tuple[ChoiceRule, ...]


@dataclass(frozen=True, kw_only=True)
class NotRule(ChoiceRule):
    rule: ChoiceRule


@dataclass(frozen=True, kw_only=True)
class ConditionRule(ChoiceRule):
    """A JSONata rule: `Condition` holds the raw `{% ... %}` expression."""

    condition: JSON


# ---------------------------------------------------------------- states


@dataclass(frozen=True, kw_only=True)
class State:
    type: ClassVar[str] = ""

    name: str
    comment: str | None = None
    query_language: str | None = None  # as declared on the state; None: inherited
    jsonata: bool = False  # the language the state's fields are written in (declared or inherited)
    input_path: str | None = "$"
    output_path: str | None = "$"
    assign: JSON = None
    output: JSON = ABSENT  # JSONata
    raw: dict[str, JSON] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class _Transitions:
    next: str | None = None
    end: bool = False


@dataclass(frozen=True, kw_only=True)
class _Results:
    result_path: str | None = "$"
    parameters: JSON = None  # payload template, or None
    result_selector: JSON = None


@dataclass(frozen=True, kw_only=True)
class _ErrorHandling:
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PassState(_Transitions, State):
    type: ClassVar[str] = "Pass"
    result_path: str | None = "$"
    parameters: JSON = None
    result: JSON = ABSENT


@dataclass(frozen=True, kw_only=True)
class TaskState(_ErrorHandling, _Results, _Transitions, State):
    type: ClassVar[str] = "Task"
    resource: str
    timeout_seconds: int | None = None  # None: the state has no timeout of its own
    timeout_seconds_path: str | None = None
    heartbeat_seconds: int | None = None
    heartbeat_seconds_path: str | None = None
    credentials: JSON = None
    arguments: JSON = ABSENT  # JSONata


@dataclass(frozen=True, kw_only=True)
class ChoiceState(State):
    type: ClassVar[str] = "Choice"
    choices: tuple[ChoiceRule, ...]
    default: str | None = None


@dataclass(frozen=True, kw_only=True)
class WaitState(_Transitions, State):
    type: ClassVar[str] = "Wait"
    seconds: int | None = None
    timestamp: str | None = None
    seconds_path: str | None = None
    timestamp_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class SucceedState(State):
    type: ClassVar[str] = "Succeed"


@dataclass(frozen=True, kw_only=True)
class FailState(State):
    type: ClassVar[str] = "Fail"
    error: str | None = None
    cause: str | None = None
    error_path: str | None = None
    cause_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class ParallelState(_ErrorHandling, _Results, _Transitions, State):
    type: ClassVar[str] = "Parallel"
    branches: tuple[StateMachineDefinition, ...]
    arguments: JSON = ABSENT  # JSONata


@dataclass(frozen=True, kw_only=True)
class MapState(_ErrorHandling, _Results, _Transitions, State):
    type: ClassVar[str] = "Map"
    item_processor: StateMachineDefinition
    processor_config: dict[str, JSON] | None = None  # raw; Mode INLINE | DISTRIBUTED
    uses_iterator: bool = False  # written with the legacy `Iterator` field
    items_path: str | None = "$"
    item_selector: JSON = None  # payload template (or the legacy Parameters, kept apart)
    max_concurrency: int = 0  # 0: no limit
    max_concurrency_path: str | None = None
    tolerated_failure_percentage: float | None = None
    tolerated_failure_percentage_path: str | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_count_path: str | None = None
    item_reader: dict[str, JSON] | None = None
    result_writer: dict[str, JSON] | None = None
    item_batcher: dict[str, JSON] | None = None
    label: str | None = None
    items: JSON = ABSENT  # JSONata


def is_terminal(state: State) -> bool:
    """Succeed, Fail, and any state with `"End": true` end their scope."""
    return isinstance(state, (SucceedState, FailState)) or bool(getattr(state, "end", False))


# ---------------------------------------------------------------- definitions


@dataclass(frozen=True, kw_only=True)
class StateMachineDefinition:
    """A whole state machine, or the nested one of a Parallel branch or Map processor."""

    start_at: str
    states: dict[str, State]
    comment: str | None = None
    timeout_seconds: int | None = None  # top level only
    version: str | None = None  # top level only
    query_language: str = "JSONPath"  # effective for the states that declare none

    def state(self, name: str) -> State:
        return self.states[name]
