"""TagResource, UntagResource, ListTagsForResource for every taggable Batch ARN: compute
environments, job queues, job definitions (name:revision), scheduling policies and jobs."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from services.batch.common import MAX_TAGS, check_tags
from services.batch.errors import ClientException
from services.batch.lookup import Ctx
from services.batch.service import operations
from services.core.arns import parse_arn
from services.core.context import Params, Result

_TABLES = MappingProxyType({
    "compute-environment": "compute_environments",
    "job-queue": "job_queues",
    "job-definition": "job_definitions",
    "scheduling-policy": "scheduling_policies",
})


def taggable(ctx: Ctx, arn: str) -> Any:
    """The record an ARN names (its `tags` dict is what these operations change)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "batch" or "/" not in parsed.resource:
        raise ClientException(f"Invalid resource ARN: {arn}")
    kind, name = parsed.resource.split("/", 1)
    store = ctx.store_at(parsed.account, parsed.region, create=False) if parsed.region else None
    record = None
    if store is not None:
        if kind == "job":
            record = store.jobs.get(name)  # jobs.py keeps jobs by id; their `tags` is the same dict
        elif kind in _TABLES:
            record = getattr(store, _TABLES[kind]).get(arn)
    if record is None or getattr(record, "description", {}).get("status") in ("DELETED",):
        raise ClientException(f"Resource {arn} not found")
    return record


@operations.operation("TagResource")
async def tag_resource(ctx: Ctx, req: Params) -> Result:
    record = taggable(ctx, req["resourceArn"])
    if not req["tags"]:
        raise ClientException("tags must contain at least one tag")
    record.tags.update(check_tags(req["tags"], record.tags))
    return {}


@operations.operation("UntagResource")
async def untag_resource(ctx: Ctx, req: Params) -> Result:
    record = taggable(ctx, req["resourceArn"])
    keys = req["tagKeys"]
    if not 1 <= len(keys) <= MAX_TAGS:
        raise ClientException(f"tagKeys must contain between 1 and {MAX_TAGS} keys")
    for key in keys:
        record.tags.pop(key, None)
    return {}


@operations.operation("ListTagsForResource")
async def list_tags_for_resource(ctx: Ctx, req: Params) -> Result:
    record = taggable(ctx, req["resourceArn"])
    return {"tags": dict(record.tags)}
