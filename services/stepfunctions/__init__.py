"""The Step Functions emulator. Operations registered on `operations` work as AWS
documents them; the rest answer NotImplemented (501) and are listed as such in
docs/coverage.md."""

from services.stepfunctions import execution_ops, machine_ops, map_run_ops, redrive_ops, test_state, version_ops  # noqa: F401  (registers the handlers)
from services.stepfunctions.service import SfnService, create, operations

__all__ = ["SfnService", "create", "operations"]
