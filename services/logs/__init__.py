"""The CloudWatch Logs emulator (JSON 1.1, `Logs_20140328.*`): log groups, streams, events,
retention, tags, GetLogEvents and FilterLogEvents with filter patterns. Batch writes job
output here through writer.write_lines. Operations not registered answer NotImplemented
(501) and are listed as such in docs/coverage.md.
"""

from services.logs import events, groups  # noqa: F401  (registers the handlers)
from services.logs.service import LogsService, create, operations

__all__ = ["LogsService", "create", "operations"]
