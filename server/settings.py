"""Flags and STEPSTACK_* environment variables, in one frozen dataclass."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from services.core.ids import is_account_id
from services.registry import SERVICE_NAMES

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # SQS's 1 MiB messages, form-encoded, fit with room to spare


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4566
    services: tuple[str, ...] = SERVICE_NAMES
    log_level: str = "info"
    account_id: str = "000000000000"
    region: str = "us-east-1"
    time_scale: float = 1.0
    max_body_bytes: int = DEFAULT_MAX_BODY
    strict: bool = False
    seed: int | None = None  # ids, jitter and random intrinsics reproducible run to run
    init_dir: str | None = None  # resource files and scripts applied at start, in name order
    log_format: str = "text"  # text | json (one JSON object per line)
    validate_output: bool = False  # check every result against its output shape (on in tests)
    sqs_realism: float = 0.0  # share of standard-queue receives that duplicate or reorder (services/sqs/realism.py)
    batch_executor: str = "process"  # process | docker: what runs Batch job attempts (services/batch/executors.py)
    batch_workdir: str | None = None  # where job attempts get their working directories (default: a temporary one)
    batch_keep_workdirs: bool = False  # keep each attempt's working directory after it ends
    lambda_max_environments: int = 32  # Lambda execution environments (processes) alive at once, machine-wide
    sfn_mock_config: str | None = None  # Step Functions Local's mock configuration file (also SFN_MOCK_CONFIG)

    def __post_init__(self) -> None:
        unknown = set(self.services) - set(SERVICE_NAMES)
        if unknown:
            raise SettingsError(f"unknown services: {', '.join(sorted(unknown))} (known: {', '.join(SERVICE_NAMES)})")
        if not is_account_id(self.account_id):
            raise SettingsError(f"account id must be 12 digits, got {self.account_id!r}")
        if not (math.isfinite(self.time_scale) and self.time_scale > 0):
            raise SettingsError(f"time scale must be a positive number, got {self.time_scale}")
        if not 0 < self.port < 65536:
            raise SettingsError(f"port out of range: {self.port}")
        if self.log_level.lower() not in ("critical", "error", "warning", "info", "debug"):
            raise SettingsError(f"unknown log level {self.log_level!r}")
        if not 0.0 <= self.sqs_realism <= 1.0:
            raise SettingsError(f"STEPSTACK_SQS_REALISM must be a rate from 0 to 1, got {self.sqs_realism}")
        if self.batch_executor not in ("process", "docker"):
            raise SettingsError(f"unknown Batch executor {self.batch_executor!r} (process or docker)")
        if self.lambda_max_environments < 1:
            raise SettingsError(f"STEPSTACK_LAMBDA_MAX_ENVIRONMENTS must be at least 1, got {self.lambda_max_environments}")
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"unknown log format {self.log_format!r} (text or json)")
        if self.sfn_mock_config is not None:  # as Step Functions Local, refuse to start on a bad file
            from services.stepfunctions.integrations.mocks import MockConfigError, load_config

            try:
                load_config(self.sfn_mock_config)
            except MockConfigError as exc:
                raise SettingsError(str(exc)) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then STEPSTACK_* variables, then explicit overrides (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"STEPSTACK_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw)
        if "sfn_mock_config" not in values and env.get("SFN_MOCK_CONFIG"):  # Step Functions Local's name
            values["sfn_mock_config"] = env["SFN_MOCK_CONFIG"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(name: str, raw: str) -> Any:
    try:
        if name in ("port", "max_body_bytes", "seed", "lambda_max_environments"):
            return int(raw)
        if name in ("time_scale", "sqs_realism"):
            return float(raw)
        if name in ("strict", "validate_output", "batch_keep_workdirs"):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if name == "services":
            return parse_services(raw)
        if name == "batch_executor":
            return raw.strip().lower()
    except ValueError as exc:
        raise SettingsError(f"STEPSTACK_{name.upper()}: {exc}") from None
    return raw


def parse_services(raw: str) -> tuple[str, ...]:
    names = tuple(s.strip().lower() for s in raw.split(",") if s.strip())
    return SERVICE_NAMES if names in ((), ("all",)) else names
