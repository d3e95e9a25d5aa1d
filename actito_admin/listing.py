"""What every list page shares: one date-range form and one pager (audit, history, imports).

Each list's own filters are a QuerySet `filtered(**form.filters())` method next to its model;
the form subclasses DateRangeForm, whose `since`/`until` those methods take.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from actito_admin.dates import EARLIEST, LATEST, FilterDateField

StrOrPromise = str | Promise  # a translated text, looked up when shown
# The browser's date picker offers only the days FilterDateField accepts.
_DAY_INPUT = {"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


class DateRangeForm(forms.Form):
    """From/To days, both inclusive, in the viewer's time zone (the times shown on screen)."""

    date_from = FilterDateField(label=_("From"), widget=forms.DateInput(attrs=_DAY_INPUT))
    date_to = FilterDateField(label=_("To"), widget=forms.DateInput(attrs=_DAY_INPUT))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def date_range(self) -> dict[str, dt.datetime | None]:
        """`since` (inclusive) and `until` (exclusive) for a QuerySet's `filtered()`."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return {
            "since": _start_of_day(start) if start else None,
            # "To" is inclusive for people: everything up to the end of that day.
            "until": _start_of_day(end + dt.timedelta(days=1)) if end else None,
        }


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Pager:
    """What components/_pager.html shows: links to newer and older results, where we are."""

    newer_url: str | None = None
    older_url: str | None = None
    position: str = ""
    newer_text: StrOrPromise = _("← Newer")
    older_text: StrOrPromise = _("Older →")


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string without `names` (the page being shown), for pager links."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def with_query(query: str, **params: Any) -> str:
    """`?query&params` (params with a value only)."""
    extra = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return "?" + "&".join(part for part in (query, extra) if part)


def numbered_page(request: HttpRequest, items: QuerySet[Any], per_page: int) -> tuple[Page, Pager]:
    """One page of `items` by the `page` parameter (out of range: the nearest page)."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = query_without(request, "page")
    pager = Pager(
        newer_url=with_query(query, page=page.previous_page_number())
        if page.has_previous()
        else None,
        older_url=with_query(query, page=page.next_page_number()) if page.has_next() else None,
        position=str(_("Page %(number)s of %(count)s"))
        % {"number": page.number, "count": page.paginator.num_pages}
        if page.has_other_pages()
        else "",
    )
    return page, pager
