"""Text tables for ``bench.sqs`` results (one table per section)."""

from __future__ import annotations

from typing import Any

NA = "n/a"


def _mib(kib: int | None) -> str:
    return NA if kib is None else f"{kib / 1024:.1f}"


def _num(value: Any, fmt: str = ".0f") -> str:
    return NA if value is None else format(value, fmt)


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths)))
    out = [f"\n{title}", line, "-" * len(line)]
    for row in rows:
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(out)


def _failed(name: str, section: Any, width: int) -> list[str] | None:
    if section is None:
        return [name] + [NA] * (width - 1)
    if isinstance(section, dict) and "failed" in section:
        return [name, "FAILED"] + [""] * (width - 2)
    return None


def _send_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for res in results:
        send = res.get("send")
        if not isinstance(send, dict) or not send:
            rows.append([res["target"], "", "FAILED", "", "", ""])
            continue
        for conns, row in send.items():
            bad = _failed(res["target"], row, 6)
            rows.append(bad or [res["target"], conns, f"{row['rps']:.0f}", f"{row['p50_ms']:.2f}",
                                f"{row['p99_ms']:.2f}", str(row["errors"])])
    return rows


def _batch_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for res in results:
        row: Any = res.get("batch")
        bad = _failed(res["target"], row, 7)
        rows.append(bad or [res["target"], str(row["connections"]), f"{row['rps']:.0f}",
                            f"{row['messages_per_s']:.0f}", f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}",
                            str(row["errors"])])
    return rows


def _receive_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for res in results:
        row: Any = res.get("receive_delete")
        bad = _failed(res["target"], row, 7)
        rows.append(bad or [res["target"], str(row["workers"]), str(row["prefill"]["messages"]),
                            str(row["messages"]), f"{row['elapsed_s']:.1f}", f"{row['messages_per_s']:.0f}",
                            str(row["errors"] + row["prefill"]["errors"])])
    return rows


def _boto_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for res in results:
        row: Any = res.get("boto3")
        bad = _failed(res["target"], row, 4)
        rows.append(bad or [res["target"], str(row["calls"]), f"{row['calls_per_s']:.0f}", str(row["errors"])])
    return rows


def _long_poll_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for res in results:
        row: Any = res.get("long_polls")
        bad = _failed(res["target"], row, 10)
        rows.append(bad or [
            res["target"], f"{row.get('held', 0)}/{row['requested']}", _num(row.get("open_s"), ".1f"),
            _num(row["idle_cpu_pct"], ".1f"), _num(row.get("cpu_pct"), ".1f"), _mib(row["idle_rss_kib"]),
            _mib(row.get("rss_kib")), str(row.get("early_answers", NA)), _num(row.get("cpu_pct_after_close"), ".1f"),
            str(row.get("threads", NA)),
        ])
    return rows


def _memory_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for res in results:
        row: Any = res.get("memory")
        bad = _failed(res["target"], row, 8)
        rows.append(bad or [
            res["target"], str(row["messages"]), f"{row['fill']['messages_per_s']:.0f}", _mib(row["idle_rss_kib"]),
            _mib(row["rss_kib"]), _mib(row["growth_kib"]), _num(row["bytes_per_message"]),
            _mib(row.get("scaled_growth_kib", row["growth_kib"])),
        ])
    return rows


def _load_errors(row: dict[str, Any]) -> str:
    """Breakdown of a ``bench.load`` result's errors."""
    parts = [f"{k}={row[k]}" for k in ("connect_errors", "io_errors", "status_errors", "timeouts") if row.get(k)]
    return f"errors {row['errors']} ({', '.join(parts)}); statuses {row.get('statuses')}"


def _notes(results: list[dict[str, Any]]) -> list[str]:
    """Failures, first bad answers and caps worth reading next to the tables."""
    notes = []
    for res in results:
        name = res["target"]
        if "failed" in res:
            notes.append(f"{name}: {res['failed']}")
        for key in ("batch", "receive_delete", "boto3", "long_polls", "memory"):
            row = res.get(key)
            if not isinstance(row, dict):
                continue
            if "failed" in row:
                notes.append(f"{name} {key}: {row['failed']}")
            for field in ("sample_error", "first_error", "first_answer", "first_open_error", "note"):
                if row.get(field):
                    notes.append(f"{name} {key} {field}: {row[field]}")
            for sub in ("prefill", "fill"):
                if isinstance(row.get(sub), dict) and row[sub].get("first_error"):
                    notes.append(f"{name} {key} {sub}: {row[sub]['first_error']}")
            if key == "batch" and row.get("errors"):
                notes.append(f"{name} batch: {_load_errors(row)}")
            if row.get("alive_after") is False:
                notes.append(f"{name} {key}: server did not answer ListQueues after the long polls closed")
        for conns, row in (res.get("send") or {}).items():
            if isinstance(row, dict) and row.get("sample_error"):
                notes.append(f"{name} send@{conns}: {row['sample_error']}")
            if isinstance(row, dict) and row.get("errors"):
                notes.append(f"{name} send@{conns}: {_load_errors(row)}")
        if res.get("exit_codes"):
            notes.append(f"{name}: server exit codes {res['exit_codes']}")
    return notes


def render(results: list[dict[str, Any]], connections: int, base: int) -> str:
    """All section tables plus notes as one printable string."""
    parts = [
        _table(f"1. SendMessage, raw HTTP, 1 KiB body ({base} and {connections} connections)",
               ["target", "conns", "req/s", "p50 ms", "p99 ms", "errors"], _send_rows(results)),
        _table(f"2. SendMessageBatch, raw HTTP, 10 x 1 KiB ({base} connections)",
               ["target", "conns", "req/s", "msg/s", "p50 ms", "p99 ms", "errors"], _batch_rows(results)),
        _table("3. ReceiveMessage(10) + DeleteMessageBatch on a pre-filled queue",
               ["target", "workers", "prefilled", "deleted", "secs", "msg/s", "errors"], _receive_rows(results)),
        _table("4. boto3, one client, one thread, SendMessage",
               ["target", "calls", "calls/s", "errors"], _boto_rows(results)),
        _table("5. Idle long polls (ReceiveMessage WaitTimeSeconds=20 on an empty queue), server process",
               ["target", "held", "open s", "idle CPU%", "CPU%", "idle RSS MiB", "RSS MiB", "early",
                "CPU% closed", "threads"], _long_poll_rows(results)),
        _table("6. Memory: 1 KiB messages stored via SendMessageBatch, server RSS",
               ["target", "messages", "fill msg/s", "idle MiB", "RSS MiB", "growth MiB", "B/msg",
                "growth/100k MiB"], _memory_rows(results)),
    ]
    notes = _notes(results)
    if notes:
        parts.append("\nnotes:\n" + "\n".join(f"  - {n}" for n in notes))
    return "\n".join(parts)


def run_ok(results: list[dict[str, Any]]) -> bool:
    """True when nothing failed and no request errored."""
    def clean(row: Any) -> bool:
        if row is None:
            return True
        if not isinstance(row, dict) or "failed" in row:
            return False
        return not row.get("errors") and not row.get("open_errors") and not row.get("early_answers")

    for res in results:
        if "failed" in res or res.get("exit_codes"):
            return False
        sections = [*(res.get("send") or {"-": {"failed": "missing"}}).values(), res.get("batch"),
                    res.get("receive_delete"), res.get("boto3"), res.get("long_polls"), res.get("memory")]
        if not all(clean(s) for s in sections):
            return False
    return True
