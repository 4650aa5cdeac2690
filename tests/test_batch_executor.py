"""The executors that run Batch job attempts, driven directly on a real event loop: real short
processes, a fake CloudWatch Logs writer with write_lines' signature, a frozen service clock."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings, SettingsError
from services.batch.docker_executor import NO_SDK, DockerExecutor
from services.batch.executor import Launch, Outcome
from services.batch.executors import make_executor
from services.batch.output import MAX_BATCH_EVENTS, MAX_LINE
from services.batch.process_executor import NO_COMMAND, ProcessExecutor
from services.core.clock import Clock

START = 1_700_000_000.0  # service time, far from the wall clock's
STAMP = int(START * 1000)
GROUP, STREAM = "/aws/batch/job", "sleepy/default/0123abcd"


class FakeLogs:
    """write_lines' signature; records each call, and calls `on_line` for every line."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, str, str, str, str, list[tuple[int, str]]]] = []
        self.on_line: Callable[[str], Awaitable[None] | None] = lambda line: None

    async def __call__(self, dispatcher: Any, account: str, region: str, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        self.calls.append((dispatcher, account, region, group, stream, list(lines)))
        for _, line in lines:
            result = self.on_line(line)
            if result is not None:
                await result

    @property
    def events(self) -> list[tuple[int, str]]:
        return [event for call in self.calls for event in call[5]]

    @property
    def lines(self) -> list[str]:
        return [line for _, line in self.events]

    def when(self, text: str) -> asyncio.Event:
        """An event set when a line `text` has been written."""
        seen = asyncio.Event()
        self.on_line = lambda line: seen.set() if line == text else None
        return seen


def launch(command: list[str], *, job_id: str = "job-1", attempt: int = 1, environment: dict[str, str] | None = None) -> Launch:
    return Launch(
        job_id=job_id, attempt=attempt, command=command, environment=environment or {}, image="busybox",
        account="111122223333", region="eu-west-1", log_group=GROUP, log_stream=STREAM,
    )


def executor(tmp_path: Path, logs: FakeLogs, clock: Clock | None = None, **options: Any) -> ProcessExecutor:
    return ProcessExecutor("the-dispatcher", tmp_path / "work", clock or Clock(frozen=True, start=START), write_lines=logs, **options)


def run(work: Awaitable[Any], timeout: float = 20) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(work, timeout)

    return asyncio.run(bounded())


# -- output ----------------------------------------------------------------------------


def test_stdout_and_stderr_lines_reach_the_job_log_stream_stamped_with_service_time(tmp_path: Path) -> None:
    logs = FakeLogs()
    script = "echo one; echo two >&2; echo; echo three; printf 'no newline'"
    outcome = run(executor(tmp_path, logs).run(launch(["sh", "-c", script])))
    assert outcome == Outcome(0, None)
    assert [line for line in logs.lines if line != "two"] == ["one", "three", "no newline"]  # stdout in order
    assert sorted(logs.lines) == sorted(["one", "two", "three", "no newline"])  # stderr too; the empty line is no event
    assert {stamp for stamp, _ in logs.events} == {STAMP}  # service time, not the wall clock's
    assert {call[:5] for call in logs.calls} == {("the-dispatcher", "111122223333", "eu-west-1", GROUP, STREAM)}


def test_each_line_is_stamped_when_it_arrives(tmp_path: Path) -> None:
    """The process waits on a FIFO between its lines; the writer moves the clock, then opens it."""
    logs, clock = FakeLogs(), Clock(frozen=True, start=START)
    ex = executor(tmp_path, logs, clock)
    job = launch(["sh", "-c", "echo first; read x < go; echo second"])
    ex.workdir(job).mkdir(parents=True)
    os.mkfifo(ex.workdir(job) / "go")

    async def release(line: str) -> None:
        if line == "first":
            clock.advance(5)
            await asyncio.to_thread((ex.workdir(job) / "go").write_text, "go\n")

    logs.on_line = release
    assert run(ex.run(job)) == Outcome(0, None)
    assert logs.events == [(STAMP, "first"), (STAMP + 5000, "second")]


def test_output_goes_out_in_batches_within_put_log_events_limits(tmp_path: Path) -> None:
    logs = FakeLogs()
    outcome = run(executor(tmp_path, logs).run(launch(["seq", "1", "5000"])))
    assert outcome.exit_code == 0
    assert logs.lines == [str(i) for i in range(1, 5001)]
    assert len(logs.calls) >= 5 and all(len(call[5]) <= MAX_BATCH_EVENTS for call in logs.calls)


def test_a_line_longer_than_16_kib_is_cut_into_several_events(tmp_path: Path) -> None:
    logs = FakeLogs()
    run(executor(tmp_path, logs).run(launch([sys.executable, "-c", f"print('x' * {MAX_LINE * 2 + 10})"])))
    assert [len(line) for line in logs.lines] == [MAX_LINE, MAX_LINE, 10]


def test_a_failing_log_writer_does_not_fail_the_job(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("logs are down")

    ex = ProcessExecutor(None, tmp_path, Clock(frozen=True, start=START), write_lines=broken)
    with caplog.at_level(logging.WARNING, "stepstack.batch"):
        assert run(ex.run(launch(["sh", "-c", "echo a; echo b; exit 4"]))) == Outcome(4, None)
    assert [r.getMessage() for r in caplog.records if "logs are down" in r.getMessage()] != []


# -- exit codes and failures to start ----------------------------------------------------


@pytest.mark.parametrize(("command", "code"), [(["true"], 0), (["false"], 1), (["sh", "-c", "exit 42"], 42), (["sh", "-c", "kill -9 $$"], 137)])
def test_the_outcome_carries_the_process_exit_code(tmp_path: Path, command: list[str], code: int) -> None:
    assert run(executor(tmp_path, FakeLogs()).run(launch(command))) == Outcome(code, None)


def test_a_missing_executable_cannot_start_the_container(tmp_path: Path) -> None:
    ex = executor(tmp_path, FakeLogs())
    outcome = run(ex.run(launch(["no-such-command-stepstack"])))
    assert outcome.exit_code is None
    assert outcome.reason is not None and outcome.reason.startswith("CannotStartContainerError: Error response from daemon: ")
    assert 'exec: "no-such-command-stepstack": executable file not found in $PATH' in outcome.reason
    assert not ex.workdir(launch(["x"])).exists()


def test_a_missing_path_and_a_file_that_is_not_executable_cannot_start(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    ex = executor(tmp_path, FakeLogs())
    missing = run(ex.run(launch(["/no/such/program"])))
    denied = run(ex.run(launch([str(script)])))
    assert missing.exit_code is None and 'exec: "/no/such/program": stat /no/such/program: no such file or directory' in (missing.reason or "")
    assert denied.exit_code is None and f'exec: "{script}": permission denied' in (denied.reason or "")


def test_an_empty_command_cannot_start_without_an_image_default(tmp_path: Path) -> None:
    ex = executor(tmp_path, FakeLogs())
    assert run(ex.run(launch([]))) == Outcome(None, NO_COMMAND)
    assert NO_COMMAND.startswith("CannotStartContainerError: Error response from daemon: No command specified")


# -- environment and working directory ---------------------------------------------------


def test_the_environment_is_the_minimal_base_and_the_launch_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTACK_TEST_SECRET", "must-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "must-not-leak-either")
    logs = FakeLogs()
    ex = executor(tmp_path, logs)
    job = launch(["env"], environment={"AWS_BATCH_JOB_ID": "job-1", "GREETING": "hello world", "LANG": "fr_FR.UTF-8"})
    assert run(ex.run(job)).exit_code == 0
    env = dict(line.split("=", 1) for line in logs.lines)
    assert env == {
        "PATH": os.environ["PATH"], "HOME": str(ex.workdir(job)), "LANG": "fr_FR.UTF-8",  # the launch's LANG wins
        "AWS_BATCH_JOB_ID": "job-1", "GREETING": "hello world",
    }


def test_each_attempt_runs_in_a_working_directory_of_its_own_removed_afterwards(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = executor(tmp_path, logs)
    first, second = launch(["sh", "-c", "pwd; touch made-here"], attempt=1), launch(["pwd"], attempt=2)
    run(ex.run(first))
    run(ex.run(second))
    assert logs.lines == [str(tmp_path / "work" / "job-1" / "1"), str(tmp_path / "work" / "job-1" / "2")]
    assert not (tmp_path / "work" / "job-1").exists()


def test_working_directories_are_kept_when_asked(tmp_path: Path) -> None:
    ex = executor(tmp_path, FakeLogs(), keep_workdirs=True)
    job = launch(["sh", "-c", "echo result > out.txt"], job_id="abc:3")  # an array child
    run(ex.run(job))
    assert (tmp_path / "work" / "abc:3" / "1" / "out.txt").read_text() == "result\n"


def test_without_a_work_root_the_server_uses_a_temporary_directory_and_cleans_it(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = ProcessExecutor(None, None, Clock(frozen=True, start=START), write_lines=logs)
    run(ex.run(launch(["pwd"])))
    workdir = Path(logs.lines[0])
    assert workdir.parts[-2:] == ("job-1", "1") and workdir.parent.parent.name.startswith("stepstack-batch-")
    assert not workdir.parent.parent.exists()


# -- kill, cancellation, close -----------------------------------------------------------


def _gone(pid: int) -> bool:
    """The process has exited (reaped, or a zombie whose files are closed)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_kill_stops_a_sleeping_job_at_once_with_the_reason_given(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = executor(tmp_path, logs, grace=10)

    async def scenario() -> tuple[Outcome, float]:
        started = logs.when("started")
        running = asyncio.ensure_future(ex.run(launch(["sh", "-c", "echo started; exec sleep 30"])))
        await started.wait()
        began = time.monotonic()
        ex.kill("job-1", "Job attempt duration exceeded timeout")
        return await running, time.monotonic() - began

    outcome, took = run(scenario())
    assert outcome == Outcome(143, "Job attempt duration exceeded timeout")  # 128 + SIGTERM, as Docker reports
    assert took < 2 and ex.running() == []


def test_kill_reaches_the_children_of_the_job(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = executor(tmp_path, logs, grace=10)

    async def scenario() -> tuple[Outcome, float]:
        started = asyncio.Event()
        logs.on_line = lambda line: started.set() if line.isdigit() else None
        running = asyncio.ensure_future(ex.run(launch(["sh", "-c", "sleep 30 & echo $!; wait"])))
        await started.wait()
        began = time.monotonic()
        ex.kill("job-1", "Terminated by the user")
        return await running, time.monotonic() - began

    outcome, took = run(scenario())
    assert outcome.reason == "Terminated by the user" and outcome.exit_code == 143
    assert took < 1.5  # the child held the output pipe: it was gone before the drain's 2 s
    assert _gone(int(logs.lines[0]))


def test_a_job_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = executor(tmp_path, logs, grace=0.2)

    async def scenario() -> Outcome:
        started = logs.when("started")
        running = asyncio.ensure_future(ex.run(launch(["sh", "-c", "trap '' TERM; echo started; sleep 30"])))
        await started.wait()
        ex.kill("job-1", "Terminated by the user")
        return await running

    assert run(scenario()) == Outcome(137, "Terminated by the user")  # 128 + SIGKILL


def test_what_a_job_leaves_running_dies_with_it(tmp_path: Path) -> None:
    """As a container's processes die with it: the background sleep keeps the output pipe open,
    so the run could only end before the 2 s drain because the sleep was killed."""
    logs = FakeLogs()
    began = time.monotonic()
    outcome = run(executor(tmp_path, logs).run(launch(["sh", "-c", "sleep 30 & echo $!"])))
    assert outcome == Outcome(0, None)
    assert time.monotonic() - began < 1.5 and _gone(int(logs.lines[0]))


def test_kill_of_a_job_that_is_not_running_does_nothing(tmp_path: Path) -> None:
    ex = executor(tmp_path, FakeLogs())
    ex.kill("no-such-job", "whatever")
    assert run(ex.run(launch(["true"]))) == Outcome(0, None)


def test_a_cancelled_run_kills_its_process(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = executor(tmp_path, logs, grace=10)

    async def scenario() -> int:
        started = asyncio.Event()
        logs.on_line = lambda line: started.set()
        running = asyncio.ensure_future(ex.run(launch(["sh", "-c", "echo $$; exec sleep 30"])))
        await started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        return int(logs.lines[0])

    pid = run(scenario())
    assert _gone(pid) and ex.running() == []
    assert not (tmp_path / "work" / "job-1").exists()


def test_close_stops_every_running_job(tmp_path: Path) -> None:
    logs = FakeLogs()
    ex = executor(tmp_path, logs, grace=10)

    async def scenario() -> list[Outcome]:
        seen: set[str] = set()
        both = asyncio.Event()

        def count(line: str) -> None:
            seen.add(line)
            if len(seen) == 2:
                both.set()

        logs.on_line = count
        runs = [asyncio.ensure_future(ex.run(launch(["sh", "-c", f"echo {n}; exec sleep 30"], job_id=n))) for n in ("a", "b")]
        await both.wait()
        await ex.close()
        assert all(r.done() for r in runs)
        return [r.result() for r in runs]

    assert run(scenario()) == [Outcome(143, "stepstack shut down")] * 2


# -- the docker executor and the factory -------------------------------------------------


def test_the_docker_executor_without_an_engine_fails_each_attempt_with_a_clear_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/stepstack-docker.sock")
    with caplog.at_level(logging.WARNING, "stepstack.batch"):
        ex = DockerExecutor(None, Clock(frozen=True, start=START), write_lines=FakeLogs())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "no Docker engine reachable at unix:///nonexistent/stepstack-docker.sock" in warnings[0]
    outcome = run(ex.run(launch(["echo", "hi"])))
    assert outcome.exit_code is None
    assert (outcome.reason or "").startswith("stepstack's docker executor: no Docker engine reachable at unix:///nonexistent/stepstack-docker.sock")


def test_the_docker_executor_without_the_sdk_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)  # import docker -> ImportError
    ex = DockerExecutor(None, Clock(frozen=True, start=START))
    assert run(ex.run(launch(["echo", "hi"]))) == Outcome(None, NO_SDK)
    assert "pip install 'stepstack[docker]'" in NO_SDK


def test_the_factory_makes_the_executor_the_settings_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/stepstack-docker.sock")
    clock = Clock(frozen=True, start=START)
    process = make_executor("process", None, clock, {"batch_workdir": str(tmp_path), "batch_keep_workdirs": True})
    assert isinstance(process, ProcessExecutor) and process.work_root == tmp_path and process.keep_workdirs
    assert isinstance(make_executor("docker", None, clock, {}), DockerExecutor)
    with pytest.raises(ValueError, match="unknown Batch executor 'lambda'"):
        make_executor("lambda", None, clock, {})


def test_the_batch_executor_setting_comes_from_the_environment() -> None:
    assert Settings.from_env({}).batch_executor == "process"
    settings = Settings.from_env({"STEPSTACK_BATCH_EXECUTOR": "Docker", "STEPSTACK_BATCH_KEEP_WORKDIRS": "1"})
    assert (settings.batch_executor, settings.batch_keep_workdirs) == ("docker", True)
    with pytest.raises(SettingsError, match="unknown Batch executor"):
        Settings.from_env({"STEPSTACK_BATCH_EXECUTOR": "kubernetes"})


def test_the_batch_service_runs_jobs_with_the_configured_executor(tmp_path: Path) -> None:
    from tests.inprocess import InProcess

    logs = FakeLogs()
    app = InProcess(options={"batch_executor": "process", "batch_workdir": str(tmp_path), "write_lines": logs})
    try:
        service = app.dispatcher.services["batch"]
        assert isinstance(service.executor, ProcessExecutor) and service.executor is service.executor
        assert app.run(service.executor.run(launch(["echo", "via the service"])), timeout=10) == Outcome(0, None)
        assert logs.calls[0][0] is app.dispatcher and logs.lines == ["via the service"]
    finally:
        app.close()
