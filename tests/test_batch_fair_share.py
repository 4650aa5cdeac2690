"""Batch fair-share scheduling, CancelJob of a PENDING job, propagateTags and GetJobQueueSnapshot's
utilization, through boto3 against a real server, as AWS Batch documents them. Where time
matters the service clock is fast-forwarded (own_server)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.batch_helpers import job, make_ce, make_definition, make_queue, statuses, submit, unique, wait_count, wait_for
from tests.conftest import Server

SLEEP = ["sleep", "30"]


@pytest.fixture(scope="module")
def batch(own_server: Server) -> Any:
    return own_server.client("batch")


def fair_queue(batch: Any, vcpus: int, **policy: Any) -> str:
    arn = batch.create_scheduling_policy(name=unique("fs"), fairsharePolicy=policy)["arn"]
    return make_queue(batch, make_ce(batch, vcpus=vcpus), schedulingPolicyArn=arn)


def share_job(batch: Any, queue: str, definition: str, share: str) -> str:
    return submit(batch, queue, definition, shareIdentifier=share, schedulingPriorityOverride=0)


def test_compute_reservation_keeps_capacity_for_share_identifiers_not_yet_active(batch: Any) -> None:
    queue = fair_queue(batch, 4, computeReservation=50)
    sleeper = make_definition(batch, SLEEP)
    first = [share_job(batch, queue, sleeper, "a") for _ in range(4)]
    now = wait_count(batch, first, "RUNNING", 2)  # one active share: (50/100)^1 of 4 vCPUs kept back
    assert sum(1 for s in now.values() if s == "RUNNABLE") == 2
    arriving = share_job(batch, queue, sleeper, "b")
    wait_for(batch, arriving, ("RUNNING",))  # two active shares: 1 vCPU kept; the newcomer takes the one freed
    assert sum(1 for s in statuses(batch, first).values() if s == "RUNNING") == 2
    third = share_job(batch, queue, sleeper, "c")
    assert job(batch, third)["status"] == "RUNNABLE"  # 3 running + 1 > (1 - 0.5^3) * 4
    snapshot = batch.get_job_queue_snapshot(jobQueue=queue)
    front = [j["jobArn"].rsplit("/", 1)[1] for j in snapshot["frontOfQueue"]["jobs"]]
    assert front[0] == third and sorted(front[1:]) == sorted(j for j in first if now[j] == "RUNNABLE")  # c used least
    usage = snapshot["queueUtilization"]
    assert usage["totalCapacityUsage"] == [{"capacityUnit": "VCPU", "quantity": 3.0}]
    shares = usage["fairshareUtilization"]
    assert shares["activeShareCount"] == 2
    assert [(s["shareIdentifier"], s["capacityUsage"]) for s in shares["topCapacityUtilization"]] == [
        ("a", [{"capacityUnit": "VCPU", "quantity": 2.0}]), ("b", [{"capacityUnit": "VCPU", "quantity": 1.0}])]
    everything = [*first, arriving, third]
    batch.terminate_jobs(jobs=everything, reason="cleanup")
    wait_for(batch, everything)


def test_share_decay_makes_a_share_that_used_a_lot_recently_wait(own_server: Server, batch: Any) -> None:
    queue = fair_queue(batch, 1, shareDecaySeconds=3600)
    sleeper = make_definition(batch, SLEEP)
    hog = share_job(batch, queue, sleeper, "busy")
    wait_for(batch, hog, ("RUNNING",))
    busy_next = share_job(batch, queue, sleeper, "busy")  # submitted first: FIFO would run it next
    fresh = share_job(batch, queue, sleeper, "fresh")
    own_server.advance(1000)  # the hog runs 1,000 s of service time
    batch.terminate_job(jobId=hog, reason="done")
    wait_for(batch, fresh, ("RUNNING",))
    assert job(batch, busy_next)["status"] == "RUNNABLE"  # 1,000 vCPU-seconds in the last hour weigh on "busy"
    third = share_job(batch, queue, sleeper, "third")
    own_server.advance(3700)  # the hog's run leaves the 3,600 s window
    batch.terminate_job(jobId=fresh, reason="done")
    wait_for(batch, busy_next, ("RUNNING",))  # "busy" is level with "third" again: FIFO between them
    assert job(batch, third)["status"] == "RUNNABLE"
    everything = [hog, busy_next, fresh, third]
    batch.terminate_jobs(jobs=everything, reason="cleanup")
    wait_for(batch, everything)


def test_a_cancelled_pending_job_ends_only_after_its_dependency_ends(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=4))
    dependency = submit(batch, queue, make_definition(batch, SLEEP))
    wait_for(batch, dependency, ("RUNNING",))
    dependent = submit(batch, queue, make_definition(batch, ["true"]), dependsOn=[{"jobId": dependency}])
    assert job(batch, dependent)["status"] == "PENDING"
    batch.cancel_job(jobId=dependent, reason="not needed")
    found = job(batch, dependent)
    assert found["status"] == "PENDING" and "isCancelled" not in found  # AWS waits for the dependency
    batch.terminate_job(jobId=dependency, reason="stop")
    ended, gone = wait_for(batch, [dependency, dependent])
    assert (gone["status"], gone["statusReason"], gone["isCancelled"]) == ("FAILED", "not needed", True)
    assert gone["stoppedAt"] >= ended["stoppedAt"] and gone["attempts"] == []


def test_a_cancelled_pending_job_is_cancelled_even_when_its_dependency_succeeds(batch: Any) -> None:
    environment = make_ce(batch, vcpus=1, state="DISABLED")  # holds the dependency RUNNABLE until enabled
    queue = make_queue(batch, environment)
    dependency = submit(batch, queue, make_definition(batch, ["true"]))
    dependent = submit(batch, queue, make_definition(batch, ["true"]), dependsOn=[{"jobId": dependency}])
    batch.cancel_jobs(jobs=[dependent], reason="changed my mind")
    assert job(batch, dependent)["status"] == "PENDING"
    batch.update_compute_environment(computeEnvironment=environment, state="ENABLED")
    done, gone = wait_for(batch, [dependency, dependent])
    assert done["status"] == "SUCCEEDED"
    assert (gone["status"], gone["statusReason"], gone.get("isCancelled")) == ("FAILED", "changed my mind", True)
    assert gone["attempts"] == [] and "startedAt" not in gone


def test_propagate_tags_fails_a_job_with_more_than_50_tags_with_its_definition(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=4))
    definition = make_definition(batch, ["true"], tags={f"d{i}": "x" for i in range(30)}, propagateTags=True)
    job_tags = {f"j{i}": "y" for i in range(25)}
    too_many = submit(batch, queue, definition, tags=job_tags)
    overlapping = submit(batch, queue, definition, tags={**{f"d{i}": "job wins" for i in range(10)}, **{f"j{i}": "y" for i in range(15)}})
    not_propagated = submit(batch, queue, definition, tags=job_tags, propagateTags=False)
    failed, fine, plain = wait_for(batch, [too_many, overlapping, not_propagated])
    assert failed["status"] == "FAILED" and failed["attempts"] == [] and "50 tags" in failed["statusReason"]
    assert failed["tags"] == job_tags  # the job keeps its own tags
    assert fine["status"] == "SUCCEEDED", fine  # 45 distinct keys: a job tag wins over its definition's
    assert plain["status"] == "SUCCEEDED", plain


def test_the_snapshot_of_a_fifo_queue_answers_its_total_usage(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=3))
    big = make_definition(batch, SLEEP, container={"vcpus": 2})
    running = submit(batch, queue, big)
    wait_for(batch, running, ("RUNNING",))
    waiting = submit(batch, queue, big)
    snapshot = batch.get_job_queue_snapshot(jobQueue=queue)
    assert [j["jobArn"].rsplit("/", 1)[1] for j in snapshot["frontOfQueue"]["jobs"]] == [waiting]
    usage = snapshot["queueUtilization"]
    assert usage["totalCapacityUsage"] == [{"capacityUnit": "VCPU", "quantity": 2.0}] and "fairshareUtilization" not in usage
    batch.terminate_jobs(jobs=[running, waiting], reason="cleanup")
    wait_for(batch, [running, waiting])
