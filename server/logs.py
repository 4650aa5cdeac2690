"""Logging setup and the one line per request."""

from __future__ import annotations

import logging

request_log = logging.getLogger("stepstack.request")


def configure(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("stepstack").setLevel(level.upper())


def log_request(service: str, operation: str, status: int, millis: float) -> None:
    if request_log.isEnabledFor(logging.INFO):
        request_log.info("%s %s %d %.2fms", service, operation, status, millis)
