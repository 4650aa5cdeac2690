"""The /_stepstack/* endpoints (and the LocalStack / moto aliases tools expect)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocols.writers import json_dumps
from server import __version__
from server.banner import operation_counts
from services.core.errors import AwsError
from services.registry import SERVICE_NAMES

if TYPE_CHECKING:
    from server.app import StepstackApp

MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600  # ten years: more is surely a mistake


def _json(body: Any, status: int = 200) -> Response:
    return Response(json_dumps(body), status_code=status, media_type="application/json")  # bytes as base64


def _error(code: str, message: str, status: int = 400) -> Response:
    return _json({"__type": code, "message": message}, status)


async def not_found(request: Request, exc: Any) -> Response:
    return Response(b'{"__type":"NotFound","message":"No such stepstack endpoint."}', 404, media_type="application/json")


async def not_allowed(request: Request, exc: Any) -> Response:
    body = b'{"__type":"MethodNotAllowed","message":"Method not allowed on this stepstack endpoint."}'
    return Response(body, 405, media_type="application/json")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def admin_routes(app: StepstackApp) -> list[Route]:
    settings, dispatcher = app.settings, app.dispatcher
    clock = dispatcher.clock
    counts = operation_counts()

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

    def state_of(name: str) -> str:
        return "running" if name in settings.services else "disabled"

    async def localstack_health(request: Request) -> Response:
        """LocalStack's shape, which its tools and wait loops read."""
        services = {name: state_of(name) for name in SERVICE_NAMES}
        return _json({"services": services, "edition": "community", "version": __version__})

    async def health(request: Request) -> Response:
        services = {
            name: {"state": state_of(name), "implemented": counts[name][0], "operations": counts[name][1]}
            for name in SERVICE_NAMES
        }
        return _json({
            "version": __version__, "edition": "stepstack", "ready": app.ready,
            "services": services, "init": init_state(),
        })

    def init_state() -> dict[str, Any]:
        report = app.init
        return {
            "directory": report.directory,
            "state": report.state,
            "hooks": [{"name": h.name, "state": h.state, **({"error": h.error} if h.error else {})} for h in report.hooks],
        }

    def init_scripts() -> list[dict[str, Any]]:
        return [{"stage": "READY", "name": h.name, "state": h.state} for h in app.init.hooks]

    async def localstack_init(request: Request) -> Response:
        completed = app.init.completed
        return _json({
            "completed": {"BOOT": True, "START": True, "READY": completed, "SHUTDOWN": False},
            "scripts": init_scripts(),
        })

    async def localstack_init_stage(request: Request) -> Response:
        stage = request.path_params["stage"].upper()
        stages = {"BOOT": True, "START": True, "READY": app.init.completed, "SHUTDOWN": False}
        if stage not in stages:
            return _error("NotFound", f"Unknown init stage {stage}: BOOT, START, READY or SHUTDOWN.", 404)
        return _json({"completed": stages[stage], "scripts": init_scripts() if stage == "READY" else []})

    async def reset(request: Request) -> Response:
        """All state (or one service's with ?service=NAME); the clock goes back to wall time
        unless ?keep_clock=true or only one service is reset."""
        only = request.query_params.get("service") or request.path_params.get("service")
        if only is not None:
            if only not in dispatcher.services:
                return _error("ValidationException", f"Unknown service {only}: one of {', '.join(SERVICE_NAMES)}.")
            await dispatcher.reset(only)
            return _json({"status": "ok", "reset": [only], "clock": clock_state()})
        await dispatcher.reset()
        if not _truthy(request.query_params.get("keep_clock")):
            clock.reset_offset()
        return _json({"status": "ok", "reset": sorted(settings.services), "clock": clock_state()})

    async def read_clock(request: Request) -> Response:
        return _json(clock_state())

    async def advance_clock(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            return _error("SerializationException", "The body must be JSON such as {\"advance_seconds\": 60}.")
        if isinstance(body, dict) and body.get("reset") is True and "advance_seconds" not in body:
            clock.reset_offset()
            return _json(clock_state())
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
            view_result = service.inspect(view, query)
        except AwsError as error:
            return _error(error.code, error.message, error.status)
        try:
            if isinstance(view_result, bytes):  # a download (Lambda's code): the bytes themselves
                return Response(view_result, media_type="application/zip")
            return _json(view_result)
        except AwsError as error:
            return _error(error.code, error.message, error.status)

    return [
        Route("/_stepstack/health", health, methods=["GET", "HEAD"]),
        Route("/_localstack/health", localstack_health, methods=["GET", "HEAD"]),
        Route("/_localstack/init", localstack_init, methods=["GET"]),
        Route("/_localstack/init/{stage}", localstack_init_stage, methods=["GET"]),
        Route("/_stepstack/reset", reset, methods=["POST"]),
        Route("/_localstack/state/{service}/reset", reset, methods=["POST"]),
        Route("/moto-api/reset", reset, methods=["POST"]),
        Route("/_stepstack/clock", read_clock, methods=["GET"]),
        Route("/_stepstack/clock", advance_clock, methods=["POST"]),
        Route("/_stepstack/{service}/{view}", inspect, methods=["GET"]),
    ]
