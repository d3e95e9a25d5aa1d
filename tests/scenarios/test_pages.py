"""Search, pages and permissions, without a cluster (the lists are put in the database)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from actito_admin.actito.connection import get_connection
from actito_admin.scenarios import services
from actito_admin.scenarios.models import Catalog, ProfileTable, Scenario, TriggerRun

pytestmark = pytest.mark.django_db
SANDBOX = {"SANDBOX_URL": "http://127.0.0.1:9", "ACTITO_BASE_URL": "", "ACTITO_API_KEY": ""}


@pytest.fixture
def lists(settings):
    settings.SANDBOX_URL, settings.ACTITO_BASE_URL, settings.ACTITO_API_KEY = SANDBOX.values()
    scope = get_connection().scope
    now = timezone.now()
    ProfileTable.objects.create(scope=scope, name="demodoc", key_attributes=["emailAddress"])
    Catalog.objects.create(scope=scope, kind="tables", refreshed_at=now)
    Catalog.objects.create(scope=scope, kind="scenarios", table="demodoc", refreshed_at=now)
    make = Scenario.objects.create
    doc = make(
        scope=scope,
        table="demodoc",
        actito_id="11160",
        is_active=True,
        name="DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170",
        is_start_event_triggered=True,
    )
    make(
        scope=scope,
        table="demodoc",
        actito_id="11161",
        name="DocScenarioDraft",
        is_active=False,
        is_start_event_triggered=True,
    )
    make(
        scope=scope,
        table="demodoc",
        actito_id="11162",
        name="DocScenarioBirthday",
        is_active=True,
        is_start_event_triggered=False,
    )
    return doc


def _names(found) -> list[str]:
    return [s.actito_id for s in found]


def test_plain_words_search_anywhere_and_both_filters_are_on_by_default(lists):
    scope = lists.scope
    assert _names(services.scenario_search(scope=scope, table="demodoc", words="scen")) == ["11160"]
    everything = services.scenario_search(
        scope=scope, table="demodoc", words="doc", only_triggerable=False, only_active=False
    )
    assert sorted(_names(everything)) == ["11160", "11161", "11162"]
    assert (
        _names(
            services.scenario_search(scope=scope, table="demodoc", words="Scen*", only_active=False)
        )
        == []
    ), "a typed * is taken as it is: the name must start with Scen"


def test_the_search_page_shows_names_badges_and_why_a_scenario_cannot_be_started(
    client_as_viewer, lists
):
    page = client_as_viewer.get("/scenarios/?table=demodoc&q=doc&filtered=1").content.decode()
    assert "DocScenarioAPI" in page and "11160" in page
    assert "DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170" in page
    assert "only such scenarios can be started" in page
    assert "Updated" in page and "Refresh" in page


def test_typing_reads_our_database_only(client_as_viewer, lists, django_assert_max_num_queries):
    # The sandbox address is unreachable: any ACTITO call would fail the page.
    response = client_as_viewer.get(
        "/scenarios/?table=demodoc&q=zzz&filtered=1&only_active=on",
        headers={"HX-Request": "true", "HX-Target": "scenario-results"},
    )
    assert response.status_code == 200
    assert "No scenario of demodoc matches «zzz»" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_a_missing_list_is_refreshed_by_a_task_and_the_page_polls(
    client_as_viewer, settings, django_capture_on_commit_callbacks
):
    settings.SANDBOX_URL, settings.ACTITO_BASE_URL, settings.ACTITO_API_KEY = SANDBOX.values()
    with django_capture_on_commit_callbacks() as callbacks:
        page = client_as_viewer.get("/scenarios/").content.decode()
        client_as_viewer.get("/scenarios/")  # a second visitor queues nothing more
    assert len(callbacks) == 1
    assert "Loading the profile tables" in page and 'hx-trigger="every 1s"' in page


def test_an_actito_error_while_refreshing_is_shown_plainly(client_as_viewer, lists):
    Catalog.objects.filter(kind="scenarios").update(error="ACTITO had a problem on its side.")
    page = client_as_viewer.get("/scenarios/?table=demodoc").content.decode()
    assert "ACTITO did not give the list of scenarios." in page


@override_settings(SANDBOX_URL="", ACTITO_BASE_URL="", ACTITO_API_KEY="", ACTITO_ENTITY="")
def test_no_connection_says_so_instead_of_searching(client_as_viewer):
    page = client_as_viewer.get("/scenarios/").content.decode()
    assert "not set up yet" in page


def test_the_chosen_table_is_remembered_per_user(client_as_viewer, viewer, lists):
    client_as_viewer.get("/scenarios/?table=demodoc")
    assert services.search_table_of(viewer) == "demodoc"


def test_a_viewer_reads_but_sees_no_trigger_button_and_gets_403_on_posts(client_as_viewer, lists):
    page = client_as_viewer.get(f"/scenarios/{lists.pk}/").content.decode()
    assert "DocScenarioAPI" in page and "Look up" not in page
    for path in ("lookup", "trigger", "list"):
        assert client_as_viewer.post(f"/scenarios/{lists.pk}/{path}/").status_code == 403
    run = TriggerRun.objects.create(
        table="demodoc", scenario_actito_id="1", scenario_name="x", status="failed"
    )
    for action in ("retry", "pause", "resume", "cancel"):
        assert client_as_viewer.post(f"/scenarios/runs/{run.pk}/{action}/").status_code == 403
    assert client_as_viewer.get(f"/scenarios/runs/{run.pk}/").status_code == 200


def test_bad_input_gets_a_message_not_an_error_page(client_as_marketer, lists):
    trigger = client_as_marketer.post(
        f"/scenarios/{lists.pk}/trigger/",
        {"attribute": "profileId", "value": "abc", "idempotency_key": "nope"},
    )
    assert trigger.status_code == 422 and "is a number" in trigger.content.decode()
    lookup = client_as_marketer.post(
        f"/scenarios/{lists.pk}/lookup/", {"attribute": "emailAddress", "value": "x"}
    )
    assert lookup.status_code == 422 and "not an e-mail address" in lookup.content.decode()
    listed = client_as_marketer.post(
        f"/scenarios/{lists.pk}/list/",
        {"attribute": "profileId", "text": "abc\n", "idempotency_key": str(uuid.uuid4())},
    )
    assert listed.status_code == 422 and "None of the lines" in listed.content.decode()
    assert client_as_marketer.get("/scenarios/999999/").status_code == 404
    assert client_as_marketer.get("/scenarios/history/?date_from=yesterday").status_code == 200


def test_a_scenario_that_cannot_be_started_refuses_a_trigger(client_as_marketer, lists):
    draft = Scenario.objects.get(actito_id="11161")
    response = client_as_marketer.post(
        f"/scenarios/{draft.pk}/trigger/",
        {"attribute": "profileId", "value": "1", "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 422 and not TriggerRun.objects.exists()


def test_a_list_shows_counts_before_confirmation_and_confirms_once(client_as_marketer, lists):
    key = str(uuid.uuid4())
    form = {"attribute": "emailAddress", "text": "a@x.be\nA@x.be\nnope\n", "idempotency_key": key}
    response = client_as_marketer.post(f"/scenarios/{lists.pk}/list/", form)
    again = client_as_marketer.post(f"/scenarios/{lists.pk}/list/", form)  # back + resubmit
    assert response["Location"] == again["Location"]
    page = client_as_marketer.get(response["Location"]).content.decode()
    assert "<strong>1</strong> different profile " in page
    assert "<strong>1</strong> duplicate line " in page
    assert "<strong>1</strong> invalid line " in page
    run = TriggerRun.objects.get()
    assert (
        run.status == "draft"
        and not client_as_marketer.get("/scenarios/history/").context["page"].object_list
    )
    client_as_marketer.post(response["Location"])
    client_as_marketer.post(response["Location"])
    run.refresh_from_db()
    assert run.status == "queued"


def test_history_filters_by_status_user_and_table(client_as_viewer, marketer, lists):
    make = TriggerRun.objects.create
    make(
        table="demodoc",
        scenario_actito_id="1",
        scenario_name="Welcome",
        status="succeeded",
        requested_by=marketer,
    )
    make(table="customers", scenario_actito_id="2", scenario_name="Birthday", status="failed")

    def names(query: str) -> list[str]:
        page = client_as_viewer.get(f"/scenarios/history/?{query}").context["page"]
        return [r.scenario_name for r in page.object_list]

    assert names("status=failed") == ["Birthday"]
    assert names(f"user={marketer.pk}") == ["Welcome"]
    assert names("table=customers&scenario=birth") == ["Birthday"]


def test_the_home_page_has_a_card_with_recent_starts(client_as_viewer, lists):
    TriggerRun.objects.create(
        table="demodoc",
        scenario_actito_id="1",
        scenario_name="Welcome",
        status="succeeded",
        profile_label="Jo <jo@x.be>",
    )
    page = client_as_viewer.get("/").content.decode()
    assert "Scenario starts" in page and "Jo &lt;jo@x.be&gt;" in page


def test_pressing_refresh_again_and_again_spends_at_most_one_call_per_30_s(client_as_viewer, lists):
    Catalog.objects.all().update(status="idle", refreshed_at=timezone.now())
    for _ in range(5):
        client_as_viewer.post("/scenarios/refresh/", {"table": "demodoc"})
    assert not Catalog.objects.exclude(status="idle").exists(), "a fresh list is not refreshed"
    Catalog.objects.all().update(refreshed_at=timezone.now() - timedelta(seconds=31))
    client_as_viewer.post("/scenarios/refresh/", {"table": "demodoc"})
    assert Catalog.objects.filter(status="queued").exists(), "after 30 s, Refresh works again"


def test_the_profile_named_in_the_audit_is_the_one_looked_up_not_a_form_field(
    client_as_marketer, lists, monkeypatch
):
    from actito_admin.audit.models import AuditEvent

    class Preview:
        label = "Sophie Dubois <sophie.dubois@example.com>"

    monkeypatch.setattr(services, "profile_lookup", lambda **kwargs: Preview())
    page = client_as_marketer.post(
        f"/scenarios/{lists.pk}/lookup/", {"attribute": "profileId", "value": "147471"}
    )
    key = page.context["trigger_form"].initial["idempotency_key"]
    client_as_marketer.post(
        f"/scenarios/{lists.pk}/trigger/",
        {"attribute": "profileId", "value": "147471", "idempotency_key": str(key),
         "profile_label": "The CEO <ceo@example.com>"},
    )  # fmt: skip
    run = TriggerRun.objects.get()
    assert run.profile_label == Preview.label
    event = AuditEvent.objects.get(action="scenario.trigger.requested")
    assert event.data["profile_label"] == Preview.label, "the hidden field must not be trusted"


@pytest.mark.parametrize(
    "typed",
    ["abandonne", "ABANDONNÉ", "panier relance", "relance-panier", "email", "e-mail", "E mail"],
)
def test_search_forgives_accents_word_order_hyphens_and_capitals(lists, typed):
    scope = lists.scope
    Scenario.objects.create(
        scope=scope, table="demodoc", actito_id="11170", is_active=True,
        is_start_event_triggered=True, name="Relance panier abandonné (e-mail)",
    )  # fmt: skip
    found = services.scenario_search(scope=scope, table="demodoc", words=typed)
    assert _names(found) == ["11170"], f"«{typed}» should find «Relance panier abandonné»"


def test_the_page_says_how_many_matches_the_default_filters_hide_and_offers_them(
    client_as_viewer, lists
):
    page = client_as_viewer.get("/scenarios/", {"table": "demodoc", "q": "doc"}).content.decode()
    assert "2 more scenarios match but are inactive or cannot be started by API" in page
    assert "Show them" in page
    shown = client_as_viewer.get(
        "/scenarios/", {"table": "demodoc", "q": "doc", "filtered": "1"}
    ).content.decode()
    assert "DocScenarioDraft" in shown and "DocScenarioBirthday" in shown
    assert "more scenarios match" not in shown


def test_starting_the_same_scenario_for_the_same_profile_within_a_day_warns_first(
    client_as_marketer, marketer, lists, monkeypatch
):
    class Preview:
        name = "Sophie Dubois"
        label = "Sophie Dubois <sophie.dubois@example.com>"
        email = "sophie.dubois@example.com"
        key_values: list = []
        subscriptions: list = []

    monkeypatch.setattr(services, "profile_lookup", lambda **kwargs: Preview())
    lookup = {"attribute": "emailAddress", "value": "sophie.dubois@example.com"}
    first = client_as_marketer.post(f"/scenarios/{lists.pk}/lookup/", lookup).content.decode()
    assert "Already started lately" not in first
    earlier = TriggerRun.objects.create(
        scenario=lists, table="demodoc", scenario_actito_id="11160", scenario_name=lists.name,
        profile_label=Preview.label, status="succeeded", requested_by=marketer,
    )  # fmt: skip
    # Asked for by profileId before, by e-mail now: still the same person.
    page = client_as_marketer.post(f"/scenarios/{lists.pk}/lookup/", lookup).content.decode()
    assert "Already started lately" in page
    assert "Sophie Dubois got «DocScenarioAPI»" in page and f"run #{earlier.pk}" in page
    assert "for Sophie Dubois &lt;sophie.dubois@example.com&gt; again?" in page
