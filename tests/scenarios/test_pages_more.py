"""More pages: history dates, uploaded lists, the home card, look-up errors, list controls and the
search's promise not to call ACTITO while typing (no cluster: tasks are not run)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_q.models import OrmQ

from actito_admin.actito.connection import get_connection, get_governor
from actito_admin.actito.models import Connection
from actito_admin.audit.models import AuditEvent
from actito_admin.scenarios import services
from actito_admin.scenarios.models import Catalog, ProfileTable, Scenario, TriggerRun
from tests.scenarios._helpers import confirmed_list, doc_scenario

pytestmark = pytest.mark.django_db
UNREACHABLE = {"SANDBOX_URL": "http://127.0.0.1:9", "ACTITO_BASE_URL": "", "ACTITO_API_KEY": ""}
BRUSSELS = ZoneInfo("Europe/Brussels")


def _doc_scenario() -> Scenario:
    scope = get_connection().scope
    ProfileTable.objects.create(scope=scope, name="demodoc", key_attributes=["emailAddress"])
    return doc_scenario()


@pytest.fixture
def doc(settings) -> Scenario:
    """Scenario 11160 of demodoc, with ACTITO unreachable: any call it makes fails the test."""
    settings.SANDBOX_URL, settings.ACTITO_BASE_URL, settings.ACTITO_API_KEY = UNREACHABLE.values()
    return _doc_scenario()


@pytest.fixture
def sandbox_doc(sandbox) -> Scenario:
    """Scenario 11160 of demodoc, with the connection pointing at the sandbox over HTTP."""
    Connection.objects.create(name="default", calls_per_minute=6000, timeout_seconds=5)
    return _doc_scenario()


def _run(name: str = "Welcome", **fields) -> TriggerRun:
    defaults = {"table": "demodoc", "scenario_actito_id": "1", "status": "succeeded"}
    return TriggerRun.objects.create(scenario_name=name, **(defaults | fields))


def _list_run(marketer, scenario: Scenario, refs: str = "147471\n147472\n") -> TriggerRun:
    return confirmed_list(marketer, scenario, refs)


# --- history: dates are local days ----------------------------------------------------------------


@pytest.fixture
def late_and_early(settings, db) -> tuple[TriggerRun, TriggerRun]:
    """Two runs half an hour either side of local midnight (both on 10 March in UTC)."""
    settings.TIME_ZONE = "Europe/Brussels"
    late = _run("Late on the 10th")
    early = _run("Early on the 11th")
    TriggerRun.objects.filter(pk=late.pk).update(
        created_at=datetime(2024, 3, 10, 23, 30, tzinfo=BRUSSELS)
    )
    TriggerRun.objects.filter(pk=early.pk).update(
        created_at=datetime(2024, 3, 11, 0, 30, tzinfo=BRUSSELS)
    )
    return late, early


def _history_names(client, query: str) -> list[str]:
    response = client.get(f"/scenarios/history/?{query}")
    assert response.status_code == 200, f"the history answered {response.status_code}"
    return [run.scenario_name for run in response.context["page"].object_list]


def test_history_from_a_day_leaves_out_runs_of_the_local_day_before(
    client_as_viewer, late_and_early
):
    names = _history_names(client_as_viewer, "date_from=2024-03-11")
    assert names == ["Early on the 11th"], (
        f"from 11 March (Brussels) should list only the run at 00:30 local, got {names}"
    )


def test_history_to_a_day_includes_its_last_local_hour_and_nothing_after(
    client_as_viewer, late_and_early
):
    names = _history_names(client_as_viewer, "date_to=2024-03-10")
    assert names == ["Late on the 10th"], (
        f"up to 10 March (Brussels) should list the run at 23:30 local only, got {names}"
    )


def test_history_from_and_to_the_same_day_lists_that_local_day_only(
    client_as_viewer, late_and_early
):
    assert _history_names(client_as_viewer, "date_from=2024-03-10&date_to=2024-03-10") == [
        "Late on the 10th"
    ]
    assert _history_names(client_as_viewer, "date_from=2024-03-12&date_to=2024-03-31") == [], (
        "no run was made after 11 March"
    )


# --- a list uploaded as a file ------------------------------------------------------------------


def test_an_uploaded_one_column_csv_is_counted_before_anything_starts(
    client_as_marketer, doc, django_capture_on_commit_callbacks
):
    # As Excel saves it: a BOM, a header naming the attribute, CRLF line ends.
    content = "\ufeffemailAddress\r\na@x.be\r\nA@x.be\r\nnope\r\nb@x.be\r\n".encode()
    upload = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    form = {"attribute": "emailAddress", "text": "", "idempotency_key": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_as_marketer.post(f"/scenarios/{doc.pk}/list/", {**form, "file": upload})
    assert response.status_code == 302, (
        f"the upload was refused ({response.status_code}): "
        f"{response.content.decode()[:300] if response.status_code != 302 else ''}"
    )
    page = client_as_marketer.get(response["Location"]).content.decode()
    assert "<strong>2</strong> different profiles " in page, "a@x.be and b@x.be, header skipped"
    assert "<strong>1</strong> duplicate line " in page, "A@x.be is a@x.be"
    assert "<strong>1</strong> invalid line " in page and "nope" in page
    assert "Yes, start «DocScenarioAPI» for 2 profiles" in page
    run = TriggerRun.objects.get()
    assert run.status == "draft", "nothing may be queued before the marketer confirms"
    assert callbacks == [], "no task may be queued before the marketer confirms"


def test_an_uploaded_file_saved_by_excel_in_windows_1252_is_read_not_refused(
    client_as_marketer, doc
):
    upload = SimpleUploadedFile("people.txt", "josé@x.be\r\n".encode("cp1252"))
    form = {"attribute": "emailAddress", "idempotency_key": str(uuid.uuid4()), "file": upload}
    response = client_as_marketer.post(f"/scenarios/{doc.pk}/list/", form)
    assert response.status_code == 302, f"a cp1252 file was refused ({response.status_code})"
    assert list(TriggerRun.objects.get().items.values_list("reference", flat=True)) == [
        "emailAddress=josé@x.be"
    ]


def test_an_empty_uploaded_file_asks_for_references(client_as_marketer, doc):
    upload = SimpleUploadedFile("empty.csv", b"\r\n\r\n")
    form = {"attribute": "profileId", "idempotency_key": str(uuid.uuid4()), "file": upload}
    response = client_as_marketer.post(f"/scenarios/{doc.pk}/list/", form)
    assert response.status_code == 422
    assert not TriggerRun.objects.exists(), "an empty file must not make a run"


# --- the home page card ---------------------------------------------------------------------------


def test_the_home_card_shows_the_governors_usage_now(client_as_viewer, doc):
    Connection.objects.create(name="default", calls_per_minute=6000, max_in_flight=5)
    governor = get_governor()
    lease = governor.acquire(lease_seconds=60)  # one call admitted, still in flight
    try:
        usage = governor.usage()
        page = client_as_viewer.get("/").content.decode()
    finally:
        governor.release(lease)
    assert usage.in_flight >= 1 and usage.calls_this_minute >= 1
    expected = f"{usage.calls_this_minute}/6000 calls this minute · {usage.in_flight}/5 in flight"
    assert f"ACTITO usage now: {expected}" in page, (
        f"the scenarios card should say «{expected}»; it says "
        f"«{page.split('ACTITO usage now:')[1][:80] if 'ACTITO usage now:' in page else '—'}»"
    )


def test_the_home_card_lists_the_five_latest_starts_and_no_list_being_checked(
    client_as_viewer, doc
):
    for n in range(1, 7):
        _run(f"Run{n}")
    _run("StillADraft", status="draft", kind="list")
    page = client_as_viewer.get("/").content.decode()
    card = page.split('id="home-runs-title"')[1].split("</article>")[0]
    shown = [f"Run{n}" for n in range(1, 7) if f"Run{n}" in card]
    assert shown == ["Run2", "Run3", "Run4", "Run5", "Run6"], f"the card shows {shown}"
    assert "StillADraft" not in card, "a list still being checked is not a start yet"


# --- the profile look-up when ACTITO fails --------------------------------------------------------


def test_a_500_while_looking_up_a_profile_is_said_plainly_and_offers_no_start(
    client_as_marketer, sandbox_doc, sandbox
):
    cache.clear()  # no look-up of an earlier test may answer for ACTITO
    sandbox.app.set_faults(force_status=500, paths=r"/table/[^/]+/profile/")
    response = client_as_marketer.post(
        f"/scenarios/{sandbox_doc.pk}/lookup/",
        {"attribute": "profileId", "value": "147471"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert sandbox.app.stats()["responses_by_status"].get("500"), "the fault was not reached"
    assert response.status_code == 200, f"a look-up error became HTTP {response.status_code}"
    assert "ACTITO had a problem on its side (HTTP 500). Try again later." in html
    assert "Yes, start it" not in html, "nothing may be started for a profile nobody saw"
    assert not TriggerRun.objects.exists()


def test_a_500_while_looking_up_without_htmx_shows_the_scenario_page_with_the_message(
    client_as_marketer, sandbox_doc, sandbox
):
    cache.clear()
    sandbox.app.set_faults(force_status=500, paths=r"/table/[^/]+/profile/")
    response = client_as_marketer.post(
        f"/scenarios/{sandbox_doc.pk}/lookup/", {"attribute": "profileId", "value": "147471"}
    )
    html = response.content.decode()
    assert response.status_code == 200, f"a look-up error became HTTP {response.status_code}"
    assert "<html" in html and "ACTITO had a problem on its side" in html
    assert "Yes, start it" not in html


# --- pause, resume and cancel through the pages ---------------------------------------------------


def test_a_marketer_pauses_a_queued_list_from_its_page(client_as_marketer, marketer, doc):
    run = _list_run(marketer, doc)
    response = client_as_marketer.post(f"/scenarios/runs/{run.pk}/pause/")
    assert response.status_code == 302 and response["Location"] == f"/scenarios/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.status == "paused", f"pausing left the list {run.status}"


def test_pausing_with_htmx_swaps_the_status_which_offers_resume_and_stops_polling(
    client_as_marketer, marketer, doc
):
    run = _list_run(marketer, doc)
    response = client_as_marketer.post(
        f"/scenarios/runs/{run.pk}/pause/", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html, "htmx gets the fragment only"
    assert 'data-status="paused"' in html and "Resume</button>" in html
    assert 'hx-trigger="every 1s"' not in html, "a paused list has nothing to poll for"
    assert "scenario-runs-changed" in response.headers.get("HX-Trigger", "")


def test_resuming_a_paused_list_queues_it_again_with_one_task(
    client_as_marketer, marketer, doc, django_capture_on_commit_callbacks
):
    run = _list_run(marketer, doc)
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/pause/")
    with django_capture_on_commit_callbacks() as callbacks:
        client_as_marketer.post(f"/scenarios/runs/{run.pk}/resume/")
        client_as_marketer.post(f"/scenarios/runs/{run.pk}/resume/")  # a double click
    run.refresh_from_db()
    assert run.status == "queued", f"resuming left the list {run.status}"
    assert len(callbacks) == 1, f"{len(callbacks)} tasks queued for one resume"


def test_cancelling_a_list_from_its_page_cancels_what_was_not_sent_and_is_audited(
    client_as_marketer, marketer, doc
):
    run = _list_run(marketer, doc)
    confirm = {"confirmed": "yes"}  # the plain form posted from the confirmation page
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/cancel/", confirm)
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/cancel/", confirm)  # a double click
    run.refresh_from_db()
    assert run.status == "cancelled", f"cancelling left the list {run.status}"
    assert run.counts()["cancelled"] == 2
    [event] = AuditEvent.objects.filter(action="scenario.trigger.cancelled")
    assert event.actor == marketer and event.target_id == str(run.pk)
    assert event.data["not_sent"] == 2 and event.data["run_id"] == run.pk


def test_a_paused_list_can_be_cancelled(client_as_marketer, marketer, doc):
    run = _list_run(marketer, doc)
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/pause/")
    client_as_marketer.post(f"/scenarios/runs/{run.pk}/cancel/", headers={"HX-Request": "true"})
    run.refresh_from_db()
    assert run.status == "cancelled", f"a paused list could not be cancelled: {run.status}"


def test_a_viewer_cannot_pause_resume_or_cancel_a_list_and_nothing_changes(
    client_as_viewer, marketer, doc
):
    run = _list_run(marketer, doc)
    for action in ("pause", "cancel"):
        response = client_as_viewer.post(
            f"/scenarios/runs/{run.pk}/{action}/", {"confirmed": "yes"}
        )
        assert response.status_code == 403, f"a viewer got {response.status_code} on {action}"
    run.refresh_from_db()
    assert run.status == "queued"
    services.trigger_run_pause(actor=marketer, run=run)
    assert client_as_viewer.post(f"/scenarios/runs/{run.pk}/resume/").status_code == 403
    run.refresh_from_db()
    assert run.status == "paused", "a viewer's resume must not queue the list"
    assert not AuditEvent.objects.filter(action="scenario.trigger.cancelled").exists()


# --- typing in the search -------------------------------------------------------------------------


def test_typing_with_the_lists_cached_calls_actito_not_and_queues_no_task(
    client_as_viewer, sandbox_doc, sandbox, django_capture_on_commit_callbacks
):
    scope, now = sandbox_doc.scope, timezone.now()
    Catalog.objects.create(scope=scope, kind="tables", refreshed_at=now)
    Catalog.objects.create(scope=scope, kind="scenarios", table="demodoc", refreshed_at=now)
    before = sandbox.app.stats()["requests"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for typed in ("D", "Do", "Doc"):
            response = client_as_viewer.get(
                f"/scenarios/?table=demodoc&q={typed}",
                headers={"HX-Request": "true", "HX-Target": "scenario-results"},
            )
            assert response.status_code == 200 and "DocScenarioAPI" in response.content.decode()
    assert sandbox.app.stats()["requests"] == before, "typing called ACTITO"
    assert callbacks == [], f"typing queued {len(callbacks)} task(s)"
    if "orm" in django_settings.Q_CLUSTER:
        assert not OrmQ.objects.exists(), "typing put a task in the queue"


def test_another_marketer_knowing_a_draft_key_cannot_rewrite_that_draft(
    client_as_marketer, doc, db
):
    from django.test import Client

    from tests.conftest import make_user

    key = str(uuid.uuid4())
    form = {"attribute": "emailAddress", "idempotency_key": key}
    first = client_as_marketer.post(f"/scenarios/{doc.pk}/list/", {**form, "text": "a@x.be"})
    assert first.status_code == 302
    intruder = Client()
    intruder.force_login(make_user("ivan", "Marketer"))
    response = intruder.post(f"/scenarios/{doc.pk}/list/", {**form, "text": "evil@x.be"})
    assert response.status_code == 403
    run = TriggerRun.objects.get()
    assert list(run.items.values_list("reference", flat=True)) == ["emailAddress=a@x.be"]
