"""examples/image-pipeline runs end to end against a real server, twice: once for real (every
sample image reaches the outcome samples/expected.json gives it), once under the mock
configuration's AnalysisFails test case, which forces the failure path (compensation, then a
"failed" announcement). run.py is run as a user would run it; its exit status is the verdict."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Server, start_server, stop_server

EXAMPLE = ROOT / "examples" / "image-pipeline"


@pytest.fixture(scope="module")
def pipeline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("pipeline"), env={"STEPSTACK_SFN_MOCK_CONFIG": str(EXAMPLE / "mock-config.json")})
    try:
        yield running
    finally:
        stop_server(running)


def run_example(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.port}"}
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "run.py"), "--timeout", "45", *args],
        capture_output=True, text=True, env=environment, timeout=90,
    )


def test_every_image_reaches_its_outcome(pipeline_server: Server) -> None:
    done = run_example(pipeline_server)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "sunrise.png: approved [ok]" in lines
    assert "night.jpg: rejected [ok]" in lines and "notes.jpg: rejected [ok]" in lines and "tiny.png: rejected [ok]" in lines
    paths = {line.split(":")[0]: lines[i + 1].strip() for i, line in enumerate(lines) if line.endswith("[ok]")}
    assert paths["sunrise.png"].startswith("Validate -> Process")
    assert "Thumbnail (x2)" in paths["sunrise.png"]  # the flaky step was retried
    assert paths["sunrise.png"].endswith("Approval -> Approved? -> Accept -> Announce")
    assert "TooDark" in paths["night.jpg"] and "NotAnImage" in paths["notes.jpg"] and "Refuse" in paths["tiny.png"]
    thumbnails = Path(lines[-1].rsplit(" ", 1)[1])
    assert (thumbnails / "sunrise.thumb.png").exists() and (thumbnails / "sunrise.analysis.json").exists()


def test_a_mocked_analysis_failure_takes_the_compensation_path(pipeline_server: Server) -> None:
    done = run_example(pipeline_server, "--test-case", "AnalysisFails", "--expect", str(EXAMPLE / "samples" / "expected-analysis-fails.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "sunrise.png: failed [ok]" in lines and "notes.jpg: rejected [ok]" in lines
    sunrise = lines[lines.index("sunrise.png: failed [ok]") + 1]
    assert "Compensate -> Failed -> Announce" in sunrise and "Approval" not in sunrise
    thumbnails = Path(lines[-1].rsplit(" ", 1)[1])
    assert not (thumbnails / "sunrise.thumb.png").exists()  # compensated
