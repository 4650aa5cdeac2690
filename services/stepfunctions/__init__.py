"""The stepfunctions emulator. Its operations are registered on `handlers`; those not yet
registered answer NotImplemented (501) and are listed as such in docs/coverage.md."""

from services.core.handlers import ServiceHandlers

handlers: ServiceHandlers[None] = ServiceHandlers("stepfunctions")

__all__ = ["handlers"]
