"""Live status for a whole team: N browsers polling status fragments once a second.

    .venv/bin/python bench/poll_bench.py                       # 50, 100, 200, 300, 400 browsers
    .venv/bin/python bench/poll_bench.py --browsers 200 --seconds 30

The bench starts its own production-shaped stack on this machine and stops it when done:
PostgreSQL (database `actito_admin_pollbench`, dropped and created anew), Redis (database 13,
flushed), and gunicorn (3 sync workers, the README's production line) on a free loopback port.
It seeds marketers with one session each, live list runs (50 of 101 done, still running) and
imports in progress at ACTITO, then simulates browsers as htmx does: `HX-Request`, the session
cookie, `If-None-Match` with the last ETag the server gave, one poll per second (the fastest the
page ever polls; the adaptive slow-down is left out so the figures are the worst case).
Nothing changes while the bench runs, which is the case the issue targets: an open page
watching a run that is waiting or an import ACTITO is working on.

The load generator (asyncio, plain HTTP/1.1) runs on the same 2 cores as the stack. Latency is from
the moment a request is written to the moment its answer is read; a browser whose poll
is late because the generator itself lagged is counted in `late starts`.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = "actito_admin_pollbench"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/13"


def stack_env() -> dict[str, str]:
    return {
        **os.environ,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "false",
        "STATIC_MANIFEST": "false",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS,
        "Q_CLUSTER_NAME": "actito_admin_pollbench",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "actito_admin.settings",
    }


def fresh_database() -> None:
    import psycopg

    admin = psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    admin.close()
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)


SEED = r"""
import json, sys, uuid
from datetime import timedelta
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.utils import timezone
from actito_admin.imports.models import ImportJob
from actito_admin.scenarios.models import TriggerItem, TriggerRun

browsers, runs, imports = (int(v) for v in sys.argv[1:4])
marketers = Group.objects.get(name="Marketer")
users = []
for n in range(20):
    user = User.objects.create_user(f"marketer{n:02d}", password=uuid.uuid4().hex)
    user.groups.add(marketers)
    users.append(user)
now = timezone.now()
run_ids = []
for n in range(runs):
    run = TriggerRun.objects.create(
        kind="list", status="running", table="customers", scenario_actito_id="11160",
        scenario_name="Welcome", total=101, requested_by=users[n % len(users)],
        queued_at=now, started_at=now, heartbeat_at=now,
    )
    TriggerItem.objects.bulk_create(
        TriggerItem(run=run, position=i, reference=str(147000 + i),
                    status="succeeded" if i < 50 else "pending")
        for i in range(101)
    )
    run_ids.append(run.pk)
import_ids = []
for n in range(imports):
    job = ImportJob.objects.create(
        status="in_progress", requested_by=users[n % len(users)], original_name=f"contacts_{n}.csv",
        stored_name=uuid.uuid4().hex, table_name="customers", execution_id=str(9000 + n),
        actito_status="IN_PROGRESS", sent_at=now, submitted_at=now, size_bytes=123456,
    )
    import_ids.append(job.pk)
engine = import_module(settings.SESSION_ENGINE)
cookies = []
for n in range(browsers):
    user = users[n % len(users)]
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    cookies.append(session.session_key)
urls = [f"/scenarios/runs/{pk}/status/" for pk in run_ids]
urls += [f"/imports/{pk}/status/" for pk in import_ids]
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "sessions": cookies, "urls": urls}))
"""


# Django's own cost of one unchanged poll, in-process (no HTTP server, no load generator): CPU
# time and SQL queries per poll, over every status URL in turn.
DJANGO_COST = r"""
import json, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

plan, polls = json.loads(sys.argv[1]), int(sys.argv[2])
client = Client(HTTP_HX_REQUEST="true", SERVER_NAME="localhost")
client.cookies[plan["cookie"]] = plan["sessions"][0]
etags = {}
for url in plan["urls"]:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    etags[url] = answer["ETag"]
urls = [plan["urls"][n % len(plan["urls"])] for n in range(polls)]
for url in urls[:50]:  # warm: compiled queries, caches, the process's permission cache
    client.get(url, HTTP_IF_NONE_MATCH=etags[url])
with CaptureQueriesContext(connection) as queries:
    started = time.process_time()
    for url in urls:
        answer = client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert answer.status_code == 304, (url, answer.status_code)
    cpu = time.process_time() - started
print(json.dumps({"cpu_ms": 1000 * cpu / polls, "queries": len(queries) / polls}))
"""


def django_cost(plan: dict, polls: int) -> dict:
    one = {"cookie": plan["cookie"], "sessions": plan["sessions"][:1], "urls": plan["urls"]}
    out = subprocess.run(
        [PY, "-c", DJANGO_COST, json.dumps(one), str(polls)],
        cwd=ROOT,
        env=stack_env(),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"the in-process sample failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def seed(browsers: int, runs: int, imports: int) -> dict:
    env = stack_env()
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PY, "-c", SEED, str(browsers), str(runs), str(imports)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "actito_admin.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=stack_env(),
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


async def poll_once(port: int, request: bytes) -> tuple[int, str]:
    """One HTTP/1.1 GET on a new connection (gunicorn's sync workers close it after each
    answer). Hand-written: an HTTP client library costs more CPU per request than the poll
    it measures, on the same two cores."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", "0"))
        if length:
            await reader.readexactly(length)
        return status, headers.get("ETag", "")
    finally:
        writer.close()


async def browser(
    port: int, url: str, cookie: tuple[str, str], until: float, warm_until: float, out: dict
) -> None:
    etag = ""
    await asyncio.sleep(random.random())  # browsers opened their pages at different moments
    next_at = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= until:
            return
        if now - next_at > 0.2:
            out["late"] += 1
        request = (
            f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nHX-Request: true\r\n"
            f"HX-Current-URL: http://127.0.0.1/\r\nCookie: {cookie[0]}={cookie[1]}\r\n"
            + (f"If-None-Match: {etag}\r\n" if etag else "")
            + "Connection: close\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        try:
            status, tag = await asyncio.wait_for(poll_once(port, request), timeout=10)
            elapsed = time.perf_counter() - started
            if status not in (200, 204, 304):
                out["errors"] += 1
            etag = tag or etag
            if now >= warm_until:
                out["latencies"].append(elapsed)
                out["codes"][status] = out["codes"].get(status, 0) + 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            out["errors"] += 1
        next_at += 1.0
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def load(port: int, plan: dict, count: int, seconds: float, warmup: float) -> dict:
    out: dict = {"latencies": [], "errors": 0, "late": 0, "codes": {}}
    start = time.monotonic()
    until, warm_until = start + warmup + seconds, start + warmup
    tasks = [
        browser(
            port,
            plan["urls"][n % len(plan["urls"])],
            (plan["cookie"], plan["sessions"][n]),
            until,
            warm_until,
            out,
        )
        for n in range(count)
    ]
    await asyncio.gather(*tasks)
    return out


def stack_cpu_seconds(master: int) -> float:
    """CPU time of the gunicorn master and its workers so far."""
    clock = os.sysconf("SC_CLK_TCK")
    pids = [master]
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / clock


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", default="50,100,200,300,400")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--imports", type=int, default=50)
    parser.add_argument("--django-polls", type=int, default=500, help="in-process cost sample")
    args = parser.parse_args()
    levels = [int(v) for v in args.browsers.split(",")]

    fresh_database()
    plan = seed(max(levels), args.runs, args.imports)
    cost = django_cost(plan, args.django_polls)
    port = free_port()
    server = start_gunicorn(port, args.workers)
    rows = []
    try:
        for count in levels:
            cpu_before = stack_cpu_seconds(server.pid)
            out = asyncio.run(load(port, plan, count, args.seconds, args.warmup))
            cpu = stack_cpu_seconds(server.pid) - cpu_before
            lat = [v * 1000 for v in out["latencies"]]
            # CPU per poll over the whole level, warm-up polls included.
            polls_made = len(lat) * (args.seconds + args.warmup) / args.seconds
            rows.append(
                {
                    "browsers": count,
                    "polls": len(lat),
                    "rate": len(lat) / args.seconds,
                    "p50": statistics.median(lat) if lat else float("nan"),
                    "p95": percentile(lat, 95),
                    "p99": percentile(lat, 99),
                    "errors": out["errors"],
                    "late": out["late"],
                    "codes": out["codes"],
                    "cpu_ms": 1000 * cpu / polls_made if polls_made else float("nan"),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    print(f"gunicorn {args.workers} workers · PostgreSQL + Redis · {args.seconds:.0f} s per level")
    print()
    print(
        "| browsers | polls/s | p50 ms | p95 ms | p99 ms | web CPU ms/poll | errors "
        "| late starts | answers |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(r["codes"].items()))
        print(
            f"| {r['browsers']} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['p99']:.1f} | {r['cpu_ms']:.2f} | {r['errors']} | {r['late']} | {codes} |"
        )
    meets = [r["browsers"] for r in rows if r["p95"] < 100 and r["errors"] == 0]
    print()
    print(f"Highest N with p95 < 100 ms and no error: {max(meets) if meets else 'none'}")
    print(
        f"Django alone, per unchanged poll (in-process, {args.django_polls} polls): "
        f"{cost['cpu_ms']:.2f} ms of CPU, {cost['queries']:.1f} SQL queries"
    )


if __name__ == "__main__":
    main()
