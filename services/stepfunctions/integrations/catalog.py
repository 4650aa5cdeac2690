"""Every service integration module, imported once so that each registers itself in
registry.INTEGRATIONS. One line per module."""

from __future__ import annotations

from services.stepfunctions.integrations import sqs  # noqa: F401
from services.stepfunctions.integrations import states  # noqa: F401
from services.stepfunctions.integrations import batch  # noqa: F401
from services.stepfunctions.integrations import lambda_  # noqa: F401
from services.stepfunctions.integrations import sns  # noqa: F401
from services.stepfunctions.integrations import aws_sdk  # noqa: F401
