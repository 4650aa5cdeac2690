"""Init hooks: the files of the init directory, applied in name order once the server serves.

Resource files (`.json`, `.yaml`, `.yml`; see server/init_resources.py) go through the
internal dispatch; scripts (executable files, `.sh` and `.py` files) run as subprocesses with
AWS_ENDPOINT_URL, a region and dummy credentials set, so `aws` and boto3 work in them. A hook
that fails is logged and recorded, and the next one runs. The format is in docs/init.md.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server.init_resources import InitFileError, apply, load, parse

log = logging.getLogger("stepstack.init")

SCRIPT_TIMEOUT = 300.0  # seconds, then the script is killed
RESOURCE_SUFFIXES = (".json", ".yaml", ".yml")
DEFINITION_SUFFIXES = (".asl.json", ".asl.yaml", ".asl.yml")  # state machine definitions, read by resource files
DEFAULT_ACCOUNT = "000000000000"
# variables that would send `aws` and boto3 elsewhere than stepstack, or to other credentials
_HIDDEN_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass
class HookResult:
    name: str
    state: str  # UNKNOWN (not run yet) | RUNNING | SUCCESSFUL | ERROR
    error: str | None = None


@dataclass
class InitReport:
    """What /_stepstack/health and /_localstack/init show."""

    directory: str | None
    state: str = "UNKNOWN"  # UNKNOWN (not started) | RUNNING | SUCCESSFUL | ERROR
    hooks: list[HookResult] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.state in ("SUCCESSFUL", "ERROR")


class HookFailed(Exception):
    """A hook that did not succeed; the message is the one line that says why."""


async def run_init_hooks(
    directory: str | None,
    report: InitReport,
    dispatcher: Any,
    endpoint: str,
    region: str,
    account_id: str,
    *,
    timeout: float = SCRIPT_TIMEOUT,
) -> None:
    """Apply every file of `directory` in name order; record each outcome in `report`."""
    report.state = "RUNNING"
    hooks = _hooks(Path(directory)) if directory is not None else []
    report.hooks = [HookResult(path.name, "UNKNOWN") for path, _ in hooks]
    if hooks:
        log.info("running %d init hook%s from %s", len(hooks), "" if len(hooks) == 1 else "s", directory)
    for (path, command), result in zip(hooks, report.hooks):
        result.state = "RUNNING"
        try:
            if command is None:
                done = "applied " + await _apply_file(path, dispatcher, endpoint, region, account_id)
            else:
                await _run_script(path, command, _script_env(endpoint, region, account_id), timeout)
                done = "done"
        except HookFailed as exc:
            result.state, result.error = "ERROR", str(exc)
        except Exception as exc:  # a stepstack bug: still one line, and the next hooks run
            log.debug("%s: the failure in detail", path.name, exc_info=True)
            result.state, result.error = "ERROR", f"stepstack failed on it: {type(exc).__name__}: {exc}"
        else:
            result.state = "SUCCESSFUL"
            log.info("%s: %s", path.name, done)
        if result.error is not None:
            log.error("%s failed: %s", path.name, result.error)
    failed = sum(h.state == "ERROR" for h in report.hooks)
    if hooks:
        log.log(logging.ERROR if failed else logging.INFO, "init hooks: %d successful, %d failed", len(hooks) - failed, failed)
    report.state = "ERROR" if failed else "SUCCESSFUL"


def _hooks(directory: Path) -> list[tuple[Path, list[str] | None]]:
    """(file, command to run it, or None for a resource file), in name order."""
    if not directory.is_dir():
        log.warning("init directory %s %s: no init hooks run", directory, "is not a directory" if directory.exists() else "does not exist")
        return []
    hooks: list[tuple[Path, list[str] | None]] = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        name = path.name.lower()
        if name.startswith(".") or not path.is_file() or name.endswith(DEFINITION_SUFFIXES):
            continue  # hidden files, folders (of definitions, say) and definition files are not hooks
        if name.endswith(RESOURCE_SUFFIXES):
            hooks.append((path, None))
        elif os.access(path, os.X_OK):
            hooks.append((path, [str(path.resolve())]))
        elif name.endswith(".sh"):
            hooks.append((path, ["sh", str(path.resolve())]))
        elif name.endswith(".py"):
            hooks.append((path, [sys.executable, str(path.resolve())]))
        else:
            log.warning("%s skipped: neither a resource file (.json, .yaml, .yml) nor a script (.sh, .py, executable)", path.name)
    return hooks


async def _apply_file(path: Path, dispatcher: Any, endpoint: str, region: str, account_id: str) -> str:
    try:
        resources = parse(load(path), base=path.parent, account_id=account_id, region=region)
        return await apply(resources, dispatcher, origin=f"init-hook {path.name}", host=urlsplit(endpoint).netloc)
    except InitFileError as exc:
        raise HookFailed(str(exc)) from None
    except OSError as exc:
        raise HookFailed(f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise HookFailed("not a UTF-8 text file") from None


def _script_env(endpoint: str, region: str, account_id: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _HIDDEN_ENV and not k.startswith("AWS_ENDPOINT_URL_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        AWS_ACCESS_KEY_ID="test" if account_id == DEFAULT_ACCOUNT else account_id,  # a 12-digit key names the account
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DISABLE_HOST_PREFIX_INJECTION="true",  # start-sync-execution would go to sync-<host>
    )
    return env


async def _run_script(path: Path, command: list[str], env: dict[str, str], timeout: float) -> None:
    """Run one script, its output (stdout and stderr as one stream) logged line by line."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=path.parent,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills what it started too
            limit=1 << 20,
        )
    except OSError as exc:
        hint = " (does it start with #!?)" if exc.errno == errno.ENOEXEC else ""
        raise HookFailed(f"cannot run it: {exc.strerror}{hint}") from None
    last = ""

    async def relay() -> int:
        nonlocal last
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            if line:
                last = line
                log.info("%s: %s", path.name, line)
        return await process.wait()

    try:
        status = await asyncio.wait_for(relay(), timeout)
    except TimeoutError:
        _kill(process)
        await process.wait()
        raise HookFailed(f"timed out after {timeout:g} s and was killed") from None
    except ValueError:  # a line longer than the limit
        _kill(process)
        await process.wait()
        raise HookFailed("printed a line longer than 1 MiB and was killed") from None
    except BaseException:  # cancelled: the server stops, and leaves nothing running behind
        _kill(process)
        raise
    if status < 0:
        raise HookFailed(f"killed by signal {_signal_name(-status)}")
    if status != 0:
        raise HookFailed(f"exited with status {status}" + (f" (last output: {last})" if last else ""))


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _kill(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
