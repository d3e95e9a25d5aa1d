"""Changing the connection settings and testing the connection."""

from __future__ import annotations

from typing import Any

import httpx
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_q.tasks import async_task

from actito_admin.audit.actions import Action
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event

from .connection import DEFAULT_NAME, build_client, encrypt_secret, get_connection
from .errors import ActitoError
from .models import Connection, ConnectionCheck, PathStyle

# Plain settings copied from the form as they are; the API key is handled apart (never audited).
PLAIN_FIELDS = (
    "environment",
    "custom_base_url",
    "entity",
    "calls_per_minute",
    "max_in_flight",
    "daily_imports_per_table",
    "path_style",
    "timeout_seconds",
)


def connection_initial(row: Connection | None) -> dict[str, Any]:
    """Form values for the stored settings (blank where the environment or defaults apply)."""
    if row is None:
        return {"path_style": PathStyle.SERVICE}
    return {name: getattr(row, name) for name in PLAIN_FIELDS}


def connection_update(
    *,
    actor: User,
    data: dict[str, Any],
    request: HttpRequest | None = None,
    name: str = DEFAULT_NAME,
) -> list[str]:
    """Store the form's cleaned data; audit the changed field names. Returns them."""
    with transaction.atomic():
        row, _created = Connection.objects.select_for_update().get_or_create(name=name)
        changed: list[str] = []
        values: dict[str, Any] = {}
        for field in PLAIN_FIELDS:
            new = data.get(field)
            if new in (None, ""):
                new = None if field in _NULLABLE else ""
            if field == "path_style" and not new:
                new = PathStyle.SERVICE
            if getattr(row, field) != new:
                setattr(row, field, new)
                changed.append(field)
                values[field] = new
        if data.get("api_key"):
            key = data["api_key"]
            row.api_key_encrypted = encrypt_secret(key)
            row.api_key_last4 = key[-4:]
            changed.append("api_key")
        elif data.get("clear_api_key") and row.api_key_encrypted:
            row.api_key_encrypted = row.api_key_last4 = ""
            changed.append("api_key")
        if changed:
            row.save()
            # Field names and non-secret values only: the key itself never reaches the log.
            record_event(
                actor=actor,
                action=Action.CONNECTION_UPDATED,
                target=row,
                data={"changed": changed, "values": values},
                request=request,
            )
    return changed


_NULLABLE = {"calls_per_minute", "max_in_flight", "daily_imports_per_table", "timeout_seconds"}


def connection_check_request(
    *, actor: User, request: HttpRequest | None = None, name: str = DEFAULT_NAME
) -> ConnectionCheck:
    """Queue a connection test; a worker runs it so the browser never waits on ACTITO."""
    with transaction.atomic():
        row, _created = Connection.objects.get_or_create(name=name)
        check = ConnectionCheck.objects.create(connection=row, requested_by=actor)
        record_event(
            actor=actor,
            action=Action.CONNECTION_TEST_REQUESTED,
            target=check,
            outcome=AuditEvent.Outcome.PENDING,
            request=request,
        )
        transaction.on_commit(
            lambda: async_task("actito_admin.actito.tasks.connection_check_run", check.pk)
        )
    return check


def connection_check_perform(
    *, check: ConnectionCheck, transport: httpx.BaseTransport | None = None
) -> ConnectionCheck:
    """Fetch a token, find the entity, list its tables; store a plain-words result (in the
    language of the person who asked: the task runs in it)."""
    steps: list[dict[str, Any]] = []
    ok = False
    try:
        connection = get_connection(check.connection.name)
        # A worker may wait a little for a governor slot; a test is not urgent.
        with build_client(
            connection, transport=transport, max_wait_seconds=20, max_attempts=2
        ) as client:
            client.fetch_token()
            steps.append({"step": "token", "ok": True, "message": _("Token received")})
            try:
                names = [e.name for e in client.list_entities()]
            except ActitoError as exc:
                if exc.status not in (403, 404):
                    raise
                names = None  # the key may not be allowed to list entities; tables will tell
            if names is not None and connection.entity not in names:
                # Translators: the list of entities an API key sees, when it sees none.
                listed = ", ".join(names) or _("none")
                raise ActitoError(
                    "entity not listed",
                    status=404,
                    user_message=_("Entity %(entity)s not found: this key sees %(listed)s.")
                    % {"entity": connection.entity, "listed": listed},
                )
            if names is not None:
                steps.append(
                    {
                        "step": "entity",
                        "ok": True,
                        "message": _("entity %(entity)s found") % {"entity": connection.entity},
                    }
                )
            tables = client.list_tables()
            table_names = ", ".join(t.name for t in tables)
            values = {"count": len(tables), "names": table_names}
            if tables:
                message = ngettext(
                    "%(count)s profile table: %(names)s",
                    "%(count)s profile tables: %(names)s",
                    len(tables),
                )
            else:
                message = ngettext("%(count)s profile table", "%(count)s profile tables", 0)
            steps.append({"step": "tables", "ok": True, "message": message % values})
            ok = True
    except ActitoError as exc:
        # The address may not be ACTITO's at all: its own words are not shown (nor stored).
        steps.append({"step": "error", "ok": False, "message": exc.message_without_server_words})
    except Exception as exc:  # a check must always finish, whatever broke
        steps.append(
            {
                "step": "error",
                "ok": False,
                "message": _("Unexpected error: %(error)s") % {"error": type(exc).__name__},
            }
        )
    check.steps = steps
    check.summary = " · ".join(s["message"] for s in steps)
    check.status = ConnectionCheck.Status.OK if ok else ConnectionCheck.Status.FAILED
    check.finished_at = timezone.now()
    with transaction.atomic():
        check.save(update_fields=["steps", "summary", "status", "finished_at"])
        # The result, for whoever asked: the plain-words summary (never a foreign server's words,
        # see above), and on failure the failing step's message as the sentence's reason.
        record_event(
            actor=check.requested_by,
            action=Action.CONNECTION_TESTED,
            target=check,
            outcome=AuditEvent.Outcome.SUCCESS if ok else AuditEvent.Outcome.FAILURE,
            data={"summary": check.summary, **({} if ok else {"error": steps[-1]["message"]})},
        )
    return check
