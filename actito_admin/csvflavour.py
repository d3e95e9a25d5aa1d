"""Downloads that open correctly in French and Dutch Excel.

Excel set to French or Dutch splits CSV columns on ';' (the list separator of those locales) and
reads a file as UTF-8 only when it starts with a byte-order mark. Every CSV download therefore
comes in two flavours: plain CSV, as other tools expect it, and "for Excel" (`?for=excel`): ';'
and UTF-8 with a BOM. The Excel flavour is made by re-writing the plain stream as it goes, so a
large file is never held in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpRequest

EXCEL = "excel"
EXCEL_DELIMITER = ";"
_ROWS_PER_CHUNK = 500


def excel_requested(request: HttpRequest) -> bool:
    return request.GET.get("for") == EXCEL


def excel_name(filename: str) -> str:
    """ "errors.csv" -> "errors-excel.csv": both flavours can sit side by side in Downloads."""
    stem, dot, suffix = filename.rpartition(".")
    return f"{stem}-excel.{suffix}" if dot else f"{filename}-excel"


class _ChunkReader(io.RawIOBase):
    """An iterable of byte chunks as a readable file, for TextIOWrapper."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _delimiter_of(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def for_excel(chunks: Iterable[bytes], *, encoding: str = "utf-8") -> Iterator[bytes]:
    """The CSV in `chunks` (any of , ; tab |, any BOM) re-written with ';' and a UTF-8 BOM."""
    source_encoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    text = io.TextIOWrapper(
        io.BufferedReader(_ChunkReader(chunks)),
        encoding=source_encoding,
        errors="replace",
        newline="",
    )
    yield codecs.BOM_UTF8
    first = text.readline()
    if not first:
        return
    lines = _prepend(first, text)
    reader = csv.reader(lines, delimiter=_delimiter_of(first))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=EXCEL_DELIMITER, lineterminator="\r\n")
    while True:
        batch = [row for _i, row in zip(range(_ROWS_PER_CHUNK), reader, strict=False)]
        if not batch:
            return
        writer.writerows(batch)
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()


def _prepend(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def encoded(lines: Iterable[str]) -> Iterator[bytes]:
    """A stream of text (a CSV being written) as UTF-8 bytes, for `for_excel`."""
    for line in lines:
        yield line.encode("utf-8")
