"""Logging: one line per request (with the AWS error code when it failed), to stderr, as
text or as one JSON object per line (STEPSTACK_LOG_FORMAT=json, for CI log collectors).

Lines are written in batches: one write system call per request line cost a fifth of a
small request. A line waits at most FLUSH_EVERY seconds; a warning or worse, and anything
written straight to stderr (the banner: `flush()` first), go out at once and in order.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import sys
import threading
from datetime import datetime, timezone
from typing import TextIO

request_log = logging.getLogger("stepstack.request")
BODY_LIMIT = 2048  # bytes of a request or response body shown at debug
FLUSH_EVERY = 0.05  # seconds a log line may wait in the buffer


class BatchedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that flushes on a short timer (and at once for warnings), not per line."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._dirty = False
        self._ticker = threading.Event()
        threading.Thread(target=self._tick, name="log flusher", daemon=True).start()
        atexit.register(self.flush_now)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(text)
                self._dirty = True
            if record.levelno >= logging.WARNING:
                self.flush_now()
        except Exception:  # noqa: BLE001 - logging must never take the server down
            self.handleError(record)

    def flush(self) -> None:
        """Called by logging after every record: left to the timer."""

    def flush_now(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._dirty:
                self._dirty = False
                try:
                    self.stream.flush()
                except (OSError, ValueError):
                    pass

    def _tick(self) -> None:
        while not self._ticker.wait(FLUSH_EVERY):
            self.flush_now()

    def close(self) -> None:
        self._ticker.set()
        self.flush_now()
        atexit.unregister(self.flush_now)
        super().close()


def flush() -> None:
    """Write out buffered log lines (before writing to stderr directly)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, BatchedHandler):
            handler.flush_now()


def _buffered_stderr() -> TextIO:
    try:
        raw = io.FileIO(sys.stderr.fileno(), "w", closefd=False)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stderr  # no real file descriptor (an embedding host): its own buffering
    return io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8", errors="backslashreplace")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, log_format: str = "text") -> None:
    handler = BatchedHandler(_buffered_stderr())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, BatchedHandler):
            old.close()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("stepstack").setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # one format for everything
        uvicorn_log = logging.getLogger(name)
        uvicorn_log.handlers.clear()
        uvicorn_log.propagate = True


def log_request(
    service: str, operation: str, status: int, millis: float, error: tuple[str, str] | None = None
) -> None:
    """`sqs SendMessage 400 InvalidParameterValue 0.42ms`; the error's message too at debug."""
    if not request_log.isEnabledFor(logging.INFO):
        return
    fields = {"service": service, "operation": operation, "status": status, "ms": round(millis, 2)}
    if error is None:
        request_log.info("%s %s %d %.2fms", service, operation, status, millis, extra={"fields": fields})
        return
    code, message = error
    fields["error"] = code
    if request_log.isEnabledFor(logging.DEBUG):
        fields["error_message"] = message
        request_log.info("%s %s %d %s %.2fms: %s", service, operation, status, code, millis, message, extra={"fields": fields})
    else:
        request_log.info("%s %s %d %s %.2fms", service, operation, status, code, millis, extra={"fields": fields})


def show_body(body: bytes) -> str:
    """A body for the debug log: text, cut at BODY_LIMIT bytes."""
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return text + (f"... ({len(body)} bytes)" if len(body) > BODY_LIMIT else "")
