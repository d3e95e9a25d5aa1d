"""Faults injected in the sandbox while a real cluster works: the statuses tell the truth and no
profile is ever triggered twice."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from playwright.sync_api import expect

from actito_admin.actito.connection import get_connection
from actito_admin.scenarios import services
from actito_admin.scenarios.models import ProfileTable, Scenario, TriggerRun
from actito_admin.scenarios.references import parse_reference_list
from tests.conftest import login_in_browser
from tests.e2e import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
TRIGGERS = r"/scenario/[^/]+/profile/"


def _welcome() -> Scenario:
    return Scenario.objects.create(
        scope=get_connection().scope,
        table="customers",
        actito_id="0",
        name="placeholder",
        is_active=True,
        is_start_event_triggered=True,
    )


@pytest.fixture
def welcome(sandbox) -> Scenario:
    scenario = _welcome()
    [found] = [s for s in sandbox.app._scenarios if s.display_name == "Welcome e-mail"]
    Scenario.objects.filter(pk=scenario.pk).update(actito_id=str(found.id), name=found.name)
    scenario.refresh_from_db()
    return scenario


def _start_list(marketer, scenario: Scenario, count: int) -> TriggerRun:
    text = "\n".join(f"C{n:06d}" for n in range(1, count + 1))
    run = services.trigger_list_prepare(
        actor=marketer,
        scenario=scenario,
        reference_kind="customerId",
        parsed=parse_reference_list(text, "customerId"),
        idempotency_key=uuid.uuid4(),
    )
    return services.trigger_list_confirm(actor=marketer, run=run)


def _finished(run: TriggerRun, timeout: float = 40) -> TriggerRun:
    def done() -> bool:
        run.refresh_from_db()
        return run.is_finished

    wait_for(done, timeout=timeout, every=0.25)
    return run


def _check_truth(run: TriggerRun, sandbox) -> Counter:
    """Every item is final; what we call started, the sandbox started exactly once."""
    triggered = Counter(t["profile_id"] for t in sandbox.app.stats()["triggers"])
    assert all(n == 1 for n in triggered.values()), f"triggered twice: {triggered}"
    by_status = Counter()
    for item in run.items.all():
        by_status[item.status] += 1
        profile_id = int(item.reference.rsplit("C", 1)[1])
        if item.status == "succeeded":
            assert triggered[profile_id] == 1, item.reference
        elif item.status in ("failed", "cancelled", "pending"):
            assert profile_id not in triggered, item.reference
    assert by_status["sending"] == 0
    _page_shows(run, by_status)
    return by_status


def _page_shows(run: TriggerRun, by_status: Counter) -> None:
    """The run's page, as the marketer sees it, says the same as the items."""
    from django.test import Client

    client = Client()
    client.force_login(run.requested_by)
    html = client.get(f"/scenarios/runs/{run.pk}/").content.decode()
    for count, words in (
        (by_status["succeeded"], "started"),
        (by_status["failed"], "failed"),
        (by_status["unknown"], "outcome unknown"),
    ):
        assert f"<span>{count} {words}</span>" in html, f"the page does not say {count} {words}"


def test_500s_leave_those_profiles_unknown_and_the_rest_started(
    marketer, welcome, sandbox, task_cluster, connection_limits
):
    sandbox.app.set_faults(error_rate=0.3, paths=TRIGGERS)
    run = _finished(_start_list(marketer, welcome, 30))
    by_status = _check_truth(run, sandbox)
    assert by_status["unknown"] > 0 and by_status["succeeded"] > 0
    assert by_status["unknown"] + by_status["succeeded"] == 30
    assert all(item.actito_status == 500 for item in run.items.filter(status="unknown"))


def test_a_429_storm_makes_the_list_wait_then_finish_with_every_profile_once(
    marketer, welcome, sandbox, task_cluster, connection_limits
):
    sandbox.app.set_faults(storm_429_seconds=10, paths=TRIGGERS)
    run = _start_list(marketer, welcome, 20)
    wait_for(lambda: TriggerRun.objects.filter(pk=run.pk, status="waiting").exists(), timeout=15)
    run = _finished(run, timeout=60)
    assert _check_truth(run, sandbox) == Counter(succeeded=20)
    assert run.status == "finished"


def test_a_worker_killed_mid_list_never_sends_an_item_twice(
    marketer, welcome, sandbox, task_cluster, connection_limits
):
    sandbox.app.set_faults(latency_ms=80, paths=TRIGGERS)
    run = _start_list(marketer, welcome, 60)
    wait_for(lambda: run.items.filter(status="succeeded").count() >= 10, timeout=30)
    task_cluster.kill()
    run.refresh_from_db()
    assert run.status == "running", "nobody finished it: the worker is dead"
    task_cluster.start()
    # What the every-minute schedule does, without waiting for the worker to look stale.
    services.trigger_runs_recover(stale_after=0)
    run = _finished(run, timeout=40)
    by_status = _check_truth(run, sandbox)
    assert by_status["unknown"] <= 1, "only the item caught mid-send"
    assert by_status["succeeded"] + by_status["unknown"] == 60


@pytest.mark.browser
def test_a_hanging_request_shows_outcome_unknown_and_try_again_asks_first(
    page, marketer, sandbox, task_cluster, connection_limits
):
    connection_limits(timeout_seconds=1)
    sandbox.app.set_faults(hang_rate=1.0, hang_seconds=3, paths=TRIGGERS)
    scenario = Scenario.objects.create(
        scope=get_connection().scope,
        table="demodoc",
        actito_id="11160",
        name="DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170",
        is_active=True,
        is_start_event_triggered=True,
    )
    ProfileTable.objects.create(scope=scenario.scope, name="demodoc", key_attributes=[])
    login_in_browser(page, marketer)
    page.goto(f"/scenarios/{scenario.pk}/")
    page.get_by_label("Value", exact=True).fill("147471")
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("button", name="Yes, start it").click()
    status = page.locator(".run-status")
    expect(status).to_have_attribute("data-status", "unknown", timeout=20_000)
    expect(status).to_contain_text("Check in ACTITO before trying again")
    assert sandbox.app.stats()["triggers"] == []

    sandbox.app.clear_faults()
    status.get_by_role("button", name="Try again").click()
    question = page.locator("#confirm-dialog")
    expect(question).to_contain_text("ACTITO may already have started it")
    question.get_by_role("button", name="Try again").click()
    expect(page.locator(".run-status")).to_have_attribute(
        "data-status", "succeeded", timeout=20_000
    )
    assert len(sandbox.app.stats()["triggers"]) == 1
    assert TriggerRun.objects.filter(retry_of__isnull=False).count() == 1
    assert page.problems == [], page.problems
