"""Workflow variables: one scope per execution, a child scope per Parallel branch and Map
iteration.

A child reads its parents' variables and writes only its own, so an assignment inside a branch
or an iteration is never seen outside it. Every field of a state reads the variables as they
were when the state was entered; the state's `Assign` takes effect as it exits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Scope:
    __slots__ = ("values", "parent", "_visible", "blank")

    def __init__(self, parent: Scope | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.parent = parent
        self._visible: dict[str, Any] | None = None
        self.blank: Any = None  # the runner's context object for states that read no `$$`, until an assignment

    def child(self) -> Scope:
        return Scope(self)

    def visible(self) -> Mapping[str, Any]:
        """Every variable this scope can read (its own over its parents'); rebuilt only after
        an assignment, so states that assign nothing share one mapping."""
        if self._visible is None:
            if self.parent is None:
                self._visible = self.values
            else:
                outer = self.parent.visible()
                self._visible = {**outer, **self.values} if self.values else dict(outer)
        return self._visible

    def assign(self, values: Mapping[str, Any]) -> None:
        self.values.update(values)
        self._visible = None if self.parent is not None else self.values
        self.blank = None
