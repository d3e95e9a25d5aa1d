"""Import jobs and saved mappings.

An `ImportJob` is one uploaded file on its way to ACTITO. Its `status` moves forward only:

    uploaded → validating → checking → validated → queued → uploading → in_progress → finished
                                ↘ uploaded                       ↘ failed     ↘ failed
                                  (a file problem: fix the format    (refused:  ↘ unknown
                                   or mapping and check again)        fix, retry)

`unknown` is for a send whose outcome we cannot know (the connection broke after the file left) and
for executions still not finished after a day. Workers claim a step with a conditional UPDATE on
the status ("validating" → "checking" for the dry run), so a redelivered task never repeats
it. Every other change of status goes through one of the methods below, which refuse a step the
job cannot take from where it is. Files live in settings.UPLOAD_DIR under random
names; only their names are stored here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from actito_admin.precompiled import PrecompiledQuery

from .csvfile import ENCODING_LABELS
from .mapping import MODE_HELP


class TransitionNotAllowed(Exception):
    """A state change asked of an import job that is not at a step where it can happen."""


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def active(self) -> ImportJobQuerySet:
        return self.filter(status__in=ImportJob.ACTIVE)

    def polling(self) -> ImportJobQuerySet:
        return self.filter(status=ImportJob.Status.IN_PROGRESS)

    def filtered(
        self,
        *,
        table: str = "",
        user: str = "",
        status: str = "",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> ImportJobQuerySet:
        """The import list's filters (JobFilterForm.filters()); `until` is exclusive."""
        qs = self
        if table:
            qs = qs.filter(table_name=table)
        if user:
            qs = qs.filter(requested_by__pk=user)
        if status:
            qs = qs.filter(status=status)
        if since is not None:
            qs = qs.filter(created_at__gte=since)
        if until is not None:
            qs = qs.filter(created_at__lt=until)
        return qs

    def live_version(self, pk: int) -> tuple[Any, ...] | None:
        """What the status fragment shows that can change (None: no such import). updated_at
        misses the counters written with update(), so they are read too."""
        return _LIVE_VERSION.row(pk)


def _live_version_query(pk: int) -> models.QuerySet[ImportJob, tuple[Any, ...]]:
    return ImportJob.objects.filter(pk=pk).values_list(
        "status", "updated_at", "rows_checked", "actito_status", "polls"
    )


_LIVE_VERSION = PrecompiledQuery(_live_version_query)


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Waiting to be checked")
        CHECKING = "checking", _("Checking the file")
        VALIDATED = "validated", _("Checked, ready to send")
        QUEUED = "queued", _("Queued")
        UPLOADING = "uploading", _("Uploading to ACTITO")
        IN_PROGRESS = "in_progress", _("In progress at ACTITO")
        FINISHED = "finished", _("Done")
        PARTLY_REFUSED = "partly_refused", _("Partly refused")
        REFUSED = "refused", _("All rows refused")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")

    # The browser keeps polling while one of these may change on its own.
    ACTIVE = (
        Status.VALIDATING,
        Status.CHECKING,
        Status.QUEUED,
        Status.UPLOADING,
        Status.IN_PROGRESS,
    )
    FINAL = (
        Status.FINISHED,
        Status.PARTLY_REFUSED,
        Status.REFUSED,
        Status.FAILED,
        Status.UNKNOWN,
    )
    # Ended well enough that the mapping it used is worth remembering: at most this share of the
    # rows ACTITO read were refused (a stray bad address is not a wrong mapping).
    REMEMBER_REFUSED_SHARE = 0.1
    CHECK = (Status.VALIDATING, Status.CHECKING)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # --- the upload -----------------------------------------------------------------------------
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=100)  # random, inside UPLOAD_DIR
    size_bytes = models.BigIntegerField(default=0)
    container = models.CharField(max_length=8, default="plain")  # plain, gzip, zip or xlsx
    # An Excel upload: every sheet's name; the first one was read (its name in member_name).
    sheet_names = models.JSONField(default=list, blank=True)
    member_name = models.CharField(max_length=255, blank=True, default="")
    encoding = models.CharField(max_length=32, default="utf-8")  # Python codec name
    separator = models.CharField(max_length=1, default=",")
    quotechar = models.CharField(max_length=1, default='"')
    had_bom = models.BooleanField(default=False)
    detected = models.JSONField(default=list, blank=True)  # which of the three were guessed
    headers = models.JSONField(default=list, blank=True)

    # --- destination and mapping ----------------------------------------------------------------
    table_id = models.CharField(max_length=64, blank=True, default="")
    table_name = models.CharField(max_length=200, blank=True, default="")
    # The structure as read when the table was chosen: validation and submission use this copy.
    table_structure = models.JSONField(default=dict, blank=True)
    mapping = models.JSONField(default=list, blank=True)  # [{header, target, ignore_…}]
    mode = models.CharField(max_length=20, default="CREATE_OR_UPDATE")
    report_recipients = models.JSONField(default=list, blank=True)
    leave_out_invalid = models.BooleanField(default=True)
    # "Remember this mapping" was ticked: it is saved once this import ends well, not before,
    # so a mapping ACTITO refused never comes back as "saved".
    remember_mapping = models.BooleanField(default=False)
    mapping_remembered = models.BooleanField(default=False)
    output_encoding = models.CharField(max_length=16, default="UTF-8")

    # --- the dry run ----------------------------------------------------------------------------
    rows_checked = models.PositiveIntegerField(default=0)  # live counter while validating
    report = models.JSONField(default=dict, blank=True)  # counts, first errors, mapping problems
    problem = models.TextField(blank=True, default="")  # plain words; empty when all went well
    error_file_name = models.CharField(max_length=100, blank=True, default="")
    prepared_name = models.CharField(max_length=100, blank=True, default="")
    prepared = models.JSONField(default=dict, blank=True)  # PreparedFile facts for the definition
    validated_at = models.DateTimeField(null=True, blank=True)

    # --- submission and follow-up ---------------------------------------------------------------
    quota_slot = models.CharField(max_length=200, blank=True, default="")
    quota_day = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    execution_id = models.CharField(max_length=100, blank=True, default="")
    actito_status = models.CharField(max_length=32, blank=True, default="")
    next_poll_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    last_poll_error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # read, inserted, updated, errors, deleted
    failure = models.TextField(blank=True, default="")  # plain words
    actito_detail = models.TextField(blank=True, default="")  # ACTITO's own words, on expand
    output_name = models.CharField(max_length=100, blank=True, default="")
    output_members = models.JSONField(default=list, blank=True)  # ["result.csv", "errors.csv"]
    files_purged_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_poll_at"]),
            models.Index(fields=["table_name", "created_at"]),
        ]

    def __str__(self) -> str:
        where = f" into {self.table_name}" if self.table_name else ""
        return f"{self.original_name}{where}"

    @property
    def is_live(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_editable(self) -> bool:
        """Format, table and mapping may change until the file is sent, and again after a send
        that surely imported nothing (refused by ACTITO or never sent), to fix and retry."""
        if self.status == self.Status.FAILED:
            return not self.execution_id and not self.quota_slot
        return self.status in (self.Status.UPLOADED, self.Status.VALIDATED)

    @property
    def can_submit(self) -> bool:
        return (
            self.status == self.Status.VALIDATED
            and bool(self.prepared_name)
            and self.report.get("can_import", False)
        )

    @property
    def progress_percent(self) -> int | None:
        """For the progress bar: full once the import has ended, else None (an indeterminate
        bar). ACTITO does not say how far along it is, so the page shows the time spent."""
        return 100 if self.status in self.FINAL else None

    @property
    def is_checking(self) -> bool:
        """The dry run is asked for or running (the page shows the live row counter)."""
        return self.status in self.CHECK

    # --- state changes (the caller saves, audits and deletes the files named) ------------------

    def _move(self, allowed: Iterable[str], to: str) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(
                f"import job {self.pk} is {self.status}: it cannot become {to} from there"
            )
        self.status = to

    def forget_check(self) -> list[str]:
        """Back to "uploaded": the old dry run no longer describes what would be sent. Returns
        the names of the files written for it, which the caller deletes."""
        if not (self.is_editable or self.is_checking):
            raise TransitionNotAllowed(f"import job {self.pk} is {self.status}: already sent")
        stale = [self.prepared_name, self.error_file_name]
        self.status = self.Status.UPLOADED
        self.prepared_name = self.error_file_name = ""
        self.prepared = {}
        self.report = {}
        self.problem = ""
        self.rows_checked = 0
        self.validated_at = None
        # A retry after a refused send starts clean (nothing was imported, the quota was given
        # back).
        self.failure = self.actito_detail = ""
        self.finished_at = self.submitted_at = None
        return stale

    def request_check(
        self,
        *,
        mapping: list[dict[str, Any]],
        mode: str,
        report_recipients: list[str],
        leave_out_invalid: bool,
    ) -> list[str]:
        """Keep the mapping and wait for a worker to check the whole file."""
        stale = self.forget_check()
        self.mapping, self.mode = mapping, mode
        self.report_recipients = report_recipients
        self.leave_out_invalid = leave_out_invalid
        self.status = self.Status.VALIDATING
        return stale

    def check_failed(self, problem: str) -> list[str]:
        """The dry run could not finish: back to "uploaded" with the reason in plain words."""
        stale = self.forget_check()
        self.problem = problem
        return stale

    def check_passed(
        self,
        *,
        report: dict[str, Any],
        prepared_name: str,
        prepared: dict[str, Any],
        error_file_name: str,
        rows_read: int,
        at: dt.datetime,
    ) -> None:
        self._move([self.Status.CHECKING], self.Status.VALIDATED)
        self.report = report
        self.prepared_name, self.prepared = prepared_name, prepared
        self.error_file_name = error_file_name
        self.rows_checked = rows_read
        self.validated_at = at

    def sent(self, *, execution_id: str, at: dt.datetime, next_poll_at: dt.datetime) -> None:
        """ACTITO created the execution: follow it."""
        self._move([self.Status.UPLOADING], self.Status.IN_PROGRESS)
        self.execution_id = execution_id
        self.actito_status = "IN_PROGRESS"
        self.sent_at = at
        self.next_poll_at = next_poll_at

    def send_failed(self, *, failure: str, detail: str, at: dt.datetime) -> None:
        """ACTITO surely imported nothing: the quota reservation was given back."""
        self._move([self.Status.UPLOADING], self.Status.FAILED)
        self.failure = failure
        self.actito_detail = detail
        self.finished_at = at
        self.quota_slot = ""

    def outcome_unknown(self, *, failure: str, at: dt.datetime, detail: str | None = None) -> None:
        """ACTITO may have the file (a broken send, or an execution that never ends)."""
        self._move([self.Status.UPLOADING, self.Status.IN_PROGRESS], self.Status.UNKNOWN)
        self.failure = failure
        if detail is not None:
            self.actito_detail = detail
        self.next_poll_at = None
        self.finished_at = at

    def ended(self, *, failure: str, at: dt.datetime) -> None:
        """ACTITO's execution is over: failed when `failure` says why, else what its counts say
        (done, partly refused or all refused)."""
        self._move([self.Status.IN_PROGRESS], self._ending(failure))
        self.failure = failure
        self.finished_at = at
        self.next_poll_at = None

    def _ending(self, failure: str) -> str:
        if failure:
            return self.Status.FAILED
        refused, accepted = self.refused_rows, self.accepted_rows
        if refused and not accepted:
            return self.Status.REFUSED
        if refused:
            return self.Status.PARTLY_REFUSED
        return self.Status.FINISHED

    def _count(self, name: str) -> int:
        value = (self.counts or {}).get(name)
        return value if isinstance(value, int) else 0

    @property
    def refused_rows(self) -> int:
        return self._count("errors")

    @property
    def accepted_rows(self) -> int:
        return sum(self._count(n) for n in ("inserted", "updated", "deleted"))

    @property
    def rows_read(self) -> int:
        """The rows ACTITO read; its own figure, else what it accepted and refused."""
        return self._count("read") or self.accepted_rows + self.refused_rows

    @property
    def ended_well(self) -> bool:
        if self.status == self.Status.FINISHED:
            return True
        if self.status != self.Status.PARTLY_REFUSED:
            return False
        return self.refused_rows <= self.REMEMBER_REFUSED_SHARE * max(self.rows_read, 1)

    @property
    def nothing_to_send(self) -> bool:
        """Checked, but no row passed: there is nothing ACTITO could import."""
        return self.status == self.Status.VALIDATED and not self.report.get("can_import", False)

    @property
    def status_key(self) -> str:
        """The status as shown (CSS class and label): a check that left no row says so."""
        return "nothing" if self.nothing_to_send else self.status

    @property
    def status_label(self) -> str:
        if self.nothing_to_send:
            return str(_("Nothing to send"))
        return str(self.get_status_display())

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    @property
    def mode_label(self) -> str:
        return str(MODE_HELP.get(self.mode, (self.mode,))[0])

    @property
    def send_question(self) -> str:
        """What sending will do, in plain words, for the confirmation before it is done."""
        rows = int((self.prepared or {}).get("rows_written") or 0)
        values = {"rows": number_format(rows, force_grouping=True), "table": self.table_name}
        if self.mode == "DELETE":
            text = ngettext(
                "Delete %(rows)s person from %(table)s? This cannot be undone.",
                "Delete %(rows)s people from %(table)s? This cannot be undone.",
                rows,
            )
        elif self.mode == "CREATE_ONLY":
            text = ngettext(
                "Add %(rows)s new person to %(table)s? Anyone already there is refused.",
                "Add %(rows)s new people to %(table)s? Anyone already there is refused.",
                rows,
            )
        elif self.mode == "UPDATE_ONLY":
            text = ngettext(
                "Update %(rows)s person already in %(table)s? Nobody new is added.",
                "Update %(rows)s people already in %(table)s? Nobody new is added.",
                rows,
            )
        else:
            text = ngettext(
                "Send %(rows)s row to %(table)s: add the person if new, update them if "
                "already there?",
                "Send %(rows)s rows to %(table)s: add the new people and update the ones "
                "already there?",
                rows,
            )
        return text % values


class MappingTemplate(models.Model):
    """A saved mapping for one table and one set of CSV headers, applied when they come back."""

    scope = models.CharField(max_length=64)  # the ACTITO connection it belongs to
    table_id = models.CharField(max_length=64)
    table_name = models.CharField(max_length=200, blank=True, default="")
    header_key = models.CharField(max_length=64)  # sha256 of the sorted header names
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=list)
    mode = models.CharField(max_length=20, default="CREATE_OR_UPDATE")
    report_recipients = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["table_name", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "table_id", "header_key"], name="mappingtemplate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table_name or self.table_id}: {', '.join(self.headers)[:80]}"
