"""Every CSV download also comes "for Excel": ';' and UTF-8 with a BOM, so that French and Dutch
Excel open it in columns with its accents intact; the rows are the same as the plain CSV's."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from actito_admin.csvflavour import for_excel
from actito_admin.imports.models import ImportJob
from tests.imports.web._web import (  # noqa: F401 - fixtures too
    choose_demodoc,
    fresh_cache,
    import_through,
    mapping_post,
    run_validation,
    upload_dir,
    uploaded_job,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def _rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def assert_excel_flavour_of(plain: bytes, excel: bytes, what: str, *, later: int = 0) -> None:
    """`later`: rows the Excel download may have on top (written between the two downloads)."""
    assert excel.startswith(codecs.BOM_UTF8), f"{what} for Excel has no UTF-8 BOM"
    header = excel[3:].split(b"\r\n", 1)[0].decode("utf-8")
    assert ";" in header and "," not in header.replace('","', ""), (
        f"{what} for Excel is not separated by ';': {header!r}"
    )
    plain_rows, excel_rows = _rows(plain), _rows(excel)
    assert len(excel_rows) == len(plain_rows) + later, f"{what} for Excel has other rows"
    assert excel_rows[: len(plain_rows)] == plain_rows, f"{what} for Excel differs"


def test_the_rows_with_errors_come_for_excel_too(client_as_marketer, sandbox):
    # A comma-separated upload: its error file is comma-separated; the Excel one is not.
    data = "email,prénom\r\nzoe@example.com,Zoë\r\nnot-an-email,René\r\n".encode()
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "c.csv", data))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    url = f"/imports/{job.pk}/rows-with-errors.csv"
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert f'href="{url}?for=excel"' in page, "the page offers no Excel download of the rows"
    plain = _body(client_as_marketer.get(url))
    excel_response = client_as_marketer.get(url, {"for": "excel"})
    excel = _body(excel_response)
    assert "-excel.csv" in excel_response["Content-Disposition"]
    assert_excel_flavour_of(plain, excel, "the rows with errors")
    assert "René" in excel.decode("utf-8-sig"), "accents must survive the Excel flavour"


def test_actitos_result_and_error_files_come_for_excel_too(client_as_marketer, sandbox, settings):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    data = b"email;name\r\nzoe@example.com;Zoe\r\nnot-an-email;Bad\r\n"
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "p.csv", data))
    job = import_through(client_as_marketer, job, mapping_post(job, leave_out_invalid=""))
    assert job.output_members, "ACTITO's files are missing"
    for member in job.output_members:
        url = f"/imports/{job.pk}/output/{member}"
        plain = _body(client_as_marketer.get(url))
        excel = _body(client_as_marketer.get(url, {"for": "excel"}))
        assert_excel_flavour_of(plain, excel, f"ACTITO's {member}")


def test_a_list_runs_outcomes_come_for_excel_too(client_as_marketer, marketer, sandbox):
    from actito_admin.scenarios import services
    from tests.scenarios._helpers import confirmed_list, doc_scenario

    run = confirmed_list(marketer, doc_scenario(), "147471\n999\n")
    services.trigger_list_confirm(actor=marketer, run=run)
    url = f"/scenarios/runs/{run.pk}/results.csv"
    plain = _body(client_as_marketer.get(url))
    excel = _body(client_as_marketer.get(url, {"for": "excel"}))
    assert_excel_flavour_of(plain, excel, "the list run's outcomes")


def test_the_audit_export_comes_for_excel_too(client_as_admin, client_as_marketer, sandbox):
    uploaded_job(client_as_marketer, "audit-me.csv")
    plain = _body(client_as_admin.get("/audit/export.csv"))
    excel = _body(client_as_admin.get("/audit/export.csv", {"for": "excel"}))
    # The first export is itself an audited event, and comes last in the second one.
    assert_excel_flavour_of(plain, excel, "the audit export", later=1)


def test_a_large_csv_is_rewritten_for_excel_in_pieces():
    def chunks():
        yield b"\xef\xbb\xbfa,b\r\n"
        for i in range(20_000):
            yield f'{i},"x, ""quoted"" é"\r\n'.encode()

    pieces = list(for_excel(chunks()))
    assert len(pieces) > 10, "the Excel flavour must stream, not build the whole file"
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["a", "b"] and rows[-1] == ["19999", 'x, "quoted" é'] and len(rows) == 20_001
