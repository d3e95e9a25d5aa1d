"""Import files: where uploads and their derived files live, the audited downloads, and the
daily purge. Names inside UPLOAD_DIR are ours (random), never user input."""

from __future__ import annotations

import csv
import io
import itertools
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from actito_admin.audit.services import record_event
from actito_admin.spreadsheet import defused_rows

from . import conf
from .events import audit_basics
from .models import ImportJob


def upload_dir() -> Path:
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def job_path(name: str) -> Path | None:
    """A file of a job inside UPLOAD_DIR, or None. Names are ours (random), never user input."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return upload_dir() / name


def new_name(suffix: str) -> str:
    return f"{secrets.token_hex(16)}{suffix}"


def remove_files(*names: str) -> None:
    for name in names:
        path = job_path(name)
        if path is not None:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Download:
    name: str
    chunks: Iterator[bytes]


def job_output_download(
    *, actor: User, job: ImportJob, member: str, request: HttpRequest | None = None
) -> Download | None:
    """Stream one file of ACTITO's output zip (result.csv or errors.csv), audited."""
    path = job_path(job.output_name)
    if path is None or not path.exists() or member not in job.output_members:
        return None
    record_event(
        actor=actor,
        action="import.file_downloaded",
        target=job,
        data={**audit_basics(job), "file_kind": member, "execution_id": job.execution_id},
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
    *, actor: User, job: ImportJob, request: HttpRequest | None = None
) -> Path | None:
    """Our own dry run's error CSV (rows that failed the check), audited."""
    path = job_path(job.error_file_name)
    if path is None or not path.exists():
        return None
    record_event(
        actor=actor,
        action="import.file_downloaded",
        target=job,
        data={**audit_basics(job), "file_kind": "errors"},
        request=request,
    )
    return path


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
