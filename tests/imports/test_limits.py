"""Zip bombs, decompression caps and ACTITO's 100 MB limit on what it receives."""

from __future__ import annotations

import gzip
import os
import zipfile

import pytest

from actito_admin.imports.csvfile import FileProblem, Limits, MiB, detect_csv
from actito_admin.imports.mapping import ColumnMapping
from actito_admin.imports.pipeline import OutputOptions, prepare_import

from .conftest import write_text


def zip_of_repeated_text(path, size: int) -> None:
    """A small zip that expands to `size` bytes of a valid-looking CSV."""
    line = b"a@b.be;Ann\n"
    chunk = line * (1 * MiB // len(line))
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("bomb.csv", "w", force_zip64=True) as member,
    ):
        member.write(b"email;name\n")
        for _ in range(size // len(chunk)):
            member.write(chunk)


def test_a_zip_bomb_is_refused_from_its_declared_size_before_unpacking(tmp_path):
    path = tmp_path / "bomb.zip"
    zip_of_repeated_text(path, 64 * MiB)
    assert path.stat().st_size < 1 * MiB, "test setup: the bomb should be small"
    with pytest.raises(FileProblem) as caught:
        detect_csv(path)
    assert caught.value.code == "ZIP_BOMB"
    assert "not a normal CSV file" in caught.value.message, caught.value.message


def test_a_gzip_bomb_is_stopped_while_it_expands(tmp_path, table):
    # gzip has no trustworthy declared size: the streaming ratio check must catch it.
    path = tmp_path / "bomb.csv.gz"
    line = b"a@b.be;Ann\n"
    with gzip.open(path, "wb", compresslevel=9) as gz:
        gz.write(b"email;name\n")
        for _ in range(40):
            gz.write(line * (MiB // len(line)))
    # The ratio is checked against the compressed bytes read so far: the bomb is refused while
    # the file is looked at, before any check or import starts.
    with pytest.raises(FileProblem) as caught:
        detect_csv(path)
    assert caught.value.code == "ZIP_BOMB"
    assert "real CSV files never do" in caught.value.message, caught.value.message


def test_the_uncompressed_cap_applies_to_plain_files_too(tmp_path):
    path = write_text(tmp_path, "big.csv", "email\n" + "a@b.be\n" * 2000)
    with pytest.raises(FileProblem) as caught:
        detect_csv(path, limits=Limits(max_uncompressed_bytes=1000))
    assert caught.value.code == "FILE_TOO_LARGE"
    assert "Split it into smaller files" in caught.value.message


def test_a_zip_whose_content_exceeds_the_cap_is_stopped_while_streaming(tmp_path):
    path = tmp_path / "big.zip"
    zip_of_repeated_text(path, 2 * MiB)
    limits = Limits(max_uncompressed_bytes=1 * MiB, max_compression_ratio=10**9)
    # The declared size already says too much; with a lying header the cap would still stop it.
    with pytest.raises(FileProblem) as caught:
        detect_csv(path, limits=limits)
    assert caught.value.code == "ZIP_BOMB"


def _random_text_csv(path, size: int) -> None:
    """Printable random text in one column: gzip cannot shrink it much (about 18 %)."""
    alphabet = bytes(c for c in range(33, 127) if chr(c) not in ",;\"'")
    table = bytes(alphabet[b % len(alphabet)] for b in range(256))
    with open(path, "wb") as f:
        f.write(b"email,payload\r\n")
        written = 0
        while written < size:
            block = os.urandom(200 * 4096).translate(table)
            lines = b"".join(
                b"a@b.be," + block[i : i + 200] + b"\r\n" for i in range(0, len(block), 200)
            )
            f.write(lines)
            written += len(lines)


def _prepare_too_large(path, output, table, **kwargs) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        prepare_import(
            path,
            csv_format=detect_csv(path).csv_format,
            table=table,
            mapping=[ColumnMapping("email", "emailAddress")],
            mode="UPDATE_ONLY",
            output_path=output,
            **kwargs,
        )
    assert caught.value.code == "TOO_LARGE_AFTER_COMPRESSION", caught.value
    return caught.value


def test_a_file_over_the_compressed_limit_fails_and_leaves_nothing_behind(tmp_path, table):
    path = tmp_path / "random.csv"
    _random_text_csv(path, 2 * MiB)
    output = tmp_path / "out" / "people.csv.gz"
    output.parent.mkdir()
    found = _prepare_too_large(
        path,
        output,
        table,
        options=OutputOptions(columns="all"),
        error_csv_path=tmp_path / "out" / "errors.csv",
        limits=Limits(max_compressed_bytes=1 * MiB),
    )
    assert "Even compressed" in found.message and "1.0 MB" in found.message, found.message
    assert list(output.parent.iterdir()) == [], "a partial output or error file was left behind"


@pytest.mark.slow
def test_a_real_file_still_over_100_mb_after_compression_is_refused(tmp_path, table):
    # Printable random text compresses to about 82 %, so 130 MB stays above 100 MB compressed.
    path = tmp_path / "huge.csv"
    _random_text_csv(path, 130 * MiB)
    output = tmp_path / "huge.csv.gz"
    found = _prepare_too_large(
        path, output, table, options=OutputOptions(columns="all", compress_level=1)
    )
    assert "100.0 MB, the most ACTITO accepts" in found.message, found.message
    assert not output.exists() and not (tmp_path / "huge.csv.gz.part").exists()
