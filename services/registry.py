"""The four emulated services, by their botocore names."""

from __future__ import annotations

from typing import Any

from services.core.handlers import ServiceHandlers

SERVICE_NAMES: tuple[str, ...] = ("sqs", "sns", "stepfunctions", "batch")


def all_service_handlers() -> list[ServiceHandlers[Any]]:
    """Import each service package and return its handler registry."""
    from services import batch, sns, sqs, stepfunctions

    return [sqs.handlers, sns.handlers, stepfunctions.handlers, batch.handlers]
