"""Names, ARNs and pagination tokens as Step Functions checks and builds them."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from services.core.arns import build_arn, parse_arn
from services.stepfunctions.errors import InvalidArn, InvalidName, InvalidToken

_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> None:
    """1 to 80 characters, none of whitespace, brackets, wildcards, specials or controls."""
    if not 1 <= len(name) <= 80 or _FORBIDDEN.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")


def resource_arn(region: str, account: str, kind: str, *names: str) -> str:
    return build_arn("states", region, account, f"{kind}:" + ":".join(names))


def arn_parts(arn: str, *kinds: str) -> tuple[str, str, str, list[str]]:
    """(region, account, kind, names) of a Step Functions ARN of one of `kinds`, or InvalidArn."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "states" or not parsed.region or not parsed.account:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    kind, _, rest = parsed.resource.partition(":")
    if kind not in kinds or not rest:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
    return parsed.region, parsed.account, kind, rest.split(":")


def encode_token(position: Any) -> str:
    return base64.b64encode(json.dumps(position).encode()).decode()


def decode_token(token: str) -> Any:
    try:
        return json.loads(base64.b64decode(token, validate=True))
    except (ValueError, TypeError):
        raise InvalidToken("Invalid Token: 'Invalid token'") from None


def page(items: list[Any], max_results: int | None, token: str | None, default: int = 100) -> tuple[list[Any], str | None]:
    """A page of `items` (already ordered) and the token for the next one."""
    size = max_results or default
    start = 0
    if token:
        start = decode_token(token)
        if not isinstance(start, int) or start < 0:
            raise InvalidToken("Invalid Token: 'Invalid token'")
    chunk = items[start : start + size]
    return chunk, encode_token(start + size) if start + size < len(items) else None


def paged_result(key: str, items: list[Any], req: dict[str, Any], render: Any) -> dict[str, Any]:
    """`{key: [render(item) ...], "nextToken": ...}` for one page of a List*/Get* answer."""
    chunk, token = page(items, req.get("maxResults"), req.get("nextToken"))
    result: dict[str, Any] = {key: [render(item) for item in chunk]}
    if token:
        result["nextToken"] = token
    return result
