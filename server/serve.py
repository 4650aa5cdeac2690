"""The uvicorn server that runs stepstack, with a shutdown that does not wait on polls."""

from __future__ import annotations

from typing import Any

import uvicorn


class StepstackServer(uvicorn.Server):
    """uvicorn waits for open requests before it shuts the application down, so a pending
    20 s long poll would hold up Ctrl+C: on the signal, every waiting poll is answered first."""

    def __init__(self, config: uvicorn.Config, app: Any) -> None:
        super().__init__(config)
        self.stepstack = app

    def handle_exit(self, sig: int, frame: Any) -> None:
        loop = getattr(self.stepstack, "loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.stepstack.begin_shutdown)
        super().handle_exit(sig, frame)
