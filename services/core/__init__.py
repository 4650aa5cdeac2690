"""What the four emulators share: context, errors, stores, clock, ids, dispatch."""

from services.core.arns import Arn, build_arn, parse_arn
from services.core.clock import Clock, Timer
from services.core.context import Handler, Params, RequestContext, Result
from services.core.errors import AwsError, InternalFailure, NotImplementedOperation, declare_error
from services.core.handlers import Dispatcher, ServiceHandlers, ServiceNotEnabled
from services.core.stores import AccountRegionStores

__all__ = [
    "AccountRegionStores",
    "Arn",
    "AwsError",
    "Clock",
    "Dispatcher",
    "Handler",
    "InternalFailure",
    "NotImplementedOperation",
    "Params",
    "RequestContext",
    "Result",
    "ServiceHandlers",
    "ServiceNotEnabled",
    "Timer",
    "build_arn",
    "declare_error",
    "parse_arn",
]
