"""CSV files people open in Excel: cells that a spreadsheet would run as a formula are defused.

A value such as `=HYPERLINK("http://…")` or `@SUM(…)` coming from an upload or from ACTITO would be
executed when a marketer opens the download. OWASP's advice: prefix such cells with a single
quote, which spreadsheets show as text. Phone numbers and signed numbers (`+32 498 79 21 85`,
`-12,50`) are left alone: they are values, not formulas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

_PLAIN_SIGNED = re.compile(r"[+-][\d\s.,()/]*")


def defuse(value: str) -> str:
    if not value or value[0] not in "=+-@\t\r":
        return value
    if value[0] in "+-" and _PLAIN_SIGNED.fullmatch(value):
        return value
    return "'" + value


def defused_rows(rows: Iterable[Sequence[str]]) -> Iterator[list[str]]:
    for row in rows:
        yield [defuse(value) for value in row]
