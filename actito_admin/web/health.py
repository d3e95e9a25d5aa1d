"""Health of the parts an operator cares about: the database and the task queue."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection


def database_health() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; say which
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def task_queue_health() -> dict[str, Any]:
    from django_q.brokers import get_broker
    from django_q.status import Stat

    broker_name = "redis" if settings.REDIS_URL else "orm"
    try:
        broker = get_broker()
        broker.ping()
        queued = broker.queue_size()
    except Exception as exc:
        return {"ok": False, "broker": broker_name, "error": type(exc).__name__}
    try:
        clusters = [stat for stat in Stat.get_all(broker=broker) if stat.status != "Stopped"]
    except Exception:
        clusters = []
    return {
        "ok": True,
        "broker": broker_name,
        "queued": queued,
        "workers_running": len(clusters) > 0,
        "clusters": len(clusters),
    }
