"""Charts where people would rather look than read: ACTITO calls per minute (Settings, home),
imports per day and table, rows added/updated/refused. Server-drawn SVG, readable without
colour alone (patterns, legend with totals, the numbers as a table)."""

from __future__ import annotations

import re

import pytest

from actito_admin.actito.connection import get_connection
from actito_admin.actito.history import calls_per_minute, count_call
from tests.imports.web._web import (  # noqa: F401 - fixtures too
    choose_demodoc,
    fresh_cache,
    import_through,
    mapping_post,
    upload_dir,
    uploaded_job,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]


def test_each_admitted_call_is_counted_in_its_minute(sandbox):
    scope = get_connection().scope
    now = 1_800_000_000.0
    for _ in range(3):
        count_call(scope, at=now)
    count_call(scope, at=now - 60)
    assert calls_per_minute(scope, minutes=3, now=now) == [0, 1, 3]


def test_settings_and_home_chart_the_calls_against_the_limit(client_as_admin, sandbox):
    scope = get_connection().scope
    for _ in range(7):
        count_call(scope)
    for url in ("/settings/", "/"):
        page = client_as_admin.get(url).content.decode()
        assert "ACTITO calls per minute, last 24 hours" in page, url
        assert "limit 60/min" in page, f"{url}: the licence's limit is not drawn"
        assert re.search(r"<title>[0-9:]+: 7 calls in a minute</title>", page), url
        assert "Busiest minute: <strong>7</strong>" in page, f"{url}: no legend with the total"


def test_the_imports_page_charts_imports_and_rows_per_day(client_as_marketer, sandbox, settings):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    data = b"email;name\r\nzoe@example.com;Zoe\r\nnot-an-email;Bad\r\n"
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "a.csv", data))
    import_through(client_as_marketer, job, mapping_post(job, leave_out_invalid=""))
    page = client_as_marketer.get("/imports/").content.decode()
    assert "Imports sent per day and table, last 30 days" in page
    assert "demodoc: <strong>1</strong>" in page, "the legend names the table with its total"
    assert "Added: <strong>1</strong>" in page and "Refused: <strong>1</strong>" in page
    assert 'fill="url(#rows-per-day-stripes)"' in page, "series differ by pattern, not colour only"
    assert "The numbers" in page, "the chart's numbers must be readable as text"


def test_an_empty_chart_says_so_in_words(client_as_marketer):
    page = client_as_marketer.get("/imports/").content.decode()
    assert "No import was sent in the last 30 days." in page
