"""Matching that looks at the values, not only at the column names.

A column whose values are oui/non is never a key, whatever it is called; a key column's values
are mostly distinct; a column linked to a date, a number or a phone number should hold values
that read as such (in the formats conversions.py understands: 26/05/1967, 12,50, 0498 79 21 85).
`match_columns` runs the name matching of mapping.py with this judgement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .conversions import YES_NO_WORDS, resolve
from .mapping import FIT_REFUSED, HeaderMatch, ImportTable, Target, match_headers
from .validation import rules_for, value_kind

MIN_SAMPLES = 3  # fewer non-empty values than this: the names decide alone
KEY_DISTINCT_SHARE = 0.9  # a key column's values are (nearly) all different


def is_yes_no(values: Sequence[str]) -> bool:
    """Oui/non, ja/nee, yes/no, x, 1/0…: a column of at most two distinct yes/no words."""
    words = {v.strip().casefold() for v in values if v.strip()}
    return 0 < len(words) <= 2 and words <= YES_NO_WORDS.keys()


def value_fit(target: Target, values: Sequence[str]) -> float | None:
    """How well `values` (a column's first non-empty values) fit `target`; see mapping.ValueFit."""
    values = [v for v in values if v.strip()]
    if len(values) < MIN_SAMPLES:
        return None
    attribute = target.attribute
    is_key = attribute is not None and attribute.unique
    if is_key and (is_yes_no(values) or len(set(values)) < KEY_DISTINCT_SHARE * len(values)):
        return FIT_REFUSED
    kind = value_kind(target)
    if kind in ("string", "category"):
        return None
    if kind != "boolean" and is_yes_no(values) and not _all_digits(values):
        return FIT_REFUSED  # oui/non is no date, number, phone, e-mail or code
    value_format = resolve(kind, "auto", values)
    sent = value_format.convert(list(values)) if value_format.convert else list(values)
    rules = rules_for(target, mode="CREATE_OR_UPDATE")
    if not rules or not rules[0].code.startswith("INVALID_"):
        return None
    return 1 - len(rules[0].find_invalid(sent)) / len(sent)


def _all_digits(values: Sequence[str]) -> bool:
    return all(v.strip().isdigit() for v in values)


def match_columns(
    headers: Sequence[str], table: ImportTable, samples: Mapping[str, Sequence[str]]
) -> list[HeaderMatch]:
    """Name matching (mapping.match_headers) judged by each column's sample values."""
    fits: dict[tuple[str, str], float | None] = {}

    def fit(header: str, target: Target) -> float | None:
        key = (header, target.name)
        if key not in fits:
            fits[key] = value_fit(target, samples.get(header, ()))
        return fits[key]

    return match_headers(headers, table, fit=fit)
