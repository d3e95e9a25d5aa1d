"""ECDP runs go through the same machinery as ACTITO ones (claim, pace, pause/cancel, outcome
CSV, recovery), sent by the ECDP adapter to the sandbox over HTTP. The worker runs in-process."""

from __future__ import annotations

import csv
import io

import pytest

from actito_admin.audit.models import AuditEvent
from actito_admin.ecdp.customer_list import parse_customers
from actito_admin.ecdp.fields import CustomerRef
from actito_admin.scenarios import ecdp_services, services
from actito_admin.scenarios.models import TriggerItem, TriggerRun

from .helpers import event, key, recorded, sandbox_unit, segment

pytestmark = pytest.mark.django_db


def work(run: TriggerRun) -> TriggerRun:
    assert services.trigger_run_claim(run_id=run.pk), "the run could not be claimed"
    services.trigger_run_process(run_id=run.pk)
    run.refresh_from_db()
    return run


def welcome(marketer, unit, customer: str, **kw):
    return ecdp_services.event_request(
        actor=marketer,
        unit=unit,
        event=event(unit, 12),
        customer=CustomerRef.parse(customer),
        customer_label="Jane",
        data_fields=[{"name": "voucherCode", "type": "String", "value": "W10"}],
        idempotency_key=kw.pop("idempotency_key", key()),
        **kw,
    )


def test_one_customer_event_is_sent_once_with_its_fields_and_audited(sandbox, marketer):
    unit = sandbox_unit(sandbox)
    jane = sandbox.app.ecdp.customers[0]
    run = work(welcome(marketer, unit, f"crmId={jane.crm_id}"))
    assert run.status == "succeeded" and run.platform == "ecdp"
    item = run.item
    assert item.actito_status == 201 and len(item.interaction_business_key) == 32
    assert [(r["customerId"], r["dataFields"]) for r in recorded(sandbox)] == [
        (jane.id, {"voucherCode": "W10"})
    ]
    performed = AuditEvent.objects.get(action="scenario.trigger.performed")
    assert performed.data["platform"] == "ecdp" and performed.data["business_unit"] == "Demo BU"
    assert performed.outcome == "success"


def test_the_same_form_twice_queues_one_run(sandbox, marketer):
    unit = sandbox_unit(sandbox)
    same = key()
    jane = f"email={sandbox.app.ecdp.customers[1].email}"
    first = welcome(marketer, unit, jane, idempotency_key=same)
    assert welcome(marketer, unit, jane, idempotency_key=same).pk == first.pk
    work(first)
    assert not services.trigger_run_claim(run_id=first.pk)
    assert len(recorded(sandbox)) == 1


def test_an_unknown_customer_is_refused_in_plain_words(sandbox, marketer):
    run = work(welcome(marketer, sandbox_unit(sandbox), "email=nobody@example.com"))
    assert run.status == "failed"
    assert run.item.actito_status == 404 and "does not know" in run.item.message


def test_a_500_is_outcome_unknown_and_never_resent(sandbox, marketer):
    sandbox.app.set_faults(force_status=500, paths="^/ecdp/")
    run = work(welcome(marketer, sandbox_unit(sandbox), "id=100002"))
    assert run.status == "unknown" and "may or may not" in run.item.message
    assert sandbox.app.stats()["responses_by_status"] == {"500": 1}


def test_segments_are_one_call_reaching_each_member_once(sandbox, marketer):
    unit = sandbox_unit(sandbox)
    run = work(
        ecdp_services.segments_request(
            actor=marketer,
            unit=unit,
            event=event(unit, 20),
            segments=[segment(unit, 1), segment(unit, 5)],
            data_fields=[],
            idempotency_key=key(),
        )
    )
    assert run.kind == "segments" and run.status == "succeeded"
    ids = [r["customerId"] for r in recorded(sandbox)]
    expected = sandbox.app.ecdp.segments[1].members | sandbox.app.ecdp.segments[5].members
    assert sorted(ids) == sorted(expected)
    assert "every customer in «Newsletter subscribers Belgium», «VIP customers»" in (
        run.profile_label
    )


def _list(sandbox, marketer, rows: int = 30):
    unit = sandbox_unit(sandbox)
    customers = sandbox.app.ecdp.customers[:rows]
    text = "email,points\n" + "".join(f"{c.email},{n}\n" for n, c in enumerate(customers))
    parsed = parse_customers(text, "email", event(unit, 15).declared)
    assert not parsed.invalid and parsed.columns == {"points": "points"}
    run = ecdp_services.list_prepare(
        actor=marketer,
        unit=unit,
        event=event(unit, 15),
        kind="email",
        parsed=parsed,
        idempotency_key=key(),
    )
    return services.trigger_list_confirm(actor=marketer, run=run), customers


def test_a_list_gives_each_customer_their_own_fields_and_a_csv_of_outcomes(
    sandbox, marketer, client_as_marketer
):
    run, customers = _list(sandbox, marketer)
    run = work(run)
    assert run.status == "finished" and run.counts()["succeeded"] == 30
    got = {r["customerId"]: r["dataFields"]["points"] for r in recorded(sandbox)}
    assert got == {c.id: str(n) for n, c in enumerate(customers)}
    response = client_as_marketer.get(f"/scenarios/runs/{run.pk}/results.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["reference", "outcome", "correlationId", "ecdp_status", "message"]
    assert len(rows) == 31 and {r[1] for r in rows[1:]} == {"succeeded"}


def test_a_paused_list_sends_nothing_more_and_cancel_stops_the_rest(sandbox, marketer):
    run, _ = _list(sandbox, marketer, rows=10)
    services.trigger_run_pause(actor=marketer, run=run)
    assert not services.trigger_run_claim(run_id=run.pk)
    services.trigger_run_cancel(actor=marketer, run=run)
    run.refresh_from_db()
    assert run.status == "cancelled" and run.counts()["cancelled"] == 10
    assert recorded(sandbox) == []


def test_recovery_calls_an_item_caught_mid_send_unknown_with_ecdp_advice(sandbox, marketer):
    run, _ = _list(sandbox, marketer, rows=3)
    services.trigger_run_claim(run_id=run.pk)
    TriggerItem.objects.filter(run=run, position=1).update(status="sending")
    TriggerRun.objects.filter(pk=run.pk).update(heartbeat_at="2000-01-01T00:00Z")
    assert services.trigger_runs_recover() == 1
    item = run.items.get(position=1)
    assert item.status == "unknown" and "ExpertSender CDP may or may not" in item.message
    work(run)
    assert sorted(r["customerId"] for r in recorded(sandbox)) == [
        c.id for c in sandbox.app.ecdp.customers[1:3]
    ]


def test_a_failed_event_can_be_tried_again_once(sandbox, marketer):
    sandbox.app.set_faults(force_status=503, paths="^/ecdp/")
    run = work(welcome(marketer, sandbox_unit(sandbox), "id=100002"))
    sandbox.app.clear_faults()
    retry = services.trigger_run_retry(actor=marketer, run=run)
    assert services.trigger_run_retry(actor=marketer, run=run).pk == retry.pk
    assert work(retry).status == "succeeded" and retry.item.data == run.item.data
