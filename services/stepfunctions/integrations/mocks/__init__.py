"""Mocked service integrations in Step Functions Local's mock configuration format: the file
and its validation (config.py, exported here), and the mocked responses answering Task states
(tasks.py, imported by the interpreter's task dispatch)."""

from services.stepfunctions.integrations.mocks.config import MockConfig, MockConfigError, MockConfigFile, load_config, parse_config

__all__ = ["MockConfig", "MockConfigError", "MockConfigFile", "load_config", "parse_config"]
