"""The checks on a batch's values, column by column (the pass itself is in pipeline.py).

Each column's format is settled on the first batch (conversions.py); then, per batch, each
checked column is converted to ACTITO's format in the rows themselves, so that what is written
is what was checked, and each of its rules runs over the whole column at once (validation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter, ne

from django.utils.translation import gettext as _

from .conversions import ValueFormat, resolve
from .mapping import ImportMode, Target
from .report import ColumnReport
from .validation import Rule, rules_for, value_kind

FORMAT_SAMPLES = 500  # values per column that a recognised format ("auto") is decided on
EXAMPLES_PER_PROBLEM = 3

Issue = tuple[str, str, str | None, str | None, bool]  # rule code, message, column, value, blocking
# Rows a conversion changed, as they were read (by id: a batch's rows live as long as it does).
Originals = dict[int, list[str]]


@dataclass
class Column:
    """A mapped column of the file, what it is checked against, and what was found."""

    index: int
    header: str
    target: Target
    chosen_format: str
    ignore_invalid: bool
    checked: bool  # False: the value is carried, not read (a deletion reads only the key)
    report: ColumnReport
    rules: list[Rule] = field(default_factory=list)
    value_format: ValueFormat | None = None


def settle_formats(columns: list[Column], rows: list[list[str]], mode: ImportMode) -> None:
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


def check_values(
    columns: list[Column],
    shaped: list[list[str]],
    shaped_at: list[int] | None,
    issues: dict[int, list[Issue]],
    originals: Originals,
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
        (column, *_convert(column, by_column[column.index], shaped, originals))
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
    column: Column, values: Sequence[str], shaped: list[list[str]], originals: Originals
) -> tuple[Sequence[str], list[int] | None]:
    """Convert the column's values (in the rows too, each row first kept as read in
    `originals`); returns the values as converted, and where its format rule still fails when
    that is already known (else None).

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
                mutable[j] = _change(shaped[j], index, value, originals)
                column.report.converted += 1
        return mutable, [positions[k] for k in rule.find_invalid(fixed)]
    converted = value_format.convert(list(values))
    if changed := sum(map(ne, values, converted)):
        column.report.converted += changed
        for row, before, after in zip(shaped, values, converted, strict=True):
            if before != after:
                _change(row, index, after, originals)
        return converted, None
    return values, None


def _change(row: list[str], index: int, value: str, originals: Originals) -> str:
    """Put a converted value in its row; the error file still shows the row as uploaded."""
    if id(row) not in originals:
        originals[id(row)] = row.copy()
    row[index] = value
    return value


def _note_issue(column: Column, rule: Rule, value: str, row_issues: list[Issue]) -> None:
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


def check_keys(
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
