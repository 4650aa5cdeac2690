"""The SNS emulator: topics (standard and FIFO), subscriptions, publish with filter policies,
and deliveries to SQS and HTTP/S endpoints that retry as AWS's do, over SNS's Query protocol.

Email, SMS, mobile push, Lambda and Firehose deliveries are recorded and inspectable, never
sent (Lambda: until the Lambda issue lands). Operations not registered answer NotImplemented.
"""

from services.sns import platform_ops, publish, sms_ops, subscription_ops, topic_ops  # noqa: F401  (registers the handlers)
from services.sns.service import SnsService, create, operations

__all__ = ["SnsService", "create", "operations"]
