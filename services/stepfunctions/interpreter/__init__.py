"""Executions: state evaluation, retry/catch, history events."""
