"""The real server in its own process on a free port, and boto3 clients for it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running stepstack: its URL, a way to make clients, and its internal endpoints."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, service: str, region: str = "us-east-1", access_key: str = "test", **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def advance(self, seconds: float) -> dict[str, Any]:
        status, body = self.admin("POST", "/_stepstack/clock", {"advance_seconds": seconds})
        assert status == 200, body
        return body

    def alive(self) -> bool:
        return self.process.poll() is None


def start_server(tmp_dir: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log_path = tmp_dir / f"stepstack-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "STEPSTACK_VALIDATE_OUTPUT": "1", **(env or {})},
    )
    server = Server("127.0.0.1", port, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stepstack exited early:\n{log_path.read_text()}")
        try:
            status, _ = server.admin("GET", "/_stepstack/health")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"stepstack did not become healthy:\n{log_path.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One stepstack for the whole session (state is reset by tests that need it)."""
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    stop_server(running)
    log = running.log_path.read_text()
    assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


@pytest.fixture(scope="session")
def clients(server: Server) -> Callable[..., Any]:
    """clients('sqs') -> a boto3 client bound to the session's server."""
    cache: dict[tuple[str, str], Any] = {}

    def make(service: str, region: str = "us-east-1") -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = server.client(service, region)
        return cache[(service, region)]

    return make


@pytest.fixture(scope="session")
def query_session(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A botocore session whose SQS client speaks the Query protocol (as older SDKs do):
    botocore's own SQS model rewritten to the Query wire names by protocols/sqs_query_model.py."""
    import botocore.session

    from protocols.sqs_query_model import sqs_query_model

    raw = botocore.session.Session().get_component("data_loader").load_service_model("sqs", "service-2")
    root: Path = tmp_path_factory.mktemp("query-model")
    target = root / "sqs" / raw["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(sqs_query_model(raw)))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(root))
    return session


class SpareServers:
    """Servers started one ahead on a background thread, so the next module's own server is
    usually up by the time it asks (a start costs about half a second)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-server")
        self._next: Future[Server] | None = None

    def _launch(self) -> Future[Server]:
        return self._pool.submit(start_server, self._tmp.mktemp("own"))

    def take(self) -> Server:
        taken = self._next or self._launch()
        self._next = self._launch()
        return taken.result()

    def close(self) -> None:
        if self._next is not None:
            stop_server(self._next.result())
        self._pool.shutdown()


@pytest.fixture(scope="session")
def spare_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpareServers]:
    spares = SpareServers(tmp_path_factory)
    yield spares
    spares.close()


@pytest.fixture(scope="module")
def own_server(spare_servers: SpareServers) -> Iterator[Server]:
    """A stepstack for one test module, for tests that move its clock or reset it: what they
    do stays inside the module, so no other module depends on running before or after it."""
    running = spare_servers.take()
    yield running
    stop_server(running)
    log = running.log_path.read_text()
    assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


@pytest.fixture()
def app() -> Iterator[Any]:
    """An application in this process on a frozen clock (tests/inprocess.py), closed after the test."""
    from tests.inprocess import InProcess

    world = InProcess()
    yield world
    world.close()
