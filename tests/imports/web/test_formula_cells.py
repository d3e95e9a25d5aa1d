"""Downloads that people open in Excel never carry a cell that runs as a formula."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from actito_admin.imports.models import ImportJob
from actito_admin.spreadsheet import defuse

from ._web import choose_demodoc, mapping_post, run_validation, uploaded_job

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example","Click")'


@pytest.mark.parametrize(
    ("value", "shown"),
    [(HOSTILE, "'" + HOSTILE), ("@SUM(A1)", "'@SUM(A1)"),
     ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
     ("+32 498 79 21 85", "+32 498 79 21 85"), ("-12,50", "-12,50"), ("Zoë", "Zoë"), ("", "")],
)  # fmt: skip
def test_formula_cells_are_defused_and_numbers_left_alone(value, shown):
    assert defuse(value) == shown


def test_the_rows_with_errors_file_defuses_formulas(client_as_marketer, sandbox):
    data = f"email;name\r\nnot-an-address;{HOSTILE}\r\nok@example.com;Ann\r\n".encode()
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "f.csv", data))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(job)
    response = client_as_marketer.get(f"/imports/{job.pk}/rows-with-errors.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[1][-1] == "'" + HOSTILE, rows


def test_actito_result_files_are_defused_when_downloaded(client_as_marketer, marketer, settings):
    from actito_admin.imports.services import job_path

    job = ImportJob.objects.create(
        requested_by=marketer, original_name="x.csv", stored_name="x", output_name="out.zip",
        output_members=["result.csv"],
    )  # fmt: skip
    path = job_path("out.zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("result.csv", f"emailAddress;status\r\na@b.be;{HOSTILE}\r\n")
    response = client_as_marketer.get(f"/imports/{job.pk}/output/result.csv")
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body), delimiter=";")) == [
        ["emailAddress", "status"],
        ["a@b.be", "'" + HOSTILE],
    ]
