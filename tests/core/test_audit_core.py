"""The audit log is append-only, and it never stores a secret."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from actito_admin.audit.models import AuditEvent, AuditEventImmutable
from actito_admin.audit.services import REDACTED, record_event


@pytest.fixture
def event(viewer):
    return record_event(actor=viewer, action="auth.login", data={"note": "hello"})


def test_an_event_cannot_be_saved_again_through_the_orm(event):
    event.action = "auth.logout"
    with pytest.raises(AuditEventImmutable):
        event.save()


def test_an_event_cannot_be_deleted_through_the_orm(event):
    with pytest.raises(AuditEventImmutable):
        event.delete()
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    assert AuditEvent.objects.filter(pk=event.pk, action="auth.login").exists()


def test_the_database_itself_refuses_update_and_delete(event):
    table = AuditEvent._meta.db_table
    for statement in (
        f"UPDATE {table} SET action = 'tampered' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login", (
        f"the {connection.vendor} database let an audit row change"
    )


def test_deleting_a_user_keeps_their_events_and_name(viewer, event):
    viewer.delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor_username == "vera"


def test_secrets_in_event_data_are_redacted_at_any_depth(viewer):
    stored = record_event(
        actor=viewer,
        action="connection.updated",
        data={
            "api_key": "abcd1234secret",
            "nested": {"password": "p", "Authorization": "Bearer xyz", "entity": "actito"},
            "items": [{"token": "t"}, "Bearer abc.def"],
            "changed": ["entity"],
        },
    )
    data = AuditEvent.objects.get(pk=stored.pk).data
    assert data["api_key"] == REDACTED
    assert data["nested"] == {"password": REDACTED, "Authorization": REDACTED, "entity": "actito"}
    assert data["items"] == [{"token": REDACTED}, REDACTED]
    assert data["changed"] == ["entity"]
    assert "abcd1234secret" not in str(data)


def test_events_record_who_what_target_and_request_details(rf, viewer):
    request = rf.get("/", HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="192.0.2.10")
    request.request_id = "req-12345678"
    stored = record_event(
        actor=viewer,
        action="scenario.trigger.requested",
        target=("scenario", "11160"),
        outcome="pending",
        request=request,
    )
    assert (stored.actor_username, stored.target_type, stored.target_id) == (
        "vera",
        "scenario",
        "11160",
    )
    assert (stored.ip_address, stored.user_agent, stored.request_id) == (
        "192.0.2.10",
        "Firefox/140",
        "req-12345678",
    )
    assert stored.outcome == "pending" and stored.created_at is not None
