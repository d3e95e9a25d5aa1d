"""What a check found: per row (the first problems, line by line), per column (how its values
were read, what was wrong, how to fix it) and in total. Written by pipeline.py, stored with the
job as `column_summaries` and the counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from .validation import MappingProblem


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
class ColumnReport:
    """What happened to one mapped column: how its values were read and what was wrong."""

    header: str
    target: str
    read_as: str = ""  # the format its values were converted from, in plain words
    format_key: str = ""  # conversions.FORMAT_CHOICES key ("dmy", "comma", "phone:BE"…)
    note: str = ""  # e.g. dates that fit day/month and month/day alike
    converted: int = 0  # values changed to ACTITO's format
    problems: Counter[str] = field(default_factory=Counter)  # rule code -> values
    examples: dict[str, list[str]] = field(default_factory=dict)  # rule code -> a few values
    messages: dict[str, str] = field(default_factory=dict)  # rule code -> the first message


# What to do about each kind of problem, said once per column in the check's report (stored
# with the job in the language of the person who ran the check: see column_summaries).
FIXES: dict[str, Any] = {
    "INVALID_DATE": _(
        "If the dates are written another way, choose their format for this column "
        "(step 3, Options)."
    ),
    "INVALID_DATETIME": _(
        "If the dates are written another way, choose their format for this column "
        "(step 3, Options)."
    ),
    "INVALID_DECIMAL": _(
        "If the numbers use another decimal sign, choose it for this column (step 3, Options)."
    ),
    "INVALID_INTEGER": _(
        "Whole numbers only. If they use another thousands sign, choose it for this column "
        "(step 3, Options)."
    ),
    "INVALID_PHONE": _(
        "Numbers without +country code are read with the country chosen for this column "
        "(step 3, Options); correct the others in the file."
    ),
    "INVALID_EMAIL": _("Correct these addresses in the file, or leave these rows out."),
    "INVALID_TITLE": _("Use Mr, Mrs or Ms."),
    "INVALID_BOOLEAN": _("Use yes or no words."),
    "INVALID_CATEGORY": _("Use one of the table's categories."),
    "VALUE_TOO_LONG": _("Shorten these values."),
    "MISSING_MANDATORY_VALUE": _("Fill in this column for people who are not in the table yet."),
}


def column_summaries(columns: Sequence[ColumnReport]) -> list[dict[str, Any]]:
    """The per-column part of a report as stored with a job: worst problem first."""
    return [
        {
            "header": c.header,
            "target": c.target,
            "read_as": c.read_as,
            "note": c.note,
            "converted": c.converted,
            "problems": [
                {
                    "code": code,
                    "count": count,
                    "message": c.messages.get(code, ""),
                    "examples": c.examples.get(code, []),
                    "fix": str(FIXES.get(code, "")),
                }
                for code, count in c.problems.most_common()
            ],
        }
        for c in columns
    ]


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
    columns: list[ColumnReport] = field(default_factory=list)  # per mapped column, file order
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
