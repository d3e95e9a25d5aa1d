"""The three list pages (and the audit export) share one date-range form (listing.DateRangeForm):
any day a person can type gets an answer in words, never a server error; see also
test_extreme_dates.py (issue 16: 0001-01-01, 9999-12-31)."""

from __future__ import annotations

import datetime as dt

import pytest

from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event
from actito_admin.listing import DateRangeForm

PAGES = ["/scenarios/history/", "/imports/", "/audit/"]
FAR = [
    {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
]


@pytest.mark.parametrize("url", PAGES)
def test_the_same_answer_when_only_the_results_are_swapped(client_as_admin, url):
    target = {"/scenarios/history/": "history-results", "/imports/": "import-jobs"}
    response = client_as_admin.get(
        url,
        {"date_to": "9999-12-31"},
        headers={"HX-Request": "true", "HX-Target": target.get(url, "audit-results")},
    )
    assert response.status_code == 200
    assert "Choose a date between 2000-01-01 and 2100-12-31" in response.content.decode()


@pytest.mark.parametrize("dates", FAR, ids=lambda d: "+".join(d.values()))
def test_the_audit_export_refuses_a_far_day_in_words(client_as_admin, dates):
    response = client_as_admin.get("/audit/export.csv", dates)
    assert response.status_code == 400
    assert "Choose a date between 2000-01-01 and 2100-12-31" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_first_and_last_days_offered_still_filter(client_as_admin, admin_user):
    record_event(actor=admin_user, action="auth.login")
    wide = client_as_admin.get("/audit/", {"date_from": "2000-01-01", "date_to": "2099-12-31"})
    assert wide.status_code == 200 and "ada logged in" in wide.content.decode()
    future = client_as_admin.get("/audit/", {"date_from": "2099-12-31"})
    assert "ada logged in" not in future.content.decode()


def test_to_is_inclusive_and_before_from_is_refused():
    form = DateRangeForm({"date_from": "2026-12-03", "date_to": "2026-12-03"})
    assert form.is_valid()
    bounds = form.date_range()
    assert bounds["until"] - bounds["since"] == dt.timedelta(days=1)
    backwards = DateRangeForm({"date_from": "2026-12-04", "date_to": "2026-12-03"})
    assert not backwards.is_valid()
    assert backwards.errors["date_to"] == ["The end date is before the start date."]
