"""The dry run refuses whatever ACTITO refuses: every attribute type of the sandbox's tables, each
with values a marketer's file may hold. For each value, either the check refuses the row, or what
we would send is accepted by the sandbox's own value rules.

The sandbox is an independent stand-in for ACTITO: our checks never import its code; only this
test uses it, as the judge.
"""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from actito_admin.imports.csvfile import CsvFormat
from actito_admin.imports.mapping import ColumnMapping, ImportTable
from actito_admin.imports.pipeline import prepare_import
from actito_admin.sandbox.data import InvalidValue, normalize_value
from actito_admin.sandbox.seed import build_tables

# What files hold, per sandbox value kind: good, convertible and hopeless values alike.
VALUES: dict[str, list[str]] = {
    "STRING": ["", "Dubois", "é" * 255, "x" * 256, " spaced "],
    "INTEGER": ["12", "1.250", "12,5", "douze", "99999999999999999999", "+7", " 3 "],
    "DECIMAL": ["12.50", "12,50", "1.234,56", "1,234.56", "€ 3", "12.5.1", "NaN", "1e5"],
    "BOOLEAN": ["TRUE", "oui", "non", "ja", "x", "peut-être", "2", "vrai", "Y"],
    "DATE": ["1967-05-26", "26/05/1967", "31/02/1990", "1967-5-26", "26 mai 1967", "00/00/0000"],
    "TIMESTAMP": ["2024-01-31 14:05:00", "31/01/2024 14:05", "31/01/2024", "2024-01-31 25:00:00"],
    "EMAIL_ADDRESS": ["", "a@b.be", " A@B.BE ", "a@b", "a b@c.be", "a@@b.be", "@b.be", "a@b.c"],
    "PHONE_NUMBER": ["+32498792185", "0498 79 21 85", "0498/79.21.85", "12", "gsm", "+0123"],
    "SEX": ["M", "F", "H", "V", "homme", "X", "MF"],
    "MOTHER_LANGUAGE": ["FR", "nl", "Français", "Nederlands", "XX", "fra"],
    "COUNTRY": ["BE", "fr", "Belgique", "UK", "XX", "BEL"],
    "TITLE": ["Mr", "Mme", "M.", "Mlle", "Dhr.", "Mevr.", "Madame la Comtesse", "Dr"],
}
SUBSCRIPTION_VALUES = ["TRUE", "oui", "nee", "x", "peut-être", "abonné"]


def _sweep() -> list[tuple[str, str, str, str]]:
    """(table, target, sandbox kind, value) for every importable field of every sandbox table."""
    cases = []
    for table in build_tables():
        for attribute in table.attributes:
            if attribute.system:
                continue
            for value in VALUES[attribute.kind]:
                cases.append((table.id, attribute.name, attribute.kind, value))
        for subscription in table.subscriptions:
            for value in SUBSCRIPTION_VALUES:
                cases.append((table.id, f"subscriptions#{subscription}", "BOOLEAN", value))
        for name, categories in table.segmentations:
            for value in (categories[0], categories[0].lower(), "Platinum"):
                cases.append((table.id, f"S_{name}", "CATEGORY", value))
    return cases


TABLES = {t.id: t for t in build_tables()}


def _sandbox_refuses(table_id: str, target: str, kind: str, value: str) -> str | None:
    """Why the sandbox would refuse `value` in `target`, or None when it takes it."""
    table = TABLES[table_id]
    if value == "":
        return None  # an empty cell clears the field (mandatory fields are a row rule)
    if kind == "CATEGORY":
        categories = table.categories(target.removeprefix("S_")) or ()
        return None if value in categories else "not a category"
    max_length = next((a.max_length for a in table.attributes if a.name == target), None)
    try:
        normalize_value(kind, value, max_length=max_length)
    except InvalidValue as exc:
        return exc.message
    return None


@pytest.mark.parametrize(("table_id", "target", "kind", "value"), _sweep())
def test_what_the_check_lets_through_the_sandbox_accepts(tmp_path, table_id, target, kind, value):
    table = ImportTable.from_structure(TABLES[table_id].structure_json())
    # The fields every new profile needs, with good values, beside the one under test.
    needed = {"emailAddress": "sweep@example.be", "lastName": "Dubois"}
    others = [
        (name, good)
        for name, good in needed.items()
        if name != target and table.target(name) is not None
    ]
    source = tmp_path / "one.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";").writerows(
            [["Value", *(n for n, _ in others)], [value, *(g for _, g in others)]]
        )
    result = prepare_import(
        source,
        csv_format=CsvFormat(encoding="utf-8", separator=";", quotechar='"'),
        table=table,
        mapping=[ColumnMapping("Value", target), *(ColumnMapping(n, n) for n, _ in others)],
        mode="CREATE_ONLY",
        output_path=tmp_path / "out.csv.gz",
    )
    report = result.report
    if report.rows_invalid:
        return  # refused before any quota is spent: fine whatever the sandbox thinks
    with gzip.open(result.file.path, "rt", encoding="utf-8") as f:
        sent = list(csv.reader(io.StringIO(f.read())))[1][0]
    why = _sandbox_refuses(table_id, target, kind, sent)
    assert why is None, (
        f"The check let {value!r} through for {target} ({kind}) in table {table_id} and sent "
        f"{sent!r}, which ACTITO refuses: {why}"
    )
