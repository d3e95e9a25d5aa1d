"""One streaming pass over an upload: validate every row, and optionally write what ACTITO gets.

`validate_csv` is the dry run (before any import quota is spent). `prepare_import` does the same
pass and also writes the gzip file for ACTITO (§7.2: no BOM, declared encoding, at most 100 MB
compressed). Both can write an error CSV for the user. Memory does not grow with the file: rows
are read in batches of `BATCH_ROWS`, checked column by column (see validation.py) and joined
into one piece of text per batch, so the per-row work stays in C.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .column_checks import Column, Issue, Originals, check_keys, check_values, settle_formats
from .csvfile import (
    DEFAULT_LIMITS,
    CsvFormat,
    CsvReader,
    FileProblem,
    Limits,
    check_headers,
    line_breaks,
    open_csv,
)
from .mapping import ColumnMapping, ImportMode, ImportTable
from .report import ColumnReport, RowError, ValidationReport
from .validation import (
    MODES_NEEDING_KEY,
    MappingProblem,
    check_mapping,
)
from .writers import (
    ACTITO_ENCODINGS,
    ActitoFileWriter,
    ErrorFileWriter,
    OutputOptions,
    PreparedFile,
)

# Small enough that a batch (under a megabyte for a 12-column file) stays in the processor's
# cache from parsing to writing: 4,096 rows made the whole pass about 15 % slower.
BATCH_ROWS = 1024


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


# --- The pass -------------------------------------------------------------------------------------


def _projector(indices: list[int]) -> Callable[[list[str]], Sequence[str]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    return itemgetter(*indices)


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
    """Read the headers, plan the checks, open the writers, scan every row, close the files."""
    with open_csv(path, csv_format, limits=limits) as reader:
        headers = next(reader, None) or []
        check_headers(headers)
        problems = check_mapping(headers, mapping, table, mode)
        if output is not None and any(p.blocking for p in problems):
            raise MappingNotReady([p for p in problems if p.blocking])
        report = ValidationReport(headers=headers, mapping_problems=problems)
        columns, key_indices = _plan_checks(headers, table, mapping, mode)
        report.columns = [c.report for c in columns]

        writer: ActitoFileWriter | None = None
        errors: ErrorFileWriter | None = None
        project: Callable[[list[str]], Sequence[str]] | None = None
        try:
            if output is not None:
                writer, project = _open_output(output, headers, columns, limits)
            if error_csv_path is not None:
                errors = ErrorFileWriter(
                    Path(error_csv_path), headers, csv_format.separator, csv_format.quotechar
                )
            left_out = _scan(
                reader,
                report,
                columns=columns,
                key_indices=key_indices,
                width=len(headers),
                mode=mode,
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
                    _("The file only has the line with column names and no data rows."),
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


def _plan_checks(
    headers: list[str], table: ImportTable, mapping: Sequence[ColumnMapping], mode: ImportMode
) -> tuple[list[Column], list[int]]:
    """The columns to check with their rules, and where the key columns are (when the mode
    needs a key)."""
    columns: list[Column] = []
    key_indices: list[int] = []
    for column in mapping:
        target = table.target(column.target)
        if target is None or column.header not in headers:
            continue
        index = headers.index(column.header)
        is_key = target.attribute is not None and target.attribute.unique
        if is_key:
            key_indices.append(index)
        columns.append(
            Column(
                index,
                column.header,
                target,
                chosen_format=column.value_format,
                ignore_invalid=column.ignore_invalid_values,
                checked=mode != "DELETE" or is_key,  # a deletion only reads the key
                report=ColumnReport(column.header, target.name),
            )
        )
    return columns, key_indices if mode in MODES_NEEDING_KEY else []


def _open_output(
    output: tuple[Path, OutputOptions], headers: list[str], columns: list[Column], limits: Limits
) -> tuple[ActitoFileWriter, Callable[[list[str]], Sequence[str]] | None]:
    """The file ACTITO gets, and how to cut a row down to its columns (None: keep them all)."""
    output_path, options = output
    everything = list(range(len(headers)))
    out_indices = [c.index for c in columns] if options.columns == "mapped" else everything
    writer = ActitoFileWriter(
        output_path, options, [headers[i] for i in out_indices], limits.max_compressed_bytes
    )
    return writer, (_projector(out_indices) if out_indices != everything else None)


def _scan(
    reader: CsvReader,
    report: ValidationReport,
    *,
    columns: list[Column],
    key_indices: list[int],
    width: int,
    mode: ImportMode,
    writer: ActitoFileWriter | None,
    project: Callable[[list[str]], Sequence[str]] | None,
    leave_out_invalid: bool,
    errors: ErrorFileWriter | None,
    max_reported: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Check (and write) every record; returns how many data rows were left out of the output.

    Per batch: find where each row starts, check its shape, its values and its key, count and
    report what was found, then write the rows that go to ACTITO.
    """
    left_out = 0
    line = reader.line_num  # physical lines consumed so far (the header may span several)
    settled = False
    while batch := reader.batch(BATCH_ROWS):
        end_line = reader.line_num
        rows, starts = _locate_rows(batch, line, end_line, report)
        if not settled and rows:
            settle_formats(columns, rows, mode)
            settled = True
        first_row = report.rows_read + 1
        report.rows_read += len(rows)

        issues: dict[int, list[Issue]] = {}
        shaped, shaped_at = _check_shape(rows, width, issues)
        # Ragged rows cannot be cut down to the output's columns: they are left out later.
        joined = _Lines(writer, rows, project) if writer and shaped_at is None else None
        originals: Originals = {}
        values = check_values(
            columns, shaped, shaped_at, issues, originals, joined.longest if joined else None
        )
        check_keys(key_indices, values, shaped, shaped_at, issues)
        invalid = _report_issues(
            issues,
            report,
            rows=rows,
            starts=starts,
            first_line=line + 1,
            first_row=first_row,
            errors=errors,
            max_reported=max_reported,
            originals=originals,
        )

        if writer is not None:
            ragged = {i for i, x in issues.items() if x[0][0] == "WRONG_COLUMN_COUNT"}
            skip = invalid if leave_out_invalid else ragged
            left_out += len(skip)
            first_line = starts[0] if starts else line + 1
            _write(writer, rows, skip, project, joined.lines if joined else None, first_line)
        line = end_line
        if progress is not None:
            progress(report.rows_read)  # once per batch: cheap, and enough for a live counter
    return left_out


class _Lines:
    """A batch's lines for ACTITO, joined once its values are converted. No value is longer
    than its line, so a batch of short lines skips the length checks."""

    def __init__(
        self,
        writer: ActitoFileWriter,
        rows: list[list[str]],
        project: Callable[[list[str]], Sequence[str]] | None,
    ) -> None:
        self._writer = writer
        self._rows = rows
        self._project = project
        self.lines: list[str] | None = None

    def longest(self) -> int:
        rows, project = self._rows, self._project
        self.lines = self._writer.lines(rows if project is None else map(project, rows))
        return max(map(len, self.lines), default=0)


def _write(
    writer: ActitoFileWriter,
    rows: list[list[str]],
    skip: set[int],
    project: Callable[[list[str]], Sequence[str]] | None,
    lines: list[str] | None,
    first_line: int,
) -> None:
    """Write the batch's rows but those in `skip`, from their joined lines when the checks
    already made them."""

    def kept() -> Sequence[Sequence[str]]:
        chosen = [row for i, row in enumerate(rows) if i not in skip] if skip else rows
        return chosen if project is None else list(map(project, chosen))

    if lines is None:
        writer.write_rows(kept(), first_line)
    else:
        chosen = [line for i, line in enumerate(lines) if i not in skip] if skip else lines
        writer.write_lines(chosen, kept, first_line)


def _locate_rows(
    batch: list[list[str]], line: int, end_line: int, report: ValidationReport
) -> tuple[list[list[str]], list[int] | None]:
    """The data rows of a batch (blank lines counted and dropped) and the line each starts on;
    None for the cheap case of one line per record and no blank line."""
    if end_line - line == len(batch) and [] not in batch:
        return batch, None
    rows, starts = [], []
    for record in batch:
        if record:
            rows.append(record)
            starts.append(line + 1)
        else:
            report.blank_lines += 1
        line += 1 + line_breaks(record)
    return rows, starts


def _check_shape(
    rows: list[list[str]], width: int, issues: dict[int, list[Issue]]
) -> tuple[list[list[str]], list[int] | None]:
    """The rows with as many values as there are headers (the others get an issue), and where
    each sits in `rows`; None when they all do."""
    if set(map(len, rows)) == {width}:
        return rows, None
    shaped, shaped_at = [], []
    for i, row in enumerate(rows):
        if len(row) == width:
            shaped.append(row)
            shaped_at.append(i)
        else:
            message = ngettext(
                "This row has %(count)s value but the first line has %(width)s column names. "
                "Usually a separator or a line break inside a value that is not between quotes.",
                "This row has %(count)s values but the first line has %(width)s column names. "
                "Usually a separator or a line break inside a value that is not between quotes.",
                len(row),
            ) % {"count": len(row), "width": width}
            issues[i] = [("WRONG_COLUMN_COUNT", message, None, None, True)]
    return shaped, shaped_at


def _report_issues(
    issues: dict[int, list[Issue]],
    report: ValidationReport,
    *,
    rows: list[list[str]],
    starts: list[int] | None,
    first_line: int,
    first_row: int,
    errors: ErrorFileWriter | None,
    max_reported: int,
    originals: Originals,
) -> set[int]:
    """Count every issue, list the first ones, write invalid rows to the error file; returns
    the positions of the invalid rows. A row starts at `starts[i]`, or at `first_line + i` when
    each record is one line."""
    invalid: set[int] = set()
    for i in sorted(issues):
        row_issues = issues[i]
        row_line = starts[i] if starts is not None else first_line + i
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
                row = rows[i]
                errors.write(row_line, [x[1] for x in blocking], originals.get(id(row), row))
        else:
            report.rows_with_warnings += 1
    report.rows_invalid += len(invalid)
    report.rows_valid += len(rows) - len(invalid)
    return invalid
