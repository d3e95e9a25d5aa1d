"""Excel workbooks become the CSV the import reads: values as Excel stores them, streamed."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile

import openpyxl
import pytest

from actito_admin.imports.containers import FileProblem
from actito_admin.imports.xlsx import is_xlsx, xlsx_to_csv


def workbook(path, *sheets: tuple[str, list[list[object]]], date1904: bool = False):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if date1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book.save(path)
    return path


def read_back(tmp_path, source):
    dest = tmp_path / "out.csv"
    info = xlsx_to_csv(source, dest)
    with dest.open(encoding="utf-8", newline="") as f:
        return info, list(csv.reader(f))


def test_values_are_written_as_excel_stores_them(tmp_path):
    source = workbook(
        tmp_path / "contacts.xlsx",
        (
            "Contacts",
            [
                ["Courriel", "Naissance", "Valeur", "VIP", "Points", "Dernière visite", "Note"],
                [
                    "zoë@example.be",
                    dt.date(1967, 5, 26),
                    12.5,
                    True,
                    1250,
                    dt.datetime(2024, 1, 31, 14, 5),
                    'a, "b"\nc',
                ],
                ["rene@example.fr", dt.date(1990, 2, 1), 0.1 + 0.2, False, None, None, None],
            ],
        ),
    )
    info, rows = read_back(tmp_path, source)
    assert info.converted_sheet == "Contacts" and info.rows == 3
    assert rows[1] == [
        "zoë@example.be",
        "1967-05-26",
        "12.5",
        "TRUE",
        "1250",
        "2024-01-31 14:05:00",
        'a, "b"\nc',
    ], "dates, numbers and booleans must be read as Excel stores them"
    assert rows[2] == ["rene@example.fr", "1990-02-01", "0.3", "FALSE", "", "", ""], (
        "float noise (0.30000000000000004) and empty cells"
    )


def test_the_first_sheet_is_read_and_the_others_are_named(tmp_path):
    source = workbook(
        tmp_path / "two.xlsx", ("Clients", [["email"], ["a@b.be"]]), ("Notes", [["x"]])
    )
    info, rows = read_back(tmp_path, source)
    assert (info.converted_sheet, info.sheet_names) == ("Clients", ["Clients", "Notes"])
    assert rows == [["email"], ["a@b.be"]]


def test_gaps_and_formatting_only_rows_do_not_shift_or_add_rows(tmp_path):
    path = tmp_path / "gaps.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["C1"] = "email", "name", "city"
    sheet["A2"], sheet["C2"] = "a@b.be", "Gent"  # B2 empty: C2 must stay in column 3
    sheet["A5"] = "c@d.be"
    sheet["B9"].number_format = "0.00"  # a styled, empty cell far below
    book.save(path)
    _info, rows = read_back(tmp_path, path)
    assert rows == [["email", "name", "city"], ["a@b.be", "", "Gent"], ["c@d.be", "", ""]]


def test_a_workbook_in_the_1904_date_system_gets_the_same_dates(tmp_path):
    source = workbook(tmp_path / "mac.xlsx", ("S", [["d"], [dt.date(1967, 5, 26)]]), date1904=True)
    _info, rows = read_back(tmp_path, source)
    assert rows[1] == ["1967-05-26"]


def test_a_damaged_workbook_is_refused_in_plain_words(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets>")
    assert is_xlsx(path)
    with pytest.raises(FileProblem) as caught:
        xlsx_to_csv(path, tmp_path / "out.csv")
    assert "cannot be read" in caught.value.message
    assert not (tmp_path / "out.csv").exists(), "no half-written CSV may be left behind"


def test_an_empty_first_sheet_is_refused(tmp_path):
    source = workbook(tmp_path / "empty.xlsx", ("Vide", []))
    with pytest.raises(FileProblem) as caught:
        xlsx_to_csv(source, tmp_path / "out.csv")
    assert caught.value.code == "EMPTY_SHEET"
