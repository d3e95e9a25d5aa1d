"""A separate OS process that hammers the governor (run by test_governor_processes.py).

    python -m tests.actito._governor_worker '<json options>'

Prints one JSON line per admitted call: {"admitted": t, "start": t, "end": t}: the governor's own
admission time (its shared clock), then time.time() inside the slot.
Mode "hold" takes one slot, prints "held" and sleeps until killed. Mode "reserve" tries to
reserve the table's daily imports `attempts` times and prints each slot it got.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    options = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actito_admin.settings")
    os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
    os.environ["REDIS_URL"] = ""
    from django.conf import settings

    if options.get("database_url"):
        # The PostgreSQL test database: the advisory-lock path of DatabaseBackend.
        import dj_database_url

        settings.DATABASES["default"] = dj_database_url.parse(options["database_url"])
    else:
        # The shared SQLite file, with the options of settings.py, before any connection opens.
        settings.DATABASES["default"] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": options["db"],
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=30000;",
            },
        }
    import django

    django.setup()
    from actito_admin.actito.errors import GovernorBusy
    from actito_admin.actito.governor import DatabaseBackend, Governor, Limits, RedisBackend

    backend = (
        RedisBackend(options["redis_url"], prefix=options["prefix"])
        if options.get("redis_url")
        else DatabaseBackend()
    )
    governor = Governor(
        scope=options["scope"],
        limits=Limits(
            calls_per_minute=options["limit"],
            max_in_flight=options["in_flight"],
            daily_imports_per_table=options.get("daily_imports", 12),
            window_seconds=options["window"],
            margin_seconds=options.get("margin", 0.05),
        ),
        backend=backend,
        max_wait_seconds=options.get("max_wait", 30),
        poll_seconds=0.01,
    )
    if options.get("mode") == "reserve":
        # Race the other processes for the table's daily imports; print each one obtained.
        from actito_admin.actito.errors import ImportQuotaExceeded

        for _ in range(options["attempts"]):
            try:
                slot = governor.reserve_import(options["table"], table_name="demodoc")
            except ImportQuotaExceeded:
                print("refused", flush=True)
            else:
                print(json.dumps({"slot": slot.id}), flush=True)
        return
    if options.get("mode") == "hold":
        governor.acquire(lease_seconds=options["lease"])
        print("held", flush=True)
        time.sleep(3600)
        return
    deadline = time.time() + options["duration"]
    while time.time() < deadline:
        try:
            with governor.slot(
                lease_seconds=options["lease"], max_wait=deadline - time.time()
            ) as lease:
                start = time.time()
                time.sleep(options["hold"])
                end = time.time()
                print(
                    json.dumps({"admitted": lease.admitted_at, "start": start, "end": end}),
                    flush=True,
                )
        except GovernorBusy:
            break


if __name__ == "__main__":
    main()
