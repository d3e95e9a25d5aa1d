"""Following an execution at ACTITO once the file is sent: one poller polls every due job,
records the counts and output files at the end, and recovers jobs whose worker died."""

from __future__ import annotations

import logging
import time
import uuid
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actito_admin.accounts.language import in_language_of
from actito_admin.actito.client import ActitoClient
from actito_admin.actito.connection import build_client
from actito_admin.actito.errors import ActitoError
from actito_admin.actito.schemas import Execution
from actito_admin.audit.models import AuditEvent

from . import conf
from .events import audit_end
from .files import new_name, upload_dir
from .models import ImportJob
from .saved_mappings import remember_mapping
from .services import send_unknown, validation_failed

logger = logging.getLogger(__name__)


FAILURE_WORDS = {
    "INVALID_FILE": gettext_lazy(
        "ACTITO could not read the file (format, or a row with the wrong number of columns)."
    ),
    "DUPLICATE_HEADERS": gettext_lazy("ACTITO found the same column name twice in the file."),
    "MISSING_FILE": gettext_lazy("ACTITO did not find the file."),
}


def import_job_poll_perform(*, job: ImportJob, client: ActitoClient) -> ImportJob:
    """One look at the execution (§7.4); at the end, counts (§7.5) and output files (§7.6)."""
    policy = conf.poll_policy()
    now = timezone.now()
    elapsed = (now - (job.sent_at or now)).total_seconds()
    try:
        execution = client.get_execution(job.execution_id)
    except ActitoError as exc:
        job.last_poll_error = str(exc.user_message)
        job.polls += 1
        job.next_poll_at = now + timedelta(seconds=policy.interval(elapsed))
        if elapsed > policy.give_up_seconds:
            return _poll_gave_up(job)
        job.save()
        return job
    job.polls += 1
    job.last_poll_error = ""
    job.actito_status = execution.status
    if not execution.is_terminal:
        if elapsed > policy.give_up_seconds:
            return _poll_gave_up(job)
        job.next_poll_at = now + timedelta(seconds=policy.interval(elapsed))
        job.save()
        return job
    return _finish(job, execution, client)


def _finish(job: ImportJob, execution: Execution, client: ActitoClient) -> ImportJob:
    results = None
    try:
        results = client.get_integration_results(job.execution_id)
    except ActitoError as exc:
        job.last_poll_error = str(exc.user_message)
    if results is not None:
        job.counts = {
            name: results.total(name)
            for name in ("read", "inserted", "updated", "errors", "deleted")
        }
        job.actito_detail = str(results.raw)[:4000]
    failed = execution.status.upper() == "FAILED" or (results is not None and results.failed)
    output = upload_dir() / new_name(".zip")
    try:
        files = client.download_output_files(job.execution_id, dest=output)
    except ActitoError as exc:
        files = None
        job.last_poll_error = _("The result files could not be fetched: %(reason)s") % {
            "reason": exc.user_message
        }
    if files is not None and not files.is_listing:
        job.output_name = output.name
        try:
            with zipfile.ZipFile(output) as archive:
                job.output_members = [n for n in archive.namelist() if not n.endswith("/")]
        except zipfile.BadZipFile:
            job.output_members = []
    else:
        output.unlink(missing_ok=True)
    if failed:
        reason = results.error if results is not None else None
        known = FAILURE_WORDS.get(reason or "")
        failure = (
            str(known)
            if known is not None
            else _("ACTITO stopped the import (%(reason)s).")
            % {"reason": reason or execution.status}
        )
        job.ended(failure=failure, at=timezone.now())
        job.save()
        audit_end(job, "import.failed", AuditEvent.Outcome.FAILURE, error=reason or "FAILED")
    else:
        job.ended(failure="", at=timezone.now())
        job.save()
        _audit_outcome(job)
        if job.remember_mapping and job.ended_well:
            remember_mapping(job)
    return job


def _audit_outcome(job: ImportJob) -> None:
    """One event per ending, its outcome true to the counts: every row refused is a failure,
    some refused is partly done."""
    refused = {"rows_refused": job.refused_rows, "rows_read": job.rows_read}
    if job.status == ImportJob.Status.REFUSED:
        audit_end(job, "import.refused", AuditEvent.Outcome.FAILURE, **refused)
    elif job.status == ImportJob.Status.PARTLY_REFUSED:
        audit_end(job, "import.finished", AuditEvent.Outcome.PARTIAL, **refused)
    else:
        audit_end(job, "import.finished", AuditEvent.Outcome.SUCCESS)


def _poll_gave_up(job: ImportJob) -> ImportJob:
    job.outcome_unknown(
        failure=_(
            "ACTITO still had not finished this import a day after it was sent, so the "
            "console stopped asking. Check “Manage imports” in ACTITO."
        ),
        at=timezone.now(),
    )
    job.save()
    audit_end(job, "import.failed", AuditEvent.Outcome.UNKNOWN, error="gave up polling")
    return job


POLLER_LOCK = "imports:poller"


def import_jobs_recover(*, stale_after_seconds: float | None = None) -> int:
    """Jobs whose worker died mid-step: a check goes back to "uploaded" (try again); an upload
    becomes "outcome unknown" (ACTITO may have it, so the quota stays counted)."""
    stale = stale_after_seconds
    if stale is None:
        stale = float(settings.Q_CLUSTER.get("retry", 1200)) + 60
    cutoff = timezone.now() - timedelta(seconds=stale)
    recovered = 0
    # What they say (and the e-mail an ending sends) is written for whoever started the import.
    jobs = ImportJob.objects.select_related("requested_by")
    for job in jobs.filter(status__in=ImportJob.CHECK, updated_at__lt=cutoff):
        with in_language_of(job.requested_by):
            validation_failed(
                job, _("The check was interrupted (the server restarted). Try again.")
            )
        recovered += 1
    for job in jobs.filter(status=ImportJob.Status.UPLOADING, updated_at__lt=cutoff):
        with in_language_of(job.requested_by):
            send_unknown(job, None)
        recovered += 1
    return recovered


def import_jobs_poll_due(*, window_seconds: float | None = None) -> int:
    """Poll every due execution until none is left in progress or the window ends.

    One poller at a time (a cache lock); a second one started meanwhile returns at once, and
    each poll is still claimed with a conditional UPDATE, so nothing is polled twice even then.
    Browser polls never come here: they read our database.
    """
    window = conf.poller_window_seconds() if window_seconds is None else window_seconds
    token = uuid.uuid4().hex
    if not cache.add(POLLER_LOCK, token, timeout=int(window) + 60):
        return 0
    polled = 0
    deadline = time.monotonic() + window
    client = None
    try:
        while time.monotonic() < deadline:
            now = timezone.now()
            due = list(
                ImportJob.objects.polling()
                .filter(next_poll_at__lte=now)
                .values_list("pk", "next_poll_at")
            )
            for pk, next_poll_at in due:
                # Claim: push next_poll_at out; only the claimer polls.
                lease = now + timedelta(minutes=5)
                if (
                    ImportJob.objects.filter(
                        pk=pk, status=ImportJob.Status.IN_PROGRESS, next_poll_at=next_poll_at
                    ).update(next_poll_at=lease)
                    != 1
                ):
                    continue
                if client is None:
                    client = build_client(max_wait_seconds=30)
                try:
                    job = ImportJob.objects.select_related("requested_by").get(pk=pk)
                    # Its outcome and e-mail are written for whoever started it.
                    with in_language_of(job.requested_by):
                        import_job_poll_perform(job=job, client=client)
                except Exception:
                    logger.exception("import job %s: poll crashed", pk)
                    ImportJob.objects.filter(pk=pk).update(
                        next_poll_at=now + timedelta(seconds=conf.poll_policy().slow_seconds)
                    )
                polled += 1
            upcoming = (
                ImportJob.objects.polling()
                .order_by("next_poll_at")
                .values_list("next_poll_at", flat=True)
                .first()
            )
            if upcoming is None:
                break
            wait = (upcoming - timezone.now()).total_seconds()
            # Short naps: a job sent meanwhile is picked up without waiting for its own task.
            time.sleep(min(max(wait, 0.05), 1.0, max(deadline - time.monotonic(), 0)))
    finally:
        if client is not None:
            client.close()
        if cache.get(POLLER_LOCK) == token:
            cache.delete(POLLER_LOCK)
    return polled
