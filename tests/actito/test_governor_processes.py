"""The governor across several OS processes, on the SQLite test file and on Redis.

Small windows keep these quick; the limits are the same code path as 60/min in production.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from actito_admin.actito.errors import GovernorBusy
from actito_admin.actito.governor import DatabaseBackend, Governor, Limits, RedisBackend
from actito_admin.actito.models import GovernorCall, GovernorLease, ImportReservation

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def _suite_on_postgresql() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


BACKENDS = [
    "db",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(not _redis_available(), reason=f"no Redis at {REDIS_URL}"),
    ),
    # CI's second pass runs the suite on PostgreSQL; there the processes share its test database
    # (the django_db mark makes pytest-django create it even when this module runs alone).
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.django_db,
            pytest.mark.skipif(
                not _suite_on_postgresql(), reason="suite on SQLite; CI's PostgreSQL pass runs it"
            ),
        ],
    ),
]


# The SQLite options of settings.py (WAL, IMMEDIATE transactions, busy timeout), here too so
# that the test behaves the same when the suite itself runs on PostgreSQL.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
    "PRAGMA busy_timeout=30000;",
}
ALIAS = "governor_processes"


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory, django_db_setup, django_db_blocker) -> Iterator[str]:
    """A SQLite file of its own holding only the governor's tables, shared by the processes.

    Not the pytest test database: `db` would hold SQLite's write lock for the whole test, and
    `transactional_db` flushes every table, which the audit trigger refuses on PostgreSQL.
    After django_db_setup, so that pytest-django never tries to set this alias up as well.
    """
    path = str(tmp_path_factory.mktemp("governor") / "governor.sqlite3")
    connections.settings[ALIAS] = {
        **connections.settings["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": SQLITE_OPTIONS,
        "TEST": {"NAME": path},
    }
    with django_db_blocker.unblock():
        with connections[ALIAS].schema_editor() as editor:
            for model in (GovernorCall, GovernorLease, ImportReservation):
                editor.create_model(model)
        yield path
        connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


@pytest.fixture
def unblocked(django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


def _options(backend: str, sqlite_path: str, **extra) -> dict:
    options = {
        "db": sqlite_path,
        "scope": f"proc-{uuid.uuid4().hex[:8]}",
        "lease": 5.0,
        "margin": 0.1,
        **extra,
    }
    if backend == "redis":
        options["redis_url"] = REDIS_URL
        options["prefix"] = f"test-gov-{uuid.uuid4().hex[:8]}"
    if backend == "postgresql":
        options["database_url"] = _test_database_url()
    return options


def _test_database_url() -> str:
    from tests.e2e import database_url

    return database_url()


def _spawn(options: dict) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.actito._governor_worker", json.dumps(options)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_workers(options: dict, workers: int) -> list[dict]:
    procs = [_spawn(options) for _ in range(workers)]
    calls = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"a worker crashed: {err[-2000:]}"
        assert "database is locked" not in err, "SQLite writers must queue, not fail"
        calls += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return calls


def _max_in_any_window(starts: list[float], window: float) -> int:
    starts = sorted(starts)
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _max_overlap(calls: list[dict]) -> int:
    events = sorted(
        [(c["start"], 1) for c in calls] + [(c["end"], -1) for c in calls],
        key=lambda e: (e[0], e[1]),
    )
    current = best = 0
    for _, delta in events:
        current += delta
        best = max(best, current)
    return best


@pytest.mark.parametrize("backend", BACKENDS)
def test_four_processes_never_exceed_the_calls_per_window_and_keep_the_pace(
    sqlite_file, unblocked, backend
):
    window, limit, duration = 1.0, 10, 3.5
    options = _options(
        backend, sqlite_file, limit=limit, in_flight=5, window=window, hold=0.01, duration=duration
    )
    calls = _run_workers(options, workers=4)
    # Counted on the governor's own admission times: a worker's note of its start can lag on a
    # loaded machine, which would test the scheduler rather than the governor. The governor
    # promises no more than `limit` calls in any window widened by its margin.
    admitted = [c["admitted"] for c in calls]
    assert all(admitted), "every lease says when it was admitted"
    measured = window + options["margin"]
    busiest = _max_in_any_window(admitted, measured)
    assert busiest <= limit, f"{busiest} calls admitted in one {measured}s window, limit {limit}"
    assert busiest == limit, "under backlog the limit must be reached"
    full_windows = int(duration // (window + options["margin"]))
    assert len(calls) >= 0.95 * limit * full_windows, f"only {len(calls)} calls admitted"


@pytest.mark.parametrize("backend", BACKENDS)
def test_five_processes_never_have_more_requests_in_flight_than_allowed(
    sqlite_file, unblocked, backend
):
    options = _options(
        backend, sqlite_file, limit=10_000, in_flight=3, window=60, hold=0.05, duration=2.0
    )
    calls = _run_workers(options, workers=5)
    overlap = _max_overlap(calls)
    assert overlap <= 3, f"{overlap} requests were in flight at once, limit 3"
    assert overlap == 3, "with five busy processes all three slots must get used"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_slot_of_a_killed_process_comes_back_when_its_lease_expires(
    sqlite_file, unblocked, backend
):
    options = _options(
        backend, sqlite_file, limit=100, in_flight=1, window=60, mode="hold", lease=1.5
    )
    holder = _spawn(options)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()[-2000:]
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    if backend == "redis":
        backend_obj = RedisBackend(REDIS_URL, prefix=options["prefix"])
    else:
        backend_obj = DatabaseBackend(using="default" if backend == "postgresql" else ALIAS)
    governor = Governor(
        scope=options["scope"],
        limits=Limits(calls_per_minute=100, max_in_flight=1),
        backend=backend_obj,
        poll_seconds=0.02,
    )
    with pytest.raises(GovernorBusy):
        governor.acquire(lease_seconds=5, max_wait=0.0)
    started = time.monotonic()
    governor.release(governor.acquire(lease_seconds=5, max_wait=5.0))
    assert time.monotonic() - started < 2.0, "the dead process's slot must come back"


@pytest.mark.parametrize("backend", BACKENDS)
def test_six_processes_racing_for_imports_get_exactly_the_daily_quota_between_them(
    sqlite_file, unblocked, backend
):
    options = _options(
        backend, sqlite_file, limit=100, in_flight=5, window=60, mode="reserve", attempts=4
    )
    options |= {"table": f"t-{uuid.uuid4().hex[:6]}", "daily_imports": 12}
    procs = [_spawn(options) for _ in range(6)]
    slots, refused = [], 0
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"a worker crashed: {err[-2000:]}"
        slots += [json.loads(line)["slot"] for line in out.splitlines() if line.startswith("{")]
        refused += out.count("refused")
    assert len(slots) == 12, f"{len(slots)} imports reserved for one table, the day allows 12"
    assert len(set(slots)) == 12, "two processes were handed the same reservation"
    assert refused == 6 * 4 - 12
