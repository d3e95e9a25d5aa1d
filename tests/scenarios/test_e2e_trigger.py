"""End to end: a real browser, the live server, the sandbox over HTTP and a real task cluster."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from actito_admin.scenarios.models import TriggerRun
from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 20_000  # ms a live update may take (cluster poll 0.5 s + page poll 1 s, with margin)


def _open_doc_scenario(page) -> None:
    page.goto("/scenarios/")
    page.get_by_label("Profile table").select_option("demodoc")
    page.get_by_label("Scenario name").fill("Doc")
    link = page.locator("#scenario-results").get_by_role("link", name="DocScenarioAPI")
    expect(link).to_be_visible(timeout=LIVE)
    expect(page.locator("#scenario-results")).to_contain_text("11160")
    link.click()
    expect(page.get_by_role("heading", name="DocScenarioAPI", level=1)).to_be_visible()


def _start_for(page, attribute: str, value: str, who: str) -> str:
    page.get_by_label("Identify the profile by").select_option(attribute)
    page.get_by_label("Value", exact=True).fill(value)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text(f"Start «DocScenarioAPI» for {who}?")).to_be_visible()
    page.get_by_role("button", name="Yes, start it").click()
    done = page.locator(".run-status[data-status=succeeded]")
    expect(done).to_be_visible(timeout=LIVE)
    return page.locator("code.ibk").inner_text()


def test_a_marketer_finds_doc_and_starts_it_for_profile_147471_live(
    page, marketer, sandbox, task_cluster, connection_limits
):
    login_in_browser(page, marketer)
    _open_doc_scenario(page)
    key = _start_for(page, "profileId", "147471", "Sophie Dubois <sophie.dubois@example.com>")
    recent = page.locator("#recent-runs")
    expect(
        recent.locator(".run-succeeded"), "the page's list of starts shows the new one"
    ).to_be_visible(timeout=LIVE)
    expect(recent).to_contain_text("Sophie Dubois")

    triggers = sandbox.app.stats()["triggers"]
    assert [(t["scenario_id"], str(t["profile_id"])) for t in triggers] == [(11160, "147471")]
    assert triggers[0]["interactionBusinessKey"] == key
    assert page.problems == [], page.problems


def test_a_marketer_starts_doc_for_an_email_address_and_the_audit_log_says_so(
    page, marketer, sandbox, task_cluster, connection_limits
):
    login_in_browser(page, marketer)
    _open_doc_scenario(page)
    who = "Sophie Dubois <sophie.dubois@example.com>"
    key = _start_for(page, "emailAddress", "Sophie.Dubois@example.com", who)

    run = TriggerRun.objects.get()
    assert run.item.reference == "emailAddress=sophie.dubois@example.com"
    assert run.item.interaction_business_key == key
    page.goto("/audit/")
    expect(page.get_by_text("mark started «DocScenarioAPI» for " + who)).to_be_visible()
    assert len(sandbox.app.stats()["triggers"]) == 1


def test_an_unknown_profile_is_said_plainly_and_cannot_be_started(
    page, marketer, sandbox, task_cluster, connection_limits
):
    login_in_browser(page, marketer)
    _open_doc_scenario(page)
    page.get_by_label("Identify the profile by").select_option("emailAddress")
    page.get_by_label("Value", exact=True).fill("nobody@example.com")
    page.get_by_role("button", name="Look up").click()
    expect(
        page.get_by_text("There is no profile with emailAddress=nobody@example.com")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Yes, start it")).to_have_count(0)


def test_a_list_of_50_finishes_with_a_correct_outcome_csv(
    page, marketer, sandbox, task_cluster, connection_limits
):
    # 49 customers, one unknown customer, a duplicate and a line with two values.
    refs = [f"C{n:06d}" for n in range(1, 50)] + ["C999999"]
    lines = ["customerId", *refs, refs[0], "C000001,C000002"]
    login_in_browser(page, marketer)
    page.goto("/scenarios/?table=customers&q=welcome&filtered=1&only_triggerable=on")
    page.locator("#scenario-results").get_by_role("link", name="Welcome e-mail").click()
    page.get_by_role("button", name="Start for a list…").click()
    page.get_by_label("The references are").select_option("customerId")
    page.get_by_label("Paste references (one per line)").fill("\n".join(lines))
    page.get_by_role("button", name="Check the list").click()
    expect(page.get_by_text("50 different profiles")).to_be_visible()
    expect(page.get_by_text("1 duplicate line")).to_be_visible()
    expect(page.get_by_text("1 invalid line")).to_be_visible()
    page.get_by_role("button", name="Yes, start «Welcome e-mail» for 50 profiles").click()
    expect(page.locator(".run-status[data-status=finished]")).to_be_visible(timeout=LIVE)
    expect(page.locator(".run-counts")).to_contain_text("49 started")
    expect(page.locator(".run-counts")).to_contain_text("1 failed")
    expect(page.locator("progress")).to_have_attribute("value", "50")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download every reference with its outcome (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert [row["reference"] for row in rows] == [f"customerId={r}" for r in refs]
    unknown = rows[-1]
    assert (unknown["outcome"], unknown["actito_status"]) == ("failed", "404")
    triggers = sandbox.app.stats()["triggers"]
    assert len(triggers) == len({t["profile_id"] for t in triggers}) == 49, "each one once"
    keys = {t["interactionBusinessKey"] for t in triggers}
    assert {row["interactionBusinessKey"] for row in rows[:-1]} == keys
    assert all(row["outcome"] == "succeeded" for row in rows[:-1])
    assert page.problems == [], page.problems
