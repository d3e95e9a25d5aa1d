"""Audit log at a million events: seed, then time the review pages in-process.

    # SQLite (a separate file under var/bench-audit/, never your own database):
    .venv/bin/python bench/audit_bench.py
    # PostgreSQL (the database is created when missing):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/actito_admin_audit_bench \
        .venv/bin/python bench/audit_bench.py

Seeding is a raw bulk insert (executemany on SQLite, COPY on PostgreSQL) that computes the hash
chain exactly as record_event does, so `audit_verify` is timed over the same rows. Each page is
requested through django.test.Client (the whole middleware stack, templates included, no network):
p50/p95 over --requests requests after a few warm-up ones. Prints a Markdown block.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("STATIC_MANIFEST", "false")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("DATA_DIR", str(ROOT / "var" / "bench-audit"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actito_admin.settings")

USERS = [f"user{n:02d}" for n in range(30)]
# (action, weight, outcome, target kind)
TABLES = ["demodoc", "customers", "prospects"]
ACTIONS = [
    ("auth.login", 25, "success", None),
    ("auth.logout", 15, "success", None),
    ("auth.login_failed", 3, "failure", None),
    ("scenario.trigger.requested", 15, "pending", "run"),
    ("scenario.trigger.performed", 15, "success", "run"),
    ("import.uploaded", 6, "success", "import"),
    ("import.validated", 6, "success", "import"),
    ("import.submitted", 5, "success", "import"),
    ("import.finished", 5, "success", "import"),
    ("connection.tested", 5, "success", None),
]


def ensure_postgres_database() -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    admin = psycopg.connect(
        host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres",
        autocommit=True,
    )  # fmt: skip
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
    if not exists:
        admin.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    admin.close()


def generate(count: int, prev_hash: str, start: dt.datetime, step: dt.timedelta):
    """Rows in chain order, each hashed over the previous one."""
    from actito_admin.audit.chain import event_hash
    from actito_admin.audit.models import derived_refs

    rng = random.Random(42)
    names, weights = [a[0] for a in ACTIONS], [a[1] for a in ACTIONS]
    by_name = {a[0]: a for a in ACTIONS}
    when = start
    request_id, request_left = "", 0
    for n in range(count):
        when += step
        action = rng.choices(names, weights)[0]
        _, _, outcome, kind = by_name[action]
        user = rng.choice(USERS)
        if request_left == 0:
            request_id, request_left = f"req{n:010d}", rng.randint(1, 3)
        request_left -= 1
        target_type = target_id = label = ""
        data: dict = {}
        if kind == "run":
            target_type, target_id = "scenarios.triggerrun", str(rng.randint(1, 200_000))
            scenario = int(target_id) % 50
            data = {
                "scenario_id": str(11000 + scenario),
                "scenario_name": f"Scenario {scenario}",
                "table": TABLES[scenario % len(TABLES)],
                "profile_label": f"customer{target_id}@example.com",
            }
            if action.endswith("performed"):
                data["interactionBusinessKey"] = f"IBK-{target_id}"
        elif kind == "import":
            target_type, target_id = "imports.importjob", str(rng.randint(1, 20_000))
            table = TABLES[int(target_id) % len(TABLES)]
            data = {"file_name": f"customers-{target_id}.csv", "table_name": table}
            label = data["file_name"]
        fields = {
            "created_at": when,
            "actor_id": None,
            "actor_username": user,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "target_label": label,
            "data": data,
            "outcome": outcome,
            "ip_address": f"10.0.{n % 250}.{n % 200 + 1}",
            "user_agent": "Mozilla/5.0 (bench)",
            "request_id": request_id,
            "prev_hash": prev_hash,
        }
        prev_hash = event_hash(fields)
        fields["hash"] = prev_hash
        # As record_event fills them: derived from data, outside the hash.
        fields["scenario_ref"], fields["table_ref"] = derived_refs(data)
        yield fields


def seed(rows: int) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from actito_admin.audit.chain import HASHED_FIELDS, last_hash
    from actito_admin.audit.models import AuditEvent

    columns = (*HASHED_FIELDS, "hash", "scenario_ref", "table_ref")

    have = AuditEvent.objects.count()
    if have >= rows:
        return 0.0
    missing = rows - have
    started = time.perf_counter()
    # Spread over the retention period, ending a little before now.
    step = dt.timedelta(days=700) / rows
    newest = AuditEvent.objects.order_by("-id").values_list("created_at", flat=True).first()
    start = newest or timezone.now() - dt.timedelta(days=701)
    sql_cols = ", ".join(columns)
    with transaction.atomic(), connection.cursor() as cursor:
        source = generate(missing, last_hash(), start, step)
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg cursor, for COPY
            with raw.copy(f"COPY audit_auditevent ({sql_cols}) FROM STDIN") as copy:
                for f in source:
                    f["data"] = json.dumps(f["data"])
                    copy.write_row([f[c] for c in columns])
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO audit_auditevent ({sql_cols}) VALUES ({placeholders})"
            adapt = connection.ops.adapt_datetimefield_value
            batch = []
            for f in source:
                f["created_at"] = adapt(f["created_at"])
                f["data"] = json.dumps(f["data"])
                batch.append([f[c] for c in columns])
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def timed(client, urls: list[str], warmup: int = 3) -> tuple[float, float, float]:
    for url in urls[:warmup]:
        assert client.get(url).status_code == 200, url
    samples = []
    for url in urls:
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    p95 = samples[math.ceil(len(samples) * 0.95) - 1]  # nearest rank
    return statistics.median(samples), p95, samples[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        ensure_postgres_database()

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from actito_admin.audit.chain import verify_chain
    from actito_admin.audit.forms import cursor_for
    from actito_admin.audit.models import AuditEvent

    call_command("migrate", verbosity=0)
    seconds = seed(args.rows)
    total = AuditEvent.objects.count()
    viewer, _ = User.objects.get_or_create(username="bench_viewer")
    viewer.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    client.force_login(viewer)

    n = args.requests
    rng = random.Random(7)
    performed = AuditEvent.objects.filter(action="scenario.trigger.performed").newest_first()
    # Cursors from a third to nine tenths of the way down each filtered list.
    p_count = performed.count()
    deep = [cursor_for(performed[rng.randint(p_count // 3, p_count * 9 // 10)]) for _ in range(n)]
    user_deep = AuditEvent.objects.filter(actor_username="user07").newest_first()
    u_count = user_deep.count()
    user_cursors = [
        cursor_for(user_deep[rng.randint(u_count // 3, u_count * 9 // 10)]) for _ in range(n)
    ]
    max_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    detail_ids = [rng.randint(1, max_id) for _ in range(n * 3)]
    detail_ids = [i for i in detail_ids if AuditEvent.objects.filter(pk=i).exists()][:n]
    a_run = performed.values_list("target_id", flat=True)[1000]
    on_demodoc = AuditEvent.objects.filter(table_ref="demodoc").newest_first()
    t_count = on_demodoc.count()
    table_deep = [
        cursor_for(on_demodoc[rng.randint(t_count // 3, t_count * 9 // 10)]) for _ in range(n)
    ]
    day = timezone.localdate() - dt.timedelta(days=180)
    cases = {
        "List, first page": ["/audit/"] * n,
        f"List, action filter, deep page ({p_count // 3:,}–{p_count * 9 // 10:,} rows in)": [
            f"/audit/?action=scenario.trigger.performed&before={c}" for c in deep
        ],
        "List, user + outcome filter, deep page": [
            f"/audit/?user=user07&outcome=success&before={c}" for c in user_cursors
        ],
        "List, target filter (one trigger run)": [
            f"/audit/?target_type=scenarios.triggerrun&target_id={a_run}"
        ]
        * n,
        "List, date range (one day, 6 months ago)": [f"/audit/?date_from={day}&date_to={day}"] * n,
        "List, one scenario (every start of 11007)": [
            "/audit/?target_type=scenarios.scenario&target_id=11007"
        ]
        * n,
        "List, one table, deep page (starts and imports on demodoc)": [
            f"/audit/?target_type=actito.table&target_id=demodoc&before={c}" for c in table_deep
        ],
        "Detail page (random events, with same-run lists)": [f"/audit/{i}/" for i in detail_ids],
        "List, free text, common match (`customer1`)": ["/audit/?q=customer1"] * 20,
        "List, free text, rare match (one e-mail)": [f"/audit/?q=customer{a_run}@example.com"] * 20,
        "List, free text, no match (`nobody@example.org`)": ["/audit/?q=nobody@example.org"] * 20,
        "List, free text, two letters (`zz`, no index)": ["/audit/?q=zz"] * 20,
    }
    results = []
    for name, urls in cases.items():
        p50, p95, worst = timed(client, urls)
        results.append((name, len(urls), p50, p95, worst))
    t0 = time.perf_counter()
    verified = verify_chain()
    verify_s = time.perf_counter() - t0
    assert verified.ok, verified.broken

    vendor = connection.vendor
    version = connection.cursor().connection.__class__.__module__
    print(f"\n### {'PostgreSQL' if vendor == 'postgresql' else 'SQLite'} — {total:,} events\n")
    if seconds:
        print(f"Seeded {args.rows:,} events in {seconds:.0f} s ({version}).\n")
    print("| Request | n | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, count, p50, p95, worst in results:
        print(f"| {name} | {count} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
    print(f"\n`audit_verify` over {verified.checked:,} events: {verify_s:.1f} s.")


if __name__ == "__main__":
    main()
