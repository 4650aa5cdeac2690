"""Paths that may start at a workflow variable: `$x`, `$x.a[0]` as well as `$` and `$$`.

JSONPath states read variables wherever they read paths (InputPath, Parameters' `.$` fields,
Choice `Variable`, SecondsPath, intrinsic arguments...). A reference is compiled once: the
variable's name, and the rest of the path compiled as a path from `$`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from services.stepfunctions.data.jsonpath import CompiledPath, PathNotFound, compile_path, validate_path

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)(.*)", re.DOTALL)
_NO_VARIABLES: Mapping[str, Any] = MappingProxyType({})


class ContextObject(dict):  # type: ignore[type-arg]
    """The context object (`$$`, `$states.context`) as a dict, carrying beside it what a
    state's fields are evaluated with: the variables in scope and the execution's randomness."""

    __slots__ = ("variables", "random")

    def __init__(self, *args: Any, variables: Mapping[str, Any] = _NO_VARIABLES, random: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variables = variables
        self.random = random

    def derived(self, members: Mapping[str, Any]) -> ContextObject:
        """This context with more members (a Map iteration's `Map`), the same variables."""
        return ContextObject({**self, **members}, variables=self.variables, random=self.random)


def variables_of(context: Any) -> Mapping[str, Any]:
    return getattr(context, "variables", _NO_VARIABLES)


@dataclass(frozen=True, slots=True)
class Reference:
    text: str
    path: CompiledPath  # from `$` (the data, or the variable's value) or `$$`
    variable: str | None = None

    @property
    def is_context(self) -> bool:
        return self.path.is_context

    def target(self, data: Any, context: Any) -> Any:
        if self.variable is None:
            return context if self.path.is_context else data
        values = variables_of(context)
        if self.variable not in values:
            raise PathNotFound(self.text, f"No results for path: {self.text}")
        return values[self.variable]

    def get(self, data: Any, context: Any) -> Any:
        return self.path.get(self.target(data, context))


def variable_name(text: str) -> str | None:
    """The variable a path starts at, or None (`$`, `$$`, `$.a`, `$[0]`)."""
    match = _VARIABLE.fullmatch(text) if len(text) > 1 and text[1] not in "$.[" else None
    return match.group(1) if match else None


@functools.lru_cache(maxsize=4096)
def compile_reference(text: str) -> Reference:
    """Raises PathSyntaxError (a ValueError) for an invalid path."""
    name = variable_name(text) if isinstance(text, str) else None
    if name is None:
        return Reference(text, compile_path(text))
    return Reference(text, compile_path("$" + text[1 + len(name):]), name)


def validate_reference(text: str, *, reference: bool = False) -> str | None:
    """validate_path for paths that may start at a variable."""
    name = variable_name(text) if isinstance(text, str) else None
    return validate_path(text if name is None else "$" + text[1 + len(name):], reference=reference)
