"""Excel workbooks (.xlsx) turned into the CSV the rest of the import reads, streamed.

Marketers live in Excel, and ACTITO's own interface takes .xlsx. On upload the first sheet is
written out as a UTF-8 CSV next to the upload; detection, mapping, the check and the file for
ACTITO then work on that CSV as on any other.

Memory stays flat whatever the number of rows: the sheet's XML is parsed as a stream, element by
element, and each row is dropped once written. The one table an .xlsx needs at random — its
shared strings (each distinct text, referred to by number) — is spilled to a temporary file and
memory-mapped; only an index of 4 bytes per distinct text stays in memory. Libraries such as
openpyxl keep every shared string as a Python object, which is hundreds of MB for a million
contacts.

Values are written as Excel stores them, not as it displays them: dates (numbers with a date
format) as yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, numbers with a decimal point and no float noise
(12.5, not 12.499999999999998), booleans as TRUE/FALSE.
"""

from __future__ import annotations

import csv
import mmap
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, iterparse

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .containers import FileProblem

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Excel's built-in number formats that show dates or times (ECMA-376 §18.8.30).
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_ROWS_PER_WRITE = 1000
# Lazy: said in the language of whoever uploads (FileProblem makes it a plain str).
XLSX_UNREADABLE = gettext_lazy(
    "This Excel file cannot be read: it may be damaged or protected by a password. Open it in "
    "Excel, save it again (or save it as CSV), and upload that file."
)


@dataclass(frozen=True)
class Workbook:
    sheet_names: list[str]
    converted_sheet: str
    rows: int


def is_xlsx(path: Path) -> bool:
    """An .xlsx is a ZIP holding xl/workbook.xml (whatever the file is called)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def xlsx_to_csv(source: Path, dest: Path, *, max_bytes: int = 2 * 1024**3) -> Workbook:
    """Write the first sheet of `source` as a UTF-8 CSV at `dest`.

    Raises FileProblem for a workbook we cannot read (no sheet, damaged, encrypted).
    """
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise FileProblem(
                    "NOT_XLSX",
                    _(
                        "This file is not an Excel workbook (.xlsx). Save it from Excel as "
                        "“Excel Workbook (.xlsx)” or as CSV, and upload it again."
                    ),
                )
            sheets, date1904 = _sheets(archive)
            if not sheets:
                raise FileProblem("NO_SHEET", _("This Excel workbook has no sheet to import."))
            name, sheet_path = sheets[0]
            date_styles = _date_styles(archive) if "xl/styles.xml" in names else frozenset()
            with (
                _SharedStrings(archive, "xl/sharedStrings.xml" in names) as strings,
                archive.open(sheet_path) as sheet,
                dest.open("w", encoding="utf-8", newline="") as out,
            ):
                rows = _write_rows(
                    _sheet_rows(sheet, strings, date_styles, date1904), out, max_bytes
                )
    except (zipfile.BadZipFile, KeyError, SyntaxError) as exc:
        dest.unlink(missing_ok=True)
        raise FileProblem("BAD_XLSX", XLSX_UNREADABLE) from exc
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return Workbook([n for n, _p in sheets], name, rows)


def _write_rows(rows: Iterator[list[str]], out: IO[str], max_bytes: int) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    width = 0
    written = 0
    batch: list[list[str]] = []
    for row in rows:
        if not any(row):
            continue  # rows Excel keeps for their formatting only
        if written == 0:
            while row and not row[-1]:
                row.pop()
            width = len(row)
        elif len(row) < width:
            row.extend([""] * (width - len(row)))
        elif len(row) > width and not any(row[width:]):
            del row[width:]
        batch.append(row)
        written += 1
        if len(batch) == _ROWS_PER_WRITE:
            writer.writerows(batch)
            batch.clear()
            if out.tell() > max_bytes:  # a bomb, or far more than one import can take
                raise FileProblem(
                    "TOO_LARGE",
                    _(
                        "This sheet holds more data than one import can take. Split it into "
                        "several files."
                    ),
                )
    writer.writerows(batch)
    if written == 0:
        raise FileProblem("EMPTY_SHEET", _("The first sheet of this Excel workbook is empty."))
    return written


# --- workbook parts ------------------------------------------------------------------------------


def _sheets(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], bool]:
    """(name, path in the archive) of each sheet in workbook order, and the 1904 date system."""
    targets: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as rels:
        for _event, element in iterparse(rels):
            if element.tag == f"{PKG}Relationship":
                target = element.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[element.get("Id", "")] = path
    sheets: list[tuple[str, str]] = []
    date1904 = False
    with archive.open("xl/workbook.xml") as workbook:
        for _event, element in iterparse(workbook):
            if element.tag == f"{MAIN}sheet":
                path = targets.get(element.get(f"{REL}id", ""), "")
                if path in archive.namelist():
                    sheets.append((element.get("name", ""), path))
            elif element.tag == f"{MAIN}workbookPr":
                date1904 = element.get("date1904") in ("1", "true")
    return sheets, date1904


def _date_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Indices of the cell styles whose number format shows a date or a time."""
    custom_dates: set[int] = set()
    formats: list[int] = []
    with archive.open("xl/styles.xml") as styles:
        in_cell_xfs = False
        for event, element in iterparse(styles, events=("start", "end")):
            if element.tag == f"{MAIN}cellXfs":
                in_cell_xfs = event == "start"
            elif event == "end" and element.tag == f"{MAIN}numFmt":
                code = _QUOTED_OR_BRACKETED.sub("", element.get("formatCode", "")).lower()
                if any(c in code for c in "dmyhs") and "general" not in code:
                    custom_dates.add(int(element.get("numFmtId", "0")))
            elif event == "end" and element.tag == f"{MAIN}xf" and in_cell_xfs:
                formats.append(int(element.get("numFmtId", "0")))
    dates = _BUILTIN_DATE_FORMATS | custom_dates
    return frozenset(i for i, number_format in enumerate(formats) if number_format in dates)


class _SharedStrings:
    """Excel's table of distinct texts, on disk: an offset per text in memory, the text itself
    read from a memory-mapped temporary file when a cell asks for it."""

    def __init__(self, archive: zipfile.ZipFile, present: bool) -> None:
        self._archive = archive
        self._present = present
        self._offsets = array("I")  # 4 bytes per text; widened past 4 GB of text
        self._file: IO[bytes] | None = None
        self._map: mmap.mmap | None = None

    def __enter__(self) -> _SharedStrings:
        if not self._present:
            return self
        self._file = tempfile.TemporaryFile()
        position = 0
        with self._archive.open("xl/sharedStrings.xml") as source:
            for _event, element in iterparse(source):
                if element.tag != f"{MAIN}si":
                    continue
                data = _text_of(element).encode("utf-8")
                self._offsets.append(position)
                self._file.write(data)
                position += len(data)
                element.clear()
                if position > 0xFFFF0000 and self._offsets.typecode == "I":
                    self._offsets = array("Q", self._offsets)
        self._offsets.append(position)
        self._file.flush()
        if position:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._map is not None:
            self._map.close()
        if self._file is not None:
            self._file.close()

    def __getitem__(self, index: int) -> str:
        if self._map is None or not 0 <= index < len(self._offsets) - 1:
            return ""
        return self._map[self._offsets[index] : self._offsets[index + 1]].decode("utf-8")


def _text_of(element: Element) -> str:
    """The text of a shared or inline string: its <t>, or its runs' <t>s (phonetics left out)."""
    direct = element.find(f"{MAIN}t")
    if direct is not None:
        return direct.text or ""
    return "".join(
        t.text or "" for run in element.findall(f"{MAIN}r") for t in run.findall(f"{MAIN}t")
    )


# --- cells ---------------------------------------------------------------------------------------


def _column_index(reference: str) -> int:
    """ "C7" -> 2."""
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + (ord(char.upper()) - 64)
    return index - 1


def _number(text: str) -> str:
    value = float(text)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")  # what Excel shows at most: 15 significant digits


def _moment(text: str, date1904: bool) -> str:
    serial = float(text)
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    moment = base + timedelta(days=serial)
    moment = (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
    if moment.hour == moment.minute == moment.second == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _sheet_rows(
    sheet: IO[bytes], strings: _SharedStrings, date_styles: frozenset[int], date1904: bool
) -> Iterator[list[str]]:
    row: list[str] = []
    sheet_data: Element | None = None
    for event, element in iterparse(sheet, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == f"{MAIN}sheetData":
                sheet_data = element
            continue
        if tag == f"{MAIN}c":
            kind = element.get("t", "n")
            value_element = element.find(f"{MAIN}v")
            raw = value_element.text if value_element is not None else None
            if kind == "s":
                value = strings[int(raw)] if raw else ""
            elif kind == "inlineStr":
                inline = element.find(f"{MAIN}is")
                value = _text_of(inline) if inline is not None else ""
            elif raw is None or kind == "e":
                value = ""  # an empty cell, or an error such as #N/A
            elif kind == "b":
                value = "TRUE" if raw == "1" else "FALSE"
            elif kind in ("str", "d"):
                value = raw
            elif int(element.get("s", "0")) in date_styles:
                value = _moment(raw, date1904)
            else:
                value = _number(raw)
            reference = element.get("r")
            position = _column_index(reference) if reference else len(row)
            if position > len(row):
                row.extend([""] * (position - len(row)))
            row.append(value)
            element.clear()
        elif tag == f"{MAIN}row":
            yield row
            row = []
            if sheet_data is not None:
                sheet_data.clear()  # drop the rows written so far: memory stays flat
