"""Queues per account and region; queue URLs, ARNs and receipt handles."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from services.core.arns import parse_arn
from services.core.context import RequestContext
from services.sqs.errors import QueueDoesNotExist, ReceiptHandleIsInvalid
from services.sqs.queue import Queue

if TYPE_CHECKING:
    from services.core.stores import AccountRegionStores

NO_QUEUE = "The specified queue does not exist."


@dataclass
class SqsStore:
    queues: dict[str, Queue] = field(default_factory=dict)  # by name
    deleted_at: dict[str, float] = field(default_factory=dict)  # name -> when (strict mode)
    move_tasks: dict[str, Any] = field(default_factory=dict)  # task handle -> task


def queue_url(host: str, account: str, name: str) -> str:
    return f"http://{host}/{account}/{name}"


def split_queue_url(url: str) -> tuple[str | None, str]:
    """(account or None, name) from a queue URL (or a bare name)."""
    if "/" not in url:
        return None, url
    path = urlsplit(url).path if "://" in url else url
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, parts[-1] if parts else ""


class QueueDirectory:
    """Finds queues across accounts and regions (a URL or ARN names its owner)."""

    def __init__(self, stores: AccountRegionStores[SqsStore]) -> None:
        self.stores = stores

    def by_url(self, ctx: RequestContext[SqsStore], url: str) -> Queue:
        account, name = split_queue_url(url)
        store = ctx.store if account in (None, ctx.account_id) else self.stores.get(account, ctx.region)
        queue = store.queues.get(name)
        if queue is None or queue.deleted:
            raise QueueDoesNotExist(NO_QUEUE)
        return queue

    def find_url(self, url: str, default_account: str, region: str) -> Queue | None:
        """A queue by URL outside a request (inspection); None when there is none."""
        account, name = split_queue_url(url)
        queue = self.stores.get(account or default_account, region).queues.get(name)
        return queue if queue is not None and not queue.deleted else None

    def by_arn(self, arn: str) -> Queue | None:
        parts = parse_arn(arn)
        if parts is None or parts.service != "sqs":
            return None
        queue = self.stores.get(parts.account, parts.region).queues.get(parts.resource)
        return queue if queue is not None and not queue.deleted else None

    def require_arn(self, arn: str) -> Queue:
        queue = self.by_arn(arn)
        if queue is None:
            raise QueueDoesNotExist(NO_QUEUE)
        return queue


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
