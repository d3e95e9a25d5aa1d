"""`manage.py actito_sandbox`: serve the ACTITO sandbox until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from actito_admin.sandbox.config import DEMO_ENTITY, SandboxConfig
from actito_admin.sandbox.ecdp import DEMO_API_KEY as ECDP_DEMO_API_KEY
from actito_admin.sandbox.ecdp import PREFIX as ECDP_PREFIX
from actito_admin.sandbox.server import start_server


class Command(BaseCommand):
    help = "Run the ACTITO sandbox (a faithful ACTITO simulator with its own in-memory data)."

    def add_arguments(self, parser: Any) -> None:
        defaults = SandboxConfig()
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--api-key",
            action="append",
            dest="api_keys",
            help=f"accepted API key (repeatable; default {defaults.api_keys[0]!r})",
        )
        parser.add_argument("--token-ttl", type=int, default=defaults.token_ttl_seconds)
        parser.add_argument("--max-concurrent", type=int, default=defaults.max_concurrent)
        parser.add_argument("--daily-imports", type=int, default=defaults.daily_imports_per_table)
        parser.add_argument("--max-file-bytes", type=int, default=defaults.max_file_bytes)
        parser.add_argument("--execution-seconds", type=float, default=defaults.execution_seconds)
        parser.add_argument(
            "--execution-ms-per-1000-rows",
            type=float,
            default=defaults.execution_ms_per_1000_rows,
        )
        parser.add_argument(
            "--calls-per-minute-throttle",
            type=int,
            default=None,
            help="slow down calls over this many per minute (off by default)",
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--strict",
            action="store_true",
            help="refuse requests that stray from ACTITO's documents (415 / 406), as in the tests",
        )
        faults = parser.add_argument_group("fault injection (API routes only)")
        faults.add_argument("--latency-ms", type=int, default=0)
        faults.add_argument("--error-rate", type=float, default=0.0, help="share of 500s, 0..1")
        faults.add_argument("--force-status", type=int, default=None)
        faults.add_argument("--hang-rate", type=float, default=0.0, help="share of hangs, 0..1")
        faults.add_argument("--hang-seconds", type=float, default=60.0)
        faults.add_argument("--429-storm-seconds", dest="storm_429_seconds", type=float, default=0)
        faults.add_argument("--fault-paths", default=None, help="regex: only matching paths")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = SandboxConfig(
                api_keys=tuple(options["api_keys"] or SandboxConfig().api_keys),
                token_ttl_seconds=options["token_ttl"],
                max_concurrent=options["max_concurrent"],
                daily_imports_per_table=options["daily_imports"],
                max_file_bytes=options["max_file_bytes"],
                execution_seconds=options["execution_seconds"],
                execution_ms_per_1000_rows=options["execution_ms_per_1000_rows"],
                calls_per_minute_throttle=options["calls_per_minute_throttle"],
                seed=options["seed"],
                strict=options["strict"],
            )
            running = start_server(
                options["host"], options["port"], config, verbose=options["verbosity"] >= 2
            )
        except OSError as exc:
            address = f"{options['host']}:{options['port']}"
            raise CommandError(f"cannot listen on {address}: {exc}") from exc
        faults = {
            "latency_ms": options["latency_ms"],
            "error_rate": options["error_rate"],
            "force_status": options["force_status"],
            "hang_rate": options["hang_rate"],
            "hang_seconds": options["hang_seconds"],
            "paths": options["fault_paths"],
        }
        if options["storm_429_seconds"]:
            faults["storm_429_seconds"] = options["storm_429_seconds"]
        running.app.set_faults(**faults)

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(
            f"ACTITO sandbox on {running.url} — entity {DEMO_ENTITY!r}, "
            f"demo API key {config.api_keys[0]!r} (Ctrl-C to stop)"
        )
        self.stdout.write(
            f"ExpertSender CDP sandbox on {running.url}{ECDP_PREFIX} — x-api-key "
            f"{ECDP_DEMO_API_KEY!r}; accepted events at {running.url}/_sandbox/ecdp/events"
        )
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            running.stop()
            self.stdout.write("ACTITO sandbox stopped.")
