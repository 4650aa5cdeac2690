"""`arn:aws:states:::aws-sdk:<service>:<action>`: every operation of every service stepstack
emulates (`sqs`, `sns`, `sfn`, `batch`, `lambda`, `cloudwatchlogs`), request-response and
`.waitForTaskToken` (AWS supports no `.sync` for SDK integrations).

models.py     botocore's descriptions and the names AWS derives from them (services, errors)
shapes.py     PascalCase parameters to model members and results back (blobs, timestamps)
integration.py  the Task's call and its errors
checks.py     what CreateStateMachine refuses in an aws-sdk Task

An aws-sdk resource naming a service stepstack does not emulate (s3, dynamodb, ...) has no
integration here: its task fails with States.TaskFailed saying stepstack does not run it.
"""

from __future__ import annotations

from services.stepfunctions.integrations.aws_sdk import models
from services.stepfunctions.integrations.aws_sdk.integration import start
from services.stepfunctions.integrations.registry import INTEGRATIONS, Integration
from services.stepfunctions.integrations.resources import REQUEST, TOKEN

for _name in models.emulated():
    INTEGRATIONS.register_sdk(_name, Integration(start, frozenset({REQUEST, TOKEN})))
