"""What stepstack prints when it starts: a banner, then `Ready.` on its own line (the line
LocalStack users' tooling, such as Testcontainers, waits for)."""

from __future__ import annotations

import sys

from protocols.specs import service_spec
from server import __version__
from server.settings import Settings
from services.registry import service_operations

READY = "Ready."


def operation_counts() -> dict[str, tuple[int, int]]:
    """service -> (implemented, total) operations of its botocore model."""
    tables = service_operations()
    counts = {}
    for name, table in tables.items():
        model = set(service_spec(name).operation_names)
        counts[name] = (len(table.implemented() & model), len(model))
    return counts


def banner(settings: Settings, address: str) -> str:
    lines = [f"stepstack {__version__} listening on {address}"]
    counts = operation_counts()
    for name in counts:
        done, total = counts[name]
        state = "enabled" if name in settings.services else "disabled"
        lines.append(f"  {name:<14} {done:>3}/{total:<3} operations  {state}")
    lines.append(
        f"  time scale {settings.time_scale:g}, strict {'on' if settings.strict else 'off'}, "
        f"account {settings.account_id}, region {settings.region}"
    )
    lines.append(f"  init directory {settings.init_dir or '(none)'}")
    return "\n".join(lines)


def say(text: str) -> None:
    """Straight to stderr, beside the logs (written out first), whatever the log format."""
    from server.logs import flush

    flush()
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
