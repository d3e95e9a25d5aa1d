"""Old events are archived, then removed, and the log still verifies afterwards."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django_q.models import Schedule

from actito_admin.audit.chain import verify_chain
from actito_admin.audit.models import PURGE_ACTION, AuditEvent
from actito_admin.audit.retention import audit_purge
from actito_admin.audit.tasks import audit_purge_daily


@pytest.fixture
def old_and_new(make_event, days_ago):
    old = [make_event(action="auth.login", at=days_ago(800 - i)) for i in range(3)]
    new = [make_event(action="auth.logout", at=days_ago(10 - i)) for i in range(2)]
    return old, new


def test_a_purge_archives_old_events_then_removes_them(old_and_new, archive_dir, capsys):
    old, new = old_and_new
    call_command("audit_purge", "--days", "730")
    assert "Archived 3 events" in capsys.readouterr().out
    remaining = set(AuditEvent.objects.values_list("id", flat=True))
    assert remaining.isdisjoint(e.pk for e in old) and remaining >= {e.pk for e in new}
    (archive,) = archive_dir.glob("audit-*.jsonl.gz")
    with gzip.open(archive, "rt") as f:
        archived = [json.loads(line) for line in f]
    assert [row["id"] for row in archived] == [e.pk for e in old]
    assert archived[0]["hash"] == old[0].hash and archived[0]["action"] == "auth.login"


def test_a_purge_is_recorded_with_counts_archive_and_anchor(old_and_new, archive_dir):
    old, _ = old_and_new
    result = audit_purge(days=730)
    purge = AuditEvent.objects.get(action=PURGE_ACTION)
    assert purge.data["count"] == 3 == result.count
    assert purge.data["archive"] == result.archive.name
    assert purge.data["anchor_hash"] == old[-1].hash


def test_the_log_still_verifies_after_one_purge_and_after_another(
    old_and_new, archive_dir, make_event, days_ago
):
    audit_purge(days=730)
    assert verify_chain().ok
    make_event(action="auth.login")
    second = audit_purge(days=5)  # the two "new" events; the first purge record is recent
    assert second.count == 2
    result = verify_chain()
    assert result.ok, result.broken
    assert result.anchor == second.anchor_hash


def test_a_dry_run_removes_and_archives_nothing(old_and_new, archive_dir, capsys):
    call_command("audit_purge", "--dry-run")
    assert "Dry run: 3 events" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 5
    assert not archive_dir.exists() or not any(archive_dir.iterdir())


def test_nothing_to_purge_writes_no_archive_and_no_event(make_event, archive_dir, capsys):
    make_event()
    call_command("audit_purge")
    assert "Nothing to purge" in capsys.readouterr().out
    assert not AuditEvent.objects.filter(action=PURGE_ACTION).exists()


def test_the_database_still_refuses_deletes_after_a_purge(old_and_new, archive_dir):
    audit_purge(days=730)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 3  # two new events and the purge record


def test_the_purge_runs_daily_on_the_task_queue(old_and_new, archive_dir):
    schedule = Schedule.objects.get(name="audit_purge")
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.func == "actito_admin.audit.tasks.audit_purge_daily"
    assert audit_purge_daily().startswith("purged 3 events")


def test_the_purge_history_is_for_admins_only(old_and_new, archive_dir, client_as_admin, viewer):
    from django.test import Client

    audit_purge(days=730)
    html = client_as_admin.get("/audit/purges/").content.decode()
    assert "audit-" in html and ".jsonl.gz" in html
    as_viewer = Client()
    as_viewer.force_login(viewer)
    assert as_viewer.get("/audit/purges/").status_code == 403
    page = as_viewer.get("/audit/").content.decode()
    assert "The system archived and removed" not in page, "purge records are hidden from viewers"
    assert "The system archived and removed 3" in client_as_admin.get("/audit/").content.decode()
