"""The Step Functions handler registry and its state."""

from __future__ import annotations

from services.core.handlers import ServiceHandlers
from services.stepfunctions.models import SfnStore

handlers: ServiceHandlers[SfnStore] = ServiceHandlers("stepfunctions", SfnStore)
