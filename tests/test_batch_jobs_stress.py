"""Many short Batch jobs through the real server: every one reaches a final status, none is
lost, and the scheduler never runs more at once than the compute environments hold."""

from __future__ import annotations

from typing import Any

from tests.batch_helpers import describe, make_ce, make_definition, make_queue, submit, wait_for
from tests.conftest import Server


def test_200_short_jobs_across_two_queues_all_finish_within_capacity(own_server: Server) -> None:
    batch = own_server.client("batch")
    shared, spare = make_ce(batch, vcpus=4), make_ce(batch, vcpus=2)
    busy = make_queue(batch, shared, spare, priority=5)
    quiet = make_queue(batch, shared, priority=1)
    ok, failing = make_definition(batch, ["true"]), make_definition(batch, ["sh", "-c", "exit 2"])
    jobs: dict[str, str] = {}
    for i in range(200):
        queue = busy if i % 2 else quiet
        definition = failing if i % 10 == 0 else ok
        jobs[submit(batch, queue, definition, jobName=f"stress-{i}")] = "FAILED" if i % 10 == 0 else "SUCCEEDED"
    found = wait_for(batch, list(jobs), timeout=60)
    assert len(found) == 200
    assert {j["jobId"]: j["status"] for j in found} == jobs  # none lost, each with its own outcome
    assert all(len(j["attempts"]) == 1 for j in found)
    assert max_running(found) <= 6
    assert max_running([j for j in found if j["jobQueue"] == quiet]) <= 4  # the quiet queue only has the shared one
    listed: list[dict[str, Any]] = []
    for queue in (busy, quiet):
        for status in ("SUCCEEDED", "FAILED"):
            page: dict[str, Any] = {"nextToken": None}
            while "nextToken" in page:
                token = {"nextToken": page["nextToken"]} if page["nextToken"] else {}
                page = batch.list_jobs(jobQueue=queue, jobStatus=status, maxResults=37, **token)
                listed += page["jobSummaryList"]
    assert sorted(s["jobId"] for s in listed) == sorted(jobs)
    status, view = own_server.admin("GET", "/_stepstack/batch/scheduler")
    assert status == 200
    (store,) = [s for s in view["stores"] if s["region"] == "us-east-1"]
    assert store["peakVcpus"][shared] <= 4 and store["peakVcpus"].get(spare, 0) <= 2
    assert store["running"] == [] and store["runnable"] == {}
    assert describe(batch, next(iter(jobs)))[0]["jobName"] == "stress-0"


def max_running(jobs: list[dict[str, Any]]) -> int:
    """Most attempts running at once, by their startedAt/stoppedAt (an end before a start at the
    same millisecond)."""
    events = sorted((t, kind) for j in jobs for a in j["attempts"] for t, kind in ((a["startedAt"], 1), (a["stoppedAt"], 0)))
    running = peak = 0
    for _, kind in events:
        running += 1 if kind else -1
        peak = max(peak, running)
    return peak
