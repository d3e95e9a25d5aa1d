"""What the audit log records about an import job, written by the steps that change it; and the
e-mail to whoever sent it when it ends."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from actito_admin.accounts.notify import work_ended
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event

from .models import ImportJob


def audit_validated(
    job: ImportJob, *, outcome: str = AuditEvent.Outcome.SUCCESS, **data: Any
) -> None:
    # The check runs in a worker: the event names the person who asked for it.
    record_event(
        actor=None,
        actor_username=job.requested_by.get_username() if job.requested_by else "",
        action="import.validated",
        target=job,
        data={**audit_basics(job), **data},
        outcome=outcome,
    )


def audit_basics(job: ImportJob) -> dict[str, Any]:
    return {
        "file_name": job.original_name,
        "table_name": job.table_name,
        "table": job.table_name,
        "table_id": job.table_id,
    }


def audit_end(job: ImportJob, action: str, outcome: str, **extra: Any) -> None:
    """The import's one ending: audited, and told by e-mail to whoever sent it."""
    _record_end(job, action, outcome, **extra)
    _tell_sender(job)


def _tell_sender(job: ImportJob) -> None:
    counts = job.counts or {}
    added, updated = counts.get("inserted") or 0, counts.get("updated") or 0
    name = job.original_name
    if job.status == ImportJob.Status.FINISHED:
        subject = _("Import of %(name)s is done") % {"name": name}
        outcome = _("ACTITO took every row: %(added)s added, %(updated)s updated.")
    elif job.status == ImportJob.Status.PARTLY_REFUSED:
        subject = _("Import of %(name)s: some rows were refused") % {"name": name}
        outcome = _(
            "ACTITO refused %(refused)s of %(read)s rows; %(added)s were added and "
            "%(updated)s updated. Its error file says why."
        )
    elif job.status == ImportJob.Status.REFUSED:
        subject = _("Import of %(name)s: every row was refused") % {"name": name}
        outcome = _("ACTITO refused all %(read)s rows: nothing was added or changed.")
    elif job.status == ImportJob.Status.UNKNOWN:
        subject = _("Import of %(name)s: outcome unknown") % {"name": name}
        outcome = _("We could not tell whether ACTITO imported it. %(failure)s")
    else:
        subject = _("Import of %(name)s failed") % {"name": name}
        outcome = _("The import did not happen. %(failure)s")
    values = {
        "added": added,
        "updated": updated,
        "refused": job.refused_rows,
        "read": job.rows_read,
        "failure": job.failure,
    }
    work_ended(
        user=job.submitted_by,
        subject=str(subject),
        lines=[
            str(outcome) % values,
            str(_("Table: %(table)s.")) % {"table": job.table_name},
        ],
        path=reverse("imports:detail", args=[job.pk]),
        started_at=job.sent_at or job.submitted_at,
        ended_at=job.finished_at,
    )


def _record_end(job: ImportJob, action: str, outcome: str, **extra: Any) -> None:
    record_event(
        actor=None,
        actor_username=job.submitted_by.get_username() if job.submitted_by else "",
        action=action,
        target=job,
        data={
            **audit_basics(job),
            "execution_id": job.execution_id,
            "counts": job.counts,
            "rows_created": job.counts.get("inserted"),
            "rows_updated": job.counts.get("updated"),
            "actito_status": job.actito_status,
            **extra,
        },
        outcome=outcome,
    )
