"""One-shot ETL executions (spec §7): definition checks, streaming CSV reading, row loading.

Files are read twice, both times as streams: once when the execution is created (to count rows
and find file-level failures) and once when it becomes terminal (to load the rows). Neither pass
holds more than one row in memory.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from .data import (
    TECHNICAL_ATTRIBUTES,
    InvalidValue,
    ProfileChange,
    RowRejected,
    Table,
    TableData,
    normalize_value,
)

MODES = ("CREATE_OR_UPDATE", "CREATE_ONLY", "UPDATE_ONLY", "DELETE")
# ASSUMPTION: windows-1252 accepted besides the documented UTF-8 and ISO-8859-1.
ENCODINGS = {
    "UTF-8": "utf-8",
    "ISO-8859-1": "latin-1",
    "WINDOWS-1252": "cp1252",
    "CP1252": "cp1252",
}
COMPRESSIONS = ("NONE", "GZIP", "ZIP")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class DefinitionError(Exception):
    """The `oneshotEtl` definition is unusable: the create call answers 400."""


class FileProblem(Exception):
    """A global failure of the input file (spec §7.5): INVALID_FILE, DUPLICATE_HEADERS…"""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Mapping:
    header: str
    attribute_name: str
    target: str  # "attribute", "subscription" or "segmentation"
    field_name: str  # the attribute, subscription or segmentation name
    ignore_empty: bool = False
    ignore_invalid: bool = False
    ignore_known: bool = False


@dataclass(frozen=True)
class Definition:
    table: Table
    mode: str
    mappings: tuple[Mapping, ...]
    separator: str = ","
    enclosing: str = '"'
    escaping: str = '"'
    encoding: str = "UTF-8"
    compression: str | None = None  # None: not declared, sniffed from the bytes
    generate_error_files: bool = False
    generate_result_files: bool = False


_DOCUMENTED_KEYS = {"type", "fileTransfer", "inputFileProperties", "dataLoading",
                    "reportRecipients", "dataTransformations"}  # fmt: skip


def check_documented_shape(raw: bytes | str) -> None:
    """Strict mode: only the shape seed 002 shows. Its `fileTransfer` always names a location
    (a file fetched from a transfer server); a block without one is not a documented shape."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise DefinitionError(f"the definition is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DefinitionError("the definition must be a JSON object")
    unknown = sorted(set(doc) - _DOCUMENTED_KEYS)
    if unknown:
        raise DefinitionError(f"undocumented definition fields: {', '.join(unknown)}")
    transfer = doc.get("fileTransfer")
    if transfer is not None:
        location = (
            (transfer.get("input") or {}).get("location") if isinstance(transfer, dict) else None
        )
        if not location:
            raise DefinitionError(
                "fileTransfer.input.location is missing: the documents show fileTransfer only "
                "for a file fetched from a transfer location"
            )


def parse_definition(raw: bytes | str, tables_by_id: dict[str, Table]) -> Definition:
    """Check a `oneshotEtl` document against spec §7.3; raise DefinitionError with the reason."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"oneshotEtl is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DefinitionError("oneshotEtl must be a JSON object")
    if doc.get("type", "ONESHOT") != "ONESHOT":
        raise DefinitionError("type must be ONESHOT for an etl-execution")
    loading = doc.get("dataLoading")
    if not isinstance(loading, dict):
        raise DefinitionError("dataLoading is missing")
    destination = loading.get("destination")
    if not isinstance(destination, dict):
        raise DefinitionError("dataLoading.destination is missing")
    if destination.get("type", "PROFILE_TABLE") != "PROFILE_TABLE":
        raise DefinitionError("the sandbox only loads PROFILE_TABLE destinations")
    table = tables_by_id.get(str(destination.get("id", "")))
    if table is None:
        raise DefinitionError(f"unknown destination id {destination.get('id')!r}")
    parameters = loading.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise DefinitionError("dataLoading.parameters must be an object")
    mode = parameters.get("mode")
    if mode not in MODES:
        raise DefinitionError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    mappings = _parse_mappings(destination.get("attributesMapping"), table, mode)

    csv_format = (doc.get("inputFileProperties") or {}).get("csvFormat") or {}
    if not isinstance(csv_format, dict):
        raise DefinitionError("inputFileProperties.csvFormat must be an object")
    separator = csv_format.get("separator", ",")
    enclosing = csv_format.get("enclosing", '"')
    escaping = csv_format.get("escaping", enclosing)  # ASSUMPTION: key name (spec §7.3)
    encoding = str(csv_format.get("encoding", "UTF-8")).upper()
    if not isinstance(separator, str) or len(separator) != 1 or separator in "\r\n":
        raise DefinitionError("csvFormat.separator must be one character")
    for name, value in (("enclosing", enclosing), ("escaping", escaping)):
        if not isinstance(value, str) or len(value) > 1 or value == separator:
            raise DefinitionError(f"csvFormat.{name} must be one character other than separator")
    if encoding not in ENCODINGS:
        raise DefinitionError(f"unsupported encoding {encoding!r}")

    file_spec = ((doc.get("fileTransfer") or {}).get("input") or {}).get("file") or {}
    compression = file_spec.get("compressionType") if isinstance(file_spec, dict) else None
    if compression is not None and compression not in COMPRESSIONS:
        raise DefinitionError(f"compressionType must be one of {', '.join(COMPRESSIONS)}")
    return Definition(
        table=table,
        mode=mode,
        mappings=mappings,
        separator=separator,
        enclosing=enclosing,
        escaping=str(escaping),  # checked above: one character or none
        encoding=encoding,
        compression=compression,
        generate_error_files=parameters.get("generateErrorFiles") is True,
        generate_result_files=parameters.get("generateResultFiles") is True,
    )


def _parse_mappings(raw: Any, table: Table, mode: str) -> tuple[Mapping, ...]:
    if not isinstance(raw, list) or not raw:
        raise DefinitionError("destination.attributesMapping must be a non-empty list")
    mappings: list[Mapping] = []
    headers: set[str] = set()
    names: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise DefinitionError("each attributesMapping entry must be an object")
        header, name = item.get("header"), item.get("attributeName")
        if not isinstance(header, str) or not header or not isinstance(name, str) or not name:
            raise DefinitionError("each mapping needs a header and an attributeName")
        if header in headers:
            raise DefinitionError(f"header {header!r} is mapped twice")
        if name in names:
            raise DefinitionError(f"attributeName {name!r} is mapped twice")
        headers.add(header)
        names.add(name)
        target, field_name = _resolve_target(name, table, mode)
        mappings.append(
            Mapping(
                header=header,
                attribute_name=name,
                target=target,
                field_name=field_name,
                ignore_empty=item.get("ignoreEmptyValues") is True,
                ignore_invalid=item.get("ignoreInvalidValues") is True,
                ignore_known=item.get("ignoreValuesWhenAlreadyKnown") is True,
            )
        )
    return tuple(mappings)


def _resolve_target(name: str, table: Table, mode: str) -> tuple[str, str]:
    if name.startswith("subscriptions#"):
        subscription = name.removeprefix("subscriptions#")
        if subscription not in table.subscriptions:
            raise DefinitionError(f"unknown subscription {subscription!r} in table {table.name}")
        return "subscription", subscription
    attribute = table.attribute(name)
    if attribute is not None:
        if name == "creationMoment":
            raise DefinitionError("creationMoment is set by ACTITO and cannot be imported")
        return "attribute", name
    if name in TECHNICAL_ATTRIBUTES:
        if mode != "CREATE_ONLY":
            raise DefinitionError(f"{name} can only be imported in CREATE_ONLY mode")
        return "attribute", name
    if name.startswith("S_") and table.categories(name.removeprefix("S_")) is not None:
        return "segmentation", name.removeprefix("S_")
    raise DefinitionError(f"unknown attributeName {name!r} in table {table.name}")


# --- Reading files --------------------------------------------------------------------------------


@contextmanager
def open_rows(path: str, definition: Definition) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """Yield (headers, data rows) of the uploaded file; raise FileProblem for global failures.
    Errors met while iterating the rows are raised as FileProblem too."""
    with _open_binary(path, definition.compression) as binary:
        try:
            head = binary.peek(4)[:4] if hasattr(binary, "peek") else b""
        except (OSError, EOFError, zlib.error) as exc:
            raise FileProblem("INVALID_FILE", f"unreadable file: {exc}") from None
        if any(head.startswith(bom) for bom in _BOMS):
            raise FileProblem("INVALID_FILE", "the file starts with a byte-order mark (BOM)")
        text = io.TextIOWrapper(binary, encoding=ENCODINGS[definition.encoding], newline="")
        reader = csv.reader(text, **_dialect(definition))
        try:
            headers = next(reader, None)
        except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
            raise FileProblem("INVALID_FILE", f"unreadable header line: {exc}") from None
        if not headers:
            raise FileProblem("INVALID_FILE", "the file has no header line")
        if len(set(headers)) != len(headers):
            duplicates = sorted({h for h in headers if headers.count(h) > 1})
            raise FileProblem("DUPLICATE_HEADERS", f"duplicate headers: {', '.join(duplicates)}")
        missing = [m.header for m in definition.mappings if m.header not in headers]
        if missing:
            raise FileProblem("INVALID_FILE", f"mapped headers not in the file: {missing}")
        yield headers, _checked_rows(reader, len(headers))


def _checked_rows(reader: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    line = 1
    try:
        for row in reader:
            line += 1
            if not row:
                continue  # ASSUMPTION: blank lines are skipped, not errors
            if len(row) != width:
                raise FileProblem(
                    "INVALID_FILE", f"row {line} has {len(row)} columns, the header has {width}"
                )
            yield row
    except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        raise FileProblem("INVALID_FILE", f"unreadable row after line {line}: {exc}") from None


def _dialect(definition: Definition) -> dict[str, Any]:
    if not definition.enclosing:
        return {"delimiter": definition.separator, "quoting": csv.QUOTE_NONE, "strict": True}
    doubled = definition.escaping in ("", definition.enclosing)
    return {
        "delimiter": definition.separator,
        "quotechar": definition.enclosing,
        "doublequote": doubled,
        "escapechar": None if doubled else definition.escaping,
        "strict": True,
    }


@contextmanager
def _open_binary(path: str, declared: str | None) -> Iterator[IO[bytes]]:
    compression = declared or _sniff_compression(path)
    if compression == "GZIP":
        with gzip.open(path, "rb") as stream:
            yield stream  # type: ignore[misc]
        return
    if compression == "ZIP":
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FileProblem("INVALID_FILE", f"not a readable ZIP archive: {exc}") from None
        with archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                raise FileProblem(
                    "INVALID_FILE", f"a one-shot ZIP must hold exactly one file, not {len(members)}"
                )
            with archive.open(members[0]) as stream:
                yield stream
        return
    with open(path, "rb") as stream:
        yield stream


def _sniff_compression(path: str) -> str:
    with open(path, "rb") as stream:
        magic = stream.read(4)
    if magic.startswith(b"\x1f\x8b"):
        return "GZIP"
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
        return "ZIP"
    return "NONE"


def scan_file(path: str, definition: Definition) -> tuple[int, FileProblem | None]:
    """Count data rows and find the file-level failure, if any."""
    rows = 0
    try:
        with open_rows(path, definition) as (_, data_rows):
            for _ in data_rows:
                rows += 1
    except FileProblem as problem:
        return rows, problem
    return rows, None


# --- Loading rows ---------------------------------------------------------------------------------


@dataclass
class LoadResult:
    read_lines: int = 0
    error_lines: int = 0
    inserted_lines: int = 0
    updated_lines: int = 0
    deleted_lines: int = 0
    output_zip: str | None = None
    problem: FileProblem | None = None
    by_action: dict[str, int] = field(default_factory=dict)


def load_rows(
    path: str, definition: Definition, data: TableData, *, moment: str, work_dir: str
) -> LoadResult:
    """Apply every row to `data`. File-level failures were found by scan_file beforehand, so
    rows are applied as they stream by."""
    result = LoadResult()
    csv_options = {**_dialect(definition), "lineterminator": "\r\n"}
    csv_options.pop("strict", None)
    encoding = ENCODINGS[definition.encoding]
    results_path = _temp_path(work_dir, ".result.csv")
    errors_path = _temp_path(work_dir, ".errors.csv")
    with (
        open(results_path, "w", encoding=encoding, errors="replace", newline="") as results_file,
        open(errors_path, "w", encoding=encoding, errors="replace", newline="") as errors_file,
        open_rows(path, definition) as (headers, rows),
    ):
        results = csv.writer(results_file, **csv_options)
        errors = csv.writer(errors_file, **csv_options)
        results.writerow([*headers, "profileId", "action"])
        errors.writerow([*headers, "errorCode", "errorMessage"])
        columns = {header: index for index, header in enumerate(headers)}
        for row in rows:
            result.read_lines += 1
            try:
                change = _row_change(row, columns, definition)
                action, profile = data.apply(change, mode=definition.mode, moment=moment)
            except (InvalidValue, RowRejected) as exc:
                result.error_lines += 1
                errors.writerow([*row, exc.code, exc.message])
                continue
            if action == "INSERTED":
                result.inserted_lines += 1
            elif action == "UPDATED":
                result.updated_lines += 1
            else:
                result.deleted_lines += 1
            results.writerow([*row, str(profile.id), action])
    members = []
    if definition.generate_result_files:
        members.append(("result.csv", results_path))
    if definition.generate_error_files and result.error_lines:
        members.append(("errors.csv", errors_path))
    if members:
        result.output_zip = _temp_path(work_dir, ".output.zip")
        with zipfile.ZipFile(result.output_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, member_path in members:
                archive.write(member_path, arcname=name)
    for leftover in (results_path, errors_path):
        os.unlink(leftover)
    return result


def _row_change(row: list[str], columns: dict[str, int], definition: Definition) -> ProfileChange:
    change = ProfileChange()
    table = definition.table
    for mapping in definition.mappings:
        raw = row[columns[mapping.header]]
        if raw == "" and mapping.ignore_empty:
            continue
        try:
            if mapping.target == "subscription":
                if raw != "":
                    change.subscriptions[mapping.field_name] = (
                        normalize_value("BOOLEAN", raw) == "true"
                    )
            elif mapping.target == "segmentation":
                categories = table.categories(mapping.field_name) or ()
                if raw != "" and raw not in categories:
                    raise InvalidValue(
                        "UNKNOWN_SEGMENTATION",
                        f"{raw!r} is not a category of segmentation {mapping.field_name}",
                    )
                change.segmentations[mapping.field_name] = raw
            else:
                change.attributes[mapping.field_name] = _attribute_value(table, mapping, raw)
                if mapping.ignore_known:
                    change.keep_known.add(mapping.field_name)
        except InvalidValue as exc:
            if mapping.ignore_invalid:
                continue
            raise InvalidValue(exc.code, f"{mapping.header}: {exc.message}") from None
    return change


def _attribute_value(table: Table, mapping: Mapping, raw: str) -> str:
    if raw == "":
        return ""
    attribute = table.attribute(mapping.field_name)
    if attribute is None:  # a technical recency attribute
        return normalize_value(TECHNICAL_ATTRIBUTES[mapping.field_name], raw)
    return normalize_value(attribute.kind, raw, max_length=attribute.max_length)


def _temp_path(work_dir: str, suffix: str) -> str:
    handle, path = tempfile.mkstemp(dir=work_dir, suffix=suffix)
    os.close(handle)
    return path


# --- Multipart uploads ----------------------------------------------------------------------------


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    size: int = 0
    path: str | None = None  # parts streamed to disk (inputFile)
    data: bytes = b""  # small parts kept in memory (oneshotEtl)


class MultipartError(Exception):
    pass


_MAX_SMALL_PART = 1024 * 1024


def parse_multipart(
    stream: IO[bytes], boundary: bytes, *, work_dir: str, file_fields: tuple[str, ...]
) -> dict[str, Part]:
    """Stream a multipart/form-data body; `file_fields` parts go to disk, others to memory."""
    delimiter = b"--" + boundary
    separator = b"\r\n" + delimiter
    buffer = b""
    chunk_size = 64 * 1024

    def fill() -> bool:
        nonlocal buffer
        chunk = stream.read(chunk_size)
        buffer += chunk
        return bool(chunk)

    # Preamble up to the first delimiter.
    while delimiter not in buffer:
        if not fill():
            raise MultipartError("no multipart boundary found")
        buffer = buffer[-(len(delimiter) + chunk_size) :]
    buffer = buffer[buffer.index(delimiter) + len(delimiter) :]
    parts: dict[str, Part] = {}
    while True:
        while len(buffer) < 2 and fill():
            pass
        if buffer.startswith(b"--"):
            return parts
        while b"\r\n\r\n" not in buffer:
            if len(buffer) > 16 * 1024 or not fill():
                raise MultipartError("malformed part headers")
        raw_headers, buffer = buffer.split(b"\r\n\r\n", 1)
        part = _part_from_headers(raw_headers.decode("utf-8", "replace"))
        sink: IO[bytes]
        if part.name in file_fields:
            part.path = _temp_path(work_dir, ".upload")
            sink = open(part.path, "wb")  # noqa: SIM115 - closed below, after streaming
        else:
            sink = io.BytesIO()
        try:
            while True:
                index = buffer.find(separator)
                if index >= 0:
                    sink.write(buffer[:index])
                    part.size += index
                    buffer = buffer[index + len(separator) :]
                    break
                keep = len(separator)
                if len(buffer) > keep:
                    sink.write(buffer[:-keep])
                    part.size += len(buffer) - keep
                    buffer = buffer[-keep:]
                if part.path is None and part.size > _MAX_SMALL_PART:
                    raise MultipartError(f"part {part.name!r} is too large")
                if not fill():
                    raise MultipartError("body ended inside a part")
            if isinstance(sink, io.BytesIO):
                part.data = sink.getvalue()
        finally:
            sink.close()
        if part.name in parts and parts[part.name].path:
            os.unlink(parts[part.name].path or "")
        parts[part.name] = part


def _part_from_headers(raw: str) -> Part:
    name, filename, content_type = "", None, "text/plain"
    for line in raw.split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-type":
            content_type = value.strip()
        if key.strip().lower() == "content-disposition":
            for item in value.split(";")[1:]:
                item_key, _, item_value = item.strip().partition("=")
                item_value = item_value.strip().strip('"')
                if item_key.lower() == "name":
                    name = item_value
                elif item_key.lower() == "filename":
                    filename = item_value
    return Part(name=name, filename=filename, content_type=content_type)
