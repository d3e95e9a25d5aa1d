"""Background work (django-q2 passes ids, never objects). Each task claims its step with a
conditional UPDATE first, so a redelivered or duplicated task does nothing harmful."""

from __future__ import annotations

from actito_admin.accounts.language import in_language_of

from . import files, following, services
from .models import ImportJob


def import_job_validate(job_id: int) -> None:
    # "validating" means asked for; the worker that moves it to "checking" owns the check, so a
    # second delivery of the same task finds it already taken.
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.VALIDATING).update(
        status=ImportJob.Status.CHECKING
    )
    if claimed != 1:
        return
    job = ImportJob.objects.get(pk=job_id)
    # The report is written once and read by whoever started it: in their language.
    with in_language_of(job.requested_by):
        services.import_job_validate_perform(job=job)


def import_job_send(job_id: int) -> None:
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.UPLOADING
    )
    if claimed != 1:
        return
    job = ImportJob.objects.get(pk=job_id)
    with in_language_of(job.requested_by):
        services.import_job_send_perform(job=job)


def import_jobs_poll() -> int:
    """Scheduled every minute, and started right after each upload (see services)."""
    following.import_jobs_recover()
    return following.import_jobs_poll_due()


def import_files_purge() -> int:
    """Scheduled daily: files older than UPLOAD_RETENTION_DAYS are deleted."""
    return files.import_files_purge()
