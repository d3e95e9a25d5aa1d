"""Open an uploaded CSV, see what it is, and read it as a stream (spec §7.2).

Pure functions, no ORM and no HTTP. Everything reads through a bounded stream so a 1 GB upload
never sits in memory: detection looks at a sample only, and a decompression cap plus a ratio
check stop zip bombs while they expand rather than after.

Problems a marketer can fix are raised as `FileProblem(code, message)`; the message is meant to be
shown as it is.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .containers import DEFAULT_LIMITS as DEFAULT_LIMITS
from .containers import (
    READ_BUFFER,
    Container,
    FileProblem,
    Limits,
    ReadsInto,
    human_size,
    open_decompressed,
    translate_read_errors,
)
from .containers import GiB as GiB
from .containers import KiB as KiB
from .containers import MiB as MiB

SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
QUOTE_CHARS: tuple[str, ...] = ('"', "'")
# Python codec name -> its usual name. Overrides may use any codec name Python knows. Neutral
# (the audit log stores it): `encoding_words` says it in the reader's language.
ENCODING_LABELS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16 with BOM",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
    "cp1252-sig": "Windows-1252 with BOM",
    "latin-1-sig": "ISO-8859-1 with BOM",
}
_ENCODING_WORDS: dict[str, Any] = {
    "utf-8-sig": gettext_lazy("UTF-8 with BOM"),
    "utf-16": gettext_lazy("UTF-16 with BOM"),
    "cp1252-sig": gettext_lazy("Windows-1252 with BOM"),
    "latin-1-sig": gettext_lazy("ISO-8859-1 with BOM"),
}


def encoding_words(encoding: str) -> str:
    """An encoding's name as the marketer reads it: "UTF-8 with BOM", "UTF-8 avec BOM"…"""
    words = _ENCODING_WORDS.get(encoding)
    return str(words) if words is not None else ENCODING_LABELS.get(encoding, encoding)


# Detection and preview read at most this much of the (decompressed) file, whatever its shape: a
# file without line breaks must not make the web process parse it whole.
HEAD_BYTES = 1 * MiB
# More columns than this cannot be mapped in one form (and no profile table has that many).
MAX_COLUMNS = 300
# Control bytes never found in text (tab, LF, FF, CR and the DOS EOF marker excluded).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26))
_KEEP_ONLY_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_MAGIC_KINDS = (
    (b"%PDF", gettext_lazy("a PDF document")),
    (b"\x89PNG", gettext_lazy("a PNG image")),
    (b"\xff\xd8\xff", gettext_lazy("a JPEG image")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("an old Excel (.xls) or Word document")),
    (b"PK\x03\x04", gettext_lazy("an Excel workbook or another ZIP-based document")),
    (b"Rar!", gettext_lazy("a RAR archive")),
    (b"7z\xbc\xaf", gettext_lazy("a 7-Zip archive")),
    (b"\x1f\x8b", gettext_lazy("a gzip file inside the archive")),
)


@dataclass(frozen=True)
class CsvFormat:
    """How to read a file: Python codec name, separator and quote character."""

    encoding: str
    separator: str = ","
    quotechar: str = '"'

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    @property
    def encoding_words(self) -> str:
        return encoding_words(self.encoding)


@dataclass(frozen=True)
class Detection:
    """What `detect_csv` found. `csv_format` combines detection with the caller's overrides."""

    container: Container
    member_name: str | None  # the CSV's name inside a zip
    csv_format: CsvFormat
    had_bom: bool
    headers: list[str]
    preview: list[list[str]]  # first data rows, as parsed
    sample_bytes: int  # how much of the decompressed file detection looked at
    # Fields whose value was chosen by detection rather than given by the caller.
    detected: frozenset[str] = field(default_factory=frozenset)

    @property
    def column_count(self) -> int:
        return len(self.headers)


# --- Detection --------------------------------------------------------------------------------


def _binary_kind(sample: bytes) -> str | None:
    """A description of what the bytes are when they are not text, else None."""
    for magic, kind in _MAGIC_KINDS:
        if sample.startswith(magic):
            return str(kind)
    if b"\x00" in sample:
        return _("a binary file")
    controls = len(sample.translate(None, _KEEP_ONLY_CONTROL))
    if sample and controls / len(sample) > 0.01:
        return _("a binary file")
    return None


def _looks_like_a_web_page(sample: bytes) -> bool:
    start = sample[:2048].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in start[:512]


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text with no BOM puts a NUL next to every ASCII character; spot which side."""
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _guess_encoding(sample: bytes, at_eof: bool) -> str:
    try:
        # Incremental so that a multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=at_eof)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        # Bytes that Windows-1252 leaves undefined (0x81, 0x8D, …): plain ISO-8859-1 reads all.
        return "latin-1"


class _SigDecoder(codecs.IncrementalDecoder):
    """A one-byte encoding behind a UTF-8 BOM: some tools write one in front of Windows-1252
    text. The BOM is skipped, never read as "ï»¿"."""

    base = "cp1252"

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self._inner = codecs.getincrementaldecoder(self.base)(errors)
        self._pending = b""
        self._started = False

    def decode(self, input: bytes, final: bool = False) -> str:  # type: ignore[override]  # noqa: A002
        if self._started:
            return self._inner.decode(input, final)
        self._pending += bytes(input)
        if not final and len(self._pending) < 3 and codecs.BOM_UTF8.startswith(self._pending):
            return ""
        data, self._pending, self._started = self._pending, b"", True
        if data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        return self._inner.decode(data, final)

    def reset(self) -> None:
        self._inner.reset()
        self._pending, self._started = b"", False

    def getstate(self) -> tuple[bytes, int]:
        return self._pending, 0 if self._started else 1

    def setstate(self, state: tuple[bytes, int]) -> None:
        self._pending, self._started = state[0], state[1] == 0


def _sig_codec(name: str) -> codecs.CodecInfo | None:
    bases = {"cp1252_sig": "cp1252", "latin_1_sig": "latin-1"}
    if name not in bases:
        return None
    base = codecs.lookup(bases[name])
    decoder = type(f"{name}_decoder", (_SigDecoder,), {"base": bases[name]})

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
        size = len(data)
        return decoder(errors).decode(data, final=True), size

    return codecs.CodecInfo(
        name=name.replace("_", "-"),
        encode=base.encode,
        decode=decode,  # type: ignore[arg-type]
        incrementalencoder=base.incrementalencoder,
        incrementaldecoder=decoder,  # type: ignore[arg-type]
    )


codecs.register(_sig_codec)


def _bom_encoding(sample: bytes) -> str | None:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _normalise_encoding(requested: str, bom: str | None) -> str:
    """The codec to read with: known spelling, and a BOM always consumed, never read as text."""
    try:
        name = codecs.lookup(requested).name
    except LookupError as exc:
        raise FileProblem(
            "UNKNOWN_ENCODING",
            _("“%(encoding)s” is not a character encoding we know.") % {"encoding": requested},
        ) from exc
    name = {"iso8859-1": "latin-1", "windows-1252": "cp1252"}.get(name, name)
    if bom == "utf-8-sig" and name == "utf-8":
        return "utf-8-sig"
    if bom == "utf-8-sig" and name in ("cp1252", "latin-1"):
        return f"{name}-sig"
    if bom == "utf-16" and name in ("utf-16-le", "utf-16-be"):
        return "utf-16"
    return name


def _parse_sample(text: str, separator: str, quotechar: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=separator, quotechar=quotechar)
    try:
        return [row for row in islice(reader, limit) if row]
    except csv.Error:
        return []


def _guess_separator(text: str, quotechar: str) -> str:
    """The candidate giving the most columns, consistently, over the sample's records."""

    def score(separator: str) -> tuple[bool, float, int]:
        rows = _parse_sample(text, separator, quotechar, 200)
        if not rows:
            return (False, 0.0, 0)
        width = len(rows[0])
        same = sum(1 for row in rows if len(row) == width) / len(rows)
        return (width > 1, same, width)

    # max() keeps the first of equal scores, so the comma wins a tie (the RFC 4180 default).
    return max(SEPARATORS, key=score)


def _guess_quotechar(text: str, separator: str) -> str:
    def uses(q: str) -> int:
        return text.count(separator + q) + text.count(q + separator) + text.count("\n" + q)

    return "'" if uses("'") > uses('"') and '"' not in text else '"'


def check_headers(headers: list[str]) -> None:
    for position, name in enumerate(headers, start=1):
        if not name.strip():
            message = _(
                "Column %(position)s has no name in the first line. Every column needs a name "
                "in the first line of the file."
            ) % {"position": position}
            if position == len(headers):
                hint = _("This often comes from a separator at the end of the first line.")
                message = f"{message} {hint}"
            raise FileProblem("EMPTY_HEADER", message)
    seen: dict[str, int] = {}
    for name in headers:
        seen[name] = seen.get(name, 0) + 1
    duplicates = [name for name, count in seen.items() if count > 1]
    if duplicates:
        listed = ", ".join(
            ngettext("“%(name)s” (%(count)s time)", "“%(name)s” (%(count)s times)", seen[name])
            % {"name": name, "count": seen[name]}
            for name in duplicates
        )
        raise FileProblem(
            "DUPLICATE_HEADERS",
            _(
                "Some column names appear more than once in the first line: %(names)s. Each "
                "column needs a different name; ACTITO refuses files with duplicate column names."
            )
            % {"names": listed},
        )


def detect_csv(
    path: Path,
    *,
    encoding: str | None = None,
    separator: str | None = None,
    quotechar: str | None = None,
    preview_rows: int = 20,
    sample_size: int = 64 * KiB,
    limits: Limits = DEFAULT_LIMITS,
) -> Detection:
    """Look at the start of an upload: container, encoding, separator, quote, headers, preview.

    Reads a bounded sample (plus whatever the preview rows need). Any of `encoding`,
    `separator`, `quotechar` given by the caller is used as is. Raises `FileProblem` for files
    we must refuse: empty, header only, binary, bad archive, bad headers.
    """
    if separator is not None and (len(separator) != 1 or separator in "\r\n\"'"):
        raise FileProblem("BAD_SEPARATOR", _("The separator must be a single character."))
    if quotechar is not None and (len(quotechar) != 1 or quotechar in "\r\n"):
        raise FileProblem("BAD_QUOTE", _("The quote character must be a single character."))
    path = Path(path)
    with open_decompressed(path, limits=limits) as (stream, container, member_name):
        sample = stream.read(sample_size)
        at_eof = not stream.peek(1)
    names = {"name": member_name}
    if not sample.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE):
        if member_name:
            message = _("“%(name)s” inside the ZIP is empty. There is nothing to import.") % names
        else:
            message = _("This file is empty. There is nothing to import.")
        raise FileProblem("EMPTY_FILE", message)
    if _looks_like_a_web_page(sample):
        if member_name:
            message = (
                _(
                    "“%(name)s” inside the ZIP is a web page (HTML), not a CSV export: it was "
                    "probably saved from the browser. Use the tool's Export or Download CSV button "
                    "instead, and upload the file that gives you."
                )
                % names
            )
        else:
            message = _(
                "This file is a web page (HTML), not a CSV export: it was probably saved from "
                "the browser. Use the tool's Export or Download CSV button instead, and upload "
                "the file that gives you."
            )
        raise FileProblem("WEB_PAGE", message)
    bom = _bom_encoding(sample)
    if bom is None and encoding is None:
        utf16 = _utf16_without_bom(sample)
        kind = None if utf16 else _binary_kind(sample)
        if kind:
            raise FileProblem(
                "BINARY_FILE",
                _(
                    "This looks like %(kind)s, not a CSV text file. Export your data as CSV "
                    "(for example from Excel: File › Save As › CSV) and upload that file."
                )
                % {"kind": kind},
            )
        guessed = utf16 or _guess_encoding(sample, at_eof)
    elif bom == "utf-8-sig" and encoding is None:
        # A UTF-8 BOM in front of text that is not UTF-8 (Windows-1252 saved by some tools).
        guessed = _guess_encoding(sample[len(codecs.BOM_UTF8) :], at_eof)
    else:
        guessed = bom or "utf-8"
    chosen_encoding = _normalise_encoding(encoding or guessed, bom)

    text = sample.decode(chosen_encoding, errors="replace")
    if not at_eof and text.rfind("\n") > 0:
        # Drop the line the sample cut in two; a first line longer than the sample is kept, cut
        # as it is, so its separator can still be seen.
        text = text[: text.rfind("\n")]
    chosen_quote = quotechar or _guess_quotechar(text, separator or ",")
    chosen_separator = separator or _guess_separator(text, chosen_quote)
    if quotechar is None:
        chosen_quote = _guess_quotechar(text, chosen_separator)
    csv_format = CsvFormat(chosen_encoding, chosen_separator, chosen_quote)

    headers, preview, exhausted = _read_head(path, csv_format, preview_rows, limits)
    check_headers(headers)
    if exhausted and not preview:
        if member_name:
            message = (
                _("“%(name)s” inside the ZIP only has the line with column names and no data rows.")
                % names
            )
        else:
            message = _("This file only has the line with column names and no data rows.")
        raise FileProblem("HEADER_ONLY", message)
    given = {"encoding": encoding, "separator": separator, "quotechar": quotechar}
    detected = {name for name, value in given.items() if value is None}
    return Detection(
        container=container,
        member_name=member_name,
        csv_format=csv_format,
        had_bom=bom is not None,
        headers=headers,
        preview=preview,
        sample_bytes=len(sample),
        detected=frozenset(detected),
    )


def _read_head(
    path: Path, csv_format: CsvFormat, rows: int, limits: Limits
) -> tuple[list[str], list[list[str]], bool]:
    """Headers, the first `rows` non-blank data rows, and whether the file ended before that.

    Parses only the first HEAD_BYTES of the file, whatever its shape, so memory stays bounded.
    """
    with open_decompressed(path, limits=limits) as (stream, _container, _member):
        head = stream.read(HEAD_BYTES)
        at_eof = not stream.peek(1)
    try:
        text = codecs.getincrementaldecoder(csv_format.encoding)().decode(head, final=at_eof)
    except UnicodeDecodeError as exc:
        # The preview stops before the first undecodable byte; the check reports it in full.
        text, at_eof = head[: exc.start].decode(csv_format.encoding), False
        if "\n" not in text:
            raise FileProblem(
                "ENCODING_MISMATCH",
                _(
                    "The first line contains bytes that are not valid %(encoding)s. Choose the "
                    "file's encoding yourself (files saved by Excel on Windows are usually "
                    "Windows-1252)."
                )
                % {"encoding": csv_format.encoding_words},
            ) from exc
    if not at_eof:
        cut = text.rfind("\n")
        if cut < 0:
            raise FileProblem(
                "LINE_TOO_LONG",
                _(
                    "The first line of this file is longer than %(size)s: it is not a CSV file "
                    "with one record per line. Check the separator and the line breaks, or "
                    "export the file again as CSV."
                )
                % {"size": human_size(HEAD_BYTES)},
            )
        text = text[: cut + 1]  # drop the record the limit cut in two
    # CsvReader names the line of a broken record (an unclosed quote, say).
    reader = CsvReader(io.StringIO(text, newline=""), csv_format, "plain")
    headers = next(reader, None) or []
    check_column_count(headers)
    preview: list[list[str]] = []
    for row in reader:
        if row:
            preview.append(row)
            if len(preview) >= rows:
                return headers, preview, False
    return headers, preview, at_eof


def check_column_count(headers: list[str]) -> None:
    if len(headers) > MAX_COLUMNS:
        raise FileProblem(
            "TOO_MANY_COLUMNS",
            _(
                "This file has %(count)s columns; the console can map at most %(limit)s at once "
                "(no ACTITO profile table has more attributes). Keep only the columns you want "
                "to import, or check the separator."
            )
            % {
                "count": number_format(len(headers), force_grouping=True),
                "limit": number_format(MAX_COLUMNS, force_grouping=True),
            },
        )


def line_breaks(record: list[str]) -> int:
    """Line breaks inside a record's values, counted as csv.reader counts lines (newline="":
    \\r\\n, \\r and \\n each end one line)."""
    return sum(v.count("\n") + v.count("\r") - v.count("\r\n") for v in record)


# --- Reading records ----------------------------------------------------------------------------


class CsvReader:
    """A csv.reader that turns decoding and parsing failures into `FileProblem`s.

    Iterating yields lists of strings; blank lines come out as empty lists.
    """

    def __init__(self, text: TextIO, csv_format: CsvFormat, container: Container) -> None:
        self._reader = csv.reader(
            text, delimiter=csv_format.separator, quotechar=csv_format.quotechar, strict=False
        )
        self._format = csv_format
        self._container = container

    @property
    def line_num(self) -> int:
        """Physical lines read so far (a record with quoted line breaks spans several)."""
        return self._reader.line_num

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        start = self._reader.line_num
        try:
            return next(self._reader)
        except Exception as exc:
            raise self._problem(exc, start + 1) from exc

    def batch(self, size: int) -> list[list[str]]:
        """Up to `size` records in one call: the per-row work then stays in C."""
        start = self._reader.line_num
        records: list[list[str]] = []
        try:
            # extend() keeps what it read before a failure: we can say where the bad record starts.
            records.extend(islice(self._reader, size))
        except Exception as exc:
            read = sum(1 + line_breaks(record) for record in records)
            raise self._problem(exc, start + read + 1) from exc
        return records

    def _problem(self, exc: Exception, line: int) -> Exception:
        """A `FileProblem` for a failure while reading the record that starts on `line`."""
        if isinstance(exc, FileProblem):
            return exc
        if isinstance(exc, UnicodeDecodeError):
            return FileProblem(
                "ENCODING_MISMATCH",
                # The decoder works ahead of the parser, so the bad bytes are at or after `line`.
                _(
                    "From line %(line)s on, the file contains bytes that are not valid "
                    "%(encoding)s. Choose the file's encoding yourself (files saved by Excel on "
                    "Windows are usually Windows-1252)."
                )
                % {"line": line, "encoding": self._format.encoding_words},
                line=line,
            )
        if isinstance(exc, csv.Error):
            if "field larger than field limit" in str(exc):
                message = _(
                    "From line %(line)s, a value runs on for more than %(limit)s characters. "
                    'Usually a quote (") is opened and never closed; check that line.'
                ) % {
                    "line": line,
                    "limit": number_format(csv.field_size_limit(), force_grouping=True),
                }
            elif "NUL" in str(exc):
                message = _("Line %(line)s contains binary data (NUL characters), not text.") % {
                    "line": line
                }
            else:
                # The detail is Python's own (English) words: a clue, kept as it is.
                message = _("Line %(line)s cannot be read as CSV (%(detail)s).") % {
                    "line": line,
                    "detail": exc,
                }
            return FileProblem("MALFORMED_CSV", message)
        try:
            with translate_read_errors(self._container):
                raise exc
        except FileProblem as problem:
            return problem
        except Exception:
            return exc


class _NulGuard(io.RawIOBase):
    """Refuses a file with a NUL byte anywhere (detection only looks at its start)."""

    def __init__(self, inner: ReadsInto) -> None:
        self._inner = inner
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._inner.readinto(buffer)
        if n and buffer[:n].tobytes().find(b"\x00") >= 0:
            at = self._offset + buffer[:n].tobytes().find(b"\x00")
            raise FileProblem(
                "BINARY_DATA",
                _(
                    "After %(size)s of text, the file contains binary data (a NUL byte), which "
                    "ACTITO cannot import. Export the file again as CSV and upload that."
                )
                % {"size": human_size(at)},
            )
        self._offset += n
        return n


@contextmanager
def open_csv(
    path: Path, csv_format: CsvFormat, *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[CsvReader]:
    """Stream the records of an upload with the given format (see `detect_csv`)."""
    with open_decompressed(path, limits=limits) as (stream, container, _member):
        if not csv_format.encoding.startswith(("utf-16", "utf_16", "utf-32", "utf_32")):
            # In these encodings a NUL byte is a NUL character: binary junk, not text.
            stream = io.BufferedReader(_NulGuard(stream), buffer_size=READ_BUFFER)
        text = io.TextIOWrapper(stream, encoding=csv_format.encoding, newline="")
        try:
            yield CsvReader(text, csv_format, container)
        finally:
            text.detach()  # the stream is closed by open_decompressed


def csv_file_name(upload_name: str, member_name: str | None = None) -> str:
    """The CSV's own name: the zip member, or the upload's name without `.gz`/`.zip`."""
    name = (member_name or upload_name).rsplit("/", 1)[-1]
    for suffix in (".gz", ".zip"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name if "." in name else f"{name}.csv"
