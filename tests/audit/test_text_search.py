"""Free-text search in the audit log goes through a trigram index on SQLite and PostgreSQL and
finds exactly what the plain "contains" filter finds."""

from __future__ import annotations

import pytest

from actito_admin.audit import search
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(marketer, admin_user):
    record_event(actor=marketer, action="scenario.trigger.requested",
                 target=("scenarios.triggerrun", "41"),
                 data={"scenario_id": "11160", "scenario_name": "Relance panier abandonné",
                       "reference": "emailAddress=Sophie.Dubois@example.com"})  # fmt: skip
    record_event(actor=admin_user, action="connection.updated",
                 data={"changed": ["base URL"]})  # fmt: skip
    record_event(actor=None, actor_username="mallory", action="auth.login_failed",
                 outcome="failure", data={"username": "mallory"})  # fmt: skip
    record_event(actor=marketer, action="import.submitted", target=("imports.importjob", "7"),
                 data={"table_name": "customers", "file": "contacts_fr.csv"})  # fmt: skip


def _plain(text: str) -> list[int]:
    return sorted(AuditEvent.objects.filter(search.text_match(text)).values_list("pk", flat=True))


def _searched(text: str) -> list[int]:
    return sorted(AuditEvent.objects.filter_text(text).values_list("pk", flat=True))


def test_the_search_index_exists_on_this_database():
    assert search.has_index(), "the migration should have made the trigram index"


@pytest.mark.parametrize(
    "text",
    ["sophie.dubois", "SOPHIE", "11160", "relance", "mallory", "trigger", "41", "7",
     "contacts_fr", "customers", "base url", "nothing-like-this", "ma", "a", "%", "_", '"'],
)  # fmt: skip
def test_searching_finds_exactly_what_contains_finds(events, text):
    assert _searched(text) == _plain(text), f"searching {text!r} through the index differs"


def test_an_event_recorded_now_is_found_at_once(events, marketer):
    record_event(actor=marketer, action="import.uploaded", data={"file": "nieuwsbrief_nl.csv"})
    found = list(AuditEvent.objects.filter_text("nieuwsbrief").values_list("action", flat=True))
    assert found == ["import.uploaded"]


def test_the_review_page_finds_an_event_by_a_word_of_its_data(events, client_as_admin):
    page = client_as_admin.get("/audit/", {"q": "contacts_fr"}).content.decode()
    assert '<code class="audit-action">import.submitted</code>' in page
    assert '<code class="audit-action">auth.login_failed</code>' not in page, "not the text"


def test_a_text_with_more_candidates_than_the_index_hands_over_gives_the_same_results(
    events, monkeypatch
):
    monkeypatch.setattr(search, "FEW", 1)  # every text with two candidates or more is "common"
    for text in ("scenario", "example", "customers", "mallory"):
        assert _searched(text) == _plain(text), text
