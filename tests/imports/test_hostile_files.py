"""Hostile files stay small: detection reads a bounded head whatever the file's shape, too many
columns are refused in plain words, a bomb is stopped early and binary data is never sent."""

from __future__ import annotations

import gzip
import tracemalloc

import pytest

from actito_admin.imports.csvfile import (
    HEAD_BYTES,
    MAX_COLUMNS,
    FileProblem,
    MiB,
    detect_csv,
)
from actito_admin.imports.mapping import ColumnMapping
from actito_admin.imports.pipeline import validate_csv


def _peak_mib_while(func) -> tuple[float, Exception | None]:
    tracemalloc.start()
    caught = None
    try:
        func()
    except Exception as exc:  # the refusal is part of what is measured
        caught = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / MiB, caught


def test_a_30_mb_file_without_line_breaks_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"a;" * (15 * MiB))
    peak, caught = _peak_mib_while(lambda: detect_csv(path))
    assert isinstance(caught, FileProblem) and caught.code == "LINE_TOO_LONG", caught
    assert "one record per line" in caught.message
    assert peak < 4 * HEAD_BYTES / MiB + 8, f"detection held {peak:.0f} MiB for a 30 MB line"


def test_ten_thousand_columns_are_refused_in_plain_words_with_bounded_memory(tmp_path):
    path = tmp_path / "wide.csv"
    header = ";".join(f"col{i}" for i in range(10_000))
    row = ";".join("x" for _ in range(10_000))
    path.write_text(header + "\n" + (row + "\n") * 50)
    peak, caught = _peak_mib_while(lambda: detect_csv(path))
    assert isinstance(caught, FileProblem) and caught.code == "TOO_MANY_COLUMNS", caught
    assert "10,000 columns" in caught.message and f"at most {MAX_COLUMNS}" in caught.message
    assert peak < 32, f"detection held {peak:.0f} MiB"


def test_long_header_names_are_accepted_and_memory_stays_bounded(tmp_path):
    path = tmp_path / "long-names.csv"
    names = ";".join(f"{i}" + "n" * 10_000 for i in range(5))
    path.write_text(names + "\n" + ";".join("v" for _ in range(5)) + "\n")
    peak, caught = _peak_mib_while(lambda: detect_csv(path))
    assert caught is None, caught
    assert peak < 16


def test_a_small_gzip_bomb_is_refused_within_its_first_megabytes(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as gz:
        gz.write(b"email;name\n")
        for _ in range(1024):
            gz.write(b"\x20" * MiB)  # 1 GiB of spaces in about 1 MB
    assert path.stat().st_size < 2 * MiB, "test setup: the bomb should be small"
    with pytest.raises(FileProblem) as caught:
        detect_csv(path)
    assert caught.value.code == "ZIP_BOMB"


def test_a_nul_byte_after_the_first_64_kb_stops_the_check(tmp_path, table):
    path = tmp_path / "late-nul.csv"
    rows = "".join(f"p{i}@example.com;Name{i}\n" for i in range(10_000))
    path.write_bytes(b"email;name\n" + rows.encode() + b"late@example.com;Na\x00me\n")
    detection = detect_csv(path)  # the start is clean text
    with pytest.raises(FileProblem) as caught:
        validate_csv(
            path,
            csv_format=detection.csv_format,
            table=table,
            mapping=[ColumnMapping("email", "emailAddress")],
            mode="UPDATE_ONLY",
        )
    assert caught.value.code == "BINARY_DATA"
    assert "binary data" in caught.value.message
