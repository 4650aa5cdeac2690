"""The Lambda emulator over Lambda's REST-JSON protocol: functions run for real, through AWS's
Runtime API, in processes of their own. Operations not registered answer NotImplemented (501)."""

from __future__ import annotations

from services.lambda_.service import LambdaService, create, operations

__all__ = ["LambdaService", "create", "operations"]
