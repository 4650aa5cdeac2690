"""Job definitions: Register (a new revision per call, never reused), Deregister (INACTIVE),
Describe (by names, name:revision or ARNs; by name and status; paginated)."""

from __future__ import annotations

import copy
from typing import Any

from services.batch import definition_rules as rules
from services.batch.common import check_name, check_tags, described, page
from services.batch.errors import ClientException
from services.batch.lookup import Ctx, batch_arn
from services.batch.records import JobDefinitionRecord
from services.batch.service import operations
from services.core.context import Params, Result

_CONTAINER_LISTS = ("command", "volumes", "environment", "mountPoints", "ulimits", "resourceRequirements", "secrets")
_EKS_CONTAINER_LISTS = ("command", "args", "env", "volumeMounts")


def _eks(raw: dict[str, Any]) -> dict[str, Any]:
    """eksProperties, stored with AWS's empty defaults (EKS jobs are stored, not run)."""
    properties = copy.deepcopy(raw)
    pod = properties.get("podProperties") or {}
    containers = pod.get("containers") or []
    if not containers:
        raise ClientException("eksProperties.podProperties.containers must contain at least one container")
    for container in containers:
        if not container.get("image"):
            raise ClientException("eksProperties.podProperties.containers.image must be specified")
        for key in _EKS_CONTAINER_LISTS:
            container.setdefault(key, [])
    return properties


def _container(raw: dict[str, Any], fargate: bool, region: str, *, node: bool = False) -> dict[str, Any]:
    container = copy.deepcopy(raw)
    if not container.get("image") and not node:
        raise ClientException("containerProperties.image must be specified")
    rules.resources(container, fargate)
    rules.environment(container.get("environment"))
    _check_log_configuration(container.get("logConfiguration"), region)
    if container.get("secrets"):
        raise ClientException("stepstack does not support secrets yet (it has no Secrets Manager or SSM Parameter Store)")
    for key in _CONTAINER_LISTS:
        container.setdefault(key, [])
    if fargate:
        container.setdefault("networkConfiguration", {"assignPublicIp": "DISABLED"})
        container.setdefault("fargatePlatformConfiguration", {"platformVersion": "LATEST"})
    elif container.get("fargatePlatformConfiguration") or container.get("networkConfiguration"):
        raise ClientException(
            "fargatePlatformConfiguration and networkConfiguration are only applicable to jobs running on Fargate resources"
        )
    return container


_AWSLOGS_OPTIONS = frozenset({"awslogs-group", "awslogs-stream-prefix", "awslogs-region", "awslogs-create-group"})


def _check_log_configuration(config: dict[str, Any] | None, region: str) -> None:
    """Only the awslogs driver exists here (output goes to stepstack's CloudWatch Logs):
    its group and stream prefix are used (job_launch.py), the others are refused."""
    if not config:
        return
    driver = config.get("logDriver")
    if driver != "awslogs":
        raise ClientException(f"stepstack does not support the log driver {driver} yet (only awslogs)")
    if config.get("secretOptions"):
        raise ClientException("stepstack does not support logConfiguration.secretOptions yet")
    options = config.get("options") or {}
    unknown = sorted(set(options) - _AWSLOGS_OPTIONS)
    if unknown:
        raise ClientException(f"stepstack does not support the awslogs options {', '.join(unknown)} yet")
    if options.get("awslogs-create-group", "true").lower() not in ("true", "false"):
        raise ClientException("awslogs-create-group must be true or false")
    if options.get("awslogs-region", region) != region:
        raise ClientException(f"stepstack does not support awslogs-region {options['awslogs-region']} yet (only the job's own region)")


@operations.operation("RegisterJobDefinition")
async def register_job_definition(ctx: Ctx, req: Params) -> Result:
    name = check_name(req["jobDefinitionName"], "jobDefinitionName")
    kind = req["type"]
    if kind not in ("container", "multinode"):
        raise ClientException(f"type must be container or multinode, not {kind}")
    capabilities = list(req.get("platformCapabilities") or [])
    if any(c not in ("EC2", "FARGATE") for c in capabilities) or len(set(capabilities)) != len(capabilities):
        raise ClientException("platformCapabilities must be EC2 or FARGATE")
    fargate = "FARGATE" in capabilities
    if fargate and len(capabilities) > 1:
        raise ClientException("platformCapabilities can't contain both EC2 and FARGATE")
    tags = check_tags(req.get("tags"))
    if req.get("ecsProperties") or req.get("consumableResourceProperties"):
        raise ClientException("ecsProperties and consumableResourceProperties are not supported")
    description: dict[str, Any] = {"jobDefinitionName": name, "status": "ACTIVE", "type": kind}
    orchestration = "ECS"
    if req.get("eksProperties") is not None:
        if kind != "container" or req.get("containerProperties") or req.get("nodeProperties"):
            raise ClientException("eksProperties can't be combined with containerProperties or nodeProperties")
        description["eksProperties"] = _eks(req["eksProperties"])
        orchestration = "EKS"
    elif kind == "container":
        if req.get("nodeProperties"):
            raise ClientException("nodeProperties can only be specified for multinode job definitions")
        if not req.get("containerProperties"):
            raise ClientException("containerProperties must be specified for container job definitions")
        description["containerProperties"] = _container(req["containerProperties"], fargate, ctx.region)
    else:
        if req.get("containerProperties"):
            raise ClientException("containerProperties can't be specified for multinode job definitions; use nodeProperties")
        if not req.get("nodeProperties"):
            raise ClientException("nodeProperties must be specified for multinode job definitions")
        if fargate:
            raise ClientException("multinode job definitions are not supported on Fargate resources")
        description["nodeProperties"] = rules.node_properties(
            req["nodeProperties"], lambda container: _container(container, False, ctx.region, node=True)
        )
    description["parameters"] = dict(req.get("parameters") or {})
    if req.get("retryStrategy") is not None:
        description["retryStrategy"] = rules.retry_strategy(req["retryStrategy"])
    if req.get("timeout") is not None:
        description["timeout"] = rules.timeout(req["timeout"])
    if req.get("schedulingPriority") is not None:
        description["schedulingPriority"] = rules.scheduling_priority(req["schedulingPriority"])
    if req.get("propagateTags") is not None:
        description["propagateTags"] = req["propagateTags"]
    if capabilities:
        description["platformCapabilities"] = capabilities
    description["containerOrchestrationType"] = orchestration
    revision = ctx.store.next_revision.get(name, 1)
    ctx.store.next_revision[name] = revision + 1
    arn = batch_arn(ctx, "job-definition", f"{name}:{revision}")
    description = {"jobDefinitionName": name, "jobDefinitionArn": arn, "revision": revision, **description}
    ctx.store.job_definitions[arn] = JobDefinitionRecord(name=name, revision=revision, arn=arn, description=description, tags=tags)
    return {"jobDefinitionName": name, "jobDefinitionArn": arn, "revision": revision}


def _by_exact_ref(ctx: Ctx, ref: str) -> JobDefinitionRecord | None:
    """name:revision or a full ARN (one revision)."""
    arn = ref if ref.startswith("arn:") else batch_arn(ctx, "job-definition", ref)
    return ctx.store.job_definitions.get(arn)


@operations.operation("DeregisterJobDefinition")
async def deregister_job_definition(ctx: Ctx, req: Params) -> Result:
    ref = req["jobDefinition"]
    record = _by_exact_ref(ctx, ref)
    if record is None:
        raise ClientException(f"JobDefinition {ref} not found.")
    record.description["status"] = "INACTIVE"
    return {}


def _matches(ctx: Ctx, ref: str, record: JobDefinitionRecord) -> bool:
    if ":" in ref or ref.startswith("arn:"):
        if ref.startswith("arn:") and ref.count(":") == 5:  # an ARN without :revision: every revision
            return record.arn.rsplit(":", 1)[0] == ref
        return record.arn == (ref if ref.startswith("arn:") else batch_arn(ctx, "job-definition", ref))
    return record.name == ref


@operations.operation("DescribeJobDefinitions")
async def describe_job_definitions(ctx: Ctx, req: Params) -> Result:
    refs = req.get("jobDefinitions") or []
    if len(refs) > 100:
        raise ClientException("jobDefinitions can contain at most 100 items")
    status = req.get("status")
    if status is not None and status not in ("ACTIVE", "INACTIVE"):
        raise ClientException("status must be ACTIVE or INACTIVE")
    name = req.get("jobDefinitionName")
    records = [
        record for record in ctx.store.job_definitions.values()
        if (not refs or any(_matches(ctx, ref, record) for ref in refs))
        and (name is None or record.name == name)
        and (status is None or record.description.get("status") == status)
    ]
    return page(records, req, described, "jobDefinitions")
