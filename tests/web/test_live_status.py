"""Live-status fragments: an unchanged status costs at most 3 queries and no rendering (304),
a changed one is rendered at once, and the browser slows its polling while nothing changes."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from actito_admin.actito.connection import get_governor
from actito_admin.actito.models import Connection, ConnectionCheck
from actito_admin.imports.models import ImportJob
from actito_admin.scenarios.models import TriggerItem, TriggerRun
from tests.conftest import login_in_browser

HTMX = {"HTTP_HX_REQUEST": "true"}


def _list_run(user, total: int = 4, done: int = 1) -> TriggerRun:
    now = timezone.now()
    run = TriggerRun.objects.create(
        kind="list", status="running", table="customers", scenario_actito_id="11160",
        scenario_name="Welcome", total=total, requested_by=user, queued_at=now, started_at=now,
        heartbeat_at=now,
    )  # fmt: skip
    TriggerItem.objects.bulk_create(
        TriggerItem(run=run, position=i, reference=str(147000 + i),
                    status="succeeded" if i < done else "pending")
        for i in range(total)
    )  # fmt: skip
    return run


def _import_in_progress(user) -> ImportJob:
    return ImportJob.objects.create(
        status="in_progress", requested_by=user, original_name="contacts_fr.csv",
        stored_name="x", table_name="customers", execution_id="9001", actito_status="IN_PROGRESS",
        sent_at=timezone.now(),
    )  # fmt: skip


def _poll_twice(client, url: str, django_assert_max_num_queries):
    first = client.get(url, **HTMX)
    assert first.status_code == 200, f"{url}: the first poll renders the status"
    assert first["ETag"], f"{url}: a rendered status carries an ETag"
    with django_assert_max_num_queries(3):
        second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)
    return first, second


@pytest.mark.django_db
def test_an_unchanged_list_run_answers_304_with_at_most_three_queries(
    client_as_marketer, marketer, django_assert_max_num_queries
):
    run = _list_run(marketer)
    url = f"/scenarios/runs/{run.pk}/status/"
    first, second = _poll_twice(client_as_marketer, url, django_assert_max_num_queries)
    assert second.status_code == 304, "nothing changed, so nothing is rendered again"
    assert second.content == b""


@pytest.mark.django_db
def test_a_run_whose_item_finished_is_rendered_again_with_its_new_count(
    client_as_marketer, marketer
):
    run = _list_run(marketer, total=4, done=1)
    url = f"/scenarios/runs/{run.pk}/status/"
    first = client_as_marketer.get(url, **HTMX)
    assert "1 of 4 done" in first.content.decode()
    TriggerItem.objects.filter(run=run, position=1).update(status="succeeded")
    again = client_as_marketer.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)
    assert again.status_code == 200, "an item finished: the page must see it on this poll"
    assert "2 of 4 done" in again.content.decode()
    assert again["ETag"] != first["ETag"]


@pytest.mark.django_db
def test_the_same_status_is_rendered_for_a_reader_with_another_role(
    client_as_marketer, client_as_viewer, marketer
):
    run = _list_run(marketer)
    url = f"/scenarios/runs/{run.pk}/status/"
    tag = client_as_marketer.get(url, **HTMX)["ETag"]
    as_viewer = client_as_viewer.get(url, HTTP_IF_NONE_MATCH=tag, **HTMX)
    assert as_viewer.status_code == 200, "a viewer's fragment has no buttons: not the same"
    assert "Cancel the rest" not in as_viewer.content.decode()


@pytest.mark.django_db
def test_an_unchanged_import_answers_304_and_a_changed_one_is_rendered(
    client_as_marketer, marketer, django_assert_max_num_queries
):
    job = _import_in_progress(marketer)
    url = f"/imports/{job.pk}/status/?was=in_progress"
    first, second = _poll_twice(client_as_marketer, url, django_assert_max_num_queries)
    assert second.status_code == 304
    ImportJob.objects.filter(pk=job.pk).update(polls=3, actito_status="FINISHED")
    assert client_as_marketer.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX).status_code == 200


@pytest.mark.django_db
def test_a_running_connection_test_answers_304_while_unchanged(
    client_as_admin, admin_user, django_assert_max_num_queries
):
    connection, _ = Connection.objects.get_or_create(name="default")
    check = ConnectionCheck.objects.create(connection=connection, status="running")
    url = f"/settings/test/{check.pk}/"
    first, second = _poll_twice(client_as_admin, url, django_assert_max_num_queries)
    assert second.status_code == 304
    ConnectionCheck.objects.filter(pk=check.pk).update(
        status="ok", summary="Token and entity answered.", finished_at=timezone.now()
    )
    done = client_as_admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)
    assert done.status_code == 200 and "It works." in done.content.decode()


@pytest.mark.django_db
def test_the_usage_panel_answers_304_while_unchanged_and_shows_a_new_call(
    client_as_admin, admin_user, django_assert_max_num_queries
):
    # Production keeps the governor in Redis: the poll reads the user and the connection's
    # limits. The embedded default counts calls, leases and today's imports in the database
    # itself, three queries more.
    limit = 3 if settings.REDIS_URL else 6
    Connection.objects.create(name="default", calls_per_minute=6000, max_in_flight=5)
    url = "/settings/usage/"
    first = client_as_admin.get(url, **HTMX)
    assert first.status_code == 200 and first["ETag"], "the first poll renders the usage"
    with django_assert_max_num_queries(limit):
        second = client_as_admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)
    assert second.status_code == 304, "no call since the last poll, so nothing is rendered"
    governor = get_governor()
    lease = governor.acquire(lease_seconds=60)  # a call admitted and still in flight
    try:
        changed = client_as_admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)
        usage = governor.usage()
    finally:
        governor.release(lease)
    assert changed.status_code == 200, "a new call must show at the next poll"
    assert f"{usage.in_flight}/5" in changed.content.decode(), changed.content.decode()


@pytest.mark.django_db
def test_a_status_poll_for_a_run_that_does_not_exist_is_404(client_as_marketer):
    assert client_as_marketer.get("/scenarios/runs/999999/status/", **HTMX).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_polls_less_while_nothing_changes_and_shows_a_change_within_the_interval(
    page, marketer
):
    run = _list_run(marketer, total=4, done=1)
    login_in_browser(page, marketer)
    polls: list[tuple[float, int]] = []
    status_url = f"/scenarios/runs/{run.pk}/status/"
    page.on(
        "response",
        lambda r: polls.append((time.monotonic(), r.status)) if status_url in r.url else None,
    )
    page.goto(f"/scenarios/runs/{run.pk}/")
    page.wait_for_timeout(12_000)
    assert 304 in {status for _, status in polls}, "an unchanged run is answered 304"
    assert len(polls) <= 9, f"12 s of an unchanged run took {len(polls)} polls: no slow-down"
    gaps = [later - earlier for (earlier, _), (later, _) in zip(polls, polls[1:], strict=False)]
    assert gaps[-1] > 1.8, f"the poll should have slowed to 2 s or more; last gaps: {gaps[-3:]}"
    expect(page.locator(".run-counts")).to_contain_text("1 of 4 done")

    TriggerItem.objects.filter(run=run, position=1).update(status="succeeded")
    TriggerRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    # At its slowest the page polls every 5 s: the change shows within that.
    expect(page.locator(".run-counts")).to_contain_text("2 of 4 done", timeout=6_000)
    seen = len(polls)
    page.wait_for_timeout(3_000)
    assert len(polls) - seen >= 2, "after a change the page polls every second again"
    assert page.problems == [], page.problems


@pytest.mark.django_db
def test_the_data_version_ignores_who_reads_so_a_mere_re_render_does_not_speed_polling_up(
    client_as_marketer, client_as_viewer, marketer
):
    run = _list_run(marketer)
    url = f"/scenarios/runs/{run.pk}/status/"
    as_marketer = client_as_marketer.get(url, **HTMX)
    as_viewer = client_as_viewer.get(url, **HTMX)
    assert as_marketer["ETag"] != as_viewer["ETag"]
    assert as_marketer["X-Live-Version"] == as_viewer["X-Live-Version"]
    TriggerItem.objects.filter(run=run, position=2).update(status="failed")
    assert client_as_viewer.get(url, **HTMX)["X-Live-Version"] != as_viewer["X-Live-Version"]


@pytest.mark.django_db
def test_a_cancelled_list_is_followed_until_its_call_in_flight_has_its_answer(
    client_as_marketer, marketer
):
    run = _list_run(marketer, total=4, done=1)
    TriggerItem.objects.filter(run=run, position=1).update(status="sending")
    TriggerItem.objects.filter(run=run, position__gt=1).update(status="cancelled")
    TriggerRun.objects.filter(pk=run.pk).update(status="cancelled")
    url = f"/scenarios/runs/{run.pk}/status/"
    page = client_as_marketer.get(url, **HTMX).content.decode()
    assert "hx-trigger" in page, "a call is still in flight: the page must keep following it"
    TriggerItem.objects.filter(run=run, position=1).update(status="succeeded")
    page = client_as_marketer.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in page, "nothing in flight any more: polling stops"
    assert "2 started" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_when_a_list_ends_its_finish_time_and_not_started_list_appear_without_a_reload(
    page, marketer
):
    run = _list_run(marketer, total=3, done=1)
    login_in_browser(page, marketer)
    page.goto(f"/scenarios/runs/{run.pk}/")
    expect(page.locator(".run-counts")).to_contain_text("1 of 3 done")
    TriggerItem.objects.filter(run=run, position=1).update(status="succeeded")
    TriggerItem.objects.filter(run=run, position=2).update(
        status="failed", message="ACTITO could not find the profile."
    )
    TriggerRun.objects.filter(pk=run.pk).update(status="finished", finished_at=timezone.now())
    expect(page.get_by_role("heading", name="Not started (first 50)")).to_be_visible(timeout=8_000)
    expect(page.locator("#run-facts")).to_contain_text("Finished")
    expect(page.locator("#run-facts")).to_contain_text("could not find the profile")
    assert page.problems == [], page.problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_tab_title_shows_a_live_list_s_progress(page, marketer):
    run = _list_run(marketer, total=4, done=1)
    login_in_browser(page, marketer)
    page.goto(f"/scenarios/runs/{run.pk}/")
    expect(page).to_have_title("25 % · «Welcome» for 4")
    TriggerItem.objects.filter(run=run).update(status="succeeded")
    TriggerRun.objects.filter(pk=run.pk).update(status="finished", finished_at=timezone.now())
    expect(page).to_have_title(f"Run #{run.pk} · Actito Admin", timeout=8_000)


@pytest.mark.django_db
def test_an_unfamiliar_status_word_from_actito_is_shown_as_it_is(client_as_marketer, marketer):
    job = _import_in_progress(marketer)
    ImportJob.objects.filter(pk=job.pk).update(actito_status="VALIDATING")
    page = client_as_marketer.get(f"/imports/{job.pk}/status/", **HTMX).content.decode()
    assert "ACTITO reports «VALIDATING»" in page and "hx-trigger" in page, "shown, still followed"
