"""The SQS emulator: queues, messages, visibility, delays, long polls, FIFO,
dead-letter queues and message move tasks, over SQS's JSON and Query protocols.

Where we knowingly differ from AWS:
- fair queues deliver message groups round-robin at all times; AWS only holds
  back a group once it has many messages in flight;
- `Policy` is stored and returned but not enforced (there is no IAM); KMS
  attributes are stored, nothing is encrypted;
- `SenderId` is the caller's account id rather than an IAM principal id;
- retention is swept from the oldest messages once per expiry and checked again
  on receive, so approximate counts can include a message for a moment past
  its retention (AWS's counts are approximate too);
- the 60-second rules (PurgeQueue, re-creating a deleted queue) apply only in
  strict mode (STEPSTACK_STRICT=1).
"""

from services.sqs import message_ops, move_tasks, queue_ops  # noqa: F401  (registers the handlers)
from services.sqs.service import SqsService, create, operations

__all__ = ["SqsService", "create", "operations"]
