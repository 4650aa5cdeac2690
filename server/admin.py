"""The /_stepstack/* endpoints (and the LocalStack / moto aliases tools expect)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server import __version__
from server.settings import Settings
from services.core.dispatch import Dispatcher
from services.core.errors import AwsError
from services.registry import SERVICE_NAMES

MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600  # ten years: more is surely a mistake


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _error(code: str, message: str, status: int = 400) -> Response:
    return _json({"__type": code, "message": message}, status)


def admin_routes(settings: Settings, dispatcher: Dispatcher) -> list[Route]:
    clock = dispatcher.clock

    def clock_state(**extra: Any) -> dict[str, Any]:
        now = clock.now()
        return {
            "now": now,
            "iso": datetime.fromtimestamp(now, tz=timezone.utc).isoformat().replace("+00:00", "Z"),
            "offset_seconds": clock.offset,
            "time_scale": clock.time_scale,
            "pending_timers": clock.pending(),
            **extra,
        }

    async def health(request: Request) -> Response:
        services = {
            name: "available" if name in settings.services else "disabled" for name in SERVICE_NAMES
        }
        return _json({"version": __version__, "edition": "stepstack", "services": services})

    async def reset(request: Request) -> Response:
        await dispatcher.reset()
        return _json({"status": "ok", "reset": sorted(settings.services)})

    async def read_clock(request: Request) -> Response:
        return _json(clock_state())

    async def advance_clock(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            return _error("SerializationException", "The body must be JSON such as {\"advance_seconds\": 60}.")
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
            return _error("ValidationException", "advance_seconds must be a number of seconds.")
        if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
            return _error("ValidationException", f"advance_seconds must be between 0 and {MAX_ADVANCE_SECONDS}.")
        fired = await clock.advance_settled(float(seconds))
        return _json(clock_state(advanced_seconds=seconds, fired_timers=fired))

    async def inspect(request: Request) -> Response:
        """A service's read-only view (`/_stepstack/sqs/messages?QueueUrl=...`,
        `/_stepstack/stepfunctions/activities`): what it registered, nothing changed."""
        name, view = request.path_params["service"], request.path_params["view"]
        service = dispatcher.services.get(name)
        if service is None or view not in service.inspectors:
            return _error("NotFound", "No such stepstack endpoint.", 404)
        query = {"Account": settings.account_id, "Region": settings.region, **request.query_params}
        try:
            return _json(service.inspect(view, query))
        except AwsError as error:
            return _error(error.code, error.message, error.status)

    return [
        Route("/_stepstack/health", health, methods=["GET", "HEAD"]),
        Route("/_localstack/health", health, methods=["GET", "HEAD"]),
        Route("/_stepstack/reset", reset, methods=["POST"]),
        Route("/moto-api/reset", reset, methods=["POST"]),
        Route("/_stepstack/clock", read_clock, methods=["GET"]),
        Route("/_stepstack/clock", advance_clock, methods=["POST"]),
        Route("/_stepstack/{service}/{view}", inspect, methods=["GET"]),
    ]
