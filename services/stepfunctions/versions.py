"""Versions, aliases and encryption settings as records: publishing, routing, validation.

Shared by machine_ops (publish=true, encryptionConfiguration), version_ops (the version and
alias operations) and execution_ops (starting a version or an alias).

LIMITATIONS: KMS keys are not looked up (stepstack has no KMS): any kmsKeyId is accepted
and nothing is encrypted; the messages of InvalidEncryptionConfiguration are ours.
"""

from __future__ import annotations

import random
from typing import Any

from services.stepfunctions.errors import (
    ConflictException,
    InvalidEncryptionConfiguration,
    ServiceQuotaExceededException,
)
from services.stepfunctions.models import MachineAlias, MachineVersion, SfnStore, StateMachine

MAX_VERSIONS = 1000  # per state machine (AWS's quota)
MAX_ALIASES = 100  # per state machine (AWS's quota)
DEFAULT_REUSE_SECONDS = 300
AWS_OWNED = "AWS_OWNED_KEY"
CUSTOMER_MANAGED = "CUSTOMER_MANAGED_KMS_KEY"


def encryption(config: dict[str, Any] | None) -> dict[str, Any]:
    """The encryptionConfiguration to keep and describe ({"type": "AWS_OWNED_KEY"} by default)."""
    if config is None:
        return {"type": AWS_OWNED}
    kind, key, reuse = config.get("type"), config.get("kmsKeyId"), config.get("kmsDataKeyReusePeriodSeconds")
    if reuse is not None and not 60 <= reuse <= 900:
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsDataKeyReusePeriodSeconds must be between 60 and 900 seconds."
        )
    if kind == AWS_OWNED:
        if key is not None or reuse is not None:
            raise InvalidEncryptionConfiguration(
                "Invalid Encryption Configuration: kmsKeyId and kmsDataKeyReusePeriodSeconds apply only to "
                "CUSTOMER_MANAGED_KMS_KEY."
            )
        return {"type": AWS_OWNED}
    if not key:
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsKeyId is required when type is CUSTOMER_MANAGED_KMS_KEY."
        )
    return {"type": CUSTOMER_MANAGED, "kmsKeyId": key, "kmsDataKeyReusePeriodSeconds": reuse or DEFAULT_REUSE_SECONDS}


def versions_of(store: SfnStore, machine_arn: str) -> list[MachineVersion]:
    """A machine's versions, newest first."""
    found = [v for v in store.versions.values() if v.machine_arn == machine_arn]
    return sorted(found, key=lambda v: v.number, reverse=True)


def aliases_of(store: SfnStore, machine_arn: str) -> list[MachineAlias]:
    return [a for a in store.aliases.values() if a.machine_arn == machine_arn]


def publish(
    store: SfnStore, machine: StateMachine, now: float, description: str | None, revision_id: str | None = None
) -> MachineVersion:
    """Publish the machine's current revision; the newest version again if that is unchanged."""
    if revision_id is not None and revision_id != machine.revision_id:
        raise ConflictException(
            f"Failed to publish the State Machine version for revision {revision_id}. "
            f"The current State Machine revision is {machine.revision_id}."
        )
    existing = versions_of(store, machine.arn)
    if existing and existing[0].revision_id == machine.revision_id:
        return existing[0]
    if len(existing) >= MAX_VERSIONS:
        raise ServiceQuotaExceededException(
            f"Maximum number of versions ({MAX_VERSIONS}) reached for state machine: '{machine.arn}'"
        )
    machine.versions_published += 1
    number = machine.versions_published
    version = MachineVersion(
        f"{machine.arn}:{number}", machine.arn, number, machine.definition, machine.role_arn, machine.type, now,
        dict(machine.logging), dict(machine.tracing), machine.revision_id, dict(machine.encryption), description,
    )
    store.versions[version.arn] = version
    return version


def route(alias: MachineAlias, rng: random.Random) -> str:
    """The version ARN an execution through `alias` runs, chosen by weight."""
    draw = rng.randrange(100)
    for item in alias.routing:
        if draw < item["weight"]:
            return item["stateMachineVersionArn"]
        draw -= item["weight"]
    return alias.routing[-1]["stateMachineVersionArn"]
