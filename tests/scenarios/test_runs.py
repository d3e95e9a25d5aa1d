"""Trigger runs: statuses, idempotency, claiming and recovery (services and tasks, sandbox over
HTTP, no cluster: tasks are called directly)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from actito_admin.actito.errors import ActitoError, GovernorBusy
from actito_admin.actito.models import Connection
from actito_admin.actito.schemas import ProfileRef
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe
from actito_admin.scenarios import services, tasks
from actito_admin.scenarios.models import Scenario, TriggerItem, TriggerRun
from actito_admin.scenarios.references import parse_reference_list
from tests.scenarios._helpers import confirmed_list, doc_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(sandbox) -> Scenario:
    Connection.objects.create(name="default", calls_per_minute=6000, timeout_seconds=5)
    return doc_scenario()


def _request(marketer, doc, ref: str = "147471", key: uuid.UUID | None = None) -> TriggerRun:
    return services.trigger_run_request(
        actor=marketer,
        scenario=doc,
        ref=ProfileRef.parse(ref),
        profile_label="Sophie Dubois <sophie.dubois@example.com>",
        idempotency_key=key or uuid.uuid4(),
    )


def _run_task(run: TriggerRun) -> TriggerRun:
    tasks.trigger_run_task(run.pk)
    run.refresh_from_db()
    return run


def test_the_same_form_submitted_twice_queues_one_run_and_one_task(
    marketer, doc, django_capture_on_commit_callbacks
):
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks() as callbacks:
        first = _request(marketer, doc, key=key)
        second = _request(marketer, doc, key=key)
    assert first.pk == second.pk
    assert TriggerItem.objects.count() == 1
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="scenario.trigger.requested").count() == 1


def test_a_run_succeeds_with_the_interaction_business_key_and_is_audited(marketer, doc, sandbox):
    run = _run_task(_request(marketer, doc))
    assert run.status == "succeeded"
    [trigger] = sandbox.app.stats()["triggers"]
    assert run.item.interaction_business_key == trigger["interactionBusinessKey"]
    event = AuditEvent.objects.get(action="scenario.trigger.performed")
    assert event.outcome == "success"
    assert event.data["interaction_business_key"] == trigger["interactionBusinessKey"]
    assert event.data["actito_status"] == 200 and event.data["run_id"] == run.pk


def test_the_audit_detail_of_a_start_shows_the_ids_it_recorded(marketer, doc, admin_user, client):
    run = _run_task(_request(marketer, doc))
    client.force_login(admin_user)
    for action in ("scenario.trigger.requested", "scenario.trigger.performed"):
        event = AuditEvent.objects.get(action=action)
        page = client.get(f"/audit/{event.pk}/").content.decode()
        assert "No ids were recorded" not in page, f"{action}: its ids are not shown"
        assert f'data-id="run_id">{run.pk}<' in page, f"{action}: the run id is missing"
    assert f'data-id="interaction_business_key">{run.item.interaction_business_key}<' in page
    assert "Reference for ACTITO support" in page


def test_a_redelivered_task_never_sends_a_finished_run_again(marketer, doc, sandbox):
    run = _run_task(_request(marketer, doc))
    _run_task(run)
    assert run.status == "succeeded"
    assert len(sandbox.app.stats()["triggers"]) == 1


def test_an_unknown_profile_fails_with_actito_status_404(marketer, doc, sandbox):
    run = _run_task(_request(marketer, doc, ref="emailAddress=nobody@example.com"))
    assert run.status == "failed"
    assert run.item.actito_status == 404
    assert "could not find" in run.item.message
    assert run.can_retry


def test_a_500_after_sending_is_an_unknown_outcome_not_a_failure(marketer, doc, sandbox):
    sandbox.app.set_faults(force_status=500, paths=r"/scenario/")
    run = _run_task(_request(marketer, doc))
    assert run.status == "unknown"
    assert "Check in ACTITO" in run.item.message or "check in ACTITO" in run.item.message
    assert run.item.actito_status == 500


def test_a_timeout_is_an_unknown_outcome_and_nothing_is_sent_again(marketer, doc, sandbox):
    Connection.objects.filter(name="default").update(timeout_seconds=0.5)
    sandbox.app.set_faults(hang_rate=1.0, hang_seconds=2, paths=r"/scenario/\d+/profile/")
    run = _run_task(_request(marketer, doc))
    assert run.status == "unknown"
    assert "Check in ACTITO before trying again" in run.item.message
    assert sandbox.app.stats()["triggers"] == []


def test_a_run_found_running_without_a_heartbeat_is_marked_unknown_not_sent_again(
    marketer, doc, sandbox
):
    run = _request(marketer, doc)
    assert services.trigger_run_claim(run_id=run.pk)
    TriggerItem.objects.filter(run=run).update(status="sending", sent_at=timezone.now())
    long_ago = timezone.now() - timedelta(hours=1)
    TriggerRun.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)

    run = _run_task(run)  # the redelivered task: finds it running, recovers
    run = _run_task(run)  # the task the recovery queued
    assert run.status == "unknown"
    assert "worker stopped" in run.item.message
    assert sandbox.app.stats()["triggers"] == []


def test_a_running_run_with_a_fresh_heartbeat_is_left_to_its_worker(marketer, doc, sandbox):
    run = _request(marketer, doc)
    assert services.trigger_run_claim(run_id=run.pk)
    assert not services.trigger_run_claim(run_id=run.pk), "claimed once only"
    run = _run_task(run)
    assert run.status == "running"
    assert run.item.status == "pending"
    assert sandbox.app.stats()["triggers"] == []


class _BusyClient:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def trigger_scenario(self, **kwargs):
        raise self.error


def test_no_capacity_puts_the_item_back_in_line(marketer, doc):
    run = _request(marketer, doc)
    item = run.item
    TriggerItem.objects.filter(pk=item.pk).update(status="sending")
    wait = services._send_one(_BusyClient(GovernorBusy("busy", retry_after=1.5)), run, item)
    item.refresh_from_db()
    assert (wait, item.status) == (1.5, "pending")


def test_a_429_from_actito_is_retried_later_because_actito_did_not_act(marketer, doc):
    run = _request(marketer, doc)
    item = run.item
    TriggerItem.objects.filter(pk=item.pk).update(status="sending")
    error = ActitoError("busy", status=429, retryable=True)
    assert services._send_one(_BusyClient(error), run, item) > 0
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("pending", 1)


def test_a_list_changed_after_going_back_is_checked_anew_until_it_is_confirmed(marketer, doc):
    key = uuid.uuid4()

    def prepare(refs: str) -> TriggerRun:
        return services.trigger_list_prepare(
            actor=marketer,
            scenario=doc,
            reference_kind="profileId",
            parsed=parse_reference_list(refs, "profileId"),
            idempotency_key=key,
        )

    first = prepare("147471\n147472\n")
    again = prepare("147471\n147472\n147473\n")  # back button, one more line, same form
    assert again.pk == first.pk and again.total == 3, "the check must show the edited list"
    assert list(again.items.values_list("reference", flat=True)) == ["147471", "147472", "147473"]
    services.trigger_list_confirm(actor=marketer, run=again)
    after = prepare("1\n")
    assert after.total == 3 and after.items.count() == 3, "a confirmed list is never rewritten"


def test_a_list_is_confirmed_once_and_sends_each_profile_once(marketer, doc, sandbox):
    run = confirmed_list(marketer, doc, "147471\n147472\n147471\n999\n")
    services.trigger_list_confirm(actor=marketer, run=run)  # a double click
    run = _run_task(run)
    counts = run.counts()
    assert run.status == "finished"
    assert (counts["succeeded"], counts["failed"], run.duplicates) == (2, 1, 1)
    assert sorted(t["profile_id"] for t in sandbox.app.stats()["triggers"]) == [147471, 147472]
    assert AuditEvent.objects.filter(action="scenario.trigger.requested").count() == 1
    event = AuditEvent.objects.get(action="scenario.trigger.performed")
    assert (event.outcome, event.data["succeeded"], event.data["failed"]) == ("partial", 2, 1)


def test_a_cancelled_list_sends_nothing_more(marketer, doc, sandbox):
    run = confirmed_list(marketer, doc, "147471\n147472\n")
    services.trigger_run_cancel(actor=marketer, run=run)
    run = _run_task(run)
    assert run.status == "cancelled"
    assert run.counts()["cancelled"] == 2
    assert sandbox.app.stats()["triggers"] == []
    assert AuditEvent.objects.filter(action="scenario.trigger.cancelled").exists()


def test_a_paused_list_waits_and_resumes_where_it_stopped(
    marketer, doc, sandbox, django_capture_on_commit_callbacks
):
    run = confirmed_list(marketer, doc, "147471\n147472\n")
    services.trigger_run_pause(actor=marketer, run=run)
    assert _run_task(run).status == "paused"
    with django_capture_on_commit_callbacks() as callbacks:
        services.trigger_run_resume(actor=marketer, run=run)
    assert len(callbacks) == 1
    assert _run_task(run).status == "finished"
    assert len(sandbox.app.stats()["triggers"]) == 2


def test_pausing_and_resuming_a_list_are_audited_like_cancelling(marketer, doc, sandbox):
    run = confirmed_list(marketer, doc, "147471\n147472\n")
    services.trigger_run_pause(actor=marketer, run=run)
    services.trigger_run_pause(actor=marketer, run=run)  # a double click pauses once
    services.trigger_run_resume(actor=marketer, run=run)
    services.trigger_run_resume(actor=marketer, run=run)  # and resumes once
    paused = AuditEvent.objects.get(action="scenario.trigger.paused")
    resumed = AuditEvent.objects.get(action="scenario.trigger.resumed")
    for event in (paused, resumed):
        assert (event.actor_username, event.target_id) == (marketer.username, str(run.pk))
        assert event.data["not_sent"] == 2
    assert describe(paused).startswith(f"{marketer.username} paused starting «")
    assert describe(resumed).endswith("for a list (2 not sent yet)")


def test_a_run_past_its_time_budget_requeues_itself(
    marketer, doc, sandbox, django_capture_on_commit_callbacks
):
    run = confirmed_list(marketer, doc, "147471\n147472\n")
    assert services.trigger_run_claim(run_id=run.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        services.trigger_run_process(run_id=run.pk, budget_seconds=0)
    run.refresh_from_db()
    assert run.status == "queued" and len(callbacks) == 1


def test_trying_again_makes_a_new_audited_run_once(marketer, doc, sandbox):
    run = _run_task(_request(marketer, doc, ref="emailAddress=nobody@example.com"))
    again = services.trigger_run_retry(actor=marketer, run=run)
    same = services.trigger_run_retry(actor=marketer, run=TriggerRun.objects.get(pk=run.pk))
    assert again.pk == same.pk != run.pk
    assert again.retry_of == run
    assert AuditEvent.objects.filter(action="scenario.trigger.retried").count() == 1


def test_try_again_from_two_tabs_starts_one_retry_and_the_page_says_where_it_went(
    client_as_marketer, marketer, doc, sandbox
):
    run = _run_task(_request(marketer, doc, ref="emailAddress=nobody@example.com"))
    # Both tabs show "Try again"; each confirms it.
    first = client_as_marketer.post(f"/scenarios/runs/{run.pk}/retry/", HTTP_HX_REQUEST="true")
    second = client_as_marketer.post(f"/scenarios/runs/{run.pk}/retry/", HTTP_HX_REQUEST="true")
    retries = TriggerRun.objects.filter(retry_of=run)
    assert retries.count() == 1, "a second confirmation must not queue a second start"
    assert first.status_code == second.status_code == 200
    assert f'id="run-{retries.get().pk}"' in second.content.decode()
    page = client_as_marketer.get(f"/scenarios/runs/{run.pk}/").content.decode()
    assert "Tried again as" in page and "Try again</button>" not in page


def test_an_eta_uses_the_licence_pace_before_there_is_one(marketer, doc):
    run = confirmed_list(marketer, doc, "\n".join(str(n) for n in range(1, 121)))
    run.status = "running"
    assert run.eta_seconds(run.counts(), calls_per_minute=60) == 121


def test_without_scripts_try_again_asks_on_a_page_before_starting(
    client_as_marketer, marketer, doc, sandbox
):
    run = _run_task(_request(marketer, doc, ref="emailAddress=nobody@example.com"))
    page = client_as_marketer.post(f"/scenarios/runs/{run.pk}/retry/")
    assert page.status_code == 200
    assert "Please confirm" in page.content.decode()
    assert not TriggerRun.objects.filter(retry_of=run).exists(), "nothing starts unconfirmed"
    done = client_as_marketer.post(f"/scenarios/runs/{run.pk}/retry/", {"confirmed": "yes"})
    retry = TriggerRun.objects.get(retry_of=run)
    assert done.status_code == 302 and done["Location"] == f"/scenarios/runs/{retry.pk}/"


def test_without_scripts_cancelling_a_list_asks_on_a_page_first(client_as_marketer, marketer, doc):
    run = confirmed_list(marketer, doc, "147471\n147472\n")
    page = client_as_marketer.post(f"/scenarios/runs/{run.pk}/cancel/")
    assert "Please confirm" in page.content.decode()
    assert TriggerRun.objects.get(pk=run.pk).status != "cancelled", "cancelled unconfirmed"
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/cancel/", {"confirmed": "yes"})
    assert TriggerRun.objects.get(pk=run.pk).status == "cancelled"


def test_a_single_start_cannot_be_paused_or_cancelled_by_a_hand_made_post(
    client_as_marketer, marketer, doc
):
    run = _request(marketer, doc)  # queued, not yet sent
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/pause/", HTTP_HX_REQUEST="true")
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/cancel/", {"confirmed": "yes"})
    assert TriggerRun.objects.get(pk=run.pk).status == "queued", "only lists pause or cancel"
    assert not AuditEvent.objects.filter(action="scenario.trigger.cancelled").exists()


def test_a_list_is_sent_evenly_over_the_minute_not_in_a_burst(marketer, doc, sandbox):
    # 240 calls/min: one start every 0.25 s, even though capacity for all six is there at once.
    Connection.objects.filter(name="default").update(calls_per_minute=240)
    run = confirmed_list(marketer, doc, "147471\n147472\n147473\n147474\n147475\n147476\n")
    _run_task(run)
    sent = list(run.items.order_by("position").values_list("sent_at", flat=True))
    pairs = zip(sent, sent[1:], strict=False)
    gaps = [(later - earlier).total_seconds() for earlier, later in pairs]
    # Spaced, give or take the database's own timing: no two starts back to back.
    assert all(gap >= 0.12 for gap in gaps), f"starts came in a burst: {gaps}"
    assert 0.2 <= sum(gaps) / len(gaps) <= 0.4, f"not one every 0.25 s on average: {gaps}"
    assert (sent[-1] - sent[0]).total_seconds() < 5 * 0.25 + 1.0, "and still at the full pace"


def test_a_list_with_most_started_and_one_failed_is_partly_done_not_failed(marketer, doc, sandbox):
    run = confirmed_list(marketer, doc, "147471\n999999999\n")  # the second profile does not exist
    _run_task(run)
    event = AuditEvent.objects.get(action="scenario.trigger.performed")
    assert event.outcome == "partial" and event.get_outcome_display() == "Partly done"
    from actito_admin.audit.sentences import describe

    assert "for 1 of 2 profiles (1 failed)" in describe(event)


def test_the_audit_log_shows_a_request_with_the_outcome_of_its_start(
    marketer, doc, sandbox, client_as_admin
):
    run = _run_task(_request(marketer, doc))
    assert run.status == "succeeded"
    requested = AuditEvent.objects.get(action="scenario.trigger.requested")
    assert requested.outcome == "pending", "the stored event stays as it was written"
    page = client_as_admin.get("/audit/").content.decode()
    row = page[page.find(f'href="/audit/{requested.pk}/"') :]
    row = row[: row.find("</tr>")]
    assert "outcome-success" in row and "Pending" not in row, (
        "the 'requested' line must show how the start ended, not Pending forever: " + row
    )
