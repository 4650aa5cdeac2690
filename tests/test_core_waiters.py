"""One waiter primitive for long polls and activity polls: FIFO, and a wakeup is never
lost when the woken poller's client disconnects before it resumes."""

from __future__ import annotations

import asyncio
import json


from services.core.clock import Clock
from services.core.waiters import Waiters
from tests.inprocess import InProcess

ROLE = "arn:aws:iam::000000000000:role/r"


async def _until(condition, limit: int = 100) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


def test_waiters_wake_in_arrival_order() -> None:
    async def scenario() -> list[str]:
        clock, waiters, woke = Clock(frozen=True), Waiters(), []

        async def poll(name: str) -> None:
            await waiters.wait(clock, clock.now() + 20)
            woke.append(name)

        tasks = [asyncio.create_task(poll(n)) for n in "abc"]
        await _until(lambda: len(waiters) == 3)
        waiters.wake_one()
        waiters.wake_one()
        await _until(lambda: len(woke) == 2)
        waiters.close()
        await asyncio.gather(*tasks)
        return woke

    assert asyncio.run(scenario()) == ["a", "b", "c"]


def test_a_woken_waiter_cancelled_before_it_resumes_passes_the_wakeup_on() -> None:
    async def scenario() -> tuple[bool, int]:
        clock, waiters = Clock(frozen=True), Waiters()
        first = asyncio.create_task(waiters.wait(clock, clock.now() + 20))
        second = asyncio.create_task(waiters.wait(clock, clock.now() + 20))
        await _until(lambda: len(waiters) == 2)
        waiters.wake_one()  # wakes the first ...
        first.cancel()  # ... whose client goes away before it runs again
        await _until(lambda: second.done())
        return first.cancelled(), len(waiters)

    assert asyncio.run(scenario()) == (True, 0)


def test_a_message_reaches_the_other_long_poll_when_the_woken_one_disconnects(app: InProcess) -> None:
    url = app.sqs("CreateQueue", QueueName="q")["QueueUrl"]
    queue = app.dispatcher.services["sqs"].runtimes["arn:aws:sqs:us-east-1:000000000000:q"]

    async def scenario() -> dict:
        def poll() -> asyncio.Task:
            return asyncio.ensure_future(app.dispatcher.call(
                "sqs", "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 20}, account_id="000000000000", region="us-east-1"
            ))

        first = poll()
        await _until(lambda: len(queue.waiters) == 1)
        second = poll()
        await _until(lambda: len(queue.waiters) == 2)
        await app.dispatcher.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "hi"}, account_id="000000000000", region="us-east-1")
        first.cancel()  # the woken poll's client disconnects before the poll resumes
        await _until(lambda: second.done())  # no clock advance: the other poll gets it at once
        assert first.cancelled()
        return second.result()

    result = app.run(scenario())
    assert [m["Body"] for m in result["Messages"]] == ["hi"]


def test_an_activity_task_reaches_the_other_poller_when_the_woken_one_disconnects(app: InProcess) -> None:
    activity = app.sfn("CreateActivity", name="work")["activityArn"]
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}})
    machine = app.sfn("CreateStateMachine", name="m", definition=definition, roleArn=ROLE)["stateMachineArn"]
    broker = app.dispatcher.services["stepfunctions"].broker

    async def scenario() -> dict:
        def poll() -> asyncio.Task:
            return asyncio.ensure_future(app.dispatcher.call(
                "stepfunctions", "GetActivityTask", {"activityArn": activity}, account_id="000000000000", region="us-east-1"
            ))

        first = poll()
        await _until(lambda: broker.waiting_pollers(activity) == 1)
        second = poll()
        await _until(lambda: broker.waiting_pollers(activity) == 2)
        await app.dispatcher.call("stepfunctions", "StartExecution", {"stateMachineArn": machine, "input": '{"n": 1}'}, account_id="000000000000", region="us-east-1")
        await _until(lambda: first.done() or broker.waiting_pollers(activity) < 2)  # the task is scheduled
        first.cancel()
        await _until(lambda: second.done())
        assert first.cancelled()
        return second.result()

    result = app.run(scenario())
    assert result["input"] == '{"n":1}'
    assert result["taskToken"]
