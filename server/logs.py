"""Logging: one line per request (with the AWS error code when it failed), to stderr, as
text or as one JSON object per line (STEPSTACK_LOG_FORMAT=json, for CI log collectors)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

request_log = logging.getLogger("stepstack.request")
BODY_LIMIT = 2048  # bytes of a request or response body shown at debug


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
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
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
