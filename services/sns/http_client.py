"""The HTTP/S POST of a delivery: one request, its status, within AWS's 15 s timeout.

A minimal client on asyncio streams (stepstack needs nothing more): HTTP/1.1, one connection
per delivery, `Connection: close`. A refused connection, a timeout or an unreadable answer is
a failed attempt (None)."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

TIMEOUT = 15.0


async def post(url: str, body: str, headers: dict[str, str], timeout: float = TIMEOUT) -> int | None:
    try:
        return await asyncio.wait_for(_post(url, body.encode("utf-8"), headers), timeout)
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        return None


async def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    reader, writer = await asyncio.open_connection(host, port, ssl=ssl.create_default_context() if secure else None)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()
