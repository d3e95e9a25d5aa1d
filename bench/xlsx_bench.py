"""Benchmark: an Excel workbook (.xlsx) turned into the import's CSV, memory flat in its rows.

    .venv/bin/python bench/xlsx_bench.py                      # 100,000 and 1,000,000 rows
    .venv/bin/python bench/xlsx_bench.py --rows 100000        # quicker look
    .venv/bin/python bench/xlsx_bench.py --openpyxl           # also openpyxl's read-only mode

Writes realistic contact workbooks to bench/out/ (gitignored; reused when present) with
openpyxl's write-only mode — Excel-like: shared strings, real date cells, decimal numbers — then
converts each in its own subprocess so that peak RSS (VmHWM) belongs to the conversion alone.
Target (issue 11): memory stays flat when the workbook grows from 100,000 to 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _stages import measure, peak_rss_mb  # noqa: E402 - after the path is set

HEADERS = [
    "Courriel",
    "Civilité",
    "Prénom",
    "Nom",
    "Date de naissance",
    "GSM",
    "Client VIP",
    "N° client",
    "Points fidélité",
    "Valeur client (€)",
    "Ville",
    "Pays",
]
FIRST = ["Jan", "Marie", "Sofie", "Lucas", "Élodie", "Thomas", "Zoë", "François", "Noah", "Inès"]
LAST = ["Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Vermeulen", "Dupont", "Müller"]
CITIES = ["Bruxelles", "Antwerpen", "Liège", "Gent", "Namur", "Lille", "Luxembourg"]


def generate(path: Path, rows: int) -> None:
    import openpyxl

    rng = random.Random(11)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    sheet.append(HEADERS)
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        sheet.append(
            [
                f"{first}.{last}.{i}@example.be".lower(),  # every address distinct
                rng.choice(["M.", "Mme", "Mlle"]),
                first,
                last,
                dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25_000)),
                f"+32 4{rng.randrange(70, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
                f"{rng.randrange(10, 99)}",
                rng.choice(["oui", "non"]),
                f"C-{i:07d}",
                rng.randrange(5000),
                round(rng.uniform(0, 5000), 2),
                rng.choice(CITIES),
                "BE",
            ]
        )
    tmp = path.with_suffix(".tmp")
    book.save(tmp)
    tmp.rename(path)


def run_stage(stage: str, path: Path) -> dict[str, float]:
    started = time.perf_counter()
    if stage == "ours":
        from actito_admin.imports.xlsx import xlsx_to_csv

        dest = OUT / "xlsx-bench.csv"
        rows = xlsx_to_csv(path, dest).rows
        dest.unlink()
    else:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        rows = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
        book.close()
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--openpyxl", action="store_true", help="also openpyxl read-only")
    parser.add_argument("--stage", choices=["ours", "openpyxl"])
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.file)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    stages = ["ours", "openpyxl"] if args.openpyxl else ["ours"]
    print("| rows | .xlsx MB | reader | seconds | rows/s | peak RSS MB |")
    print("|---:|---:|---|---:|---:|---:|")
    for rows in args.rows:
        path = OUT / f"contacts-{rows}.xlsx"
        if not path.exists():
            print(f"generating {path.name} …", file=sys.stderr)
            generate(path, rows)
        size = path.stat().st_size / 2**20
        for stage in stages:
            result = measure(__file__, stage, path)
            print(
                f"| {rows:,} | {size:.0f} | {stage} | {result['seconds']:.1f} | "
                f"{result['rows'] / result['seconds']:,.0f} | {result['peak_rss_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
