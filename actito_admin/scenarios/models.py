"""Scenario search lists, trigger runs and their items.

What ACTITO knows (tables, scenarios) is copied into our database by background refreshes, so
every web and worker process sees the same lists and typing in the search box costs no call.
A trigger run is a list of items; a single trigger is a run with one item. Each item is claimed
(pending → sending) before it is sent, so nothing is ever sent twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from actito_admin.precompiled import PrecompiledQuery

from .references import display_name


class Catalog(models.Model):
    """The refresh state of one list copied from ACTITO: the tables, or one table's scenarios."""

    class Kind(models.TextChoices):
        TABLES = "tables", gettext_lazy("Profile tables")
        SCENARIOS = "scenarios", gettext_lazy("Scenarios")

    class Status(models.TextChoices):
        IDLE = "idle", gettext_lazy("Up to date")
        QUEUED = "queued", gettext_lazy("Refresh queued")
        RUNNING = "running", gettext_lazy("Refreshing")

    # The connection it belongs to (base URL + entity fingerprint): another licence, another list.
    scope = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    table = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDLE)
    requested_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "kind", "table"], name="catalog_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.table}".strip()

    @property
    def is_refreshing(self) -> bool:
        return self.status != self.Status.IDLE

    def is_stale(self, max_age: timedelta) -> bool:
        return self.refreshed_at is None or timezone.now() - self.refreshed_at > max_age


class ProfileTable(models.Model):
    scope = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    actito_id = models.CharField(max_length=64, blank=True, default="")
    # Unique attributes besides profileId: the ways a marketer may identify a profile.
    key_attributes = models.JSONField(default=list, blank=True)
    subscriptions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "name"], name="profiletable_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Scenario(models.Model):
    scope = models.CharField(max_length=64)
    table = models.CharField(max_length=200)
    actito_id = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    is_active = models.BooleanField(default=False)
    is_start_event_triggered = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "table", "actito_id"], name="scenario_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return display_name(self.name)

    @property
    def can_trigger(self) -> bool:
        return self.is_active and self.is_start_event_triggered

    @property
    def why_not_triggerable(self) -> str:
        """Plain words for a marketer; empty when the scenario can be started by API."""
        if not self.is_start_event_triggered and not self.is_active:
            return _(
                "Cannot be started here: it does not begin with a “Start” block, and only such "
                "scenarios can be started from outside ACTITO; and it is not active in ACTITO."
            )
        if not self.is_start_event_triggered:
            return _(
                "Cannot be started here: it does not begin with a “Start” block, and only such "
                "scenarios can be started from outside ACTITO."
            )
        if not self.is_active:
            return _("Cannot be started here: it is not active in ACTITO.")
        return ""


class Platform(models.TextChoices):
    """The marketing platforms a run can go to (each has an adapter in platforms.py)."""

    ACTITO = "actito", "ACTITO"
    ECDP = "ecdp", "ExpertSender CDP"


class SearchPreference(models.Model):
    """The profile table a user last searched and the platform they last chose, so the page
    opens where they left it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    table = models.CharField(max_length=200, blank=True, default="")
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.ACTITO)

    def __str__(self) -> str:
        return f"{self.user} searches {self.table}"


class TriggerRunQuerySet(models.QuerySet["TriggerRun"]):
    def visible(self) -> TriggerRunQuerySet:
        # Drafts are lists being checked before confirmation: not part of the history yet.
        return self.exclude(status=TriggerRun.Status.DRAFT)

    def active(self) -> TriggerRunQuerySet:
        return self.filter(status__in=TriggerRun.ACTIVE)

    def on(self, platform: str) -> TriggerRunQuerySet:
        return self.filter(platform=platform) if platform else self

    def filtered(
        self,
        *,
        scenario: str = "",
        table: str = "",
        user: Any = None,
        status: str = "",
        platform: str = "",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> TriggerRunQuerySet:
        """The history's filters (HistoryForm.filters()); each optional, combined with AND.

        `since` is inclusive and `until` exclusive (listing.DateRangeForm)."""
        qs = self.on(platform)
        if scenario:
            qs = qs.filter(scenario_name__icontains=scenario)
        if table:
            qs = qs.filter(table__iexact=table)
        if user is not None:
            qs = qs.filter(requested_by=user)
        if status:
            qs = qs.filter(status=status)
        if since is not None:
            qs = qs.filter(created_at__gte=since)
        if until is not None:
            qs = qs.filter(created_at__lt=until)
        return qs

    def live_version(self, pk: int) -> tuple[Any, ...] | None:
        """Everything a run's status fragment shows that can change, in one query (None: no
        such visible run). Each item status is counted; retries, whose join repeats rows, once."""
        return _LIVE_VERSION.row(pk)


def _live_version_query(pk: int) -> models.QuerySet[TriggerRun]:
    per_status = {
        f"n_{status}": Count("items", filter=Q(items__status=status), distinct=True)
        for status in TriggerItem.Status.values
    }
    return (
        TriggerRun.objects.visible()
        .filter(pk=pk)
        .annotate(**per_status, retried=Max("retries__pk"))
        .values_list("status", "started_at", "finished_at", "heartbeat_at", "retried", *per_status)
        .order_by()[:1]
    )


_LIVE_VERSION = PrecompiledQuery(_live_version_query)


class TriggerRun(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", gettext_lazy("One profile")
        LIST = "list", gettext_lazy("List of profiles")
        SEGMENTS = (
            "segments",
            gettext_lazy("Segments"),
        )  # ECDP: one call reaches every customer in them

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Being checked")
        QUEUED = "queued", gettext_lazy("Queued")
        WAITING = "waiting", gettext_lazy("Waiting for ACTITO capacity")
        RUNNING = "running", gettext_lazy("Running")
        PAUSED = "paused", gettext_lazy("Paused")
        SUCCEEDED = "succeeded", gettext_lazy("Succeeded")
        FAILED = "failed", gettext_lazy("Failed")
        UNKNOWN = "unknown", gettext_lazy("Outcome unknown")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")
        FINISHED = "finished", gettext_lazy("Finished")

    ACTIVE = (Status.QUEUED, Status.WAITING, Status.RUNNING)
    FINAL = (
        Status.SUCCEEDED,
        Status.FAILED,
        Status.UNKNOWN,
        Status.CANCELLED,
        Status.FINISHED,
    )

    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.ACTITO)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SINGLE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # One per submitted form: a double click, a refresh or the back button finds this run again.
    idempotency_key = models.UUIDField(unique=True, default=uuid.uuid4)
    entity = models.CharField(max_length=200, blank=True, default="")
    # ACTITO: the profile table. ECDP: the business unit's label (kept if the unit goes).
    table = models.CharField(max_length=200)
    business_unit = models.ForeignKey(
        "ecdp.BusinessUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # ACTITO: the scenario's id and technical name. ECDP: the customEventId and its label.
    scenario_actito_id = models.CharField(max_length=64)
    scenario_name = models.CharField(max_length=300)
    # profileId or the unique attribute every reference of this run uses.
    reference_kind = models.CharField(max_length=100, default="profileId")
    # Single runs: who it is for, as confirmed ("John Smith <john@example.com>").
    profile_label = models.CharField(max_length=300, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    total = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.JSONField(default=list, blank=True)  # [(line, value, why)], first 100
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker between items; a run "running" without a recent beat lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = TriggerRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        who = self.profile_label if self.kind == self.Kind.SINGLE else f"{self.total} profiles"
        return f"«{display_name(self.scenario_name)}» for {who}"

    @property
    def scenario_label(self) -> str:
        return display_name(self.scenario_name)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINAL

    @property
    def is_one_call(self) -> bool:
        """One item sent by one call: a single profile or customer, or whole segments."""
        return self.kind != self.Kind.LIST

    @property
    def platform_name(self) -> str:
        return self.get_platform_display()

    def people(self, count: int) -> str:
        """`count` people in the platform's word: "1 profile", "12 customers"."""
        if self.platform == Platform.ECDP:
            text = ngettext("%(count)s customer", "%(count)s customers", count)
        else:
            text = ngettext("%(count)s profile", "%(count)s profiles", count)
        return text % {"count": number_format(count, force_grouping=True)}

    @property
    def people_total(self) -> str:
        return self.people(self.total)

    @property
    def people_identified_by(self) -> str:
        if self.platform == Platform.ECDP:
            return _("Customers identified by")
        return _("Profiles identified by")

    @property
    def status_label(self) -> str:
        """The status in words, naming the run's own platform."""
        return self.get_status_display().replace("ACTITO", self.platform_name)

    @property
    def is_live(self) -> bool:
        """The page keeps polling while something may still change: a paused or cancelled list
        may still have a call in flight whose answer is yet to come."""
        if self.status in self.ACTIVE:
            return True
        return self.status in (self.Status.PAUSED, self.Status.CANCELLED) and self.in_flight

    @cached_property
    def in_flight(self) -> bool:
        return self.items.filter(status=TriggerItem.Status.SENDING).exists()

    @property
    def can_retry(self) -> bool:
        return (
            self.kind != self.Kind.LIST
            and self.status in (self.Status.FAILED, self.Status.UNKNOWN)
            and self.retried_as is None
        )

    @cached_property
    def retried_as(self) -> TriggerRun | None:
        """The run that tried this one again: a run is tried again at most once, so a second
        tab or a reloaded page can never start the scenario twice."""
        return self.retries.order_by("pk").first() if self.pk else None

    @property
    def retry_question(self) -> str:
        """What a person confirms before trying again (the dialog and the no-script page)."""
        values = {
            "scenario": self.scenario_label,
            "who": self.profile_label,
            "platform": self.platform_name,
        }
        if self.status == self.Status.UNKNOWN:
            return (
                _(
                    "Start «%(scenario)s» again for %(who)s? %(platform)s may already have "
                    "started it: check first."
                )
                % values
            )
        return _("Start «%(scenario)s» again for %(who)s?") % values

    @property
    def cancel_question(self) -> str:
        return _("Cancel this list? Profiles not sent yet will not get «%(scenario)s».") % {
            "scenario": self.scenario_label
        }

    @property
    def retry_key(self) -> uuid.UUID:
        """The idempotency key of this run's retry, the same however often it is asked for."""
        return uuid.uuid5(self.idempotency_key, "retry")

    @property
    def can_pause(self) -> bool:
        return self.kind == self.Kind.LIST and self.status in self.ACTIVE

    @property
    def can_resume(self) -> bool:
        return self.status == self.Status.PAUSED

    @property
    def can_cancel(self) -> bool:
        return self.kind == self.Kind.LIST and self.status in (*self.ACTIVE, self.Status.PAUSED)

    @property
    def item(self) -> TriggerItem | None:
        """The one item of a single run."""
        return self.items.order_by("position").first()

    def counts(self) -> dict[str, int]:
        found = dict(
            self.items.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        counts = {status: found.get(status, 0) for status in TriggerItem.Status.values}
        counts["done"] = sum(counts[s] for s in TriggerItem.DONE)
        return counts

    def eta_seconds(self, counts: dict[str, int], calls_per_minute: int) -> int | None:
        """Time left: at the pace seen so far, or at the licence's pace before there is one."""
        left = counts["pending"] + counts["sending"]
        if not left or self.status not in self.ACTIVE:
            return None
        pace = calls_per_minute / 60
        if self.started_at and counts["done"] >= 5:
            elapsed = (timezone.now() - self.started_at).total_seconds()
            if elapsed > 0:
                pace = min(pace, counts["done"] / elapsed) or pace
        return int(left / pace) + 1 if pace > 0 else None


class TriggerItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Not sent yet")
        SENDING = "sending", gettext_lazy("Being sent")
        SUCCEEDED = "succeeded", gettext_lazy("Started")
        FAILED = "failed", gettext_lazy("Failed")
        UNKNOWN = "unknown", gettext_lazy("Outcome unknown")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    DONE = (Status.SUCCEEDED, Status.FAILED, Status.UNKNOWN, Status.CANCELLED)

    run = models.ForeignKey(TriggerRun, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    reference = models.CharField(max_length=500)  # "147471" or "emailAddress=a@b.c"
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # ACTITO's interactionBusinessKey; for ECDP (201, no body) a correlation id of our own.
    interaction_business_key = models.CharField(max_length=100, blank=True, default="")
    # ECDP: this item's dataFields [{name, type, value}] (a list gives each customer their own).
    data = models.JSONField(default=list, blank=True)
    actito_status = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    detail = models.TextField(blank=True, default="")  # ACTITO's raw answer, for the expander
    attempts = models.PositiveIntegerField(default=0)  # refused by ACTITO as busy (429)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="triggeritem_unique")
        ]
        indexes = [models.Index(fields=["run", "status", "position"])]

    def __str__(self) -> str:
        return self.reference
