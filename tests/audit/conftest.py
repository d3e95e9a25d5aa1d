"""Fixtures for the audit review, export, chain and retention tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from actito_admin.audit import triggers
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event


@contextmanager
def frozen_at(when: dt.datetime) -> Iterator[None]:
    """record_event stamps events with timezone.now(); pretend it is `when`."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


@pytest.fixture
def make_event(db) -> Callable[..., AuditEvent]:
    """record_event with an optional `at=` time (default: now) and sensible defaults."""

    def make(*, at: dt.datetime | None = None, **kwargs: Any) -> AuditEvent:
        kwargs.setdefault("actor", None)
        kwargs.setdefault("action", "auth.login")
        if at is None:
            return record_event(**kwargs)
        with frozen_at(at):
            return record_event(**kwargs)

    return make


@pytest.fixture
def days_ago() -> Callable[[float], dt.datetime]:
    now = timezone.now()
    return lambda days: now - dt.timedelta(days=days)


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "audit-archive"


@contextmanager
def guard_lifted() -> Iterator[None]:
    """Disable the database's append-only guard, as an attacker with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        else:
            cursor.execute(triggers.SQLITE_DROP_NO_UPDATE)
            cursor.execute(triggers.SQLITE_DROP_NO_DELETE)
        try:
            yield
        finally:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
                )
            else:
                cursor.execute(triggers.SQLITE_NO_UPDATE)
                cursor.execute(triggers.SQLITE_NO_DELETE)


def tamper(sql: str, params: list[Any]) -> None:
    with guard_lifted(), connection.cursor() as cursor:
        cursor.execute(sql, params)
