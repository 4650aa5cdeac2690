"""Every service integration module, imported once so that each registers itself in
registry.INTEGRATIONS. One line per module."""

from __future__ import annotations

from services.stepfunctions.integrations import sqs  # noqa: F401
