"""What the emulators share: context, errors, stores, clock, ids, dispatch, tasks,
waiters and change events."""

from services.core.arns import Arn, build_arn, parse_arn, partition_of
from services.core.clock import Clock, Timer
from services.core.context import Handler, Params, RequestContext, Result
from services.core.dispatch import Dispatcher, ServiceNotEnabled
from services.core.errors import AwsError, InternalFailure, NotImplementedOperation, declare_error
from services.core.events import ChangeEvents
from services.core.ids import Ids
from services.core.service import Operations, Service, ServiceEnv
from services.core.stores import AccountRegionStores
from services.core.tasks import Supervisor
from services.core.waiters import Waiters

__all__ = [
    "AccountRegionStores",
    "Arn",
    "AwsError",
    "ChangeEvents",
    "Clock",
    "Dispatcher",
    "Handler",
    "Ids",
    "InternalFailure",
    "NotImplementedOperation",
    "Operations",
    "Params",
    "RequestContext",
    "Result",
    "Service",
    "ServiceEnv",
    "ServiceNotEnabled",
    "Supervisor",
    "Timer",
    "Waiters",
    "build_arn",
    "declare_error",
    "parse_arn",
    "partition_of",
]
