"""End to end with a real django-q2 cluster and the sandbox over HTTP: what the console says
was sent is what the sandbox recorded, exactly once per customer, faults included."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from actito_admin.ecdp.customer_list import parse_customers
from actito_admin.ecdp.fields import CustomerRef
from actito_admin.scenarios import ecdp_services, services
from actito_admin.scenarios.models import TriggerRun
from tests.e2e import wait_for

from .helpers import event, recorded, sandbox_unit, segment

pytestmark = pytest.mark.django_db(transaction=True)
EVENTS = r"^/ecdp/scenariocustomevents"
FAST = {"calls_per_minute": 6000, "max_in_flight": 5, "timeout_seconds": 10}


def _finished(run: TriggerRun, timeout: float = 40) -> TriggerRun:
    def done() -> bool:
        run.refresh_from_db()
        return run.is_finished

    wait_for(done, timeout=timeout, every=0.25)
    return run


def _list(marketer, unit, sandbox, count: int) -> tuple[TriggerRun, list]:
    """A list of `count` customers by e-mail, each with their own points and tier."""
    e = event(unit, 15)
    people = sandbox.app.ecdp.customers[:count]
    text = "email,points,tier\n" + "".join(
        f"{c.email},{n * 10},{'gold' if n % 2 else 'silver'}\n" for n, c in enumerate(people)
    )
    parsed = parse_customers(text, "email", e.declared)
    assert len(parsed.items) == count and not parsed.invalid
    run = ecdp_services.list_prepare(
        actor=marketer,
        unit=unit,
        event=e,
        kind="email",
        parsed=parsed,
        idempotency_key=uuid.uuid4(),
    )
    return services.trigger_list_confirm(actor=marketer, run=run), people


@pytest.fixture
def unit(sandbox, transactional_db):
    return sandbox_unit(sandbox, **FAST)


def _check_truth(run: TriggerRun, sandbox) -> Counter:
    """Every item is final; what we call sent, the sandbox recorded exactly once."""
    by_customer = {c.email: c.id for c in sandbox.app.ecdp.customers}
    got = Counter(r["customerId"] for r in recorded(sandbox))
    assert all(n == 1 for n in got.values()), f"sent twice: {got.most_common(3)}"
    by_status: Counter = Counter()
    for item in run.items.all():
        by_status[item.status] += 1
        customer_id = by_customer[CustomerRef.parse(item.reference).value]
        if item.status == "succeeded":
            assert got[customer_id] == 1, item.reference
        elif item.status in ("failed", "cancelled", "pending"):
            assert customer_id not in got, item.reference
    assert by_status["sending"] == 0
    return by_status


def test_one_customer_by_email_with_two_typed_fields(marketer, unit, sandbox, task_cluster):
    jane = sandbox.app.ecdp.customers[7]
    run = ecdp_services.event_request(
        actor=marketer,
        unit=unit,
        event=event(unit, 13),
        customer=CustomerRef("email", jane.email),
        customer_label=jane.email,
        data_fields=[
            {"name": "cartUrl", "type": "URL", "value": "https://shop.example/cart/7"},
            {"name": "cartTotal", "type": "Money", "value": "49.90"},
        ],
        idempotency_key=uuid.uuid4(),
    )
    run = _finished(run)
    assert run.status == "succeeded", run.item.message
    assert [(r["customEventId"], r["customerId"], r["dataFields"]) for r in recorded(sandbox)] == [
        (13, jane.id, {"cartUrl": "https://shop.example/cart/7", "cartTotal": "49.90"})
    ]


def test_a_list_of_200_gives_each_customer_their_own_fields_once(
    marketer, unit, sandbox, task_cluster
):
    run, people = _list(marketer, unit, sandbox, 200)
    run = _finished(run, timeout=90)
    assert run.status == "finished" and _check_truth(run, sandbox) == Counter(succeeded=200)
    got = {r["customerId"]: r["dataFields"] for r in recorded(sandbox)}
    assert got == {
        c.id: {"points": str(n * 10), "tier": "gold" if n % 2 else "silver"}
        for n, c in enumerate(people)
    }


def test_two_segments_reach_each_member_exactly_once(marketer, unit, sandbox, task_cluster):
    run = ecdp_services.segments_request(
        actor=marketer,
        unit=unit,
        event=event(unit, 17),
        segments=[segment(unit, 1), segment(unit, 5)],
        data_fields=[{"name": "surveyUrl", "type": "URL", "value": "https://survey.example/s"}],
        idempotency_key=uuid.uuid4(),
    )
    run = _finished(run)
    assert run.status == "succeeded"
    members = sandbox.app.ecdp.segments[1].members | sandbox.app.ecdp.segments[5].members
    got = Counter(r["customerId"] for r in recorded(sandbox))
    assert set(got) == members and set(got.values()) == {1}
    assert sandbox.app.stats()["responses_by_status"] == {"201": 1}, "one call"


def test_500s_leave_those_customers_unknown_and_the_rest_sent(
    marketer, unit, sandbox, task_cluster
):
    sandbox.app.set_faults(error_rate=0.3, paths=EVENTS)
    run = _finished(_list(marketer, unit, sandbox, 30)[0])
    by_status = _check_truth(run, sandbox)
    assert by_status["unknown"] > 0 and by_status["succeeded"] > 0
    assert by_status["unknown"] + by_status["succeeded"] == 30
    assert all(item.actito_status == 500 for item in run.items.filter(status="unknown"))


def test_a_hanging_request_is_outcome_unknown_and_not_resent(marketer, unit, sandbox, task_cluster):
    type(unit).objects.filter(pk=unit.pk).update(timeout_seconds=1)
    sandbox.app.set_faults(hang_rate=1.0, hang_seconds=3, paths=EVENTS)
    jane = sandbox.app.ecdp.customers[0]
    run = ecdp_services.event_request(
        actor=marketer,
        unit=unit,
        event=event(unit, 20),
        customer=CustomerRef("id", str(jane.id)),
        customer_label="Jane",
        data_fields=[],
        idempotency_key=uuid.uuid4(),
    )
    run = _finished(run, timeout=30)
    assert run.status == "unknown" and "ExpertSender CDP may or may not" in run.item.message
    assert sandbox.app.stats()["requests"] == 1, "a timed-out event is never sent again"


def test_a_429_storm_makes_the_list_wait_then_finish_with_everyone_once(
    marketer, unit, sandbox, task_cluster
):
    sandbox.app.set_faults(storm_429_seconds=8, paths=EVENTS)
    run, _ = _list(marketer, unit, sandbox, 20)
    wait_for(lambda: TriggerRun.objects.filter(pk=run.pk, status="waiting").exists(), timeout=15)
    run = _finished(run, timeout=60)
    assert _check_truth(run, sandbox) == Counter(succeeded=20) and run.status == "finished"


def test_a_worker_killed_mid_list_never_sends_anyone_twice(marketer, unit, sandbox, task_cluster):
    sandbox.app.set_faults(latency_ms=80, paths=EVENTS)
    run, _ = _list(marketer, unit, sandbox, 60)
    wait_for(lambda: run.items.filter(status="succeeded").count() >= 10, timeout=30)
    task_cluster.kill()
    run.refresh_from_db()
    assert run.status == "running", "nobody finished it: the worker is dead"
    task_cluster.start()
    services.trigger_runs_recover(stale_after=0)
    run = _finished(run, timeout=40)
    by_status = _check_truth(run, sandbox)
    assert by_status["unknown"] <= 1, "only the item caught mid-send"
    assert by_status["succeeded"] + by_status["unknown"] == 60
