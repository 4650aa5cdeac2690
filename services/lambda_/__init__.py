"""The Lambda emulator over Lambda's REST-JSON protocol: functions run for real, through AWS's
Runtime API, in processes of their own. Operations not registered answer NotImplemented (501)."""

from __future__ import annotations

from services.lambda_.service import LambdaService, create, operations

# the control-plane operations register their handlers on import
from services.lambda_ import functions, layers, policies, settings, versions  # noqa: E402,F401  isort: skip
from services.lambda_ import invoke as _invoke  # noqa: E402,F401  registers Invoke
from services.lambda_ import event_sources as _event_sources  # noqa: E402,F401  registers the event source mappings

__all__ = ["LambdaService", "create", "operations"]
