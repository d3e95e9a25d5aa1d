"""Helpers for the imports web tests: files as a marketer would upload them, and a driver that
runs the background steps in-process (the e2e test uses a real cluster instead)."""

from __future__ import annotations

import codecs
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actito_admin.actito.connection import get_governor
from actito_admin.imports import following, tasks
from actito_admin.imports.models import ImportJob

DEMODOC = "16"

# Semicolons, Windows-1252 (é, ë), a UTF-8 BOM in front as Excel writes it, one invalid row.
SEMICOLON_ROWS = [
    "E-mail;Prénom;Nom;Langue",
    "zoe.claes@example.com;Zoë;Claes;NL",
    "rene.dubois@example.com;René;Dubois;FR",
    "ann.peeters@example.com;Ann;Peeters;NL",
    "not-an-email;Bad;Row;FR",
]


def semicolon_cp1252_bytes(*, bom: bool = True) -> bytes:
    text = "\r\n".join(SEMICOLON_ROWS) + "\r\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("cp1252")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def uploaded_job(client: Any, name: str = "people.csv", data: bytes | None = None) -> ImportJob:
    file = upload(name, data if data is not None else semicolon_cp1252_bytes())
    response = client.post("/imports/new/", {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def choose_demodoc(client: Any, job: ImportJob) -> ImportJob:
    response = client.post(f"/imports/{job.pk}/table/", {"table": DEMODOC})
    assert response.status_code == 200
    job.refresh_from_db()
    return job


def mapping_post(job: ImportJob, **overrides: str) -> dict[str, str]:
    """The mapping form as the browser posts it, with the job's current targets."""
    by_header = {m["header"]: m["target"] for m in job.mapping}
    data = {f"col{i}_target": by_header.get(h, "") for i, h in enumerate(job.headers)}
    data |= {"mode": "CREATE_OR_UPDATE", "leave_out_invalid": "on", "save_template": "on"}
    data |= overrides
    return data


def quota_used(table_id: str = DEMODOC) -> int:
    return get_governor().usage(table=table_id).imports_today or 0


def run_validation(job: ImportJob) -> ImportJob:
    tasks.import_job_validate(job.pk)
    job.refresh_from_db()
    return job


def run_send_and_follow(job: ImportJob) -> ImportJob:
    tasks.import_job_send(job.pk)
    # The poller would wait for the policy's first interval: make the job due now.
    ImportJob.objects.filter(pk=job.pk).update(next_poll_at=job.created_at)
    following.import_jobs_poll_due(window_seconds=5)
    job.refresh_from_db()
    return job


def import_through(client: Any, job: ImportJob, data: dict[str, str]) -> ImportJob:
    """Check with this mapping form, send and follow to the end: a mapping ticked "Remember" is
    saved only when such an import ends well."""
    response = client.post(f"/imports/{job.pk}/validate/", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    assert job.can_submit, job.report
    client.post(f"/imports/{job.pk}/submit/")
    return run_send_and_follow(job)


@pytest.fixture
def upload_dir(settings: Any, tmp_path: Any) -> Any:
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


@pytest.fixture
def fresh_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
