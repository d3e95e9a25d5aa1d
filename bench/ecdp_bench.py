"""ExpertSender CDP list benchmark: a customer list through a real django-q2 cluster and the
sandbox's ECDP side.

    .venv/bin/python bench/ecdp_bench.py --count 1000 --limit 499 [--append docs/benchmarks.md]

Same method as bench/scenario_bench.py (read its docstring): everything real except ECDP, the
list prepared and confirmed by the services the pages call, each customer with their own data
fields. The business unit's limit is raised above the default 300/min; the list is larger than
the limit, so the governor's budget is the bottleneck. Starts are spaced evenly (60/limit s), and
the pace is the soonest the last could start at that spacing over the time taken (target ≥ 95 %).
We also report the busiest 60 s the sandbox counted (≤ the limit) and whether any customer got
the event twice (must be none). The sandbox holds 1,200 customers, hence --count ≤ 1200.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scenario_bench import _django, confirm_and_wait, pace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="customers (> limit, ≤ 1200)")
    parser.add_argument("--limit", type=int, default=499, help="calls per minute")
    parser.add_argument("--in-flight", type=int, default=5)
    parser.add_argument("--append", help="append the figures to this Markdown file")
    options = parser.parse_args()

    _django(Path(tempfile.mkdtemp(prefix="ecdp-bench-")) / "bench.sqlite3")
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from actito_admin.ecdp.customer_list import parse_customers
    from actito_admin.ecdp.models import BusinessUnit
    from actito_admin.ecdp.services import catalogue_fill
    from actito_admin.sandbox.server import start_server
    from actito_admin.scenarios import ecdp_services
    from tests.e2e import TaskCluster

    call_command("migrate", verbosity=0)
    sandbox = start_server()
    os.environ["SANDBOX_URL"] = settings.SANDBOX_URL = sandbox.url
    unit = BusinessUnit.objects.create(
        label="Bench", calls_per_minute=options.limit, max_in_flight=options.in_flight
    )
    catalogue_fill(unit=unit, catalogue=sandbox.app.ecdp.catalogue(), actor=None)
    event = unit.events.get(event_id=15)  # "Loyalty points earned": points, tier
    people = sandbox.app.ecdp.customers[: options.count]
    text = "email,points,tier\n" + "".join(f"{c.email},{n},gold\n" for n, c in enumerate(people))
    parsed = parse_customers(text, "email", event.declared)
    user = User.objects.create_user("bench")
    cluster = TaskCluster({**os.environ, "LOG_LEVEL": "INFO"})
    cluster.start()
    try:
        run = ecdp_services.list_prepare(
            actor=user,
            unit=unit,
            event=event,
            kind="email",
            parsed=parsed,
            idempotency_key=uuid.uuid4(),
        )
        wall = confirm_and_wait(run, user, cluster, options.count, options.limit)
    finally:
        cluster.stop()
    items = list(run.items.all())
    stats = sandbox.app.stats()
    calls = stats["requests"]
    elapsed, ideal, ratio = pace(items, options.limit)
    outcomes = Counter(i.status for i in items)
    got = Counter(r["customerId"] for r in sandbox.app.ecdp.recorded())
    twice = sum(1 for n in got.values() if n > 1)
    own_fields = all(
        r["dataFields"]["points"] == str(n)
        for n, r in enumerate(sorted(sandbox.app.ecdp.recorded(), key=lambda r: r["customerId"]))
    )
    sandbox.stop()

    figures = {
        "customers (each with their own data fields)": options.count,
        "limit (calls/min, default 300)": options.limit,
        "wall time from confirm to finished (s)": f"{wall:.1f}",
        "calls the sandbox saw": calls,
        "first item claimed → last answer (s)": f"{elapsed:.1f}",
        "soonest possible at the limit (s)": f"{ideal:.1f}",
        "pace (soonest possible / taken)": f"{ratio:.1%}",
        "busiest 60 s as the sandbox counted arrivals": stats["calls_per_minute_max"],
        "outcomes": ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        "customers who got the event twice": twice,
        "every customer got their own fields": "yes" if own_fields else "NO",
    }
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if options.append:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            "",
            "## ExpertSender CDP list",
            "",
            f"`bench/ecdp_bench.py --count {options.count} --limit {options.limit}` on {when}: "
            "one ECDP list run (POST /scenariocustomevents per customer) through a real "
            "django-q2 cluster (ORM broker, SQLite), the sandbox's ECDP side over HTTP and the "
            "same database governor as ACTITO, scoped to the business unit's API key.",
            "",
            "| Figure | Value |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in figures.items()],
            "",
        ]
        with open(options.append, "a", encoding="utf-8") as out:
            out.write("\n".join(lines))
    ok = (
        ratio >= 0.95
        and stats["calls_per_minute_max"] <= options.limit
        and twice == 0
        and own_fields
        and outcomes.get("succeeded") == options.count
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
