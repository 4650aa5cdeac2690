"""What the resource operations share: names, tags, pagination and epoch-millisecond times."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from services.batch.errors import ClientException
from services.core.context import Params

T = TypeVar("T")

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
MAX_TAGS = 50
MAX_KEY, MAX_VALUE = 128, 256
DEFAULT_PAGE, MAX_PAGE = 100, 100


def check_name(value: str, field: str) -> str:
    """Up to 128 letters, numbers, hyphens and underscores, starting with a letter or number."""
    if not NAME.fullmatch(value or ""):
        raise ClientException(
            f"{field} must be up to 128 characters long, start with a letter or number, and contain only "
            "letters (uppercase and lowercase), numbers, hyphens (-) and underscores (_)."
        )
    return value


def check_tags(tags: dict[str, str] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
    """AWS's tag rules: at most 50 per resource, keys 1-128 and values up to 256 characters,
    no key starting with `aws:` (reserved)."""
    tags = dict(tags or {})
    for key, value in tags.items():
        if not 1 <= len(key) <= MAX_KEY:
            raise ClientException(f"Tag key must be between 1 and {MAX_KEY} characters: {key}")
        if len(value) > MAX_VALUE:
            raise ClientException(f"Tag value must be at most {MAX_VALUE} characters for key: {key}")
        if key.lower().startswith("aws:"):
            raise ClientException("Tag keys prefixed with 'aws:' are reserved for AWS use")
    merged = {**(existing or {}), **tags}
    if len(merged) > MAX_TAGS:
        raise ClientException(f"A resource can have at most {MAX_TAGS} tags")
    return tags


def described(record: Any) -> dict[str, Any]:
    """A record's AWS-shaped description (a copy), with its current tags."""
    return {**copy.deepcopy(record.description), "tags": dict(record.tags)}


def millis(seconds: float) -> int:
    return int(seconds * 1000)


def describe_page(req: Params, key: str, find: Callable[[str], Any], every: Any) -> dict[str, Any]:
    """A DescribeX answer: the records `req[key]` names (at most 100, each once, unknown ones
    left out), or every record; paged."""
    refs = req.get(key)
    if refs:
        if len(refs) > 100:
            raise ClientException(f"{key} can contain at most 100 items")
        found = {}
        for ref in refs:
            record = find(ref)
            if record is not None:
                found[record.arn] = record
        records = list(found.values())
    else:
        records = list(every)
    return page(records, req, described, key)


def page(items: Sequence[T], req: Params, render: Callable[[T], Any], key: str) -> dict[str, Any]:
    """One page of `items` (maxResults 1-100, default 100) with an opaque nextToken."""
    limit = req.get("maxResults")
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise ClientException(f"maxResults must be between 1 and {MAX_PAGE}")
    limit = limit or DEFAULT_PAGE
    start = _decode_token(req.get("nextToken"))
    chunk = items[start : start + limit]
    result: dict[str, Any] = {key: [render(item) for item in chunk]}
    if start + limit < len(items):
        result["nextToken"] = base64.urlsafe_b64encode(json.dumps({"offset": start + limit}).encode()).decode()
    return result


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ClientException("Invalid nextToken") from None
    if not isinstance(offset, int) or offset < 0:
        raise ClientException("Invalid nextToken")
    return offset
