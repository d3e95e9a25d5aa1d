"""A pasted or uploaded list of ECDP customers, each with their own data fields: pure functions.

The first column identifies the customer (the identifier chosen in the form); other columns are
matched to the event's declared data fields by name (case, spaces, "-" and "_" ignored). Every
value is checked before anything is confirmed; invalid rows are listed with the reason.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .fields import IDENTIFIERS, CustomerRef, InvalidValue, clean_data_fields, parse_customer

MAX_CUSTOMERS = 10_000
_HEADER_WORDS = {"id", "customerid", "email", "e-mail", "phone", "crmid", "customer", "mail"}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


@dataclass
class ParsedCustomers:
    items: list[tuple[CustomerRef, list[dict[str, str]]]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, value, why)
    columns: dict[str, str] = field(default_factory=dict)  # CSV column → data field
    ignored_columns: list[str] = field(default_factory=list)
    too_many: bool = False


def parse_customers(
    text: str,
    kind: str,
    declared: list[dict],
    *,
    hash_as: str = "",
    limit: int = MAX_CUSTOMERS,
) -> ParsedCustomers:
    """Check every row; `hash_as` ("emailSha256"/"emailMd5") sends e-mail digests only."""
    parsed = ParsedCustomers()
    read = csv.reader(io.StringIO(text.lstrip("\ufeff")), _dialect(text))
    rows = [(n, [c.strip() for c in row]) for n, row in enumerate(read, start=1) if any(row)]
    if not rows:
        return parsed
    by_key = {_key(spec["name"]): spec["name"] for spec in declared}
    first_line, header = rows[0]
    positions: dict[int, str] = {}
    looks_like_header = _key(header[0]) in _HEADER_WORDS | {_key(kind)} or any(
        _key(cell) in by_key for cell in header[1:]
    )
    if looks_like_header:
        rows = rows[1:]
        for position, cell in enumerate(header[1:], start=1):
            name = by_key.get(_key(cell))
            if name:
                positions[position] = name
                parsed.columns[cell] = name
            elif cell:
                parsed.ignored_columns.append(cell)
    seen: set[CustomerRef] = set()
    for line, cells in rows:
        value = cells[0] if cells else ""
        try:
            ref = parse_customer(kind, value)
            if hash_as:
                ref = ref.hashed(hash_as)
        except InvalidValue as exc:
            parsed.invalid.append((line, value, str(exc)))
            continue
        if not looks_like_header and len([c for c in cells if c]) > 1:
            parsed.invalid.append(
                (line, ",".join(cells), _("More than one value on a line without a header row."))
            )
            continue
        values = {name: cells[p] if p < len(cells) else "" for p, name in positions.items()}
        fields, errors = clean_data_fields(declared, values)
        if errors:
            why = "; ".join(f"{name}: {message}" for name, message in errors.items())
            parsed.invalid.append((line, value, why))
            continue
        if ref in seen:
            parsed.duplicates.append((line, value))
            continue
        if len(parsed.items) >= limit:
            parsed.too_many = True
            continue
        seen.add(ref)
        parsed.items.append((ref, fields))
    return parsed


def _dialect(text: str) -> type[csv.Dialect]:
    sample = text[:4096]
    # Benelux spreadsheets often save with ";" (decimal commas): take the commoner separator.
    return csv.excel if sample.count(",") >= sample.count(";") else _Semicolon


class _Semicolon(csv.excel):
    delimiter = ";"


def identifier_label(kind: str) -> str:
    return str(IDENTIFIERS[kind][2])
