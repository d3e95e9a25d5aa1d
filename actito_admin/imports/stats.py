"""Imports over time, for the charts on the imports page: per day and table, and rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from actito_admin.charts import Series, bar_chart

from .models import ImportJob

DAYS = 30
TABLE_SERIES = 3  # the busiest tables get their own pattern; the rest are "other tables"


def _days(days: int) -> list[date]:
    today = timezone.localdate()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def import_charts(days: int = DAYS) -> dict[str, SafeString]:
    """Imports sent per day and table, and rows added/updated/refused per day, last `days`."""
    span = _days(days)
    since = timezone.make_aware(datetime.combine(span[0], time.min))
    jobs = ImportJob.objects.filter(sent_at__gte=since).values_list(
        "sent_at", "table_name", "counts"
    )
    per_table: dict[str, Counter[date]] = defaultdict(Counter)
    rows: dict[str, Counter[date]] = {
        "inserted": Counter(),
        "updated": Counter(),
        "errors": Counter(),
    }
    for sent_at, table, counts in jobs.iterator():
        day = timezone.localdate(sent_at)
        per_table[table or "?"][day] += 1
        for key, counter in rows.items():
            counter[day] += int((counts or {}).get(key) or 0)
    busiest = sorted(per_table, key=lambda t: -sum(per_table[t].values()))
    series = [Series(t, [per_table[t][d] for d in span]) for t in busiest[:TABLE_SERIES]]
    rest = busiest[TABLE_SERIES:]
    if rest:
        series.append(Series(_("Other tables"), [sum(per_table[t][d] for t in rest) for d in span]))
    labels = [d.strftime("%d/%m") for d in span]
    return {
        "imports_chart": bar_chart(
            chart_id="imports-per-day",
            title=_("Imports sent per day and table, last %(days)s days") % {"days": days},
            labels=labels,
            series=series or [Series(_("Imports"), [0] * len(span))],
            unit=_("imports"),
            label_every=5,
            empty_text=_("No import was sent in the last %(days)s days.") % {"days": days},
        ),
        "rows_chart": bar_chart(
            chart_id="rows-per-day",
            title=_("Rows per day: added, updated, refused by ACTITO"),
            labels=labels,
            series=[
                Series(_("Added"), [rows["inserted"][d] for d in span]),
                Series(_("Updated"), [rows["updated"][d] for d in span]),
                Series(_("Refused"), [rows["errors"][d] for d in span]),
            ],
            unit=_("rows"),
            label_every=5,
            empty_text=_("No rows reached ACTITO in the last %(days)s days.") % {"days": days},
        ),
    }
