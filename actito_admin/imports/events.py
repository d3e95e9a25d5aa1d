"""What the audit log records about an import job, written by the steps that change it."""

from __future__ import annotations

from typing import Any

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
