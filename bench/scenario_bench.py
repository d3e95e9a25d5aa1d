"""Scenario list trigger benchmark: a list run through a real django-q2 cluster and the sandbox.

    .venv/bin/python bench/scenario_bench.py --count 600 --limit 200 [--append docs/benchmarks.md]

Everything is real except ACTITO: its own SQLite database (migrated), the sandbox over HTTP on an
ephemeral port, `manage.py qcluster` as a subprocess, and the list prepared and confirmed by the
same services the pages call. The list is several times the limit, so the licence's budget is
the bottleneck. A list run spaces its starts evenly, one every 60/limit seconds, so the soonest
the last of N items can start is (N - 1) × 60/limit seconds after the first. The pace we
report (target ≥ 98 %) is that ideal over the time we really took. We also report the busiest
60 s of arrivals as the sandbox counted them (must stay ≤ the limit), the outcomes, and whether the
sandbox triggered any profile twice (must be none). The demo table `customers` holds 620
profiles, hence --count ≤ 620.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actito_admin.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name in ("ACTITO_BASE_URL", "ACTITO_API_KEY", "ACTITO_ENTITY", "REDIS_URL"):
        os.environ[name] = ""
    import django

    django.setup()


def confirm_and_wait(run, user, cluster, count: int, limit: int) -> float:
    """Confirm a prepared list (the cluster picks it up) and wait until it ends; wall seconds."""
    from actito_admin.scenarios import services
    from actito_admin.scenarios.models import TriggerRun

    clock = time.monotonic()
    services.trigger_list_confirm(actor=user, run=run)  # enqueues (autocommit: at once)
    while not TriggerRun.objects.get(pk=run.pk).is_finished:
        if time.monotonic() - clock > 30 + count * 60 / limit * 2:
            raise SystemExit("the run did not finish in time:\n" + cluster.log())
        time.sleep(0.2)
    return time.monotonic() - clock


def pace(items, limit: int) -> tuple[float, float, float]:
    """(first claim → last answer, the soonest possible at even spacing, their ratio).

    sent_at is noted when an item is claimed, before it waits for the governor; the last answer
    is the first moment we know the last call went out."""
    sent = [i.sent_at.timestamp() for i in items if i.sent_at]
    done = [i.finished_at.timestamp() for i in items if i.finished_at]
    elapsed = max(done) - min(sent)
    ideal = (len(sent) - 1) * 60.0 / limit
    return elapsed, ideal, ideal / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=600, help="references (> limit, ≤ 620)")
    parser.add_argument("--limit", type=int, default=200, help="calls per minute")
    parser.add_argument("--in-flight", type=int, default=5)
    parser.add_argument("--append", help="append the figures to this Markdown file")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="scenario-bench-"))
    _django(workdir / "bench.sqlite3")
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from actito_admin.actito.connection import get_connection
    from actito_admin.actito.models import Connection
    from actito_admin.sandbox.config import SandboxConfig
    from actito_admin.sandbox.server import start_server
    from actito_admin.scenarios import services
    from actito_admin.scenarios.models import Scenario
    from actito_admin.scenarios.references import parse_reference_list
    from tests.e2e import TaskCluster

    call_command("migrate", verbosity=0)
    sandbox = start_server(config=SandboxConfig(execution_seconds=0))
    os.environ["SANDBOX_URL"] = sandbox.url
    from django.conf import settings

    settings.SANDBOX_URL = sandbox.url
    Connection.objects.update_or_create(
        name="default",
        defaults={
            "calls_per_minute": options.limit,
            "max_in_flight": options.in_flight,
            "timeout_seconds": 10,
        },
    )
    [welcome] = [s for s in sandbox.app._scenarios if s.display_name == "Welcome e-mail"]
    scenario = Scenario.objects.create(
        scope=get_connection().scope,
        table="customers",
        actito_id=str(welcome.id),
        name=welcome.name,
        is_active=True,
        is_start_event_triggered=True,
    )
    user = User.objects.create_user("bench")
    text = "\n".join(f"C{n:06d}" for n in range(1, options.count + 1))
    cluster = TaskCluster({**os.environ, "LOG_LEVEL": "INFO"})
    cluster.start()
    try:
        run = services.trigger_list_prepare(
            actor=user,
            scenario=scenario,
            reference_kind="customerId",
            parsed=parse_reference_list(text, "customerId"),
            idempotency_key=uuid.uuid4(),
        )
        wall = confirm_and_wait(run, user, cluster, options.count, options.limit)
    finally:
        cluster.stop()
    run.refresh_from_db()
    items = list(run.items.all())
    stats = sandbox.app.stats()
    calls = stats["requests"]
    if calls <= options.limit:
        raise SystemExit("--count must be larger than --limit to measure a sustained pace")
    elapsed, ideal, ratio = pace(items, options.limit)
    outcomes = Counter(i.status for i in items)
    triggered = Counter(t["profile_id"] for t in stats["triggers"])
    twice = sum(1 for n in triggered.values() if n > 1)
    sandbox.stop()

    figures = {
        "references": options.count,
        "limit (calls/min)": options.limit,
        "wall time from confirm to finished (s)": f"{wall:.1f}",
        "calls the sandbox saw (token included)": calls,
        "first item claimed → last answer (s)": f"{elapsed:.1f}",
        "soonest possible at the limit (s)": f"{ideal:.1f}",
        "pace (soonest possible / taken)": f"{ratio:.1%}",
        "busiest 60 s as the sandbox counted arrivals": stats["calls_per_minute_max"],
        "outcomes": ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        "profiles triggered twice": twice,
    }
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if options.append:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            "",
            "## Scenario list trigger",
            "",
            f"`bench/scenario_bench.py --count {options.count} --limit {options.limit}` on "
            f"{when}: one list run through a real django-q2 cluster (ORM broker, SQLite), the "
            "sandbox over HTTP, the database governor. One worker sends the items one by one, "
            "each claimed before it is sent.",
            "",
            "| Figure | Value |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in figures.items()],
            "",
            "The run spaces its starts evenly, one every 60/limit seconds (the governor still "
            "admits at most the limit in any 60.5-s window). The pace is the soonest the last "
            "item could start at that spacing, (items - 1) × 60/limit seconds, over the time "
            "taken from the first claim to the last answer.",
            "",
        ]
        # One append, never a rewrite: others add their own sections to the same file.
        with open(options.append, "a", encoding="utf-8") as out:
            out.write("\n".join(lines))
    ok = (
        ratio >= 0.98
        and stats["calls_per_minute_max"] <= options.limit
        and twice == 0
        and outcomes.get("succeeded") == options.count
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
