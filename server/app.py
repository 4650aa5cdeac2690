"""build_app(settings) -> the ASGI application, which owns every service's state."""

from __future__ import annotations

import asyncio
from typing import Any

from protocols import Router, all_specs
from protocols.internal import InternalInput, OutputCheck
from server.banner import READY, banner, say
from server.init_hooks import InitReport, run_init_hooks
from server.gateway import Gateway, Receive, Scope, Send
from server.settings import Settings
from server.sns_certificate import SNS_CERTIFICATES, sns_certificate
from server.sns_messages import SNS_MESSAGE_VIEWS, sns_messages
from server.sqs_peek import aws_sqs_messages
from services.core.clock import Clock
from services.core.dispatch import Dispatcher
from services.core.ids import Ids
from services.registry import service_factories

ADMIN_PREFIXES = ("/_stepstack/", "/_localstack/", "/moto-api/")
SQS_PEEK = "/_aws/sqs/messages"  # LocalStack's message peek


class StepstackApp:
    """AWS requests go to the gateway; /_stepstack/* to Starlette, built on the first such
    request (importing Starlette costs a tenth of a second of start-up); lifespan here."""

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
            options={
                "sqs_realism": settings.sqs_realism,
                "batch_executor": settings.batch_executor,
                "batch_workdir": settings.batch_workdir,
                "batch_keep_workdirs": settings.batch_keep_workdirs,
                "lambda_max_environments": settings.lambda_max_environments,
                "sfn_mock_config": settings.sfn_mock_config,
                "lambda_endpoint": f"http://{_reachable(settings.host)}:{settings.port}",
            },
        )
        self.router = Router(specs)
        self.gateway = Gateway(settings, self.router, self.dispatcher)
        self._admin: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.init = InitReport(settings.init_dir)
        self.ready = False

    @property
    def admin(self) -> Any:
        if self._admin is None:
            from starlette.applications import Starlette

            from server.admin import admin_routes, not_allowed, not_found

            self._admin = Starlette(routes=admin_routes(self), exception_handlers={404: not_found, 405: not_allowed})
        return self._admin

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """ASGI lifespan: bind the clock to the loop at start; stop everything at shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                self.clock.bind(self.loop)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.dispatcher.shutdown()
                finally:
                    self.clock.bind(None)
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def after_start(self, address: str) -> None:
        """The server serves: print the banner, run the init hooks, then say `Ready.`."""
        say(banner(self.settings, address))
        endpoint = f"http://{'127.0.0.1' if self.settings.host in ('0.0.0.0', '::') else self.settings.host}:{self.settings.port}"
        await run_init_hooks(
            self.settings.init_dir, self.init, self.dispatcher, endpoint, self.settings.region, self.settings.account_id
        )
        self.ready = True
        say(READY)

    def begin_shutdown(self) -> None:
        """A signal arrived: answer every waiting poll now, so open requests end at once."""
        self.dispatcher.closing = True
        self.dispatcher.release()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIXES):
            if scope["path"].startswith(SQS_PEEK):
                await aws_sqs_messages(scope, receive, send, self)
                return
            if scope["path"].startswith(SNS_CERTIFICATES):
                if scope["path"].rstrip("/") in SNS_MESSAGE_VIEWS:  # LocalStack's views of texts and pushes
                    await sns_messages(scope, receive, send, self)
                    return
                if scope["method"] == "GET":
                    await sns_certificate(scope, receive, send, self)
                    return
            await self.gateway(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.admin(scope, receive, send)


def _reachable(host: str) -> str:
    """The address functions inside use to reach this server (a wildcard bind is reachable on
    the loopback)."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def build_app(settings: Settings | None = None) -> StepstackApp:
    return StepstackApp(settings or Settings.from_env())
