"""A real browser: one customer with typed fields, live status; segments confirmed by typing
the event's label. Live server, sandbox over HTTP and a real task cluster."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from actito_admin.scenarios.models import TriggerRun
from tests.conftest import login_in_browser

from .helpers import recorded, sandbox_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIVE = 20_000


def test_a_marketer_sends_welcome_voucher_to_one_customer_and_watches_it_live(
    page, marketer, sandbox, task_cluster
):
    sandbox_unit(sandbox, calls_per_minute=6000)
    jane = sandbox.app.ecdp.customers[4]
    login_in_browser(page, marketer)
    page.goto("/scenarios/ecdp/")
    page.get_by_label("Event name").fill("welcome")
    link = page.locator("#ecdp-results").get_by_role("link", name="Welcome voucher")
    expect(link).to_be_visible(timeout=LIVE)
    expect(page.locator("#ecdp-results")).not_to_contain_text("Birthday greeting")
    link.click()

    page.get_by_label("Identify the customer by").select_option("email")
    page.get_by_label("Value", exact=True).fill(jane.email.upper())
    page.get_by_label("voucherCode (String) *").fill("WELCOME10")
    page.get_by_label("expiresAt (DateTime)").fill("2026-12-24T18:30:00")
    page.get_by_role("button", name="Look up").click()
    name = f"{jane.first_name} {jane.last_name} <{jane.email}>"
    expect(page.get_by_text(f"Send «Welcome voucher» to {name}?")).to_be_visible()
    page.get_by_role("button", name="Yes, send it").click()
    expect(page.locator(".run-status[data-status=succeeded]")).to_be_visible(timeout=LIVE)
    expect(page.locator(".run-status")).to_contain_text("ExpertSender CDP accepted")

    assert [(r["customerId"], r["dataFields"]) for r in recorded(sandbox)] == [
        (jane.id, {"voucherCode": "WELCOME10", "expiresAt": "2026-12-24T18:30:00"})
    ]
    assert page.problems == [], page.problems


def test_segments_are_sent_only_after_the_event_label_is_typed(
    page, marketer, sandbox, task_cluster
):
    unit = sandbox_unit(sandbox)
    login_in_browser(page, marketer)
    page.goto(f"/scenarios/ecdp/events/{unit.events.get(event_id=20).pk}/")
    page.get_by_role("button", name="Send to segments…").click()
    page.get_by_label("Luxembourg").check()
    page.get_by_label("Staff test group").check()
    page.get_by_role("button", name="Continue").click()
    warning = page.get_by_role("heading", name="Send «Event ticket» to every customer in these")
    expect(warning).to_be_visible()
    expect(page.locator("article.alert")).to_contain_text("Luxembourg")
    expect(page.locator("article.alert")).to_contain_text("Staff test group")

    page.get_by_label("Type the event's label to confirm").fill("Event")
    page.get_by_role("button", name="Send to these segments").click()
    expect(page.get_by_text("Type «Event ticket» exactly to confirm.")).to_be_visible()
    assert not TriggerRun.objects.exists() and recorded(sandbox) == []

    page.get_by_label("Type the event's label to confirm").fill("Event ticket")
    page.get_by_role("button", name="Send to these segments").click()
    expect(page.locator(".run-status[data-status=succeeded]")).to_be_visible(timeout=LIVE)
    members = sandbox.app.ecdp.segments[22].members | sandbox.app.ecdp.segments[30].members
    assert sorted(r["customerId"] for r in recorded(sandbox)) == sorted(members)
    # The refused label answers 422 (on purpose): the browser logs it; nothing else may appear.
    unexpected = [p for p in page.problems if "status of 422" not in p]
    assert unexpected == [], unexpected
