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
from typing import TextIO

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
# Python codec name -> what we show. Overrides may use any codec name Python knows.
ENCODING_LABELS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16 with BOM",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
    "cp1252-sig": "Windows-1252 with BOM",
    "latin-1-sig": "ISO-8859-1 with BOM",
}

# Detection and preview read at most this much of the (decompressed) file, whatever its shape: a
# file without line breaks must not make the web process parse it whole.
HEAD_BYTES = 1 * MiB
# More columns than this cannot be mapped in one form (and no profile table has that many).
MAX_COLUMNS = 300
# Control bytes never found in text (tab, LF, FF, CR and the DOS EOF marker excluded).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26))
_KEEP_ONLY_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_MAGIC_KINDS = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document"),
    (b"PK\x03\x04", "an Excel workbook or another ZIP-based document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip file inside the archive"),
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
            return kind
    if b"\x00" in sample:
        return "a binary file"
    controls = len(sample.translate(None, _KEEP_ONLY_CONTROL))
    if sample and controls / len(sample) > 0.01:
        return "a binary file"
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
            "UNKNOWN_ENCODING", f"“{requested}” is not a character encoding we know."
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
            at_end = position == len(headers)
            hint = (
                " This often comes from a separator at the end of the first line." if at_end else ""
            )
            raise FileProblem(
                "EMPTY_HEADER",
                f"Column {position} has no name in the first line. Every column needs a name in "
                f"the first line of the file.{hint}",
            )
    seen: dict[str, int] = {}
    for name in headers:
        seen[name] = seen.get(name, 0) + 1
    duplicates = [name for name, count in seen.items() if count > 1]
    if duplicates:
        listed = ", ".join(f"“{name}” ({seen[name]} times)" for name in duplicates)
        raise FileProblem(
            "DUPLICATE_HEADERS",
            f"Some column names appear more than once in the first line: {listed}. Each column "
            "needs a different name; ACTITO refuses files with duplicate column names.",
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
        raise FileProblem("BAD_SEPARATOR", "The separator must be a single character.")
    if quotechar is not None and (len(quotechar) != 1 or quotechar in "\r\n"):
        raise FileProblem("BAD_QUOTE", "The quote character must be a single character.")
    path = Path(path)
    with open_decompressed(path, limits=limits) as (stream, container, member_name):
        sample = stream.read(sample_size)
        at_eof = not stream.peek(1)
    what = f"“{member_name}” inside the ZIP" if member_name else "this file"
    if not sample.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE):
        raise FileProblem(
            "EMPTY_FILE", f"{what[0].upper()}{what[1:]} is empty. There is nothing to import."
        )
    if _looks_like_a_web_page(sample):
        raise FileProblem(
            "WEB_PAGE",
            f"{what[0].upper()}{what[1:]} is a web page (HTML), not a CSV export: it was "
            "probably saved from the browser. Use the tool's Export or Download CSV button "
            "instead, and upload the file that gives you.",
        )
    bom = _bom_encoding(sample)
    if bom is None and encoding is None:
        utf16 = _utf16_without_bom(sample)
        kind = None if utf16 else _binary_kind(sample)
        if kind:
            raise FileProblem(
                "BINARY_FILE",
                f"This looks like {kind}, not a CSV text file. Export your data as CSV "
                "(for example from Excel: File › Save As › CSV) and upload that file.",
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
        raise FileProblem(
            "HEADER_ONLY",
            f"{what[0].upper()}{what[1:]} only has the line with column names and no data rows.",
        )
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
                f"The first line contains bytes that are not valid {csv_format.encoding_label}. "
                "Choose the file's encoding yourself (files saved by Excel on Windows are "
                "usually Windows-1252).",
            ) from exc
    if not at_eof:
        cut = text.rfind("\n")
        if cut < 0:
            raise FileProblem(
                "LINE_TOO_LONG",
                f"The first line of this file is longer than {human_size(HEAD_BYTES)}: it is "
                "not a CSV file with one record per line. Check the separator and the line "
                "breaks, or export the file again as CSV.",
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
            f"This file has {len(headers):,} columns; the console can map at most "
            f"{MAX_COLUMNS:,} at once (no ACTITO profile table has more attributes). Keep only "
            "the columns you want to import, or check the separator.",
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
                f"From line {line} on, the file contains bytes that are not valid "
                f"{self._format.encoding_label}. Choose the file's encoding yourself (files saved "
                "by Excel on Windows are usually Windows-1252).",
                line=line,
            )
        if isinstance(exc, csv.Error):
            if "field larger than field limit" in str(exc):
                message = (
                    f"From line {line}, a value runs on for more than "
                    f'{csv.field_size_limit():,} characters. Usually a quote (") is opened and '
                    "never closed; check that line."
                )
            elif "NUL" in str(exc):
                message = f"Line {line} contains binary data (NUL characters), not text."
            else:
                message = f"Line {line} cannot be read as CSV ({exc})."
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
                f"After {human_size(at)} of text, the file contains binary data (a NUL byte), "
                "which ACTITO cannot import. Export the file again as CSV and upload that.",
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
