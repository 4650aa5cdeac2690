"""Queue URLs, ARNs and receipt handles, and finding a queue from a request."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from services.core.context import RequestContext
from services.sqs.errors import QueueDoesNotExist, ReceiptHandleIsInvalid
from services.sqs.records import SqsStore

if TYPE_CHECKING:
    from services.sqs.queue import Queue
    from services.sqs.service import SqsService

NO_QUEUE = "The specified queue does not exist."

Ctx = RequestContext[SqsStore]


def queue_url(host: str, account: str, name: str) -> str:
    return f"http://{host}/{account}/{name}"


def split_queue_url(url: str) -> tuple[str | None, str]:
    """(account or None, name) from a queue URL (or a bare name)."""
    if "/" not in url:
        return None, url
    path = url
    if "://" in url:
        rest = url.partition("://")[2]
        slash = rest.find("/")
        path = rest[slash:] if slash >= 0 else ""
        if "?" in path or "#" in path:
            path = urlsplit(url).path
    parts = path.strip("/").split("/")
    parts = parts if "" not in parts else [p for p in parts if p]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, parts[-1] if parts else ""


def sqs_of(ctx: Ctx) -> SqsService:
    return ctx.service  # type: ignore[return-value]


def queue_by_url(ctx: Ctx, url: str) -> Queue:
    """The queue a URL names (its account may be another's), or QueueDoesNotExist."""
    account, name = split_queue_url(url)
    store = ctx.store if account is None or account == ctx.account_id else ctx.store_at(account, ctx.region, create=False)
    record = store.queues.get(name)
    queue = sqs_of(ctx).runtimes.get(record.arn) if record is not None else None
    if queue is None or queue.deleted:
        raise QueueDoesNotExist(NO_QUEUE)
    return queue


def queue_by_arn(ctx: Ctx, arn: str) -> Queue | None:
    return sqs_of(ctx).queue_by_arn(arn)


def encode_receipt(queue: Queue, message_id: str, nonce: str) -> str:
    raw = f"{message_id} {nonce} {queue.arn}".encode()
    return base64.b64encode(raw).decode("ascii")


def decode_receipt(handle: str) -> tuple[str, str, str]:
    """(message id, nonce, queue ARN), or ReceiptHandleIsInvalid."""
    try:
        message_id, nonce, arn = base64.b64decode(handle, validate=True).decode().split(" ")
        return message_id, nonce, arn
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.') from None
