"""Dates far outside any real range in the review filters get a message, never a server error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

EXTREMES = [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"},
            {"date_from": "0001-01-01", "date_to": "9999-12-31"}]  # fmt: skip


@pytest.mark.parametrize("dates", EXTREMES)
@pytest.mark.parametrize("url", ["/audit/", "/scenarios/history/", "/imports/"])
def test_extreme_dates_in_a_filter_are_refused_in_plain_words(client_as_admin, url, dates):
    response = client_as_admin.get(url, dates)
    assert response.status_code in (200, 422), f"{url} {dates}: {response.status_code}"
    assert "Choose a date between 2000-01-01 and 2100-12-31" in response.content.decode()


@pytest.mark.parametrize("dates", EXTREMES)
def test_an_audit_export_with_extreme_dates_is_not_a_server_error(client_as_admin, dates):
    response = client_as_admin.get("/audit/export.csv", dates)
    assert response.status_code < 500, response.status_code
