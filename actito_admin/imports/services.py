"""Import jobs: every state change a person or a worker makes, audited.

Web requests never wait on ACTITO except for the list of profile tables (a short read-through
through the governor, cached for a few minutes: `table_list`). Validation, sending and polling run
in django-q2 tasks (tasks.py) that claim their step first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
import os
import secrets
import shutil
import time
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_q.tasks import async_task

from actito_admin.actito.connection import build_client, get_connection, get_governor
from actito_admin.actito.errors import ActitoError
from actito_admin.actito.governor import GovernorUsage, ImportSlot
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.services import record_event
from actito_admin.spreadsheet import defused_rows

from . import conf
from .csvfile import CsvFormat, Detection, FileProblem, detect_csv, human_size
from .mapping import (
    OPTION_FIELDS,
    ColumnMapping,
    HeaderMatch,
    ImportTable,
    job_mapping_from,
    match_headers,
)
from .models import ImportJob, MappingTemplate
from .oneshot import build_oneshot_definition
from .pipeline import MappingNotReady, OutputOptions, PreparedFile, prepare_import

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz", ".gz", ".zip")
FIRST_ERRORS_SHOWN = 20


# --- files ---------------------------------------------------------------------------------------


def upload_dir() -> Path:
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def job_path(name: str) -> Path | None:
    """A file of a job inside UPLOAD_DIR, or None. Names are ours (random), never user input."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return upload_dir() / name


def _new_name(suffix: str) -> str:
    return f"{secrets.token_hex(16)}{suffix}"


def _suffix_of(file_name: str) -> str | None:
    lower = file_name.lower()
    return next((s for s in ALLOWED_SUFFIXES if lower.endswith(s)), None)


def _store_upload(uploaded: UploadedFile, dest: Path) -> int:
    """Move (or stream) the upload to `dest` without reading it into memory."""
    temporary = getattr(uploaded, "temporary_file_path", None)
    if temporary is not None:
        # Django already streamed it to FILE_UPLOAD_TEMP_DIR: a rename on the same disk.
        shutil.move(temporary(), dest)
    else:
        with open(dest, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
    return dest.stat().st_size


def _remove(*names: str) -> None:
    for name in names:
        path = job_path(name)
        if path is not None:
            path.unlink(missing_ok=True)


# --- upload and detection ------------------------------------------------------------------------


def import_job_create(
    *, actor: AbstractBaseUser, uploaded: UploadedFile, request: HttpRequest | None = None
) -> ImportJob:
    """Keep the upload under a random name, detect its format, create the job.

    Raises FileProblem (and keeps nothing) when the file cannot be imported as it is.
    """
    original = os.path.basename(uploaded.name or "upload.csv")[:255]
    suffix = _suffix_of(original)
    if suffix is None:
        raise FileProblem(
            "UNSUPPORTED_TYPE",
            f"“{original}” is not a CSV file. Upload a .csv or .txt file, a .csv.gz, or a .zip "
            "that holds exactly one CSV.",
        )
    stored = _new_name(".zip" if suffix == ".zip" else ".gz" if suffix.endswith(".gz") else ".csv")
    dest = upload_dir() / stored
    try:
        size = _store_upload(uploaded, dest)
        detection = detect_csv(dest, preview_rows=1)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        job = ImportJob.objects.create(
            requested_by=actor,
            original_name=original,
            stored_name=stored,
            size_bytes=size,
            **_format_fields(detection),
        )
        record_event(
            actor=actor,
            action="import.uploaded",
            target=job,
            data={
                "file_name": original,
                "size_bytes": size,
                "container": detection.container,
                "encoding": detection.csv_format.encoding_label,
                "columns": len(detection.headers),
            },
            request=request,
        )
    return job


def _format_fields(detection: Detection) -> dict[str, Any]:
    return {
        "container": detection.container,
        "member_name": detection.member_name or "",
        "encoding": detection.csv_format.encoding,
        "separator": detection.csv_format.separator,
        "quotechar": detection.csv_format.quotechar,
        "had_bom": detection.had_bom,
        "detected": sorted(detection.detected),
        "headers": detection.headers,
    }


def job_csv_format(job: ImportJob) -> CsvFormat:
    return CsvFormat(job.encoding, job.separator, job.quotechar)


def job_detection(job: ImportJob, *, preview_rows: int = 10) -> Detection:
    """The first rows as the job's current format reads them (a bounded read of the file)."""
    path = job_path(job.stored_name)
    if path is None or not path.exists():
        raise FileProblem(
            "FILE_GONE",
            "The uploaded file is no longer kept (files are deleted after "
            f"{conf.retention_days()} days). Upload it again.",
        )
    return detect_csv(
        path,
        encoding=job.encoding,
        separator=job.separator,
        quotechar=job.quotechar,
        preview_rows=preview_rows,
    )


def import_job_format_update(
    *, job: ImportJob, encoding: str, separator: str, quotechar: str
) -> Detection:
    """Read the file with another encoding, separator or quote; raises FileProblem (the job keeps
    its previous format then). A new format invalidates an earlier check."""
    path = job_path(job.stored_name)
    if path is None or not path.exists():
        raise FileProblem("FILE_GONE", "The uploaded file is no longer kept. Upload it again.")
    detection = detect_csv(
        path, encoding=encoding, separator=separator, quotechar=quotechar, preview_rows=10
    )
    fields = _format_fields(detection)
    fields["detected"] = sorted(set(job.detected) & set(detection.detected))
    for name, value in fields.items():
        setattr(job, name, value)
    _forget_check(job)
    job.save()
    return detection


def _forget_check(job: ImportJob) -> None:
    """Back to "uploaded": the old dry run no longer describes what would be sent."""
    _remove(job.prepared_name, job.error_file_name)
    job.status = ImportJob.Status.UPLOADED
    job.prepared_name = job.error_file_name = ""
    job.prepared = {}
    job.report = {}
    job.problem = ""
    job.rows_checked = 0
    job.validated_at = None
    # A retry after a refused send starts clean (nothing was imported, the quota was given back).
    job.failure = job.actito_detail = ""
    job.finished_at = job.submitted_at = None


# --- tables (read-through, through the governor) -------------------------------------------------


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


def header_key(headers: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(sorted(headers)).encode()).hexdigest()


def template_for(job: ImportJob) -> MappingTemplate | None:
    if not job.table_id:
        return None
    return MappingTemplate.objects.filter(
        scope=get_connection().scope, table_id=job.table_id, header_key=header_key(job.headers)
    ).first()


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
        job.mapping = [
            {"header": m.header, "target": m.target, **dict.fromkeys(OPTION_FIELDS, False)}
            for m in match_headers(job.headers, table)
            if m.target
        ]
    _forget_check(job)
    job.save()
    return job


def job_matches(job: ImportJob) -> dict[str, HeaderMatch]:
    table = job_table(job)
    if table is None:
        return {}
    return {m.header: m for m in match_headers(job.headers, table)}


def job_mapping(job: ImportJob) -> list[ColumnMapping]:
    return job_mapping_from(job.mapping)


# --- validation (the dry run) --------------------------------------------------------------------


def import_job_validate_request(
    *,
    actor: AbstractBaseUser,
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
        _forget_check(job)
        job.mapping, job.mode = mapping, mode
        job.report_recipients = report_recipients
        job.leave_out_invalid = leave_out_invalid
        job.status = ImportJob.Status.VALIDATING
        job.save()
        if save_template:
            mapping_template_save(actor=actor, job=job)
        transaction.on_commit(
            lambda: async_task("actito_admin.imports.tasks.import_job_validate", job.pk)
        )
    return job


def mapping_template_save(*, actor: AbstractBaseUser, job: ImportJob) -> MappingTemplate:
    """Remember the job's mapping for files with the same headers (audited when it changes)."""
    scope, key = get_connection().scope, header_key(job.headers)
    previous = MappingTemplate.objects.filter(
        scope=scope, table_id=job.table_id, header_key=key
    ).first()
    template, created = MappingTemplate.objects.update_or_create(
        scope=scope,
        table_id=job.table_id,
        header_key=key,
        defaults={
            "table_name": job.table_name,
            "headers": job.headers,
            "mapping": job.mapping,
            "mode": job.mode,
            "report_recipients": job.report_recipients,
            "updated_by": actor,
        },
    )
    changed = (
        [] if previous is None else _changed_columns(job.headers, previous.mapping, job.mapping)
    )
    if created or changed or (previous and previous.mode != job.mode):
        record_event(
            actor=actor,
            action="import.template_saved",
            target=template,
            data={
                "table_name": template.table_name,
                "columns": len(template.headers),
                "changed_columns": changed,
                "created": created,
                "import_id": job.pk,
            },
        )
    return template


def import_job_validate_perform(*, job: ImportJob) -> ImportJob:
    """Check every row and write the gzip file ACTITO would receive, in one pass."""
    path = job_path(job.stored_name)
    table = job_table(job)
    prepared_name, error_name = _new_name(".csv.gz"), _new_name(".errors.csv")
    last_beat = [0.0]

    def progress(rows: int) -> None:
        # A live counter for the page, written at most twice a second.
        if time.monotonic() - last_beat[0] > 0.5:
            last_beat[0] = time.monotonic()
            ImportJob.objects.filter(pk=job.pk).update(rows_checked=rows)

    try:
        if path is None or not path.exists() or table is None:
            raise FileProblem("FILE_GONE", "The uploaded file is no longer kept. Upload it again.")
        result = prepare_import(
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
    except (FileProblem, MappingNotReady) as exc:
        message = exc.message if isinstance(exc, FileProblem) else str(exc)
        return _validation_failed(job, message)
    except Exception:  # a check must always end; the marketer can try again
        logger.exception("import job %s: validation crashed", job.pk)
        return _validation_failed(job, "The check stopped on an unexpected error. Try again.")
    report, prepared = result.report, result.file
    job.report = {
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
        "can_import": report.can_import and prepared.rows_written > 0,
    }
    job.prepared_name = prepared_name
    job.prepared = {k: v for k, v in asdict(prepared).items() if k != "path"}
    job.error_file_name = error_name if report.error_file else ""
    job.rows_checked = report.rows_read
    job.status = ImportJob.Status.VALIDATED
    job.validated_at = timezone.now()
    job.save()
    _audit_validated(
        job,
        rows_valid=report.rows_valid,
        rows_invalid=report.rows_invalid,
        counts={"read": report.rows_read, "errors": dict(report.errors_by_code)},
    )
    return job


def _validation_failed(job: ImportJob, message: str) -> ImportJob:
    _forget_check(job)
    job.problem = message
    job.save()
    _audit_validated(job, outcome=AuditEvent.Outcome.FAILURE, error=message)
    return job


def _audit_validated(
    job: ImportJob, *, outcome: str = AuditEvent.Outcome.SUCCESS, **data: Any
) -> None:
    # The check runs in a worker: the event names the person who asked for it.
    record_event(
        actor=None,
        actor_username=job.requested_by.get_username() if job.requested_by else "",
        action="import.validated",
        target=job,
        data={**_audit_basics(job), **data},
        outcome=outcome,
    )


def _audit_basics(job: ImportJob) -> dict[str, Any]:
    return {
        "file_name": job.original_name,
        "table_name": job.table_name,
        "table": job.table_name,
        "table_id": job.table_id,
    }


# --- quota ---------------------------------------------------------------------------------------


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


# --- submission ----------------------------------------------------------------------------------


def import_job_submit(
    *, actor: AbstractBaseUser, job: ImportJob, request: HttpRequest | None = None
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
                    **_audit_basics(job),
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
                user_message="The checked file is no longer kept, so nothing was sent. Upload "
                "the file again.",
            )
        size, limit = path.stat().st_size, conf.max_import_bytes()
        if size > limit:
            raise ActitoError(
                "prepared file too large",
                user_message=f"Even compressed, the file is {human_size(size)}: more than the "
                f"{human_size(limit)} ACTITO accepts. Nothing was sent. Split the "
                "file or send fewer columns.",
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
        message = exc.user_message if isinstance(exc, ActitoError) else "Unexpected error."
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
            return _send_unknown(job, exc)
        return _send_failed(job, exc.user_message, exc.response_text)
    except Exception:
        # We cannot tell whether the request left: keep the reservation (the safe side).
        logger.exception("import job %s: upload crashed", job.pk)
        return _send_unknown(job, None)
    now = timezone.now()
    job.execution_id = started.execution_id
    job.status = ImportJob.Status.IN_PROGRESS
    job.actito_status = "IN_PROGRESS"
    job.sent_at = now
    job.next_poll_at = now + timedelta(seconds=conf.poll_policy().fast_seconds)
    job.save()
    transaction.on_commit(lambda: async_task("actito_admin.imports.tasks.import_jobs_poll"))
    return job


def _send_failed(job: ImportJob, message: str, detail: str) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.failure = f"Nothing was imported: {message} The day's quota was not used."
    job.actito_detail = detail
    job.finished_at = timezone.now()
    job.quota_slot = ""  # given back
    job.save()
    _audit_end(job, "import.failed", AuditEvent.Outcome.FAILURE, error=message)
    return job


def _send_unknown(job: ImportJob, exc: ActitoError | None) -> ImportJob:
    job.status = ImportJob.Status.UNKNOWN
    job.failure = (
        exc.user_message
        if exc
        else "The upload stopped on an unexpected error; ACTITO may or may not have received it."
    ) + " Check “Manage imports” in ACTITO before sending the file again."
    job.actito_detail = exc.response_text if exc else ""
    job.finished_at = timezone.now()
    job.save()
    _audit_end(job, "import.failed", AuditEvent.Outcome.UNKNOWN, error=job.failure)
    return job


def _audit_end(job: ImportJob, action: str, outcome: str, **extra: Any) -> None:
    record_event(
        actor=None,
        actor_username=job.submitted_by.get_username() if job.submitted_by else "",
        action=action,
        target=job,
        data={
            **_audit_basics(job),
            "execution_id": job.execution_id,
            "counts": job.counts,
            "rows_created": job.counts.get("inserted"),
            "rows_updated": job.counts.get("updated"),
            "actito_status": job.actito_status,
            **extra,
        },
        outcome=outcome,
    )


# --- following the execution ---------------------------------------------------------------------

FAILURE_WORDS = {
    "INVALID_FILE": "ACTITO could not read the file (format, or a row with the wrong number of "
    "columns).",
    "DUPLICATE_HEADERS": "ACTITO found the same column name twice in the file.",
    "MISSING_FILE": "ACTITO did not find the file.",
}


def import_job_poll_perform(*, job: ImportJob, client: Any) -> ImportJob:
    """One look at the execution (§7.4); at the end, counts (§7.5) and output files (§7.6)."""
    policy = conf.poll_policy()
    now = timezone.now()
    elapsed = (now - (job.sent_at or now)).total_seconds()
    try:
        execution = client.get_execution(job.execution_id)
    except ActitoError as exc:
        job.last_poll_error = exc.user_message
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


def _finish(job: ImportJob, execution: Any, client: Any) -> ImportJob:
    results = None
    try:
        results = client.get_integration_results(job.execution_id)
    except ActitoError as exc:
        job.last_poll_error = exc.user_message
    if results is not None:
        job.counts = {
            name: results.total(name)
            for name in ("read", "inserted", "updated", "errors", "deleted")
        }
        job.actito_detail = str(results.raw)[:4000]
    failed = execution.status.upper() == "FAILED" or (results is not None and results.failed)
    output = upload_dir() / _new_name(".zip")
    try:
        files = client.download_output_files(job.execution_id, dest=output)
    except ActitoError as exc:
        files = None
        job.last_poll_error = f"The result files could not be fetched: {exc.user_message}"
    if files is not None and not files.is_listing:
        job.output_name = output.name
        try:
            with zipfile.ZipFile(output) as archive:
                job.output_members = [n for n in archive.namelist() if not n.endswith("/")]
        except zipfile.BadZipFile:
            job.output_members = []
    else:
        output.unlink(missing_ok=True)
    job.finished_at = timezone.now()
    job.next_poll_at = None
    if failed:
        reason = results.error if results is not None else None
        job.status = ImportJob.Status.FAILED
        job.failure = FAILURE_WORDS.get(
            reason or "", f"ACTITO stopped the import ({reason or execution.status})."
        )
        job.save()
        _audit_end(job, "import.failed", AuditEvent.Outcome.FAILURE, error=reason or "FAILED")
    else:
        job.status = ImportJob.Status.FINISHED
        job.save()
        _audit_end(job, "import.finished", AuditEvent.Outcome.SUCCESS)
    return job


def _poll_gave_up(job: ImportJob) -> ImportJob:
    job.status = ImportJob.Status.UNKNOWN
    job.next_poll_at = None
    job.failure = (
        "ACTITO still had not finished this import a day after it was sent, so the console "
        "stopped asking. Check “Manage imports” in ACTITO."
    )
    job.finished_at = timezone.now()
    job.save()
    _audit_end(job, "import.failed", AuditEvent.Outcome.UNKNOWN, error="gave up polling")
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
    for job in ImportJob.objects.filter(status=ImportJob.Status.VALIDATING, updated_at__lt=cutoff):
        _validation_failed(job, "The check was interrupted (the server restarted). Try again.")
        recovered += 1
    for job in ImportJob.objects.filter(status=ImportJob.Status.UPLOADING, updated_at__lt=cutoff):
        _send_unknown(job, None)
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
                    import_job_poll_perform(job=ImportJob.objects.get(pk=pk), client=client)
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


# --- downloads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    name: str
    chunks: Iterator[bytes]


def job_output_download(
    *, actor: AbstractBaseUser, job: ImportJob, member: str, request: HttpRequest | None = None
) -> Download | None:
    """Stream one file of ACTITO's output zip (result.csv or errors.csv), audited."""
    path = job_path(job.output_name)
    if path is None or not path.exists() or member not in job.output_members:
        return None
    record_event(
        actor=actor,
        action="import.file_downloaded",
        target=job,
        data={**_audit_basics(job), "file_kind": member, "execution_id": job.execution_id},
        request=request,
    )

    def chunks() -> Iterator[bytes]:
        # Re-written row by row so that no cell of ACTITO's file runs as a formula in Excel.
        with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
            first = text.readline()
            separator = ";" if first.count(";") > first.count(",") else ","
            out = io.StringIO()
            writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
            reader = csv.reader(itertools.chain([first], text), delimiter=separator)
            while batch := list(itertools.islice(reader, 2000)):
                writer.writerows(defused_rows(batch))
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()

    stem = Path(job.original_name).name.split(".")[0] or "import"
    return Download(name=f"{stem}-{Path(member).name}", chunks=chunks())


def job_error_file_download(
    *, actor: AbstractBaseUser, job: ImportJob, request: HttpRequest | None = None
) -> Path | None:
    """Our own dry run's error CSV (rows that failed the check), audited."""
    path = job_path(job.error_file_name)
    if path is None or not path.exists():
        return None
    record_event(
        actor=actor,
        action="import.file_downloaded",
        target=job,
        data={**_audit_basics(job), "file_kind": "errors"},
        request=request,
    )
    return path


# --- retention -----------------------------------------------------------------------------------


def import_files_purge(*, older_than_days: int | None = None) -> int:
    """Delete uploads, prepared and output files older than the retention; returns how many.

    Jobs keep their metadata (and the audit log its events); only the files go. Stray files in
    UPLOAD_DIR (a crash between writing and recording) go too once old enough. Jobs still in
    flight keep theirs.
    """
    days = conf.retention_days() if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    removed = 0
    jobs = ImportJob.objects.filter(created_at__lt=cutoff, files_purged_at__isnull=True).exclude(
        status__in=ImportJob.ACTIVE
    )
    keep: set[str] = set()
    for job in ImportJob.objects.filter(status__in=ImportJob.ACTIVE):
        keep.update([job.stored_name, job.prepared_name, job.error_file_name, job.output_name])
    for job in jobs:
        for name in (job.stored_name, job.prepared_name, job.error_file_name, job.output_name):
            path = job_path(name)
            if path is not None and path.exists():
                path.unlink()
                removed += 1
        job.files_purged_at = timezone.now()
        job.save(update_fields=["files_purged_at", "updated_at"])
    for path in upload_dir().iterdir():
        if path.is_file() and path.name not in keep and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- home page -----------------------------------------------------------------------------------


def home_card_context() -> dict[str, Any]:
    """Recent imports for the home page (our database only)."""
    jobs = list(ImportJob.objects.select_related("requested_by")[:5])
    return {"recent_imports": jobs}


def template_table(template: MappingTemplate) -> ImportTable | None:
    """The table a saved mapping is edited against: the structure copied by the latest import
    into that table (a template is always saved from one, and jobs keep their copy after their
    files are purged). None when no such import is left."""
    structure = (
        ImportJob.objects.filter(table_id=template.table_id)
        .exclude(table_structure={})
        .values_list("table_structure", flat=True)
        .first()
    )
    return ImportTable.from_structure(structure) if structure else None


def _column_settings(mapping: Sequence[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {m["header"]: (m["target"], *(bool(m.get(o)) for o in OPTION_FIELDS)) for m in mapping}


def _changed_columns(
    headers: Sequence[str], before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> list[str]:
    """Names of the columns whose target or options differ (never their values)."""
    old, new = _column_settings(before), _column_settings(after)
    return [h for h in headers if old.get(h) != new.get(h)]


def mapping_template_update(
    *,
    actor: AbstractBaseUser,
    template: MappingTemplate,
    mapping: list[dict[str, Any]],
    mode: str,
    report_recipients: list[str],
    request: HttpRequest | None = None,
) -> MappingTemplate:
    """Save a marketer's changes to a saved mapping; the next file with these headers gets them."""
    changed = _changed_columns(template.headers, template.mapping, mapping)
    with transaction.atomic():
        template.mapping, template.mode = mapping, mode
        template.report_recipients = report_recipients
        template.updated_by = actor
        template.save()
        record_event(
            actor=actor,
            action="import.template_updated",
            target=template,
            data={
                "table_name": template.table_name,
                "columns": len(template.headers),
                # Column names only (never values): which ones now go elsewhere or changed options.
                "changed_columns": changed,
                "mode": mode,
            },
            request=request,
        )
    return template


def mapping_template_delete(
    *, actor: AbstractBaseUser, template: MappingTemplate, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action="import.template_deleted",
            target=template,
            data={"table_name": template.table_name, "columns": len(template.headers)},
            request=request,
        )
        template.delete()
