"""The ceiling: a bare Starlette app on uvicorn answering a canned JSON body.

Whatever stepstack does per request costs on top of this, so its
throughput is the upper bound the same stack can reach on this machine.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"QueueUrls": []}'
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


async def canned(request: Request) -> Response:
    """Read the request body (as any real handler must) and answer 200."""
    await request.body()
    return Response(BODY, status_code=200, media_type="application/x-amz-json-1.0")


app = Starlette(routes=[Route("/{path:path}", canned, methods=METHODS)])


def main(argv: list[str] | None = None) -> None:
    """Serve the ceiling app with the same uvicorn settings stepstack uses."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args(argv)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
