"""A real browser filters the audit log over htmx and downloads the filtered export."""

from __future__ import annotations

import csv
import io

import pytest

from actito_admin.audit.services import record_event
from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_filters_the_log_and_exports_what_they_see(page, admin_user, marketer):
    record_event(
        actor=marketer,
        action="scenario.trigger.performed",
        target=("scenarios.triggerrun", "77"),
        data={"scenario_name": "Welcome", "profile_label": "john.smith@example.com"},
    )
    record_event(
        actor=marketer,
        action="scenario.trigger.performed",
        data={"scenario_name": "Birthday", "profile_label": "jane@example.com"},
    )
    record_event(actor=None, actor_username="ghost", action="auth.login_failed", outcome="failure")

    login_in_browser(page, admin_user)
    page.goto("/audit/")
    results = page.locator("#audit-results")
    assert results.get_by_text("Failed log-in as «ghost»").is_visible()

    page.get_by_label("Action").select_option("scenario.trigger.performed")
    page.wait_for_url("**/audit/?*action=scenario.trigger.performed*")
    results.get_by_text("Failed log-in").wait_for(state="detached")
    assert results.get_by_text("mark started «Birthday» for jane@example.com").is_visible()

    page.get_by_label("Search").fill("john.smith")  # debounced, no button press
    page.wait_for_url("**q=john.smith*")
    results.get_by_text("«Birthday»").wait_for(state="detached")
    assert results.get_by_text("mark started «Welcome» for john.smith@example.com").is_visible()

    with page.expect_download() as download_info:
        results.get_by_role("link", name="CSV", exact=True).click()
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [row["description"] for row in rows] == [
        "mark started «Welcome» for john.smith@example.com"
    ]

    # The shared address reproduces the same view after a reload.
    page.reload()
    assert page.get_by_label("Search").input_value() == "john.smith"
    assert page.locator("#audit-results tbody tr").count() == 1
    assert page.problems == [], f"the page reported errors (CSP?): {page.problems}"


def test_bad_dates_in_the_browser_show_a_message(page, viewer):
    login_in_browser(page, viewer)
    page.goto("/audit/?date_from=2026-02-30")
    assert page.get_by_role("alert").get_by_text("Enter a valid date").is_visible()
    assert page.problems == []
