"""Governor benchmark: a backlog of ACTITO calls from several processes against the sandbox.

    .venv/bin/python bench/governor_bench.py --limit 600 --seconds 90 --workers 8 [--backend redis]

Every worker process runs a real ActitoClient (over HTTP) that keeps calling as fast as the
governor lets it. At the end we report, next to the limits:
* the busiest 60-s window as the sandbox counted arrivals (must never exceed the limit);
* the pace: calls in the last 60 s of the backlog, as a share of the limit (target ≥ 95 %);
* the most requests the sandbox saw in flight, and its 429 answers (target: none).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _django(db_path: str, redis_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actito_admin.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from django.conf import settings

    # The bench keeps its own SQLite file (only the governor's tables) before any connection.
    settings.DATABASES["default"]["NAME"] = db_path
    import django

    django.setup()


def _governor(options: dict):  # -> Governor
    from actito_admin.actito.governor import DatabaseBackend, Governor, Limits, RedisBackend

    backend = (
        RedisBackend(options["redis_url"], prefix=options["prefix"])
        if options["redis_url"]
        else DatabaseBackend()
    )
    return Governor(
        scope=options["scope"],
        limits=Limits(calls_per_minute=options["limit"], max_in_flight=options["in_flight"]),
        backend=backend,
        max_wait_seconds=120,
    )


def worker(options: dict, results: multiprocessing.Queue) -> None:
    _django(options["db"], options["redis_url"])
    from django.core.cache.backends.locmem import LocMemCache

    from actito_admin.actito.client import ActitoClient
    from actito_admin.actito.errors import ActitoError, GovernorBusy

    governor = _governor(options)
    client = ActitoClient(
        base_url=options["url"],
        api_key="sandbox-demo-key",
        entity="actito",
        governor=governor,
        timeout_seconds=10,
        token_cache=LocMemCache("bench", {}),
    )
    done: list[float] = []
    errors: dict[str, int] = {}
    # Everyone starts together, so the backlog is real from the first second.
    time.sleep(max(0.0, options["start"] - time.time()))
    while time.time() < options["deadline"]:
        # Never wait past the end of the backlog for a slot: the run must end on time.
        governor.max_wait_seconds = max(0.0, options["deadline"] - time.time())
        try:
            client.get_profile(table="demodoc", ref=147471)
            done.append(time.time())
        except GovernorBusy:
            break
        except ActitoError as exc:
            name = f"{type(exc).__name__}:{exc.status}"
            errors[name] = errors.get(name, 0) + 1
    client.close()
    results.put({"done": done, "errors": errors})


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=600, help="calls per minute")
    parser.add_argument("--in-flight", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=90.0, help="length of the backlog")
    parser.add_argument("--workers", type=int, default=8, help="worker processes")
    parser.add_argument("--backend", choices=("db", "redis"), default="db")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument("--sandbox-url", default="", help="use a running sandbox instead")
    parser.add_argument(
        "--latency-ms", type=int, default=50, help="sandbox answer time (ACTITO is not instant)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    db_path = str(Path(tempfile.mkdtemp(prefix="governor-bench-")) / "bench.sqlite3")
    redis_url = args.redis_url if args.backend == "redis" else ""
    _django(db_path, redis_url)
    from django.db import connection

    from actito_admin.actito.models import GovernorCall, GovernorLease, ImportReservation

    with connection.schema_editor() as editor:
        for model in (GovernorCall, GovernorLease, ImportReservation):
            editor.create_model(model)
    connection.close()  # children open their own

    server = None
    if args.sandbox_url:
        import httpx

        url = args.sandbox_url.rstrip("/")
        httpx.post(f"{url}/_sandbox/reset")
        httpx.post(f"{url}/_sandbox/faults", json={"latency_ms": args.latency_ms})
        stats_of = lambda: httpx.get(f"{url}/_sandbox/stats").json()  # noqa: E731
    else:
        from actito_admin.sandbox.config import SandboxConfig
        from actito_admin.sandbox.server import start_server

        server = start_server(port=0, config=SandboxConfig(max_concurrent=args.in_flight))
        url = server.url
        server.app.set_faults(latency_ms=args.latency_ms)
        stats_of = server.app.stats

    started = time.time() + 5.0  # let every worker start before the backlog begins
    options = {
        "url": url,
        "db": db_path,
        "redis_url": redis_url,
        "prefix": f"bench-{uuid.uuid4().hex[:8]}",
        "scope": f"bench-{uuid.uuid4().hex[:8]}",
        "limit": args.limit,
        "in_flight": args.in_flight,
        "start": started,
        "deadline": started + args.seconds,
    }
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    procs = [context.Process(target=worker, args=(options, results)) for _ in range(args.workers)]
    for proc in procs:
        proc.start()
    collected = [results.get(timeout=args.seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    stats = stats_of()
    if server is not None:
        server.stop()

    done = sorted(t for r in collected for t in r["done"])
    errors: dict[str, int] = {}
    for r in collected:
        for name, count in r["errors"].items():
            errors[name] = errors.get(name, 0) + count
    end = options["deadline"]
    last_minute = sum(1 for t in done if end - 60 <= t < end)
    figures = {
        "backend": args.backend,
        "workers": args.workers,
        "seconds": args.seconds,
        "limit_per_minute": args.limit,
        "limit_in_flight": args.in_flight,
        "sandbox_latency_ms": args.latency_ms,
        "calls_completed": len(done),
        "wall_seconds": round(time.time() - started, 1),
        "calls_seen_by_sandbox": stats["requests"],
        "busiest_60s_window_sandbox": stats["calls_per_minute_max"],
        "busiest_60s_window_client": _max_in_window(done, 60.0),
        "calls_in_last_60s": last_minute,
        # How long the first minute's budget took to spend: the governor's own throughput.
        "first_budget_spent_after_s": round(done[args.limit - args.workers - 1] - started, 1)
        if len(done) > args.limit
        else None,
        "pace_percent": round(100 * last_minute / args.limit, 1),
        "max_in_flight_seen": stats["max_in_flight_seen"],
        "responses_by_status": stats["responses_by_status"],
        "http_429": stats["responses_by_status"].get("429", 0),
        "client_errors": errors,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>28}: {value}")
    ok = (
        figures["busiest_60s_window_sandbox"] <= args.limit
        and figures["max_in_flight_seen"] <= args.in_flight
        and figures["http_429"] == 0
        and figures["pace_percent"] >= 95
    )
    print("RESULT:", "ok" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
