"""The image, compose file, Makefile and pyproject do what the README says, and boto3 honours the
environment variables the README tells users to set.

There is no Docker engine here: the Dockerfile and docker-compose.yml are checked as text, the
image's health check command is run against a real server, and the files the Dockerfile copies
are built into a throw-away venv the way `pip install` in the image builds them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.conftest import ROOT, Server, free_port

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> str:
    """The first `name` instruction of the Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    [line, *_] = [line for line in joined.splitlines() if line.startswith(name + " ")]
    return line[len(name) + 1:]


def copied_sources() -> list[str]:
    return [part for line in DOCKERFILE.splitlines() if line.startswith("COPY ") for part in line.split()[1:-1]]


def test_image_passes_command_arguments_to_stepstack() -> None:
    assert json.loads(instruction("ENTRYPOINT")) == ["stepstack"]
    assert "\nCMD " not in DOCKERFILE


def test_image_installs_only_the_runtime_dependencies() -> None:
    [install] = [line for line in instruction("RUN").split("&&") if "pip install" in line]
    assert "[" not in install, install  # no extras: test, bench and docker stay out


def test_image_copies_every_package_it_installs_and_ignores_the_rest() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[(.*)\]", pyproject).group(1)
    assert {p.strip(' "*') for p in packages.split(",")} <= set(copied_sources())
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests", "bench"} <= set(ignored)


def test_image_declares_the_init_directory_owned_by_its_user() -> None:
    assert "STEPSTACK_INIT_DIR=/etc/stepstack/init.d" in instruction("ENV")
    assert "install -d -o stepstack -g stepstack /etc/stepstack/init.d" in instruction("RUN")
    assert instruction("USER") == "stepstack"


def health_check(port: str | None) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, run by sh as Docker runs it, with this venv's python."""
    command = re.sub(r"^(--\S+\s+)*CMD ", "", instruction("HEALTHCHECK"))
    env = {k: v for k, v in os.environ.items() if k != "STEPSTACK_PORT"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if port is not None:
        env["STEPSTACK_PORT"] = port
    return subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=30)


def test_image_health_check_follows_stepstack_port(server: Server) -> None:
    assert health_check(str(server.port)).returncode == 0
    assert health_check(str(free_port())).returncode != 0


def test_compose_publishes_on_loopback_only_with_a_health_check() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["stepstack"]
    assert service["ports"] and all(p.startswith("127.0.0.1:") for p in service["ports"])
    assert "test" not in service["healthcheck"]  # the image's check, which follows STEPSTACK_PORT
    assert service["healthcheck"]["interval"] == "1s"  # so that `up --wait` returns quickly


def make_dry_run(tmp_path: Path, *args: str, stamp_is_fresh: bool) -> str:
    """`make -n run` against a fake venv whose install stamp is newer or older than pyproject.toml."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    stamp = venv / ".installed"
    stamp.touch()
    mtime = (ROOT / "pyproject.toml").stat().st_mtime + (10 if stamp_is_fresh else -10)
    os.utime(stamp, (mtime, mtime))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTACK_") and k not in ("MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(ROOT), f"VENV={venv}", "run", *args], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_does_not_reinstall_when_nothing_changed(tmp_path: Path) -> None:
    out = make_dry_run(tmp_path, "PORT=4599", "ARGS=--strict --time-scale 0.01", stamp_is_fresh=True)
    assert "pip install" not in out
    assert out.strip().splitlines()[-1] == f"{tmp_path}/venv/bin/stepstack --host 127.0.0.1 --port 4599 --strict --time-scale 0.01"


def test_make_run_reinstalls_after_pyproject_changed(tmp_path: Path) -> None:
    out = make_dry_run(tmp_path, stamp_is_fresh=False)
    assert "pip install --quiet -e ." in out
    assert out.strip().splitlines()[-1] == f"{tmp_path}/venv/bin/stepstack --host 127.0.0.1 --port 4566"


@pytest.mark.parametrize("editable", [True, False], ids=["pip-install-e", "image-build"])
def test_packaging_prints_no_deprecation_warning(tmp_path: Path, editable: bool) -> None:
    """`pip install -e .` (make) and `pip install <what the Dockerfile copies>` (the image), into a
    throw-away venv; pip fetches the build backend from the package index."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    if editable:
        target = ["-e", str(ROOT)]
    else:
        source = tmp_path / "src"
        source.mkdir()
        for name in copied_sources():
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(ROOT / name, source / name)
        target = [str(source)]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", *target],
        capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and re.search(r"No matching distribution|Could not fetch|NewConnectionError", output):
        pytest.skip("the package index is out of reach")
    assert result.returncode == 0, output
    assert not re.search(r"deprecat|BuildBackendWarning", output, re.IGNORECASE), output
    assert (venv / "bin" / "stepstack").exists()


def boto3_client(service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Any:
    """A client configured as the README says: by environment variables only."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-such-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-such-credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return session.client(service)


def test_boto3_takes_the_sqs_endpoint_from_aws_endpoint_url(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sqs = boto3_client("sqs", monkeypatch, tmp_path, AWS_ENDPOINT_URL=server.url)
    url = sqs.create_queue(QueueName="boto3-env-endpoint")["QueueUrl"]
    assert url == f"{server.url}/000000000000/boto3-env-endpoint"


def test_boto3_starts_a_sync_execution_with_host_prefix_injection_disabled(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sfn = boto3_client(
        "stepfunctions", monkeypatch, tmp_path, AWS_ENDPOINT_URL=server.url, AWS_DISABLE_HOST_PREFIX_INJECTION="true"
    )
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = sfn.create_state_machine(
        name="boto3-sync", definition=definition, roleArn="arn:aws:iam::000000000000:role/r", type="EXPRESS"
    )["stateMachineArn"]
    assert json.loads(sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 1}')["output"]) == {"a": 1}


def readme_python_blocks(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.DOTALL)


def test_readme_pytest_fixture_resets_and_advances_the_clock(own_server: Server, tmp_path: Path) -> None:
    """The README's conftest.py and test file, run by pytest against a server of their own."""
    blocks = readme_python_blocks("In a test suite")
    assert [b.splitlines()[0] for b in blocks] == ["# conftest.py", "# test_jobs.py"]
    for block in blocks:
        (tmp_path / block.splitlines()[0].removeprefix("# ")).write_text(block)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ENDPOINT_URL": own_server.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-such-credentials"),
    })
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
