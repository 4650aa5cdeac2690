"""The Batch emulator over Batch's REST-JSON protocol. Operations not registered answer
NotImplemented (501) and are listed as such in docs/coverage.md."""

from __future__ import annotations

from services.batch.service import BatchService, create, operations

__all__ = ["BatchService", "create", "operations"]
