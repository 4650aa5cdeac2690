"""The SQS emulator: queues, messages, visibility, delays, long polls, FIFO,
dead-letter queues and message move tasks, over SQS's JSON and Query protocols."""

from services.sqs import message_ops, move_tasks, queue_ops  # noqa: F401  (registers the handlers)
from services.sqs.service import directory, handlers

__all__ = ["directory", "handlers"]
