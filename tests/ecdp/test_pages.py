"""ECDP pages: platform choice remembered, event search, one customer (look-up, typed fields,
confirmation, hash), lists with per-row fields, segments confirmed by typing the label, admin
catalogue editing audited, history filter, roles."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from actito_admin.audit.models import AuditEvent
from actito_admin.ecdp.models import BusinessUnit
from actito_admin.scenarios.models import TriggerRun

from .helpers import event, sandbox_unit, segment

pytestmark = pytest.mark.django_db


def test_choosing_ecdp_is_remembered_and_actito_switches_back(sandbox, client_as_marketer):
    sandbox_unit(sandbox)
    assert client_as_marketer.get("/scenarios/ecdp/").status_code == 200
    response = client_as_marketer.get("/scenarios/")
    assert response.status_code == 302 and response["Location"] == "/scenarios/ecdp/"
    assert client_as_marketer.get("/scenarios/?platform=actito").status_code == 200
    assert client_as_marketer.get("/scenarios/").status_code == 200


def test_the_demo_business_unit_is_created_from_the_sandbox(sandbox, client_as_viewer):
    page = client_as_viewer.get("/scenarios/ecdp/").content.decode()
    unit = BusinessUnit.objects.get()
    assert unit.events.count() >= 8 and unit.segments.count() >= 4
    assert "Welcome voucher" in page


def test_event_search_filters_as_you_type(sandbox, client_as_viewer):
    unit = sandbox_unit(sandbox)
    page = client_as_viewer.get(
        f"/scenarios/ecdp/?unit={unit.pk}&q=cart",
        headers={"HX-Request": "true", "HX-Target": "ecdp-results"},
    ).content.decode()
    assert "Abandoned cart reminder" in page and "Welcome voucher" not in page
    assert "<html" not in page


def _lookup(client, unit, **data):
    e = event(unit, 13)
    form = {
        "kind": "email",
        "value": "",
        "send_hash": "",
        "field_cartUrl": "https://shop.example/c/1",
        "field_cartTotal": "49.9",
    } | data
    return client.post(
        f"/scenarios/ecdp/events/{e.pk}/lookup/", form, headers={"HX-Request": "true"}
    )


def test_look_up_shows_who_and_the_confirmation_with_typed_values(sandbox, client_as_marketer):
    unit = sandbox_unit(sandbox)
    jane = sandbox.app.ecdp.customers[3]
    response = _lookup(client_as_marketer, unit, value=jane.email)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Send «Abandoned cart reminder» to {jane.first_name} {jane.last_name}" in page
    assert "cartTotal = <code>49.90</code>" in page


def test_badly_typed_fields_are_refused_before_anything_is_sent(sandbox, client_as_marketer):
    unit = sandbox_unit(sandbox)
    jane = sandbox.app.ecdp.customers[3]
    response = _lookup(
        client_as_marketer, unit, value=jane.email, field_cartTotal="1.999", field_cartUrl=""
    )
    page = response.content.decode()
    assert response.status_code == 422 and "Nothing was sent" in page
    assert "more than two decimals" in page and "required by the event" in page
    assert sandbox.app.stats()["requests"] == 0


def test_an_unknown_customer_is_said_plainly(sandbox, client_as_marketer):
    response = _lookup(client_as_marketer, sandbox_unit(sandbox), value="nobody@example.com")
    assert response.status_code == 404 and "does not know" in response.content.decode()


def test_send_queues_one_run_with_only_the_hash_when_asked(sandbox, client_as_marketer):
    unit = sandbox_unit(sandbox)
    jane = sandbox.app.ecdp.customers[3]
    e = event(unit, 13)
    form = {
        "kind": "email",
        "value": jane.email,
        "send_hash": "emailSha256",
        "field_cartUrl": "https://shop.example/c/1",
        "field_cartTotal": "49.9",
        "customer_label": "Jane",
        "idempotency_key": str(uuid.uuid4()),
    }
    for _ in range(2):  # a double click
        response = client_as_marketer.post(f"/scenarios/ecdp/events/{e.pk}/send/", form)
    run = TriggerRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/scenarios/runs/{run.pk}/"
    digest = hashlib.sha256(jane.email.encode()).hexdigest()
    assert run.item.reference == f"emailSha256={digest}" and jane.email not in str(
        AuditEvent.objects.get(action="scenario.trigger.requested").data
    )
    assert run.item.data == [
        {"name": "cartUrl", "type": "URL", "value": "https://shop.example/c/1"},
        {"name": "cartTotal", "type": "Money", "value": "49.90"},
    ]
    page = client_as_marketer.get(f"/scenarios/runs/{run.pk}/").content.decode()
    assert "Waiting for a worker" in page or "Queued" in page


def test_a_list_lists_invalid_rows_and_matches_columns(sandbox, client_as_marketer):
    unit = sandbox_unit(sandbox)
    e = event(unit, 15)
    customers = sandbox.app.ecdp.customers
    text = (
        f"email,Points,colour\n{customers[0].email},10,red\n{customers[1].email},ten,blue\n"
        f"not-an-address,3,x\n{customers[0].email},10,red\n"
    )
    response = client_as_marketer.post(
        f"/scenarios/ecdp/events/{e.pk}/list/",
        {"kind": "email", "text": text, "idempotency_key": str(uuid.uuid4())},
    )
    run = TriggerRun.objects.get()
    assert response["Location"] == f"/scenarios/lists/{run.pk}/"
    assert (run.total, run.duplicates, len(run.invalid)) == (1, 1, 2)
    assert run.items.get().data == [{"name": "points", "type": "Number", "value": "10"}]
    page = client_as_marketer.get(f"/scenarios/lists/{run.pk}/").content.decode()
    assert "1 customer" in page and "not a number" in page
    assert f'href="/scenarios/ecdp/events/{e.pk}/list/"' in page, "no way to change the list"


def test_segments_need_the_event_label_typed_to_confirm(sandbox, client_as_marketer):
    unit = sandbox_unit(sandbox)
    e = event(unit, 20)
    url = f"/scenarios/ecdp/events/{e.pk}/segments/"
    form = {
        "segments": [segment(unit, 1).pk, segment(unit, 5).pk],
        "idempotency_key": str(uuid.uuid4()),
        "step": "choose",
    }
    page = client_as_marketer.post(url, form).content.decode()
    assert "every customer in these segments" in page and "VIP customers" in page
    wrong = client_as_marketer.post(url, form | {"step": "confirm", "confirm_label": "Event"})
    assert wrong.status_code == 422 and not TriggerRun.objects.exists()
    done = client_as_marketer.post(url, form | {"step": "confirm", "confirm_label": "event ticket"})
    run = TriggerRun.objects.get()
    assert done["Location"] == f"/scenarios/runs/{run.pk}/" and run.kind == "segments"


def test_viewers_cannot_send(sandbox, client_as_viewer):
    unit = sandbox_unit(sandbox)
    e = event(unit, 20)
    assert client_as_viewer.post(f"/scenarios/ecdp/events/{e.pk}/send/", {}).status_code == 403
    assert client_as_viewer.get(f"/scenarios/ecdp/events/{e.pk}/segments/").status_code == 403
    assert client_as_viewer.get("/settings/ecdp/").status_code == 403


def test_history_filters_by_platform(sandbox, marketer, client_as_viewer):
    TriggerRun.objects.create(
        platform="ecdp",
        table="Demo BU",
        scenario_actito_id="12",
        scenario_name="Welcome voucher",
        status="succeeded",
    )
    TriggerRun.objects.create(
        table="demodoc", scenario_actito_id="1", scenario_name="Doc", status="succeeded"
    )
    page = client_as_viewer.get("/scenarios/history/?platform=ecdp").content.decode()
    assert (
        "Welcome voucher" in page and ">Doc " not in page and "ExpertSender CDP · Demo BU" in page
    )


def test_admin_adds_a_unit_with_a_write_only_key_and_edits_its_catalogue(client_as_admin):
    secret = "ecdp-key-abcdef-123456"
    response = client_as_admin.post("/settings/ecdp/", {"label": "Benelux", "api_key": secret})
    unit = BusinessUnit.objects.get()
    assert response["Location"] == f"/settings/ecdp/{unit.pk}/"
    page = client_as_admin.get(f"/settings/ecdp/{unit.pk}/").content.decode()
    assert secret not in page and "…3456" in page
    client_as_admin.post(
        f"/settings/ecdp/{unit.pk}/events/new/",
        {"event_id": "12", "label": "Welcome", "fields_text": "voucherCode, String, required\n"},
    )
    bad = client_as_admin.post(
        f"/settings/ecdp/{unit.pk}/events/new/",
        {"event_id": "13", "label": "Bad", "fields_text": "amount, Currency"},
    )
    assert bad.status_code == 422
    assert unit.events.get().data_fields == [
        {"name": "voucherCode", "type": "String", "required": True}
    ]
    actions = list(
        AuditEvent.objects.filter(action__startswith="ecdp.").values_list("action", "data")
    )
    assert sorted(a for a, _ in actions) == ["ecdp.business_unit.created", "ecdp.event.created"]
    assert all(secret not in str(data) for _, data in actions)


def test_test_connection_says_whether_ecdp_accepts_the_key(sandbox, client_as_admin):
    unit = sandbox_unit(sandbox)
    response = client_as_admin.post(f"/settings/ecdp/{unit.pk}/test/", follow=True)
    assert "ECDP accepted the API key." in response.content.decode()
    client_as_admin.post(
        f"/settings/ecdp/{unit.pk}/",
        {"label": unit.label, "base_url": f"{sandbox.url}/ecdp", "api_key": "wrong-key-123456"},
    )
    response = client_as_admin.post(f"/settings/ecdp/{unit.pk}/test/", follow=True)
    page = response.content.decode()
    assert "ECDP refused the API key" in page and "wrong-key-123456" not in page


def test_with_the_hash_option_the_address_is_neither_looked_up_nor_sent(
    sandbox, client_as_marketer
):
    unit = sandbox_unit(sandbox)
    jane = sandbox.app.ecdp.customers[3]
    page = _lookup(client_as_marketer, unit, value=jane.email, send_hash="emailMd5")
    text = page.content.decode()
    assert page.status_code == 200 and "Not looked up" in text
    assert f"to {jane.email} (sent as a hash only)?" in text
    assert sandbox.app.stats()["requests"] == 0, "the address went to ECDP in a look-up"


def test_a_business_unit_key_never_follows_a_new_address_nor_plain_http(client_as_admin):
    client_as_admin.post("/settings/ecdp/", {"label": "Benelux", "api_key": "ecdp-key-000-9999"})
    unit = BusinessUnit.objects.get()
    moved = client_as_admin.post(
        f"/settings/ecdp/{unit.pk}/", {"label": "Benelux", "base_url": "https://evil.example"}
    )
    assert moved.status_code == 422 and "enter the API key again" in moved.content.decode()
    plain = client_as_admin.post(
        f"/settings/ecdp/{unit.pk}/",
        {"label": "Benelux", "base_url": "http://ecdp.example", "api_key": "ecdp-key-000-9999"},
    )
    assert "Use an https:// address" in plain.content.decode()
    unit.refresh_from_db()
    assert unit.base_url == "", "neither address was saved"
