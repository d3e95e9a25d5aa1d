"""A file comes in: kept under a random name (an Excel workbook as its first sheet in CSV), its
format detected, the job created and audited; later the format can be changed, and a UTF-8 guess
that a late byte proves wrong becomes Windows-1252 by itself."""

from __future__ import annotations

import codecs
import os
import shutil
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from actito_admin.audit.services import record_event

from . import conf
from .containers import open_decompressed
from .csvfile import CsvFormat, Detection, FileProblem, detect_csv
from .files import job_path, new_name, remove_files, upload_dir
from .models import ImportJob
from .xlsx import XLSX_UNREADABLE, Workbook, is_xlsx, xlsx_to_csv

ALLOWED_SUFFIXES = (
    ".csv",
    ".txt",
    ".tsv",
    ".csv.gz",
    ".txt.gz",
    ".tsv.gz",
    ".gz",
    ".zip",
    ".xlsx",
)


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


def import_job_create(
    *, actor: User, uploaded: UploadedFile, request: HttpRequest | None = None
) -> ImportJob:
    """Keep the upload under a random name, detect its format, create the job.

    Raises FileProblem (and keeps nothing) when the file cannot be imported as it is.
    """
    original = os.path.basename(uploaded.name or "upload.csv")[:255]
    suffix = _suffix_of(original)
    if suffix is None:
        raise FileProblem(
            "UNSUPPORTED_TYPE",
            _(
                "“%(name)s” is not a CSV or Excel file. Upload a .csv, .tsv, .txt or .xlsx "
                "file, a .csv.gz, or a .zip that holds exactly one CSV."
            )
            % {"name": original},
        )
    stored = new_name(".zip" if suffix == ".zip" else ".gz" if suffix.endswith(".gz") else ".csv")
    dest = upload_dir() / stored
    workbook: Workbook | None = None
    try:
        size = _store_upload(uploaded, dest)
        if suffix in (".xlsx", ".csv", ".zip") and is_xlsx(dest):  # also an .xlsx renamed .csv
            workbook = _workbook_to_csv(dest)
        elif suffix == ".xlsx":
            raise FileProblem("BAD_XLSX", XLSX_UNREADABLE)
        detection = detect_csv(dest, preview_rows=1)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        fields = _format_fields(detection)
        if workbook is not None:
            fields |= {
                "container": "xlsx",
                "member_name": workbook.converted_sheet[:255],
                "sheet_names": workbook.sheet_names,
            }
        job = ImportJob.objects.create(
            requested_by=actor,
            original_name=original,
            stored_name=stored,
            size_bytes=size,
            **fields,
        )
        record_event(
            actor=actor,
            action="import.uploaded",
            target=job,
            data={
                "file_name": original,
                "size_bytes": size,
                "container": fields["container"],
                **({"sheets": workbook.sheet_names} if workbook else {}),
                "encoding": detection.csv_format.encoding_label,
                "columns": len(detection.headers),
            },
            request=request,
        )
    return job


def _workbook_to_csv(path: Path) -> Workbook:
    """Replace the uploaded workbook at `path` by its first sheet as CSV (streamed)."""
    sheet = path.with_suffix(".sheet.csv")
    try:
        workbook = xlsx_to_csv(path, sheet, max_bytes=conf.file_limits().max_uncompressed_bytes)
        os.replace(sheet, path)
    finally:
        sheet.unlink(missing_ok=True)
    return workbook


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
            _(
                "The uploaded file is no longer kept (files are deleted after %(days)s days). "
                "Upload it again."
            )
            % {"days": conf.retention_days()},
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
        raise FileProblem("FILE_GONE", _("The uploaded file is no longer kept. Upload it again."))
    detection = detect_csv(
        path, encoding=encoding, separator=separator, quotechar=quotechar, preview_rows=10
    )
    fields = _format_fields(detection)
    fields["detected"] = sorted(set(job.detected) & set(detection.detected))
    for name, value in fields.items():
        setattr(job, name, value)
    remove_files(*job.forget_check())
    job.save()
    return detection


# A file whose start is plain ASCII was guessed UTF-8 by default; Windows-1252 is what Excel on
# Windows writes, so a later accent that is not UTF-8 is almost always that.
_FALLBACKS = {"utf-8": "cp1252", "utf-8-sig": "cp1252-sig"}


def encoding_fallback(job: ImportJob, path: Path, problem: FileProblem) -> dict[str, Any] | None:
    """Switch the job to Windows-1252 when a byte after the detection sample proves the UTF-8
    guess wrong; what to tell the marketer, or None when that would not be right.

    Only for a guessed encoding whose sample held no accent at all: if the start had UTF-8
    accents, the file mixes encodings and reading it as Windows-1252 would garble them.
    """
    fallback = _FALLBACKS.get(job.encoding)
    if problem.code != "ENCODING_MISMATCH" or fallback is None or "encoding" not in job.detected:
        return None
    with open_decompressed(path, limits=conf.file_limits()) as (stream, _container, _member):
        start = stream.read(64 * 1024)
    if not start.removeprefix(codecs.BOM_UTF8).isascii():
        return None
    was = job.encoding_label
    job.encoding = fallback
    job.save(update_fields=["encoding", "updated_at"])
    return {"line": problem.line, "was": was, "now": job.encoding_label}
