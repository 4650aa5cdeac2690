"""The sns emulator. Its operations are registered on `operations`; those not yet
registered answer NotImplemented (501) and are listed as such in docs/coverage.md."""

from __future__ import annotations

from services.core.service import Operations, Service, ServiceEnv

operations = Operations("sns")


def create(env: ServiceEnv) -> Service[None]:
    return Service(env, operations)


__all__ = ["create", "operations"]
