from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actions import Action
from .search import search

# Target types the review filters on through columns derived from `data` (see `derived_refs`):
# no event has a scenario or a table as its target, but trigger and import events are about one.
SCENARIO_TARGET = "scenarios.scenario"
TABLE_TARGET = "actito.table"


def table_key(name: str) -> str:
    """How a table name is stored in `table_ref` and looked up: ACTITO names ignore case."""
    return name.strip().lower()[:200]


def _ref(value: Any) -> str:
    # Only plain ids and names: a list or an object under one of these keys is not a reference.
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def derived_refs(data: Any) -> tuple[str, str]:
    """(scenario_ref, table_ref) of an event, derived from its recorded `data`.

    Callers already record the scenario's ACTITO id as `scenario_id` (trigger events) and the
    profile table's name as `table_name` or `table` (imports, trigger events).
    """
    if not isinstance(data, dict):
        return "", ""
    table = _ref(data.get("table_name")) or _ref(data.get("table"))
    return _ref(data.get("scenario_id"))[:64], table_key(table)


class AuditEventImmutable(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("Audit events are append-only; they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AuditEventImmutable("Audit events are append-only; they cannot be deleted.")

    def recent(self, limit: int = 10) -> AuditEventQuerySet:
        return self.select_related(None).order_by("-created_at", "-id")[:limit]

    def visible_to(self, user: Any) -> AuditEventQuerySet:
        """Purge records (and their archive names) are for those who may export the log."""
        if user.has_perm("accounts.export_audit"):
            return self
        return self.exclude(action=PURGE_ACTION)

    def newest_first(self) -> AuditEventQuerySet:
        return self.order_by("-created_at", "-id")

    def before(self, created_at: Any, pk: int) -> AuditEventQuerySet:
        """Keyset page: events strictly older than (created_at, pk) in newest-first order.

        Written as `created_at <= x AND (created_at < x OR id < pk)` rather than a plain OR so
        that both SQLite and PostgreSQL use the (…, created_at, id) indexes as a range scan.
        """
        return self.filter(
            models.Q(created_at__lte=created_at)
            & (models.Q(created_at__lt=created_at) | models.Q(id__lt=pk))
        )

    def filtered(
        self,
        *,
        user: str = "",
        action: str = "",
        outcome: str = "",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        target_type: str = "",
        target_id: str = "",
        text: str = "",
    ) -> AuditEventQuerySet:
        """The review filters; every argument is optional and they combine with AND.

        `action` ending in ".*" matches a family ("scenario.trigger.*"). `until` is exclusive.
        Target type "scenarios.scenario" takes the scenario's ACTITO id (trigger events of it);
        "actito.table" takes a table's name or ACTITO id (its trigger and import events).
        `text` looks in who, what, target, request id, IP and the recorded data, through a
        trigram index (see search.py).
        """
        qs = self
        if user:
            qs = qs.filter(actor_username=user)
        if action.endswith(".*"):
            qs = qs.filter(action__startswith=action[:-1])
        elif action:
            qs = qs.filter(action=action)
        if outcome:
            qs = qs.filter(outcome=outcome)
        if since is not None:
            qs = qs.filter(created_at__gte=since)
        if until is not None:
            qs = qs.filter(created_at__lt=until)
        if target_type == SCENARIO_TARGET:
            qs = qs.filter(scenario_ref=target_id) if target_id else qs.exclude(scenario_ref="")
        elif target_type == TABLE_TARGET:
            qs = qs.filter(_table_match(target_id)) if target_id else qs.exclude(table_ref="")
        else:
            if target_type:
                qs = qs.filter(target_type=target_type)
            if target_id:
                qs = qs.filter(target_id=target_id)
        if text:
            qs = search(qs, text)
        return qs

    def filter_text(self, text: str) -> AuditEventQuerySet:
        return search(self, text)

    def same_run_as(self, event: AuditEvent) -> AuditEventQuerySet:
        """Other events about the same target, or caused by the same request."""
        related = models.Q(pk__in=[])
        if event.target_type and event.target_id:
            related |= models.Q(target_type=event.target_type, target_id=event.target_id)
        if event.request_id:
            related |= models.Q(request_id=event.request_id)
        return self.filter(related).exclude(pk=event.pk)


# Ways to turn what a person typed in the Table filter into table names, registered by the apps
# that know tables (scenarios: its catalogue's ACTITO ids, in ScenariosConfig.ready), so that
# audit imports none of them. Each returns the names `value` stands for, or nothing.
TABLE_NAME_LOOKUPS: list[Callable[[str], Iterable[str]]] = []


def _table_match(value: str) -> models.Q:
    """A table given by name, or by another name an app knows it under (its ACTITO id)."""
    names = {table_key(name) for lookup in TABLE_NAME_LOOKUPS for name in lookup(value)} or {
        table_key(value)
    }
    # One name is an equality, which walks audit_table_idx in page order; IN would have to sort.
    if len(names) == 1:
        return models.Q(table_ref=names.pop())
    return models.Q(table_ref__in=sorted(names))


PURGE_ACTION = Action.AUDIT_PURGED


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Succeeded")
        FAILURE = "failure", _("Failed")
        DENIED = "denied", _("Refused")
        PENDING = "pending", _("Pending")
        UNKNOWN = "unknown", _("Outcome unknown")
        PARTIAL = "partial", _("Partly done")

    # Set by record_event inside the append lock (not auto_now_add) because the value is part of
    # the event's hash, which must be computed before the INSERT.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # No foreign-key constraint and no cascade: deleting a user must neither remove nor rewrite
    # the events they caused. The username snapshot keeps them readable afterwards.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)  # indexed with time: audit_action_time_idx
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=128, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # What the event is about besides its target, derived from `data` by record_event so the
    # review can filter by scenario (ACTITO id) and table (table_key of its name) on an index.
    # Not hashed (HASHED_FIELDS is fixed): `data`, which they are computed from, is.
    scenario_ref = models.CharField(max_length=64, blank=True, default="", db_default="")
    table_ref = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Tamper evidence (see chain.py): sha256 over this event's fields and the previous hash.
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every list filter has an index ending in (created_at, id), so a keyset page is a short
        # range scan whatever the depth (measured in docs/benchmarks.md, "Audit log").
        indexes = [
            models.Index(fields=["created_at", "id"], name="audit_time_idx"),
            models.Index(fields=["action", "created_at", "id"], name="audit_action_time_idx"),
            models.Index(fields=["outcome", "created_at", "id"], name="audit_outcome_time_idx"),
            models.Index(
                fields=["actor_username", "created_at", "id"], name="audit_username_time_idx"
            ),
            models.Index(
                fields=["target_type", "target_id", "created_at", "id"], name="audit_target_idx"
            ),
            models.Index(fields=["request_id", "created_at", "id"], name="audit_request_idx"),
            models.Index(fields=["scenario_ref", "created_at", "id"], name="audit_scenario_idx"),
            models.Index(fields=["table_ref", "created_at", "id"], name="audit_table_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.action} ({self.outcome})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventImmutable("Audit events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("Audit events are append-only; they cannot be deleted.")
