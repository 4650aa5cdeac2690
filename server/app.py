"""build_app(settings) -> the ASGI application, which owns every service's state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from protocols import Router, all_specs
from protocols.internal import InternalInput, OutputCheck
from server.admin import admin_routes
from server.gateway import Gateway, Receive, Scope, Send
from server.settings import Settings
from services.core.clock import Clock
from services.core.dispatch import Dispatcher
from services.core.ids import Ids
from services.registry import service_factories

ADMIN_PREFIXES = ("/_stepstack/", "/_localstack/", "/moto-api/")


class StepstackApp:
    """AWS requests go to the gateway; /_stepstack/* and lifespan to Starlette."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = Clock(settings.time_scale)
        specs = all_specs()
        self.dispatcher = Dispatcher(
            self.clock,
            service_factories(),
            settings.services,
            ids=Ids(settings.seed),
            strict=settings.strict,
            validate_input=InternalInput(specs),
            validate_output=OutputCheck(specs) if settings.validate_output else None,
        )
        self.router = Router(specs)
        self.gateway = Gateway(settings, self.router, self.dispatcher)
        self.admin = Starlette(
            routes=admin_routes(settings, self.dispatcher),
            lifespan=self._lifespan,
            exception_handlers={404: _not_found, 405: _not_allowed},
        )
        self.loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.loop = asyncio.get_running_loop()
        self.clock.bind(self.loop)
        try:
            yield
        finally:
            await self.dispatcher.shutdown()
            self.clock.bind(None)

    def begin_shutdown(self) -> None:
        """A signal arrived: answer every waiting poll now, so open requests end at once."""
        self.dispatcher.closing = True
        self.dispatcher.release()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIXES):
            await self.gateway(scope, receive, send)
        else:
            await self.admin(scope, receive, send)


async def _not_found(request: Request, exc: Any) -> Response:
    return Response(b'{"__type":"NotFound","message":"No such stepstack endpoint."}', 404, media_type="application/json")


async def _not_allowed(request: Request, exc: Any) -> Response:
    body = b'{"__type":"MethodNotAllowed","message":"Method not allowed on this stepstack endpoint."}'
    return Response(body, 405, media_type="application/json")


def build_app(settings: Settings | None = None) -> StepstackApp:
    return StepstackApp(settings or Settings.from_env())
