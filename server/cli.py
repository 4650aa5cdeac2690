"""`stepstack` (serve) and `stepstack coverage`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.settings import Settings, SettingsError, parse_services


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import build_app
    from server.logs import configure
    from server.serve import StepstackServer, http_protocol

    try:
        settings = Settings.from_env(
            host=args.host,
            port=args.port,
            services=parse_services(args.services) if args.services else None,
            log_level=args.log_level,
            time_scale=args.time_scale,
            account_id=args.account_id,
            region=args.region,
            strict=True if args.strict else None,
            seed=args.seed,
            init_dir=args.init_dir,
            log_format=args.log_format,
            sqs_realism=args.sqs_realism,
            batch_executor=args.batch_executor,
            lambda_max_environments=args.lambda_max_environments,
        )
    except SettingsError as exc:
        print(f"stepstack: {exc}", file=sys.stderr)
        return 2
    configure(settings.log_level, settings.log_format)
    app = build_app(settings)
    tune_garbage_collector()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",
        log_level="warning" if settings.log_level == "info" else settings.log_level,
        access_log=False,
        server_header=False,
        log_config=None,  # server/logs.py configured logging: one format for every logger
        http=http_protocol(),
    )
    try:
        StepstackServer(config, app).run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C once it has shut down cleanly
        return 130
    return 0


def tune_garbage_collector() -> None:
    """Keep the cyclic collector off the hot path.

    Stored messages, executions and history events are long-lived containers;
    with the default thresholds every few thousand allocations trigger a
    collection that rescans them all, so throughput fell as queues grew. The
    objects built at start (models, compiled readers) are frozen out of the
    scan, and collections run less often.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _coverage(args: argparse.Namespace) -> int:
    from server.coverage import coverage_markdown

    text = coverage_markdown()
    if args.check:
        current = Path(args.output).read_text() if Path(args.output).exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make coverage`", file=sys.stderr)
            return 1
        return 0
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="stepstack", description="Local AWS SQS, SNS, Step Functions and Batch.")
    sub = root.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the server (the default)")
    for p, default in ((root, None), (serve, argparse.SUPPRESS)):
        p.add_argument("--host", help="address to listen on (STEPSTACK_HOST, default 127.0.0.1)", default=default)
        p.add_argument("--port", type=int, help="port (STEPSTACK_PORT, default 4566)", default=default)
        p.add_argument("--services", help="comma-separated services to enable (STEPSTACK_SERVICES, default all)", default=default)
        p.add_argument("--log-level", help="critical|error|warning|info|debug (STEPSTACK_LOG_LEVEL, default info)", default=default)
        p.add_argument("--time-scale", type=float, help="service seconds per real second, inverted: 0.01 runs waits 100x faster", default=default)
        p.add_argument("--account-id", help="default account (STEPSTACK_ACCOUNT_ID, default 000000000000)", default=default)
        p.add_argument("--region", help="region when a request names none (STEPSTACK_REGION, default us-east-1)", default=default)
        p.add_argument("--strict", action="store_true", help="enforce AWS rate rules that slow tests (STEPSTACK_STRICT)", default=default)
        p.add_argument("--seed", type=int, help="make ids and randomness reproducible (STEPSTACK_SEED)", default=default)
        p.add_argument("--init-dir", help="resource files and scripts applied at start (STEPSTACK_INIT_DIR)", default=default)
        p.add_argument("--log-format", help="text|json (STEPSTACK_LOG_FORMAT, default text)", default=default)
        p.add_argument("--sqs-realism", type=float, default=default,
                       help="share of standard-queue receives that duplicate or reorder, 0-1 (STEPSTACK_SQS_REALISM, default 0)")
        p.add_argument("--batch-executor", choices=("process", "docker"), default=default,
                       help="what runs Batch jobs: processes on this machine or Docker containers (STEPSTACK_BATCH_EXECUTOR, default process)")
        p.add_argument("--lambda-max-environments", type=int, default=default,
                       help="Lambda execution environments alive at once (STEPSTACK_LAMBDA_MAX_ENVIRONMENTS, default 32)")
    cov = sub.add_parser("coverage", help="write docs/coverage.md from the registered handlers")
    cov.add_argument("--output", default="docs/coverage.md", help="file to write, or - for stdout")
    cov.add_argument("--check", action="store_true", help="fail if the file is not up to date")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "coverage":
        return _coverage(args)
    return _serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
