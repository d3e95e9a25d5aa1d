"""Benchmark of the CSV import pipeline (actito_admin/imports) against the unavoidable work.

    .venv/bin/python bench/csv_bench.py                  # 1,000,000 and 2,000,000 rows
    .venv/bin/python bench/csv_bench.py --rows 200000    # quicker look
    .venv/bin/python bench/csv_bench.py --benelux        # Windows-1252, values to convert

Generates realistic CSVs in bench/out/ (gitignored; reused when present), then runs each stage in
its own subprocess so that peak RSS (VmHWM) belongs to that stage alone:

* baseline – one csv.reader pass over the decoded file, then gzip (zlib level 6) of its bytes;
* pipeline – detect_csv + match_headers + prepare_import (validate every row, write the error CSV
  and the gzip file for ACTITO) in one pass, as a task would run it;
* two-pass – validate_csv, then prepare_import, as a UI that shows the dry run first would.

Targets (issue 15): the pipeline faster than the baseline (≤ 1.0× its wall time); peak RSS
under 150 MB and flat when the file doubles.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import shutil
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _stages import measure, peak_rss_mb  # noqa: E402 - after the path is set

HEADERS = [
    "customerId",
    "E-mail",
    "Prénom",
    "Nom",
    "Date de naissance",
    "Pays",
    "Langue",
    "GSM",
    "Newsletter",
    "Rue",
    "Code postal",
    "Ville",
]
FIRST = ["Jan", "Marie", "Sofie", "Lucas", "Élodie", "Thomas", "Zoë", "François", "Noah", "Inès"]
LAST = ["Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Vermeulen", "Dupont", "Müller"]
STREETS = ["Rue de la Loi", "Kerkstraat", "Avenue Louise", "Stationsstraat", "Chaussée de Wavre"]
CITIES = [("1000", "Bruxelles"), ("2000", "Antwerpen"), ("4000", "Liège"), ("9000", "Gent")]
ERROR_RATE = 0.001  # one row in a thousand has a bad e-mail, phone or date


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _benelux(row: list[str]) -> list[str]:
    """The same person as a Belgian marketer's Excel writes them: 26/05/1967, 0470 12 34 56,
    Jan.Peeters12@example.be (every date, phone and e-mail needs converting)."""
    date, phone = row[4], row[7]
    if len(date) == 10 and date[4] == "-":
        row[4] = f"{date[8:10]}/{date[5:7]}/{date[0:4]}"
    if phone.startswith("+32") and len(phone) == 12:
        row[7] = f"0{phone[3:6]} {phone[6:8]} {phone[8:10]} {phone[10:12]}"
    row[1] = row[1].capitalize()
    return row


def generate(path: Path, rows: int, *, benelux: bool = False) -> None:
    """A semicolon-separated UTF-8 file with BOM, as Excel writes it; ~130 bytes a row. With
    `benelux`: Windows-1252, and dates, phone numbers and e-mail addresses as people write
    them (the file ACTITO gets is the same)."""
    rng = random.Random(42)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding=_encoding(path) if benelux else "utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(HEADERS)
        batch = []
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            postal, city = rng.choice(CITIES)
            row = [
                str(100000 + i),
                f"{_ascii(first)}.{_ascii(last)}{i}@example.be",
                first,
                last,
                f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(("BE", "BE", "NL", "FR", "LU")),
                rng.choice(("nl", "fr", "en")),
                f"+324{rng.randint(70000000, 99999999)}",
                rng.choice(("Y", "N", "1", "0", "TRUE")),
                f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
                postal,
                city,
            ]
            if rng.random() < ERROR_RATE:
                column = rng.choice((1, 4, 7))
                row[column] = ("not-an-email", "31/12/1980", "0470 12 34 56")[
                    (1, 4, 7).index(column)
                ]
            batch.append(_benelux(row) if benelux else row)
            if len(batch) == 10000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    tmp.replace(path)


def _table():  # type: ignore[no-untyped-def]
    from actito_admin.imports.mapping import Attribute, ImportTable

    return ImportTable(
        id="16",
        name="Profiles",
        attributes=(
            Attribute("profileId", "INTEGER", unique=True, mandatory=True),
            Attribute("customerId", "INTEGER", unique=True),
            Attribute("emailAddress", "", "EMAIL_ADDRESS", unique=True, mandatory=True),
            Attribute("firstName", "", "FIRSTNAME"),
            Attribute("lastName", "", "LASTNAME", mandatory=True),
            Attribute("birthDate", "", "BIRTHDATE"),
            Attribute("country", "STRING", "COUNTRY"),
            Attribute("motherLanguage", "", "MOTHER_LANGUAGE"),
            Attribute("gsm", "STRING", "MOBILE_PHONE"),
            Attribute("addressStreet", "STRING", max_length=120),
            Attribute("addressPostalCode", "STRING", max_length=10),
            Attribute("addressLocality", "STRING"),
        ),
        subscriptions=("Newsletter",),
    )


def _encoding(path: Path) -> str:
    return "cp1252" if path.name.startswith("benelux") else "utf-8-sig"


def stage_baseline(path: Path, work: Path) -> dict[str, float]:
    rows = 0
    with open(path, encoding=_encoding(path), newline="", buffering=1 << 20) as f:
        for _row in csv.reader(f, delimiter=";"):
            rows += 1
    with open(path, "rb") as src, gzip.open(work / "baseline.csv.gz", "wb", compresslevel=6) as gz:
        shutil.copyfileobj(src, gz, 1 << 20)
    return {"rows": rows - 1}


def _pipeline(path: Path, work: Path, *, two_pass: bool) -> dict[str, float]:
    from django.conf import settings

    if not settings.configured:  # the pipeline's sentences are translatable; English here
        settings.configure(USE_I18N=False)
    from actito_admin.imports.csvfile import detect_csv
    from actito_admin.imports.mapping import ColumnMapping, match_headers
    from actito_admin.imports.pipeline import prepare_import, validate_csv

    detection = detect_csv(path)
    table = _table()
    matches = match_headers(detection.headers, table)
    mapping = [ColumnMapping(m.header, m.target) for m in matches if m.target]
    assert len(mapping) == len(HEADERS), matches  # every column found its attribute
    common = {
        "csv_format": detection.csv_format,
        "table": table,
        "mapping": mapping,
        "mode": "CREATE_OR_UPDATE",
    }
    if two_pass:
        validate_csv(path, **common)
    prepared = prepare_import(
        path, **common, output_path=work / "actito.csv.gz", error_csv_path=work / "errors.csv"
    )
    report = prepared.report
    return {
        "rows": report.rows_read,
        "invalid": report.rows_invalid,
        "compressed_mb": prepared.file.compressed_bytes / 2**20,
        "written_mb": prepared.file.uncompressed_bytes / 2**20,
    }


def run_stage(stage: str, path: Path, work: Path) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    if stage == "baseline":
        result = stage_baseline(path, work)
    else:
        result = _pipeline(path, work, two_pass=stage == "two-pass")
    result["seconds"] = time.perf_counter() - started
    # CPU time too: the bench machine is shared, and wall time moves with the neighbours' load.
    result["cpu_seconds"] = time.process_time() - cpu_started
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def measure_stage(stage: str, path: Path) -> dict[str, float]:
    work = OUT / f"work-{stage}"
    work.mkdir(parents=True, exist_ok=True)
    return measure(__file__, stage, path, "--work", str(work))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 2_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; best one counts")
    parser.add_argument("--stage", choices=["baseline", "pipeline", "two-pass"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--benelux", action="store_true", help="dates, phones, e-mails to convert")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.file, args.work)))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    table.write(
        "| rows | file MB | stage | wall s | CPU s | MB/s | rows/s | peak RSS MB "
        "| CPU vs baseline | wall vs baseline |\n"
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    stages = ("baseline", "pipeline", "two-pass")
    for rows in args.rows:
        path = OUT / f"{'benelux' if args.benelux else 'people'}-{rows}.csv"
        if not path.exists():
            print(f"generating {path.name} …", file=sys.stderr)
            generate(path, rows, benelux=args.benelux)
        size_mb = path.stat().st_size / 2**20
        # Interleaved repeats, best of each: noise from other processes only ever adds time.
        runs: dict[str, list[dict[str, float]]] = {stage: [] for stage in stages}
        for _ in range(args.repeat):
            for stage in stages:
                runs[stage].append(measure_stage(stage, path))
                print(stage, json.dumps(runs[stage][-1]), file=sys.stderr)
        best = {
            stage: {
                "seconds": min(r["seconds"] for r in results),
                "cpu_seconds": min(r["cpu_seconds"] for r in results),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
            }
            for stage, results in runs.items()
        }
        base = best["baseline"]
        for stage in stages:
            b = best[stage]
            line = (
                f"| {rows:,} | {size_mb:.0f} | {stage} | {b['seconds']:.1f} "
                f"| {b['cpu_seconds']:.1f} | {size_mb / b['seconds']:.1f} "
                f"| {rows / b['seconds']:,.0f} | {b['peak_rss_mb']:.0f} "
                f"| {b['cpu_seconds'] / base['cpu_seconds']:.2f}× "
                f"| {b['seconds'] / base['seconds']:.2f}× |"
            )
            print(line, file=sys.stderr)
            table.write(line + "\n")
    print(table.getvalue())


if __name__ == "__main__":
    main()
