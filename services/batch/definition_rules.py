"""Checks of a job definition's parts, as AWS documents them: resource requirements (and the
vCPU/memory combinations Fargate allows), retry strategies, timeouts, node ranges."""

from __future__ import annotations

from collections.abc import Mapping
import re
from types import MappingProxyType
from typing import Any

from services.batch.errors import ClientException

# Fargate: vCPU -> the memory values (MiB) it can be given
FARGATE_MEMORY: Mapping[str, frozenset[int]] = MappingProxyType({
    "0.25": frozenset({512, 1024, 2048}),
    "0.5": frozenset(range(1024, 4096 + 1, 1024)),
    "1": frozenset(range(2048, 8192 + 1, 1024)),
    "2": frozenset(range(4096, 16384 + 1, 1024)),
    "4": frozenset(range(8192, 30720 + 1, 1024)),
    "8": frozenset(range(16384, 61440 + 1, 4096)),
    "16": frozenset(range(32768, 122880 + 1, 8192)),
})
_EXIT_CODE = re.compile(r"[0-9]*\*?")
_REASON = re.compile(r"[A-Za-z0-9 .:]*\*?")
_RANGE = re.compile(r"(\d*)(:?)(\d*)")
MIN_TIMEOUT = 60
MAX_ATTEMPTS = 10
MAX_EVALUATE = 5
MAX_PRIORITY = 9999


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ClientException(f"Invalid {what} resource requirement value: {text}") from None


def resources(container: dict[str, Any], fargate: bool) -> tuple[float | None, float | None]:
    """(vCPUs, memory MiB) of containerProperties, checked for the platform."""
    requirements = {r["type"]: r["value"] for r in container.get("resourceRequirements") or []}
    if len(requirements) != len(container.get("resourceRequirements") or []):
        raise ClientException("resourceRequirements can contain each type only once")
    vcpus = _number(requirements["VCPU"], "VCPU") if "VCPU" in requirements else container.get("vcpus")
    memory = _number(requirements["MEMORY"], "MEMORY") if "MEMORY" in requirements else container.get("memory")
    if "GPU" in requirements:
        gpus = _number(requirements["GPU"], "GPU")
        if fargate:
            raise ClientException("GPU resource requirements are not supported for jobs running on Fargate resources")
        if gpus < 0 or gpus != int(gpus):
            raise ClientException(f"Invalid GPU resource requirement value: {requirements['GPU']}")
    if fargate:
        for legacy in ("vcpus", "memory"):
            if container.get(legacy) is not None:
                raise ClientException(
                    f"containerProperties.{legacy} is not applicable to jobs running on Fargate resources; "
                    "use resourceRequirements"
                )
        if "VCPU" not in requirements or "MEMORY" not in requirements:
            raise ClientException("Fargate resources must have both VCPU and MEMORY resourceRequirements")
        allowed = FARGATE_MEMORY.get(_canonical(requirements["VCPU"]))
        if allowed is None:
            raise ClientException(
                f"Fargate resource requirement VCPU value {requirements['VCPU']} is not supported; "
                f"valid values are {', '.join(FARGATE_MEMORY)}"
            )
        if memory is None or memory != int(memory) or int(memory) not in allowed:
            raise ClientException(
                f"Fargate resource requirement MEMORY value {requirements['MEMORY']} is not supported "
                f"with VCPU value {requirements['VCPU']}"
            )
        if not container.get("executionRoleArn"):
            raise ClientException("Fargate job definitions must specify containerProperties.executionRoleArn")
        if container.get("instanceType"):
            raise ClientException("containerProperties.instanceType is not applicable to jobs running on Fargate resources")
    else:
        if vcpus is not None and vcpus <= 0:
            raise ClientException("vcpus must be greater than 0 for jobs running on EC2 resources")
        if memory is not None and memory < 4:
            raise ClientException("memory must be at least 4 MiB")
    return vcpus, memory


def environment(variables: list[dict[str, Any]] | None) -> None:
    """A container's environment (definition or containerOverrides): every variable is a
    name and a value, and the AWS_BATCH prefix is Batch's own."""
    for variable in variables or []:
        name, value = variable.get("name"), variable.get("value")
        if not name or value is None:
            raise ClientException("Environment variables must have a name and a value")
        if name.startswith("AWS_BATCH"):
            raise ClientException(f"Environment variable names starting with AWS_BATCH are reserved: {name}")


def _canonical(value: str) -> str:
    number = _number(value, "VCPU")
    return str(int(number)) if number == int(number) else str(number)


def retry_strategy(raw: dict[str, Any]) -> dict[str, Any]:
    attempts = raw.get("attempts")
    if attempts is not None and not 1 <= attempts <= MAX_ATTEMPTS:
        raise ClientException(f"retryStrategy.attempts must be between 1 and {MAX_ATTEMPTS}")
    rules = raw.get("evaluateOnExit") or []
    if len(rules) > MAX_EVALUATE:
        raise ClientException(f"retryStrategy.evaluateOnExit can contain at most {MAX_EVALUATE} conditions")
    for rule in rules:
        if rule["action"].upper() not in ("RETRY", "EXIT"):
            raise ClientException("evaluateOnExit.action must be RETRY or EXIT")
        for field, pattern in (("onExitCode", _EXIT_CODE), ("onReason", _REASON), ("onStatusReason", _REASON)):
            value = rule.get(field)
            if value is not None and (len(value) > 512 or not pattern.fullmatch(value)):
                raise ClientException(f"evaluateOnExit.{field} {value} is invalid")
    return dict(raw)  # the action as given (AWS matches it ignoring case; job_launch does too)


def timeout(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw.get("attemptDurationSeconds")
    if seconds is not None and seconds < MIN_TIMEOUT:
        raise ClientException(f"timeout.attemptDurationSeconds must be at least {MIN_TIMEOUT} seconds")
    return dict(raw)


def scheduling_priority(value: int) -> int:
    if not 0 <= value <= MAX_PRIORITY:
        raise ClientException(f"schedulingPriority must be between 0 and {MAX_PRIORITY}")
    return value


def node_range(target: str, num_nodes: int) -> tuple[int, int]:
    """A targetNodes range ("n", "n:", ":m", "n:m") as inclusive (first, last)."""
    match = _RANGE.fullmatch(target)
    if match is None or not (match.group(1) or match.group(3)):
        raise ClientException(f"Invalid targetNodes range: {target}")
    start, colon, end = match.groups()
    first = int(start) if start else 0
    last = (int(end) if end else num_nodes - 1) if colon else first
    if first > last or last >= num_nodes:
        raise ClientException(f"targetNodes range {target} is outside the nodes 0:{num_nodes - 1}")
    return first, last


def node_properties(raw: dict[str, Any], check_container: Any) -> dict[str, Any]:
    """nodeProperties: mainNode within numNodes, ranges inside 0:numNodes-1 covering every node
    (nested ranges allowed: later ones override)."""
    num_nodes, main = raw["numNodes"], raw["mainNode"]
    if num_nodes < 1:
        raise ClientException("nodeProperties.numNodes must be at least 1")
    if not 0 <= main < num_nodes:
        raise ClientException("nodeProperties.mainNode must be less than numNodes")
    covered: set[int] = set()
    ranges = []
    for entry in raw["nodeRangeProperties"]:
        first, last = node_range(entry["targetNodes"], num_nodes)
        covered.update(range(first, last + 1))
        if entry.get("container") is not None:
            entry = {**entry, "container": check_container(entry["container"])}
        ranges.append(entry)
    if len(covered) != num_nodes:
        raise ClientException("nodeRangeProperties must cover every node from 0 to numNodes-1")
    return {**raw, "nodeRangeProperties": ranges}
