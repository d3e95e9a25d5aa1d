"""Every event is chained to the one before it, and `audit_verify` finds any edit."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, connections

from actito_admin.audit.chain import GENESIS, event_hash, verify_chain
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event

from .conftest import tamper


def _fields(event: AuditEvent) -> dict:
    from actito_admin.audit.chain import HASHED_FIELDS

    return {name: getattr(event, name) for name in HASHED_FIELDS}


def test_each_event_links_to_the_hash_of_the_one_before(make_event):
    first, second, third = (make_event(action="auth.login") for _ in range(3))
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_the_hash_matches_the_event_as_read_back_from_the_database(make_event, rf, viewer):
    request = rf.get("/", REMOTE_ADDR="2001:0DB8:0000::0001", HTTP_USER_AGENT="Zoë's browser")
    request.request_id = "req-abcdef12"
    event = make_event(
        actor=viewer,
        action="import.finished",
        target=("imports.importjob", "42"),
        data={"z": 1.5, "a": ["é", {"nested": None}], "tuple": (1, 2), "big": 2**53 + 1},
        request=request,
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert event_hash(_fields(stored)) == stored.hash == event.hash


def test_audit_verify_reports_an_intact_chain(make_event, capsys):
    for _ in range(5):
        make_event()
    call_command("audit_verify")
    assert "chain intact: 5 events" in capsys.readouterr().out


def test_audit_verify_names_a_row_edited_behind_the_applications_back(make_event):
    events = [make_event(data={"file_name": f"f{i}.csv"}) for i in range(4)]
    victim = events[2]
    tamper("UPDATE audit_auditevent SET actor_username = %s WHERE id = %s", ["mallory", victim.pk])
    with pytest.raises(CommandError, match=rf"BROKEN at event #{victim.pk} .*edited") as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1, "the command must exit non-zero"


def test_audit_verify_notices_an_event_removed_from_the_middle(make_event):
    events = [make_event() for _ in range(4)]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert not result.ok and result.broken.event_id == events[2].pk
    assert "removed" in result.broken.problem


def test_audit_verify_notices_events_removed_from_the_start_without_a_purge(make_event):
    events = [make_event() for _ in range(3)]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    result = verify_chain()
    assert not result.ok and result.broken.event_id == events[1].pk


def test_audit_verify_notices_a_recomputed_hash_that_no_longer_links(make_event):
    events = [make_event() for _ in range(3)]
    forged = _fields(events[1]) | {"action": "auth.logout"}
    tamper(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["auth.logout", event_hash(forged), events[1].pk],
    )
    result = verify_chain()
    assert not result.ok and result.broken.event_id == events[2].pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_a_single_chain():
    """Threads, each with its own database connection, append at once (SQLite and PostgreSQL)."""
    writers, per_writer = 6, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                record_event(actor=None, actor_username=f"w{n}", action="auth.login", data={"i": i})
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == writers * per_writer
    assert len(set(prev_hashes)) == len(prev_hashes), (
        f"two events link to the same predecessor: the chain forked on {connection.vendor}"
    )
    assert verify_chain().ok


def test_deleting_a_user_does_not_break_the_chain(make_event):
    user = User.objects.create_user("temp")
    make_event(actor=user)
    make_event()
    User.objects.filter(pk=user.pk).delete()
    assert verify_chain().ok
