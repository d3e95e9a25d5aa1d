"""Reviewing the log: who may, every filter, keyset pages and the detail page."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from django.test import Client

from actito_admin.audit.models import AuditEvent


def _ids(response) -> list[int]:
    """Event ids of the listed rows, in page order."""
    return [int(pk) for pk in re.findall(r'href="/audit/(\d+)/"', response.content.decode())]


@pytest.fixture
def sample(make_event, days_ago, rf, viewer, marketer):
    request = rf.get("/", REMOTE_ADDR="198.51.100.7")
    request.request_id = "req-run-0001"
    return {
        "login": make_event(actor=viewer, action="auth.login", at=days_ago(30)),
        "failed": make_event(
            action="auth.login_failed",
            actor_username="ghost",
            outcome="failure",
            data={"username": "ghost"},
            at=days_ago(20),
        ),
        "trigger": make_event(
            actor=marketer,
            action="scenario.trigger.requested",
            target=("scenarios.triggerrun", "77"),
            data={"scenario_name": "Welcome", "profile_label": "john.smith@example.com"},
            outcome="pending",
            request=request,
            at=days_ago(2),
        ),
        "performed": make_event(
            actor=marketer,
            action="scenario.trigger.performed",
            target=("scenarios.triggerrun", "77"),
            data={
                "scenario_name": "Welcome",
                "profile_label": "john.smith@example.com",
                "interactionBusinessKey": "IBK-123",
                "executionId": "exec-9",
                "task_id": "task-abc",
            },
            at=days_ago(1),
        ),
        "import": make_event(
            actor=marketer,
            action="import.uploaded",
            target=("imports.importjob", "5"),
            data={"file_name": "=cmd.csv", "table_name": "Customers"},
            at=days_ago(1),
        ),
    }


def test_anonymous_visitors_are_sent_to_login(client, db):
    for path in ["/audit/", "/audit/1/", "/audit/export.csv", "/audit/purges/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/"
        ), path


@pytest.mark.parametrize("persona", ["client_as_viewer", "client_as_marketer", "client_as_admin"])
def test_every_role_reads_the_log(request, persona, sample):
    client = request.getfixturevalue(persona)
    assert client.get("/audit/").status_code == 200
    assert client.get(f"/audit/{sample['trigger'].pk}/").status_code == 200


def test_a_user_without_a_role_cannot_read_the_log(client_as_outsider, sample):
    assert client_as_outsider.get("/audit/").status_code == 403


def test_events_are_listed_newest_first_in_plain_language(client_as_viewer, sample):
    response = client_as_viewer.get("/audit/")
    newest_first = AuditEvent.objects.order_by("-created_at", "-id").values_list("id", flat=True)
    assert _ids(response) == list(newest_first)
    html = response.content.decode()
    assert "mark asked to start «Welcome» for john.smith@example.com" in html
    assert "Failed log-in as «ghost»" in html
    assert "198.51.100.7" in html
    assert "kept for 730 days" in html


def test_times_are_local_with_the_exact_time_on_hover(client_as_viewer, sample):
    html = client_as_viewer.get("/audit/").content.decode()
    assert re.search(r'<time datetime="[^"]+\+0[12]:00" title="[^"]+:\d\d\.\d{6} CES?T"', html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("user=mark", ["import", "performed", "trigger"]),
        ("action=auth.login_failed", ["failed"]),
        ("action=scenario.trigger.*", ["performed", "trigger"]),
        ("outcome=pending", ["trigger"]),
        ("outcome=failure", ["failed"]),
        ("target_type=scenarios.triggerrun&target_id=77", ["performed", "trigger"]),
        ("target_type=imports.importjob", ["import"]),
        ("q=john.smith@example", ["performed", "trigger"]),  # inside `data`
        ("q=ghost", ["failed"]),
        ("q=198.51.100.7", ["trigger"]),  # the client address
        ("q=req-run-0001", ["trigger"]),  # a request id
        ("q=CUSTOMERS", ["import"]),  # case-insensitive
    ],
)
def test_each_filter_narrows_the_list(client_as_viewer, sample, query, expected):
    ids = _ids(client_as_viewer.get(f"/audit/?{query}"))
    assert sorted(ids) == sorted(sample[name].pk for name in expected), query


def test_a_date_range_includes_whole_local_days(client_as_viewer, sample, days_ago):
    from django.utils import timezone

    start = timezone.localdate(days_ago(21))
    end = timezone.localdate(days_ago(2))
    ids = _ids(client_as_viewer.get(f"/audit/?date_from={start}&date_to={end}"))
    assert sorted(ids) == sorted([sample["failed"].pk, sample["trigger"].pk])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-45", "Enter a valid date"),
        ("date_to=yesterday", "Enter a valid date"),
        ("date_from=2026-02-01&date_to=2026-01-01", "end date is before the start date"),
        ("before=garbage", "page link is damaged"),
        ("action=DROP TABLE", "Pick an action"),
        ("outcome=exploded", "Select a valid choice"),
    ],
)
def test_bad_filter_input_gets_a_message_not_an_error_page(
    client_as_viewer, sample, query, message
):
    response = client_as_viewer.get(f"/audit/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _ids(response) == []


def test_filtering_over_htmx_returns_only_the_results(client_as_viewer, sample):
    response = client_as_viewer.get("/audit/?user=mark", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="audit-results"')
    assert "<html" not in html and "audit-filters" not in html


def test_a_history_restore_gets_the_whole_page(client_as_viewer, sample):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client_as_viewer.get("/audit/", headers=headers).content.decode()


def test_the_filter_form_updates_the_list_and_the_address_over_htmx(client_as_viewer, sample):
    html = client_as_viewer.get("/audit/?user=mark").content.decode()
    form = re.search(r'<form id="audit-filters"[^>]*>', html).group(0)
    assert 'hx-get="/audit/"' in form and 'hx-push-url="true"' in form
    assert "delay:" in form and 'hx-target="#audit-results"' in form
    assert 'name="user" value="mark"' in html, "the filters are read back from the URL"


def test_keyset_pages_cover_every_event_once_even_with_equal_times(client_as_viewer, make_event):
    from django.utils import timezone

    same_moment = timezone.now()
    for i in range(120):
        make_event(action="auth.login", actor_username=f"u{i}", at=same_moment)
    seen: list[int] = []
    url = "/audit/?action=auth.login"
    pages = 0
    while url:
        response = client_as_viewer.get(url)
        seen += _ids(response)
        pages += 1
        nxt = re.search(r'<a rel="next" href="([^"]+)"', response.content.decode())
        url = urljoin("/audit/", nxt.group(1).replace("&amp;", "&")) if nxt else None
    expected = list(
        AuditEvent.objects.filter(action="auth.login").order_by("-id").values_list("id", flat=True)
    )
    assert pages == 3 and seen == expected


def test_the_older_events_link_keeps_the_filters(client_as_viewer, make_event):
    for _ in range(51):
        make_event(action="auth.logout")
    html = client_as_viewer.get("/audit/?action=auth.logout").content.decode()
    link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1)
    assert "action=auth.logout" in link and "before=" in link


def test_the_detail_shows_data_related_ids_and_the_same_run(client_as_viewer, sample):
    html = client_as_viewer.get(f"/audit/{sample['performed'].pk}/").content.decode()
    for text in ["IBK-123", "exec-9", "task-abc", "john.smith@example.com", "Welcome"]:
        assert text in html, text
    assert sample["performed"].hash in html
    # The request event shares the target; it is listed as part of the same run.
    assert f'href="/audit/{sample["trigger"].pk}/"' in html
    assert f'href="/audit/{sample["import"].pk}/"' not in html


def test_the_detail_links_events_of_the_same_request(client_as_viewer, make_event, rf):
    request = rf.get("/")
    request.request_id = "req-shared-42"
    first = make_event(action="connection.updated", request=request)
    second = make_event(action="connection.tested", request=request)
    html = client_as_viewer.get(f"/audit/{first.pk}/").content.decode()
    assert "req-shared-42" in html and f'href="/audit/{second.pk}/"' in html


def test_an_unknown_event_is_a_404(client_as_viewer, db):
    assert client_as_viewer.get("/audit/999999/").status_code == 404


def test_the_home_page_lists_recent_events_as_sentences(client_as_viewer, sample):
    html = client_as_viewer.get("/").content.decode()
    assert "mark started «Welcome» for john.smith@example.com" in html


def test_purge_records_are_hidden_from_viewers_but_not_from_admins(make_event, admin_user, viewer):
    purge = make_event(action="audit.purged", data={"count": 1, "archive": "a.jsonl.gz"})
    as_viewer, as_admin = Client(), Client()
    as_viewer.force_login(viewer)
    as_admin.force_login(admin_user)
    assert as_viewer.get(f"/audit/{purge.pk}/").status_code == 404
    assert purge.pk not in _ids(as_viewer.get("/audit/"))
    assert purge.pk in _ids(as_admin.get("/audit/"))
