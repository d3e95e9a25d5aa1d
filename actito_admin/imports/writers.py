"""The files one pass over an upload writes: the gzip file ACTITO receives (§7.2: no BOM, the
declared encoding, at most 100 MB compressed) and the user's error CSV. Both are written to
`<name>.part` and renamed when complete, so a crash never leaves a half file under the real name.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from isal import igzip

from actito_admin.spreadsheet import defuse

from .containers import FileProblem, human_size

ACTITO_ENCODINGS: dict[str, str] = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}


def error_file_columns() -> tuple[str, str]:
    """The error CSV's own two columns, in the marketer's language ("line", "errors")."""
    return (
        pgettext("error file column", "line"),
        pgettext("error file column", "errors"),
    )


@dataclass(frozen=True)
class OutputOptions:
    """The shape of the file ACTITO receives (it is declared in the one-shot definition)."""

    encoding: Literal["UTF-8", "ISO-8859-1"] = "UTF-8"
    separator: str = ","
    enclosing: str = '"'
    columns: Literal["mapped", "all"] = "mapped"
    # Rows with the wrong number of columns are always left out: ACTITO fails the whole file.
    leave_out_invalid_rows: bool = True
    # ISA-L's levels, 0–3 (isal.igzip): level 3 is about 6× faster than zlib level 6 and its
    # output about 20 % larger (docs/benchmarks.md); ACTITO reads it as any gzip.
    compress_level: int = 3


@dataclass(frozen=True)
class PreparedFile:
    """The gzip file written for ACTITO and the facts the one-shot definition needs."""

    path: Path
    file_name: str  # fileNamePattern: the CSV's name inside the gzip
    compressed_file_name: str  # compressedFileNamePattern
    encoding: str  # "UTF-8" or "ISO-8859-1"
    separator: str
    enclosing: str
    headers: list[str]
    rows_written: int
    rows_left_out: int
    uncompressed_bytes: int
    compressed_bytes: int


# --------------------------------------------------------------------------------------


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


class _CountingSink(io.RawIOBase):
    """Counts bytes on their way to `target`; past `limit` it raises `on_limit()`."""

    def __init__(
        self,
        target: BinaryIO,
        limit: int | None = None,
        on_limit: Callable[[], Exception] | None = None,
    ) -> None:
        self._target = target
        self._limit = limit
        self._on_limit = on_limit
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        n = self._target.write(data)
        self.count += n
        if self._limit is not None and self.count > self._limit and self._on_limit:
            raise self._on_limit()
        return n


class _CompressingThread(io.RawIOBase):
    """Hands bytes to `target` (the gzip stream) in a second thread, so that compressing one
    batch overlaps with parsing and checking the next: ISA-L releases the GIL while it works.

    Bytes are handed over a megabyte at a time: after each piece the thread must win the GIL
    back from the parser (up to the 5 ms switch interval), so small pieces would leave it
    waiting more than working. The queue is bounded (memory stays flat). An error in the
    thread (the 100 MB cap, a full disk) is raised in the caller's thread at its next write or
    at close.
    """

    _DONE = None  # the end of the stream
    PIECE = 1 << 20

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="gzip", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not self._DONE:
            if self._error is None:
                try:
                    self._target.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self._error is not None:
            raise self._error
        if data:
            self._pending.append(bytes(data))  # a copy: the caller may reuse its buffer
            self._pending_size += len(data)
            if self._pending_size >= self.PIECE:
                self._hand_over()
        return len(data)

    def _hand_over(self) -> None:
        self._queue.put(b"".join(self._pending))
        self._pending.clear()
        self._pending_size = 0

    def finish(self) -> None:
        """Wait until everything is handed over; raise what went wrong on the way."""
        if self._thread.is_alive():
            if self._pending:
                self._hand_over()
            self._queue.put(self._DONE)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Give up: let the thread end without raising."""
        self._error = self._error or RuntimeError("stopped")
        if self._thread.is_alive():
            self._queue.put(self._DONE)
            self._thread.join()


class ActitoFileWriter:
    """Writes CSV rows, encoded and gzip-compressed, to `<path>.part`; renamed when finished."""

    def __init__(self, path: Path, options: OutputOptions, headers: list[str], limit: int) -> None:
        self.path = path
        self.options = options
        self.file_name = path.name[:-3] if path.name.endswith(".gz") else path.name
        self._limit = limit
        self._raw = open(_part(path), "wb")  # noqa: SIM115 - closed in finish()/abort()
        self._compressed = _CountingSink(self._raw, limit, self._too_large)
        self._gzip = igzip.IGzipFile(
            filename=self.file_name,
            mode="wb",
            compresslevel=options.compress_level,
            fileobj=self._compressed,
            mtime=0,  # same input, same bytes
        )
        self._thread = _CompressingThread(self._gzip)  # type: ignore[arg-type]
        self._plain = _CountingSink(self._thread)  # type: ignore[arg-type]
        self._codec = ACTITO_ENCODINGS[options.encoding]
        self._text = io.TextIOWrapper(  # type: ignore[type-var]
            self._plain, encoding=self._codec, newline=""
        )
        # Neither encoding makes a character's bytes out of other characters, so counting them
        # in the bytes counts the characters. A separator the encoding cannot hold ("€" in
        # ISO-8859-1) makes every line fail to encode, which says so as CANNOT_ENCODE.
        self._separator = options.separator.encode(self._codec, errors="replace")
        self._enclosing = options.enclosing.encode(self._codec, errors="replace")
        self._writer = csv.writer(
            self._text,
            delimiter=options.separator,
            quotechar=options.enclosing,
            lineterminator="\r\n",  # RFC 4180
        )
        self.headers = headers
        self.rows = 0
        try:
            self.write_rows([headers], first_line=1)
        except BaseException:
            self.abort()  # the caller has no writer to abort yet
            raise
        self.rows = 0

    def _too_large(self) -> FileProblem:
        return FileProblem(
            "TOO_LARGE_AFTER_COMPRESSION",
            _(
                "Even compressed, the file for ACTITO would be larger than %(size)s, the most "
                "ACTITO accepts in one import. Split the file into smaller files, or send only "
                "the columns you need."
            )
            % {"size": human_size(self._limit)},
        )

    def lines(self, rows: Iterable[Sequence[str]]) -> list[str]:
        """Each row's values joined by the separator: what `write_lines` takes. (The pass also
        reads their lengths: no value is longer than its line.)"""
        return list(map(self.options.separator.join, rows))

    def write_rows(self, rows: Sequence[Sequence[str]], first_line: int) -> None:
        self.write_lines(self.lines(rows), lambda: rows, first_line)

    def write_lines(
        self, lines: list[str], rows: Callable[[], Sequence[Sequence[str]]], first_line: int
    ) -> None:
        """Write rows joined by `lines`; `rows()` gives them as values, for csv.writer when
        some value needs quotes and to say which value cannot be encoded."""
        try:
            data = self._plain_bytes(lines)
            if data is None:
                self._writer.writerows(rows())
                self._text.flush()  # before any plain bytes that follow
            else:
                self._plain.write(data)
        except UnicodeEncodeError as exc:
            raise self._cannot_encode(rows(), first_line) from exc
        self.rows += len(lines)

    def _plain_bytes(self, lines: list[str]) -> bytes | None:
        """The lines as encoded CSV when no value needs quotes, else None (csv.writer's job).

        Most batches need no quoting; joining them in C and writing once is about twice as fast
        as csv.writer, which calls the file once per row. The checks run on the bytes: one
        pass finds any line break inside a value, others count separators and look for quotes.
        """
        count = len(lines)
        if not count or len(self.headers) < 2:  # one empty value per row would need ""
            return None
        data = "\r\n".join(lines).encode(self._codec)
        data += b"\r\n"
        if (
            data.count(self._separator) == count * (len(self.headers) - 1)
            and len(data) - len(data.translate(None, b"\r\n")) == 2 * count
            and self._enclosing not in data
        ):
            return data
        return None

    def _cannot_encode(self, rows: Sequence[Sequence[str]], first_line: int) -> FileProblem:
        for offset, row in enumerate(rows):
            for value in row:
                try:
                    value.encode(self._codec)
                except UnicodeEncodeError as exc:
                    values = {
                        "char": value[exc.start : exc.end],
                        "value": value,
                        "line": first_line + offset,
                        "encoding": self.options.encoding,
                    }
                    if first_line == 1:
                        message = _(
                            "The column names contain “%(char)s” (in “%(value)s”, around line "
                            "%(line)s), which %(encoding)s cannot store. Choose UTF-8 as the "
                            "encoding of the file sent to ACTITO."
                        )
                    else:
                        message = _(
                            "A row contains “%(char)s” (in “%(value)s”, around line %(line)s), "
                            "which %(encoding)s cannot store. Choose UTF-8 as the encoding of "
                            "the file sent to ACTITO."
                        )
                    return FileProblem("CANNOT_ENCODE", message % values)
        return FileProblem(
            "CANNOT_ENCODE",
            _("Some text cannot be stored as %(encoding)s.") % {"encoding": self.options.encoding},
        )

    def finish(self, rows_left_out: int) -> PreparedFile:
        self._text.flush()
        self._thread.finish()
        self._gzip.close()  # writes the gzip trailer through the counting sink
        self._raw.close()
        os.replace(_part(self.path), self.path)
        return PreparedFile(
            path=self.path,
            file_name=self.file_name,
            compressed_file_name=self.path.name,
            encoding=self.options.encoding,
            separator=self.options.separator,
            enclosing=self.options.enclosing,
            headers=self.headers,
            rows_written=self.rows,
            rows_left_out=rows_left_out,
            uncompressed_bytes=self._plain.count,
            compressed_bytes=self._compressed.count,
        )

    def abort(self) -> None:
        # Only the real file is closed: flushing the wrappers could raise again.
        self._thread.stop()
        self._raw.close()
        _part(self.path).unlink(missing_ok=True)


class ErrorFileWriter:
    """The user's error report: line, messages, then the row as it was in the upload.

    UTF-8 with BOM and the upload's separator, because people open it in Excel. The two report
    columns come first so that rows with too many or too few values still line up.
    """

    def __init__(self, path: Path, headers: list[str], separator: str, quotechar: str) -> None:
        self.path = path
        self._file = open(_part(path), "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=separator, quotechar=quotechar)
        self._writer.writerow([*error_file_columns(), *map(defuse, headers)])
        self.rows = 0

    def write(self, line: int, messages: list[str], row: list[str]) -> None:
        self._writer.writerow([line, " | ".join(messages), *map(defuse, row)])
        self.rows += 1

    def finish(self) -> Path | None:
        self._file.close()
        if not self.rows:
            _part(self.path).unlink(missing_ok=True)
            return None
        os.replace(_part(self.path), self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        _part(self.path).unlink(missing_ok=True)
