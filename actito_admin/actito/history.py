"""How many calls the console made to a licence, minute by minute, for the last 24 hours.

A counter per scope and minute in the cache (Redis in production, the database cache by default),
kept 25 hours. It is for people looking at a chart, so it is best-effort: a cache that is down
never stops a call.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from actito_admin.charts import Series, bar_chart

logger = logging.getLogger(__name__)

KEEP_SECONDS = 25 * 3600


def _key(scope: str, minute: int) -> str:
    return f"actito:calls:{scope}:{minute}"


def count_call(scope: str, at: float | None = None) -> None:
    minute = int((at if at is not None else time.time()) // 60)
    key = _key(scope, minute)
    try:
        cache.add(key, 0, timeout=KEEP_SECONDS)
        cache.incr(key)
    except Exception:  # a chart is not worth failing a call for
        logger.warning("could not count an ACTITO call for %s", scope, exc_info=True)


def calls_per_minute(scope: str, *, minutes: int = 24 * 60, now: float | None = None) -> list[int]:
    """Calls in each of the last `minutes` minutes, oldest first (the current minute last)."""
    current = int((now if now is not None else time.time()) // 60)
    keys = [_key(scope, m) for m in range(current - minutes + 1, current + 1)]
    found = cache.get_many(keys)
    return [int(found.get(key, 0)) for key in keys]


BUCKET_MINUTES = 15


def calls_chart(scope: str, limit: int, *, chart_id: str = "calls-per-minute") -> SafeString:
    """The busiest minute of each quarter hour over the last 24 hours, against the licence's
    limit: a glance says whether the console ran into it."""
    minutes = calls_per_minute(scope)
    now = timezone.localtime()
    start = now - timedelta(minutes=len(minutes) - 1)
    labels, values = [], []
    for first in range(0, len(minutes), BUCKET_MINUTES):
        labels.append((start + timedelta(minutes=first)).strftime("%H:%M"))
        values.append(max(minutes[first : first + BUCKET_MINUTES]))
    return bar_chart(
        chart_id=chart_id,
        title=_("ACTITO calls per minute, last 24 hours (busiest minute of each quarter hour)"),
        labels=labels,
        series=[Series(_("Busiest minute"), values)],
        unit=_("calls in a minute"),
        limit=limit,
        limit_label=_("limit %(limit)s/min") % {"limit": limit},
        label_every=16,
        empty_text=_("No call to ACTITO in the last 24 hours."),
    )
