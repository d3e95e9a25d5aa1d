"""Import jobs: every state change a person or a worker makes, audited.

Web requests never wait on ACTITO except for the list of profile tables (a short read-through
through the governor, cached for a few minutes: `table_list`). Validation, sending and polling run
in django-q2 tasks (tasks.py) that claim their step first.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from actito_admin.actito.connection import build_client, get_connection, get_governor
from actito_admin.actito.errors import ActitoError
from actito_admin.actito.governor import GovernorUsage, ImportSlot
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event

from . import conf
from .csvfile import FileProblem, human_size
from .events import audit_basics, audit_end, audit_validated
from .files import job_path, new_name, remove_files, upload_dir
from .intake import encoding_fallback, job_csv_format, job_detection
from .intake import import_job_create as import_job_create  # the views call them here
from .intake import import_job_format_update as import_job_format_update
from .mapping import (
    OPTION_FIELDS,
    ColumnMapping,
    HeaderMatch,
    ImportTable,
    job_mapping_from,
)
from .matching import match_columns
from .models import ImportJob
from .oneshot import build_oneshot_definition
from .pipeline import MappingNotReady, prepare_import
from .report import column_summaries
from .saved_mappings import template_for
from .writers import OutputOptions, PreparedFile

logger = logging.getLogger(__name__)

FIRST_ERRORS_SHOWN = 20


def _tables_cache_key() -> str:
    return f"imports:tables:{get_connection().scope}"


def table_list(*, refresh: bool = False) -> list[dict[str, Any]]:
    """ACTITO's profile tables as raw structures (§4.2), cached for a few minutes.

    A short read-through (one governed call, waiting at most 5 s for a slot): choosing a table is
    the one step where a page needs ACTITO. Raises ActitoError.
    """
    key = _tables_cache_key()
    cached = None if refresh else cache.get(key)
    if cached is not None:
        return cached
    with build_client(max_wait_seconds=5, max_attempts=2) as client:
        tables = [t.raw or _structure_json(t) for t in client.list_tables()]
    cache.set(key, tables, conf.table_cache_seconds())
    return tables


def table_list_cached() -> list[dict[str, Any]] | None:
    """The cached list only, never a call (for fragments a status poll renders)."""
    return cache.get(_tables_cache_key())


def _structure_json(table: Any) -> dict[str, Any]:
    # TableStructure always keeps `raw`; this is the fallback for hand-built ones.
    return {"id": table.id, "name": table.name, "attributes": [asdict(a) for a in table.attributes]}


def job_table(job: ImportJob) -> ImportTable | None:
    return ImportTable.from_structure(job.table_structure) if job.table_structure else None


def import_job_table_choose(*, job: ImportJob, structure: dict[str, Any]) -> ImportJob:
    """Keep a copy of the table's structure and fill the mapping: a saved template for these
    headers when there is one, else the automatic matches."""
    table = ImportTable.from_structure(structure)
    job.table_id, job.table_name, job.table_structure = table.id, table.name, structure
    template = template_for(job)
    if template is not None:
        known = {t.name for t in table.targets()}
        job.mapping = [
            m for m in template.mapping if m["header"] in job.headers and m["target"] in known
        ]
        job.mode = template.mode
        job.report_recipients = template.report_recipients
    else:
        # Weak guesses are shown as suggestions, not chosen for the marketer.
        job.mapping = [
            {"header": m.header, "target": m.target, **dict.fromkeys(OPTION_FIELDS, False)}
            for m in _matches(job, table)
            if m.target and not m.weak
        ]
    remove_files(*job.forget_check())
    job.save()
    return job


def job_matches(job: ImportJob) -> dict[str, HeaderMatch]:
    table = job_table(job)
    if table is None:
        return {}
    return {m.header: m for m in _matches(job, table)}


MATCH_SAMPLE_ROWS = 200


def _matches(job: ImportJob, table: ImportTable) -> list[HeaderMatch]:
    """The name matches, judged by the values of the file's first rows (a bounded read)."""
    try:
        rows = job_detection(job, preview_rows=MATCH_SAMPLE_ROWS).preview
    except FileProblem:
        rows = []
    samples = {
        header: [row[i] for row in rows if i < len(row)] for i, header in enumerate(job.headers)
    }
    return match_columns(job.headers, table, samples)


def job_mapping(job: ImportJob) -> list[ColumnMapping]:
    return job_mapping_from(job.mapping)


def import_job_validate_request(
    *,
    actor: User,
    job: ImportJob,
    mapping: list[dict[str, Any]],
    mode: str,
    report_recipients: list[str],
    leave_out_invalid: bool,
    save_template: bool,
) -> ImportJob:
    """Store the mapping and queue the dry run over the whole file (no quota is spent)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not job.is_editable:
            return job
        stale = job.request_check(
            mapping=mapping,
            mode=mode,
            report_recipients=report_recipients,
            leave_out_invalid=leave_out_invalid,
        )
        # Remembered only once ACTITO has taken the rows (see following._finish): a mapping
        # that makes ACTITO refuse the file must not come back as "saved".
        job.remember_mapping = save_template
        job.save()
        remove_files(*stale)
        transaction.on_commit(
            lambda: async_task("actito_admin.imports.tasks.import_job_validate", job.pk)
        )
    return job


def import_job_validate_perform(*, job: ImportJob) -> ImportJob:
    """Check every row and write the gzip file ACTITO would receive, in one pass."""
    path = job_path(job.stored_name)
    table = job_table(job)
    prepared_name, error_name = new_name(".csv.gz"), new_name(".errors.csv")
    last_beat = [0.0]

    def progress(rows: int) -> None:
        # A live counter for the page, written at most twice a second.
        if time.monotonic() - last_beat[0] > 0.5:
            last_beat[0] = time.monotonic()
            ImportJob.objects.filter(pk=job.pk).update(rows_checked=rows)

    def prepare() -> Any:
        assert path is not None and table is not None
        return prepare_import(
            path,
            csv_format=job_csv_format(job),
            table=table,
            mapping=job_mapping(job),
            mode=job.mode,  # type: ignore[arg-type]
            output_path=upload_dir() / prepared_name,
            options=OutputOptions(
                encoding=job.output_encoding,  # type: ignore[arg-type]
                leave_out_invalid_rows=job.leave_out_invalid,
            ),
            error_csv_path=upload_dir() / error_name,
            max_reported=FIRST_ERRORS_SHOWN,
            limits=conf.file_limits(),
            progress=progress,
        )

    fallback: dict[str, Any] | None = None
    try:
        if path is None or not path.exists() or table is None:
            raise FileProblem(
                "FILE_GONE", _("The uploaded file is no longer kept. Upload it again.")
            )
        try:
            result = prepare()
        except FileProblem as exc:
            fallback = encoding_fallback(job, path, exc)
            if fallback is None:
                raise
            result = prepare()  # the whole file again, read the way it turned out to be
    except (FileProblem, MappingNotReady) as exc:
        message = exc.message if isinstance(exc, FileProblem) else str(exc)
        return validation_failed(job, message)
    except Exception:  # a check must always end; the marketer can try again
        logger.exception("import job %s: validation crashed", job.pk)
        return validation_failed(job, _("The check stopped on an unexpected error. Try again."))
    report, prepared = result.report, result.file
    summary = {
        "rows_read": report.rows_read,
        "rows_valid": report.rows_valid,
        "rows_invalid": report.rows_invalid,
        "rows_with_warnings": report.rows_with_warnings,
        "blank_lines": report.blank_lines,
        "errors_by_code": dict(report.errors_by_code),
        "warnings_by_code": dict(report.warnings_by_code),
        "first_errors": [asdict(e) for e in report.first_errors],
        "first_warnings": [asdict(e) for e in report.first_warnings],
        "mapping_problems": [asdict(p) for p in report.mapping_problems],
        "columns": column_summaries(report.columns),
        "encoding_fallback": fallback,
        "can_import": report.can_import and prepared.rows_written > 0,
    }
    job.check_passed(
        report=summary,
        prepared_name=prepared_name,
        prepared={k: v for k, v in asdict(prepared).items() if k != "path"},
        error_file_name=error_name if report.error_file else "",
        rows_read=report.rows_read,
        at=timezone.now(),
    )
    job.save()
    audit_validated(
        job,
        rows_valid=report.rows_valid,
        rows_invalid=report.rows_invalid,
        counts={"read": report.rows_read, "errors": dict(report.errors_by_code)},
    )
    return job


def validation_failed(job: ImportJob, message: str) -> ImportJob:
    """The check could not finish (also for a check whose worker died: see following.py)."""
    message = str(message)  # a lazy translation must not reach the database or the audit
    remove_files(*job.check_failed(message))
    job.save()
    audit_validated(job, outcome=AuditEvent.Outcome.FAILURE, error=message)
    return job


def quota_usage(*, table_id: str, table_name: str = "") -> GovernorUsage | None:
    """Today's imports on one table (our own count; reads our database or Redis only)."""
    try:
        return get_governor().usage(table=table_id, table_label=table_name or None)
    except Exception:  # a page must not break because the quota cannot be read
        logger.warning("import quota unreadable", exc_info=True)
        return None


def quota_today() -> list[GovernorUsage]:
    """Every table with an import counted today, for the jobs list."""
    try:
        governor = get_governor()
        names = dict(
            ImportJob.objects.exclude(table_id="").values_list("table_id", "table_name").distinct()
        )
        return [governor.usage(table=t, table_label=names.get(t)) for t in governor.tables_today()]
    except Exception:
        logger.warning("import quota unreadable", exc_info=True)
        return []


def import_job_submit(
    *, actor: User, job: ImportJob, request: HttpRequest | None = None
) -> ImportJob:
    """Count the import against today's quota and queue the upload to ACTITO.

    Raises ImportQuotaExceeded when the table's daily quota is used up (nothing is queued then).
    The reservation is made outside any transaction (the governor's rule) and given back when
    the job was already submitted by someone else (a double click).
    """
    if not job.can_submit:
        return job
    governor = get_governor()
    slot = governor.reserve_import(
        job.table_id, table_name=job.table_name, note=f"import job {job.pk}"
    )
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALIDATED).update(
            status=ImportJob.Status.QUEUED,
            quota_slot=slot.id,
            quota_day=slot.day,
            submitted_by=actor,
            submitted_at=timezone.now(),
        )
        if claimed == 1:
            job.refresh_from_db()
            record_event(
                actor=actor,
                action="import.submitted",
                target=job,
                data={
                    **audit_basics(job),
                    "mode": job.mode,
                    "rows": job.prepared.get("rows_written"),
                    "row_count": job.prepared.get("rows_written"),
                    "rows_left_out": job.prepared.get("rows_left_out"),
                    "quota": f"{slot.used} of {slot.limit}",
                },
                request=request,
            )
            transaction.on_commit(
                lambda: async_task("actito_admin.imports.tasks.import_job_send", job.pk)
            )
    if claimed != 1:
        governor.release_import(slot)
        job.refresh_from_db()
    return job


def job_quota_slot(job: ImportJob) -> ImportSlot:
    # The governor counts UTC days: the server's local date may already be tomorrow (or still
    # yesterday), and a slot of the wrong day is never given back.
    return ImportSlot(
        id=job.quota_slot,
        table_id=job.table_id,
        table_name=job.table_name,
        day=job.quota_day or datetime.now(UTC).date(),
        used=0,
        limit=0,
    )


def _prepared_file(job: ImportJob, path: Path) -> PreparedFile:
    return PreparedFile(path=path, **job.prepared)


def import_job_send_perform(*, job: ImportJob) -> ImportJob:
    """Upload the prepared file with its one-shot definition (the job is claimed: uploading)."""
    slot = job_quota_slot(job)
    path = job_path(job.prepared_name)
    try:
        if path is None or not path.exists():
            raise ActitoError(
                "prepared file missing",
                user_message=_(
                    "The checked file is no longer kept, so nothing was sent. Upload the "
                    "file again."
                ),
            )
        size, limit = path.stat().st_size, conf.max_import_bytes()
        if size > limit:
            raise ActitoError(
                "prepared file too large",
                user_message=_(
                    "Even compressed, the file is %(size)s: more than the %(limit)s ACTITO "
                    "accepts. Nothing was sent. Split the file or send fewer columns."
                )
                % {"size": human_size(size), "limit": human_size(limit)},
            )
        definition = build_oneshot_definition(
            table_id=job.table_id,
            prepared=_prepared_file(job, path),
            mapping=job_mapping(job),
            mode=job.mode,  # type: ignore[arg-type]
            report_recipients=job.report_recipients,
            with_file_transfer=settings.ACTITO_ONESHOT_FILE_TRANSFER,
        )
        client = build_client(max_wait_seconds=60)
    except Exception as exc:
        # Nothing left our side: the reservation goes back.
        get_governor().release_import(slot)
        message = exc.user_message if isinstance(exc, ActitoError) else _("Unexpected error.")
        if not isinstance(exc, ActitoError):
            logger.exception("import job %s: could not prepare the upload", job.pk)
        return _send_failed(job, message, "")
    try:
        with client:
            started = client.create_oneshot_execution(
                definition=definition,
                input_file=path,
                filename=job.prepared.get("compressed_file_name") or path.name,
                content_type="application/gzip",
                slot=slot,  # released by the client when ACTITO surely did not create it
                table_name=job.table_name,
            )
    except ActitoError as exc:
        if not exc.outcome_known:
            return send_unknown(job, exc)
        return _send_failed(job, exc.user_message, exc.response_text)
    except Exception:
        # We cannot tell whether the request left: keep the reservation (the safe side).
        logger.exception("import job %s: upload crashed", job.pk)
        return send_unknown(job, None)
    now = timezone.now()
    job.sent(
        execution_id=started.execution_id,
        at=now,
        next_poll_at=now + timedelta(seconds=conf.poll_policy().fast_seconds),
    )
    job.save()
    transaction.on_commit(lambda: async_task("actito_admin.imports.tasks.import_jobs_poll"))
    return job


def _send_failed(job: ImportJob, message: str, detail: str) -> ImportJob:
    message = str(message)  # a lazy translation must not reach the database or the audit
    job.send_failed(
        failure=_("Nothing was imported: %(reason)s The day's quota was not used.")
        % {"reason": message},
        detail=detail,
        at=timezone.now(),
    )
    job.save()
    audit_end(job, "import.failed", AuditEvent.Outcome.FAILURE, error=message)
    return job


def send_unknown(job: ImportJob, exc: ActitoError | None) -> ImportJob:
    """The send may or may not have reached ACTITO (also for a send whose worker died)."""
    job.outcome_unknown(
        failure=_("%(reason)s Check “Manage imports” in ACTITO before sending the file again.")
        % {
            "reason": exc.user_message
            if exc
            else _(
                "The upload stopped on an unexpected error; ACTITO may or may not have received it."
            )
        },
        detail=exc.response_text if exc else "",
        at=timezone.now(),
    )
    job.save()
    audit_end(job, "import.failed", AuditEvent.Outcome.UNKNOWN, error=job.failure)
    return job


def home_card_context() -> dict[str, Any]:
    """Recent imports for the home page (our database only)."""
    jobs = list(ImportJob.objects.select_related("requested_by")[:5])
    return {"recent_imports": jobs}
