"""InvalidDefinition: a state machine definition AWS would refuse.

Each problem is one diagnostic (code, message, location); the exception's `message`
joins them the way CreateStateMachine does:

    Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B
    at /States/A/Next, MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C'

A problem without a location renders as `at null`, as AWS does for MISSING_END_STATE.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One diagnostic, in the shape of ValidateStateMachineDefinition's `diagnostics`."""

    code: str
    message: str
    location: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location if self.location is not None else 'null'}"

    def to_wire(self) -> dict[str, str]:
        wire = {"severity": "ERROR", "code": self.code, "message": self.message}
        if self.location is not None:
            wire["location"] = self.location
        return wire


class InvalidDefinition(Exception):
    """Raised by parse_definition; the API layer answers it as `InvalidDefinition` (400)."""

    def __init__(self, problems: list[str] | list[Problem]) -> None:
        self.diagnostics: list[Problem] = [p for p in problems if isinstance(p, Problem)]
        self.problems: list[str] = [str(p) for p in problems]
        self.message = "Invalid State Machine Definition: '" + ", ".join(self.problems) + "'"
        super().__init__(self.message)
