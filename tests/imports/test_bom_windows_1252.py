"""A UTF-8 byte-order mark in front of Windows-1252 text (some export tools write one)."""

from __future__ import annotations

import codecs
import gzip

from actito_admin.imports.csvfile import detect_csv
from actito_admin.imports.mapping import ColumnMapping
from actito_admin.imports.pipeline import prepare_import
from tests.imports.conftest import write_bytes

TEXT = "email;firstName;lastName\r\nzoe@example.com;Zoë;Müller\r\n"


def test_a_bom_before_windows_1252_text_is_skipped_and_the_text_read_as_windows_1252(tmp_path):
    path = write_bytes(tmp_path, "x.csv", codecs.BOM_UTF8 + TEXT.encode("cp1252"))
    detection = detect_csv(path)
    assert detection.csv_format.encoding == "cp1252-sig"
    assert detection.csv_format.encoding_label == "Windows-1252 with BOM"
    assert detection.had_bom and detection.headers == ["email", "firstName", "lastName"]
    assert detection.preview == [["zoe@example.com", "Zoë", "Müller"]]


def test_choosing_windows_1252_for_a_file_with_a_bom_still_skips_the_bom(tmp_path):
    path = write_bytes(tmp_path, "x.csv", codecs.BOM_UTF8 + TEXT.encode("cp1252"))
    assert detect_csv(path, encoding="cp1252").headers[0] == "email"


def test_a_bom_before_real_utf_8_is_still_utf_8(tmp_path):
    path = write_bytes(tmp_path, "x.csv", codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert detect_csv(path).csv_format.encoding == "utf-8-sig"


def test_what_actito_receives_is_utf_8_without_any_bom(tmp_path, table):
    path = write_bytes(tmp_path, "x.csv", codecs.BOM_UTF8 + TEXT.encode("cp1252"))
    detection = detect_csv(path)
    mapping = [
        ColumnMapping("email", "emailAddress"),
        ColumnMapping("firstName", "firstName"),
        ColumnMapping("lastName", "lastName"),
    ]
    result = prepare_import(
        path,
        csv_format=detection.csv_format,
        table=table,
        mapping=mapping,
        mode="CREATE_OR_UPDATE",
        output_path=tmp_path / "out.csv.gz",
    )
    sent = gzip.decompress(result.file.path.read_bytes())
    assert not sent.startswith(codecs.BOM_UTF8)
    assert sent.decode("utf-8") == "email,firstName,lastName\r\nzoe@example.com,Zoë,Müller\r\n"
