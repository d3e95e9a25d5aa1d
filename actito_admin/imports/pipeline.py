"""One streaming pass over an upload: validate every row, and optionally write what ACTITO gets.

`validate_csv` is the dry run (before any import quota is spent). `prepare_import` does the same
pass and also writes the gzip file for ACTITO (§7.2: no BOM, declared encoding, at most 100 MB
compressed). Both can write an error CSV for the user. Memory does not grow with the file: rows
are read in batches of `BATCH_ROWS`, checked column by column (see validation.py) and joined
into one piece of text per batch, so the per-row work stays in C.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter, ne
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .conversions import ValueFormat, resolve
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
from .mapping import ColumnMapping, ImportMode, ImportTable, Target
from .report import ColumnReport, RowError, ValidationReport
from .validation import (
    MODES_NEEDING_KEY,
    MappingProblem,
    Rule,
    check_mapping,
    rules_for,
    value_kind,
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
FORMAT_SAMPLES = 500  # values per column that a recognised format ("auto") is decided on
EXAMPLES_PER_PROBLEM = 3


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


@dataclass
class _Column:
    index: int
    header: str
    target: Target
    chosen_format: str
    ignore_invalid: bool
    checked: bool  # False: the value is carried, not read (a deletion reads only the key)
    report: ColumnReport
    rules: list[Rule] = field(default_factory=list)
    value_format: ValueFormat | None = None


def _projector(indices: list[int]) -> Callable[[list[str]], Sequence[str]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    return itemgetter(*indices)


Issue = tuple[str, str, str | None, str | None, bool]  # rule code, message, column, value, blocking


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
) -> tuple[list[_Column], list[int]]:
    """The columns to check with their rules, and where the key columns are (when the mode
    needs a key)."""
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
        columns.append(
            _Column(
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


def _settle_formats(columns: list[_Column], rows: list[list[str]], mode: ImportMode) -> None:
    """Decide each column's format from the first batch's values, then its rules (whose
    messages name the format). Both passes over a file (check, prepare) decide alike."""
    for column in columns:
        if not column.checked:
            continue
        i = column.index
        samples: list[str] = []
        for row in rows:
            if i < len(row) and row[i]:
                samples.append(row[i])
                if len(samples) == FORMAT_SAMPLES:
                    break
        kind = value_kind(column.target)
        value_format = resolve(kind, column.chosen_format, samples)
        read_as = str(value_format.label) if value_format.convert is not None else ""
        column.rules = rules_for(
            column.target, mode=mode, ignore_invalid=column.ignore_invalid, read_as=read_as
        )
        # Converting relies on the column's format rule (first, when there is one): a
        # multi-valued field has none, and its values go as they are.
        if read_as and column.rules and column.rules[0].code == f"INVALID_{kind.upper()}":
            column.value_format = value_format
            column.report.read_as = read_as
            column.report.format_key = value_format.key
            column.report.note = str(value_format.note)


def _open_output(
    output: tuple[Path, OutputOptions], headers: list[str], columns: list[_Column], limits: Limits
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
    columns: list[_Column],
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
            _settle_formats(columns, rows, mode)
            settled = True
        first_row = report.rows_read + 1
        report.rows_read += len(rows)

        issues: dict[int, list[Issue]] = {}
        shaped, shaped_at = _check_shape(rows, width, issues)
        # Ragged rows cannot be cut down to the output's columns: they are left out later.
        joined = _Lines(writer, rows, project) if writer and shaped_at is None else None
        values = _check_values(
            columns, shaped, shaped_at, issues, joined.longest if joined else None
        )
        _check_keys(key_indices, values, shaped, shaped_at, issues)
        invalid = _report_issues(
            issues,
            report,
            rows=rows,
            starts=starts,
            first_line=line + 1,
            first_row=first_row,
            errors=errors,
            max_reported=max_reported,
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


def _check_values(
    columns: list[_Column],
    shaped: list[list[str]],
    shaped_at: list[int] | None,
    issues: dict[int, list[Issue]],
    longest: Callable[[], int] | None = None,
) -> dict[int, Sequence[str]]:
    """Each column of the batch is converted to ACTITO's format (in the rows themselves, so
    that what is written is what was checked), then each rule runs over it at once (see
    validation.py). `longest()`, when given, is called between the two: the length of the
    batch's longest row, which no value can exceed. Returns the checked columns' values as
    converted, by the column's position in the row."""
    if not shaped or not any(column.rules for column in columns):
        return {}
    # One transposition in C gives every column at once (cheaper than a pass per column).
    by_column = list(zip(*shaped, strict=True))
    converted = [
        (column, *_convert(column, by_column[column.index], shaped))
        for column in columns
        if column.rules
    ]
    bound = longest() if longest is not None else None
    for column, values, known in converted:
        for rule in column.rules:
            if bound is not None and rule.limit is not None and bound <= rule.limit:
                continue
            invalid = known if rule is column.rules[0] and known is not None else None
            if invalid is None:
                invalid = rule.find_invalid(values)
            for j in invalid:
                i = shaped_at[j] if shaped_at is not None else j
                _note_issue(column, rule, values[j], issues.setdefault(i, []))
    return {column.index: values for column, values, _known in converted}


def _convert(
    column: _Column, values: Sequence[str], shaped: list[list[str]]
) -> tuple[Sequence[str], list[int] | None]:
    """Convert the column's values (in the rows too); returns the values as converted, and
    where its format rule still fails when that is already known (else None).

    Most formats only touch values that are not yet in ACTITO's format: the format rule finds
    them at C speed, so a column already written the ACTITO way costs one check, as before.
    """
    value_format = column.value_format
    if value_format is None or value_format.convert is None:
        return values, None
    index = column.index
    if not value_format.every_value:
        rule = column.rules[0]
        positions = rule.find_invalid(values)
        if not positions:
            return values, positions
        mutable = list(values)
        fixed = value_format.convert([mutable[j] for j in positions])
        for j, value in zip(positions, fixed, strict=True):
            if value != mutable[j]:
                mutable[j] = shaped[j][index] = value
                column.report.converted += 1
        return mutable, [positions[k] for k in rule.find_invalid(fixed)]
    converted = value_format.convert(list(values))
    if changed := sum(map(ne, values, converted)):
        column.report.converted += changed
        for row, value in zip(shaped, converted, strict=True):
            row[index] = value
        return converted, None
    return values, None


def _note_issue(column: _Column, rule: Rule, value: str, row_issues: list[Issue]) -> None:
    described = rule.describe(value)
    message = _("Column “%(column)s”: %(problem)s") % {
        "column": column.header,
        "problem": described,
    }
    row_issues.append((rule.code, message, column.header, value, rule.blocking))
    report = column.report
    report.problems[rule.code] += 1
    report.messages.setdefault(rule.code, described)
    examples = report.examples.setdefault(rule.code, [])
    if len(examples) < EXAMPLES_PER_PROBLEM and value not in examples:
        examples.append(value)


def _check_keys(
    key_indices: list[int],
    values: dict[int, Sequence[str]],
    shaped: list[list[str]],
    shaped_at: list[int] | None,
    issues: dict[int, list[Issue]],
) -> None:
    """A row needs a value in at least one key column when the mode matches profiles."""
    if not key_indices or not shaped:
        return
    key_values = [
        values[i] if i in values else list(map(itemgetter(i), shaped)) for i in key_indices
    ]
    if not all("" in column for column in key_values):
        return  # some key column is full: every row has a key
    message = _(
        "No value in the key column, so ACTITO cannot tell which profile this row is about."
    )
    for j, keys in enumerate(zip(*key_values, strict=True)):
        if not any(keys):
            i = shaped_at[j] if shaped_at is not None else j
            issues.setdefault(i, []).append(("MISSING_KEY_VALUE", message, None, None, True))


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
                errors.write(row_line, [x[1] for x in blocking], rows[i])
        else:
            report.rows_with_warnings += 1
    report.rows_invalid += len(invalid)
    report.rows_valid += len(rows) - len(invalid)
    return invalid
