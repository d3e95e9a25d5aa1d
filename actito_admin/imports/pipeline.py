"""One streaming pass over an upload: validate every row, and optionally write what ACTITO gets.

`validate_csv` is the dry run (before any import quota is spent). `prepare_import` does the same
pass and also writes the gzip file for ACTITO (§7.2: no BOM, declared encoding, at most 100 MB
compressed). Both can write an error CSV for the user. Memory does not grow with the file: rows
are read in batches of `BATCH_ROWS`, checked column by column (see validation.py) and written
with `csv.writer.writerows`, so the per-row work stays in C.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Literal

from actito_admin.spreadsheet import defuse

from .csvfile import (
    DEFAULT_LIMITS,
    CsvFormat,
    CsvReader,
    FileProblem,
    Limits,
    check_headers,
    human_size,
    line_breaks,
    open_csv,
)
from .mapping import ColumnMapping, ImportMode, ImportTable
from .validation import MODES_NEEDING_KEY, MappingProblem, Rule, check_mapping, rules_for

BATCH_ROWS = 4096
ACTITO_ENCODINGS: dict[str, str] = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}
ERROR_FILE_COLUMNS = ("line", "errors")


@dataclass(frozen=True)
class RowError:
    """One problem in one row. `line` is where the row starts in the file (the header is line 1);
    `row` counts data rows only (1 = first row after the header, blank lines not counted)."""

    line: int
    row: int
    column: str | None
    value: str | None
    code: str
    message: str


@dataclass
class ValidationReport:
    headers: list[str]
    mapping_problems: list[MappingProblem] = field(default_factory=list)
    rows_read: int = 0  # data rows, blank lines not counted
    rows_valid: int = 0
    rows_invalid: int = 0
    rows_with_warnings: int = 0  # valid rows that ACTITO may still partly refuse
    blank_lines: int = 0
    errors_by_code: Counter[str] = field(default_factory=Counter)
    warnings_by_code: Counter[str] = field(default_factory=Counter)
    first_errors: list[RowError] = field(default_factory=list)
    first_warnings: list[RowError] = field(default_factory=list)
    error_file: Path | None = None  # written only when some row is invalid

    @property
    def blocking_problems(self) -> list[MappingProblem]:
        return [p for p in self.mapping_problems if p.blocking]

    @property
    def can_import(self) -> bool:
        """Something valid to send, and no mapping problem in the way."""
        return not self.blocking_problems and self.rows_valid > 0

    @property
    def ok(self) -> bool:
        """Nothing at all to fix (warnings aside)."""
        return not self.blocking_problems and self.rows_invalid == 0


@dataclass(frozen=True)
class OutputOptions:
    """The shape of the file ACTITO receives (it is declared in the one-shot definition)."""

    encoding: Literal["UTF-8", "ISO-8859-1"] = "UTF-8"
    separator: str = ","
    enclosing: str = '"'
    columns: Literal["mapped", "all"] = "mapped"
    # Rows with the wrong number of columns are always left out: ACTITO fails the whole file.
    leave_out_invalid_rows: bool = True
    compress_level: int = 6


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


@dataclass(frozen=True)
class PreparedImport:
    report: ValidationReport
    file: PreparedFile


class MappingNotReady(Exception):
    """`prepare_import` was called with a mapping that has blocking problems."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def validate_csv(
    path: Path,
    *,
    csv_format: CsvFormat,
    table: ImportTable,
    mapping: Sequence[ColumnMapping],
    mode: ImportMode,
    error_csv_path: Path | None = None,
    max_reported: int = 100,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Check the whole file against the table and mode without writing anything for ACTITO.

    Mapping problems are reported, not raised; the rows are still checked for every column whose
    target exists. `progress(rows_read)`, when given, is called after each batch of rows.
    Raises `FileProblem` when the file itself cannot be read to the end.
    """
    return _run(
        Path(path),
        csv_format=csv_format,
        table=table,
        mapping=mapping,
        mode=mode,
        output=None,
        error_csv_path=error_csv_path,
        max_reported=max_reported,
        limits=limits,
        progress=progress,
    )[0]


def prepare_import(
    path: Path,
    *,
    csv_format: CsvFormat,
    table: ImportTable,
    mapping: Sequence[ColumnMapping],
    mode: ImportMode,
    output_path: Path,
    options: OutputOptions = OutputOptions(),  # noqa: B008 - frozen dataclass, safe as default
    error_csv_path: Path | None = None,
    max_reported: int = 100,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> PreparedImport:
    """Validate and write the gzip file for ACTITO in one pass.

    Raises `MappingNotReady` before reading when the mapping has blocking problems, and
    `FileProblem` (leaving no output behind) when the file cannot be read, a value cannot be
    written in the chosen encoding, or the compressed file would exceed
    `limits.max_compressed_bytes`.
    """
    if options.encoding not in ACTITO_ENCODINGS:
        raise ValueError(f"ACTITO reads UTF-8 or ISO-8859-1, not {options.encoding!r}.")
    characters = (options.separator, options.enclosing)
    if any(len(c) != 1 or c in "\r\n" for c in characters) or len(set(characters)) != 2:
        raise ValueError(f"Separator and enclosing must be two different characters: {characters}")
    report, prepared = _run(
        Path(path),
        csv_format=csv_format,
        table=table,
        mapping=mapping,
        mode=mode,
        output=(Path(output_path), options),
        error_csv_path=error_csv_path,
        max_reported=max_reported,
        limits=limits,
        progress=progress,
    )
    assert prepared is not None
    return PreparedImport(report=report, file=prepared)


# --- Writers --------------------------------------------------------------------------------------


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


class _ActitoFileWriter:
    """Writes CSV rows, encoded and gzip-compressed, to `<path>.part`; renamed when finished."""

    def __init__(self, path: Path, options: OutputOptions, headers: list[str], limit: int) -> None:
        self.path = path
        self.options = options
        self.file_name = path.name[:-3] if path.name.endswith(".gz") else path.name
        self._limit = limit
        self._raw = open(_part(path), "wb")  # noqa: SIM115 - closed in finish()/abort()
        self._compressed = _CountingSink(self._raw, limit, self._too_large)
        self._gzip = gzip.GzipFile(
            filename=self.file_name,
            mode="wb",
            compresslevel=options.compress_level,
            fileobj=self._compressed,  # type: ignore[arg-type]
            mtime=0,  # same input, same bytes
        )
        self._plain = _CountingSink(self._gzip)  # type: ignore[arg-type]
        self._text = io.TextIOWrapper(
            self._plain,  # type: ignore[arg-type]
            encoding=ACTITO_ENCODINGS[options.encoding],
            newline="",
        )
        self._writer = csv.writer(
            self._text,
            delimiter=options.separator,
            quotechar=options.enclosing,
            lineterminator="\r\n",  # RFC 4180
        )
        self.headers = headers
        self.rows = 0
        self.write_rows([headers], first_line=1)
        self.rows = 0

    def _too_large(self) -> FileProblem:
        return FileProblem(
            "TOO_LARGE_AFTER_COMPRESSION",
            f"Even compressed, the file for ACTITO would be larger than "
            f"{human_size(self._limit)}, the most ACTITO accepts in one import. Split the "
            "file into smaller files, or send only the columns you need.",
        )

    def write_rows(self, rows: Sequence[Sequence[str]], first_line: int) -> None:
        try:
            text = self._plain_text(rows)
            if text is None:
                self._writer.writerows(rows)
            else:
                self._text.write(text)
        except UnicodeEncodeError as exc:
            raise self._cannot_encode(rows, first_line) from exc
        self.rows += len(rows)

    def _plain_text(self, rows: Sequence[Sequence[str]]) -> str | None:
        """The rows as CSV text when no value needs quotes, else None (csv.writer's job).

        Most batches need no quoting; joining them in C and writing once is about twice as fast
        as csv.writer, which calls the file once per row.
        """
        separator, count = self.options.separator, len(rows)
        if not count or len(self.headers) < 2:  # one empty value per row would need ""
            return None
        body = "\r\n".join(map(separator.join, rows))
        if (
            body.count(separator) == count * (len(self.headers) - 1)
            and body.count("\n") == count - 1
            and body.count("\r") == count - 1
            and self.options.enclosing not in body
        ):
            return body + "\r\n"
        return None

    def _cannot_encode(self, rows: Sequence[Sequence[str]], first_line: int) -> FileProblem:
        codec = ACTITO_ENCODINGS[self.options.encoding]
        for offset, row in enumerate(rows):
            for value in row:
                try:
                    value.encode(codec)
                except UnicodeEncodeError as exc:
                    char = value[exc.start : exc.end]
                    where = "The column names contain" if first_line == 1 else "A row contains"
                    return FileProblem(
                        "CANNOT_ENCODE",
                        f"{where} “{char}” (in “{value}”, around line {first_line + offset}), "
                        f"which {self.options.encoding} cannot store. Choose UTF-8 as the "
                        "encoding of the file sent to ACTITO.",
                    )
        encoding = self.options.encoding
        return FileProblem("CANNOT_ENCODE", f"Some text cannot be stored as {encoding}.")

    def finish(self, rows_left_out: int) -> PreparedFile:
        self._text.flush()
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
        self._raw.close()
        _part(self.path).unlink(missing_ok=True)


class _ErrorFileWriter:
    """The user's error report: line, messages, then the row as it was in the upload.

    UTF-8 with BOM and the upload's separator, because people open it in Excel. The two report
    columns come first so that rows with too many or too few values still line up.
    """

    def __init__(self, path: Path, headers: list[str], separator: str, quotechar: str) -> None:
        self.path = path
        self._file = open(_part(path), "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=separator, quotechar=quotechar)
        self._writer.writerow([*ERROR_FILE_COLUMNS, *map(defuse, headers)])
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


# --- The pass -------------------------------------------------------------------------------------


@dataclass
class _Column:
    index: int
    header: str
    rules: list[Rule]


def _projector(indices: list[int]) -> Callable[[list[str]], Sequence[str]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    return itemgetter(*indices)  # type: ignore[return-value]


def _run(
    path: Path,
    *,
    csv_format: CsvFormat,
    table: ImportTable,
    mapping: Sequence[ColumnMapping],
    mode: ImportMode,
    output: tuple[Path, OutputOptions] | None,
    error_csv_path: Path | None,
    max_reported: int,
    limits: Limits,
    progress: Callable[[int], None] | None = None,
) -> tuple[ValidationReport, PreparedFile | None]:
    with open_csv(path, csv_format, limits=limits) as reader:
        headers = next(reader, None) or []
        check_headers(headers)
        problems = check_mapping(headers, mapping, table, mode)
        if output is not None and any(p.blocking for p in problems):
            raise MappingNotReady([p for p in problems if p.blocking])
        report = ValidationReport(headers=headers, mapping_problems=problems)

        columns: list[_Column] = []
        key_indices: list[int] = []
        for column in mapping:
            target = table.target(column.target)
            if target is None or column.header not in headers:
                continue
            index = headers.index(column.header)
            is_key = target.attribute is not None and target.attribute.unique
            if is_key:
                key_indices.append(index)
            checked = mode != "DELETE" or is_key  # a deletion only reads the key
            rules = (
                rules_for(target, mode=mode, ignore_invalid=column.ignore_invalid_values)
                if checked
                else []
            )
            columns.append(_Column(index, column.header, rules))
        if mode not in MODES_NEEDING_KEY:
            key_indices = []

        writer: _ActitoFileWriter | None = None
        errors: _ErrorFileWriter | None = None
        project: Callable[[list[str]], Sequence[str]] | None = None
        try:
            if output is not None:
                output_path, options = output
                mapped = [c.index for c in columns]
                out_indices = mapped if options.columns == "mapped" else list(range(len(headers)))
                writer = _ActitoFileWriter(
                    output_path,
                    options,
                    [headers[i] for i in out_indices],
                    limits.max_compressed_bytes,
                )
                if out_indices != list(range(len(headers))):
                    project = _projector(out_indices)
            if error_csv_path is not None:
                errors = _ErrorFileWriter(
                    Path(error_csv_path), headers, csv_format.separator, csv_format.quotechar
                )
            left_out = _scan(
                reader,
                report,
                columns=columns,
                key_indices=key_indices,
                width=len(headers),
                writer=writer,
                project=project,
                leave_out_invalid=writer is not None and writer.options.leave_out_invalid_rows,
                errors=errors,
                max_reported=max_reported,
                progress=progress,
            )
            if report.rows_read == 0:
                raise FileProblem(
                    "HEADER_ONLY",
                    "The file only has the line with column names and no data rows.",
                )
            prepared = writer.finish(left_out) if writer else None
            if errors:
                report.error_file = errors.finish()
        except BaseException:
            if writer:
                writer.abort()
            if errors:
                errors.abort()
            raise
    return report, prepared


def _scan(
    reader: CsvReader,
    report: ValidationReport,
    *,
    columns: list[_Column],
    key_indices: list[int],
    width: int,
    writer: _ActitoFileWriter | None,
    project: Callable[[list[str]], Sequence[str]] | None,
    leave_out_invalid: bool,
    errors: _ErrorFileWriter | None,
    max_reported: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Check (and write) every record; returns how many data rows were left out of the output."""
    left_out = 0
    line = reader.line_num  # physical lines consumed so far (the header may span several)
    key_getters = [itemgetter(i) for i in key_indices]
    while batch := reader.batch(BATCH_ROWS):
        end_line = reader.line_num
        # Where each record starts. Cheap case: one line per record, no blank line.
        simple = end_line - line == len(batch) and [] not in batch
        if simple:
            rows = batch
            starts: list[int] | None = None
        else:
            rows, starts = [], []
            for record in batch:
                if record:
                    rows.append(record)
                    starts.append(line + 1)
                else:
                    report.blank_lines += 1
                line += 1 + line_breaks(record)
        first_row = report.rows_read + 1
        report.rows_read += len(rows)

        # issues[i] = [(rule code, message, column, value, blocking)]
        issues: dict[int, list[tuple[str, str, str | None, str | None, bool]]] = {}
        widths = set(map(len, rows))
        if widths == {width}:
            shaped, shaped_at = rows, None
        else:
            shaped, shaped_at = [], []
            for i, row in enumerate(rows):
                if len(row) == width:
                    shaped.append(row)
                    shaped_at.append(i)
                else:
                    message = (
                        f"This row has {len(row)} values but the first line has {width} column "
                        "names. Usually a separator or a line break inside a value that is not "
                        "between quotes."
                    )
                    issues[i] = [("WRONG_COLUMN_COUNT", message, None, None, True)]

        for column in columns:
            if not column.rules:
                continue
            values = list(map(itemgetter(column.index), shaped))
            for rule in column.rules:
                for j in rule.find_invalid(values):
                    i = shaped_at[j] if shaped_at is not None else j
                    value = values[j]
                    message = f"Column “{column.header}”: {rule.describe(value)}"
                    issues.setdefault(i, []).append(
                        (rule.code, message, column.header, value, rule.blocking)
                    )
        if key_getters:
            key_values = [list(map(g, shaped)) for g in key_getters]
            if all("" in values for values in key_values):
                for j, keys in enumerate(zip(*key_values, strict=True)):
                    if not any(keys):
                        i = shaped_at[j] if shaped_at is not None else j
                        message = (
                            "No value in the key column, so ACTITO cannot tell which profile "
                            "this row is about."
                        )
                        issues.setdefault(i, []).append(
                            ("MISSING_KEY_VALUE", message, None, None, True)
                        )

        invalid: set[int] = set()
        for i in sorted(issues):
            row_issues = issues[i]
            row_line = starts[i] if starts is not None else line + 1 + i
            blocking = [x for x in row_issues if x[4]]
            for code, message, header, value, is_blocking in row_issues:
                counter = report.errors_by_code if is_blocking else report.warnings_by_code
                counter[code] += 1
                listed = report.first_errors if is_blocking else report.first_warnings
                if len(listed) < max_reported:
                    listed.append(RowError(row_line, first_row + i, header, value, code, message))
            if blocking:
                invalid.add(i)
                if errors is not None:
                    errors.write(row_line, [x[1] for x in blocking], rows[i])
            else:
                report.rows_with_warnings += 1
        report.rows_invalid += len(invalid)
        report.rows_valid += len(rows) - len(invalid)

        if writer is not None:
            ragged = {i for i, x in issues.items() if x[0][0] == "WRONG_COLUMN_COUNT"}
            skip = invalid if leave_out_invalid else ragged
            kept = [row for i, row in enumerate(rows) if i not in skip] if skip else rows
            left_out += len(skip)
            first_line = starts[0] if starts else line + 1
            writer.write_rows(kept if project is None else list(map(project, kept)), first_line)
        line = end_line
        if progress is not None:
            progress(report.rows_read)  # once per batch: cheap, and enough for a live counter
    return left_out
