"""Files as marketers have them: .tsv, an empty file, a web page saved as .csv, a Windows-1252
file whose first accent comes after the part the encoding is guessed from."""

from __future__ import annotations

import gzip

import pytest

from actito_admin.imports.models import ImportJob
from tests.imports.web._web import (
    choose_demodoc,
    mapping_post,
    quota_used,
    run_validation,
    upload,
    uploaded_job,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]


def _refused(client, name: str, data: bytes) -> str:
    response = client.post("/imports/new/", {"file": upload(name, data)})
    assert response.status_code == 422, response.status_code
    assert not ImportJob.objects.exists(), "a refused file must leave no import behind"
    return response.content.decode()


def test_a_tab_separated_tsv_file_simply_works(client_as_marketer, sandbox):
    data = b"email\tname\r\nzoe@example.com\tZoe\r\n"
    job = uploaded_job(client_as_marketer, "export.tsv", data)
    assert (job.separator, job.headers) == ("\t", ["email", "name"])


def test_an_empty_file_gets_a_plain_message(client_as_marketer):
    page = _refused(client_as_marketer, "contacts.csv", b"")
    assert "This file is empty: it has no column names and no rows." in page
    assert "The submitted file is empty." not in page, "Django's bare sentence is not for users"


def test_a_web_page_saved_as_csv_is_told_so(client_as_marketer):
    html = b"<!DOCTYPE html>\n<html><head><title>Contacts</title></head><body>...</body></html>"
    page = _refused(client_as_marketer, "contacts.csv", html)
    assert "is a web page (HTML), not a CSV export" in page, page[:3000]
    assert "only has the line with column names" not in page


def test_a_late_windows_1252_accent_switches_the_reading_by_itself(
    client_as_marketer, sandbox, upload_dir
):
    # 2,000 plain rows (well past the 64 KB guess), then René in Windows-1252.
    rows = [f"person{i}@example.com;Person {i:04d} with a longish name" for i in range(2000)]
    text = "\r\n".join(["email;name", *rows, "rene@example.com;René"]) + "\r\n"
    job = choose_demodoc(
        client_as_marketer, uploaded_job(client_as_marketer, "late.csv", text.encode("cp1252"))
    )
    assert job.encoding == "utf-8", "the start alone looks like UTF-8"
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportJob.Status.VALIDATED, (job.status, job.problem)
    assert job.encoding == "cp1252" and job.report["rows_read"] == 2001
    fallback = job.report["encoding_fallback"]
    assert fallback["now"] == "Windows-1252" and fallback["line"] >= 1600, fallback
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "the whole file was read as Windows-1252" in page
    with gzip.open(upload_dir / job.prepared_name) as sent:
        assert "rene@example.com;René".encode(job.output_encoding) in sent.read().replace(
            b",", b";"
        ), "René must reach ACTITO with its accent"
    assert quota_used() == 0, "no daily import is used by a check"
