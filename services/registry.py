"""The emulated services, by their botocore names, and the factory of each."""

from __future__ import annotations

from typing import Any

from services.core.dispatch import ServiceFactory
from services.core.service import Operations

SERVICE_NAMES: tuple[str, ...] = ("sqs", "sns", "stepfunctions", "batch", "logs", "lambda")


def service_factories() -> tuple[ServiceFactory, ...]:
    """Import each service package; its `create(env)` builds the service for one application."""
    from services import batch, lambda_, logs, sns, sqs, stepfunctions

    return (sqs.create, sns.create, stepfunctions.create, batch.create, logs.create, lambda_.create)


def service_operations() -> dict[str, Operations]:
    """Each service's operation table (what is implemented), without building any service."""
    from services import batch, lambda_, logs, sns, sqs, stepfunctions

    modules: tuple[Any, ...] = (sqs, sns, stepfunctions, batch, logs, lambda_)
    return {m.operations.name: m.operations for m in modules}
