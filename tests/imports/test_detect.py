"""Detection over a corpus of awkward uploads: encodings, separators, quotes, refusals."""

from __future__ import annotations

import codecs
import os
import zipfile

import pytest

from actito_admin.imports.csvfile import FileProblem, csv_file_name, detect_csv

from .conftest import write_bytes, write_gzip, write_text, write_zip


def problem(path, **kwargs) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        detect_csv(path, **kwargs)
    return caught.value


def test_latin1_file_with_semicolons_is_read_with_its_accents(tmp_path):
    path = write_text(
        tmp_path, "latin.csv", "Prénom;Nom;Ville\r\nJérôme;Müller;Liège\r\n", "latin-1"
    )
    found = detect_csv(path)
    assert found.csv_format.separator == ";", "semicolon separator not detected"
    assert found.csv_format.encoding in ("cp1252", "latin-1"), found.csv_format
    assert found.headers == ["Prénom", "Nom", "Ville"], "accents in headers were not decoded"
    assert found.preview == [["Jérôme", "Müller", "Liège"]], "accents in values were not decoded"


def test_windows_1252_characters_outside_latin1_are_recognised(tmp_path):
    path = write_text(tmp_path, "w.csv", "name;note\r\nZoë;l’offre à 5 €\r\n", "cp1252")
    found = detect_csv(path)
    assert found.csv_format.encoding == "cp1252", "curly quote and euro need Windows-1252"
    assert found.preview[0][1] == "l’offre à 5 €"


def test_utf8_with_bom_drops_the_bom_from_the_first_header(tmp_path):
    path = write_bytes(tmp_path, "bom.csv", codecs.BOM_UTF8 + "email,prénom\na@b.be,Zoë\n".encode())
    found = detect_csv(path)
    assert found.had_bom, "the BOM was not noticed"
    assert found.headers[0] == "email", "the BOM leaked into the first header name"
    assert found.csv_format.encoding == "utf-8-sig"


def test_utf8_without_bom_is_utf8(tmp_path):
    path = write_text(tmp_path, "u.csv", "email,prénom\na@b.be,Zoë\n")
    assert detect_csv(path).csv_format.encoding == "utf-8"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_and_tabs_is_read(tmp_path, codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    text = "email\tprénom\r\na@b.be\tZoë\r\n"
    path = write_bytes(tmp_path, "excel.txt", bom + text.encode(codec))
    found = detect_csv(path)
    assert found.csv_format.separator == "\t", "tab separator not detected in UTF-16"
    assert found.headers == ["email", "prénom"], f"{codec} was not decoded: {found.headers}"
    assert found.preview == [["a@b.be", "Zoë"]]


def test_utf16_without_bom_is_still_recognised_as_text(tmp_path):
    path = write_bytes(tmp_path, "nobom.csv", "email;name\r\na@b.be;Zoë\r\n".encode("utf-16-le"))
    found = detect_csv(path)
    assert found.headers == ["email", "name"], "UTF-16 without BOM taken for a binary file"


def test_quoted_separators_and_newlines_stay_inside_their_value(tmp_path):
    text = (
        "name,comment,city\r\n"
        '"Smith, John","line one\r\nline two",Gent\r\n'
        'Ann,"say ""hi""",Liège\r\n'
    )
    found = detect_csv(write_text(tmp_path, "q.csv", text))
    assert found.csv_format.separator == ",", "quoted commas confused separator detection"
    assert found.preview[0] == ["Smith, John", "line one\r\nline two", "Gent"]
    assert found.preview[1][1] == 'say "hi"', "doubled quotes were not unescaped"


def test_pipe_separator_is_detected(tmp_path):
    found = detect_csv(write_text(tmp_path, "p.csv", "a|b|c\n1|2|3\n4|5|6\n"))
    assert found.csv_format.separator == "|"


def test_single_quote_enclosing_is_detected(tmp_path):
    text = "name;comment\n'Smith; John';'ok'\n'Ann';'fine'\n"
    found = detect_csv(write_text(tmp_path, "sq.csv", text))
    assert found.csv_format.quotechar == "'", "single-quote enclosing not detected"
    assert found.preview[0] == ["Smith; John", "ok"]


def test_callers_overrides_win_over_detection(tmp_path):
    path = write_text(tmp_path, "o.csv", "a;b,c\n1;2,3\n", "latin-1")
    found = detect_csv(path, separator=",", encoding="ISO-8859-1")
    assert found.csv_format.separator == ",", "separator override ignored"
    assert found.csv_format.encoding == "latin-1", "encoding override not normalised"
    assert found.headers == ["a;b", "c"]
    assert found.detected == {"quotechar"}, "detected fields wrongly reported"


def test_preview_is_limited_and_detection_reads_a_bounded_sample(tmp_path):
    rows = "".join(f"{i}@x.be;name{i}\n" for i in range(50_000))
    path = write_text(tmp_path, "big.csv", "email;name\n" + rows)
    found = detect_csv(path, preview_rows=5)
    assert len(found.preview) == 5, "preview did not stop at the requested number of rows"
    assert found.sample_bytes <= 64 * 1024, "detection read more than its sample"


def test_ragged_rows_do_not_prevent_detection(tmp_path):
    text = "a;b;c\n1;2;3\n4;5\n6;7;8;9\n10;11;12\n"
    found = detect_csv(write_text(tmp_path, "r.csv", text))
    assert found.csv_format.separator == ";"
    assert found.column_count == 3


# --- Files we refuse, each with a message a marketer understands -----------------------------


def test_an_empty_file_is_refused(tmp_path):
    found = problem(write_bytes(tmp_path, "empty.csv", b""))
    assert found.code == "EMPTY_FILE"
    assert "is empty" in found.message, found.message


def test_a_file_of_blank_lines_is_empty(tmp_path):
    assert problem(write_bytes(tmp_path, "blank.csv", b"\r\n  \n\n")).code == "EMPTY_FILE"


@pytest.mark.parametrize("content", ["email;name\r\n", "email;name\n\n\n", "email;name"])
def test_a_file_with_only_headers_is_refused(tmp_path, content):
    found = problem(write_text(tmp_path, "h.csv", content))
    assert found.code == "HEADER_ONLY"
    assert "no data rows" in found.message, found.message


def test_a_binary_file_named_csv_is_refused(tmp_path):
    found = problem(write_bytes(tmp_path, "photo.csv", b"\x89PNG\r\n\x1a\n" + os.urandom(2000)))
    assert found.code == "BINARY_FILE"
    assert "PNG image, not a CSV" in found.message, found.message


def test_random_bytes_named_csv_are_refused(tmp_path):
    found = problem(write_bytes(tmp_path, "x.csv", b"abc\x00\x01\x02" * 500))
    assert found.code == "BINARY_FILE"
    assert "binary file, not a CSV" in found.message, found.message


def test_an_excel_workbook_renamed_to_csv_gets_save_as_advice(tmp_path):
    path = write_zip(
        tmp_path, "book.csv", {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}
    )
    found = problem(path)
    assert found.code == "SPREADSHEET_FILE"
    assert "Excel workbook" in found.message and "Save As" in found.message, found.message


def test_duplicate_headers_are_refused_and_named(tmp_path):
    found = problem(write_text(tmp_path, "d.csv", "email;name;email\na;b;c\n"))
    assert found.code == "DUPLICATE_HEADERS"
    assert "“email” (2 times)" in found.message, found.message


def test_an_empty_header_name_is_refused_with_its_position(tmp_path):
    found = problem(write_text(tmp_path, "e.csv", "email;;name\na;b;c\n"))
    assert found.code == "EMPTY_HEADER"
    assert "Column 2 has no name" in found.message, found.message


def test_a_separator_at_the_end_of_the_header_line_is_explained(tmp_path):
    found = problem(write_text(tmp_path, "t.csv", "email;name;\na;b;\n"))
    assert found.code == "EMPTY_HEADER"
    assert "separator at the end of the first line" in found.message, found.message


def test_a_quote_that_never_closes_is_pointed_out(tmp_path):
    text = 'email;note\na@b.be;"never closed\n' + "x@y.be;more text\n" * 20_000
    found = problem(write_text(tmp_path, "q.csv", text), separator=";")
    assert found.code == "MALFORMED_CSV"
    assert "opened and never closed" in found.message, found.message


def test_an_unknown_encoding_override_is_refused(tmp_path):
    found = problem(write_text(tmp_path, "a.csv", "a,b\n1,2\n"), encoding="klingon-8")
    assert found.code == "UNKNOWN_ENCODING"


# --- Compressed uploads ------------------------------------------------------------------------


def test_a_gzipped_csv_is_detected_through_the_compression(tmp_path):
    path = write_gzip(tmp_path, "people.csv.gz", b"email;name\na@b.be;Ann\n")
    found = detect_csv(path)
    assert found.container == "gzip"
    assert found.headers == ["email", "name"]


def test_a_zip_with_one_csv_is_read(tmp_path):
    path = write_zip(tmp_path, "people.zip", {"export/people.csv": b"email;name\na@b.be;Ann\n"})
    found = detect_csv(path)
    assert (found.container, found.member_name) == ("zip", "export/people.csv")


def test_macos_resource_forks_in_a_zip_are_ignored(tmp_path):
    path = write_zip(
        tmp_path,
        "mac.zip",
        {"people.csv": b"email;name\na@b.be;Ann\n", "__MACOSX/._people.csv": b"\x00\x05"},
    )
    assert detect_csv(path).member_name == "people.csv", "a Finder zip was refused"


def test_a_zip_with_two_files_is_refused(tmp_path):
    path = write_zip(tmp_path, "two.zip", {"a.csv": b"x\n1\n", "b.csv": b"y\n2\n"})
    found = problem(path)
    assert found.code == "ZIP_MULTIPLE_FILES"
    assert "contains 2 files" in found.message and "“a.csv”" in found.message, found.message


def test_a_zip_without_any_file_is_refused(tmp_path):
    path = tmp_path / "none.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("folder/", b"")
    found = problem(path)
    assert found.code == "ZIP_NO_CSV"
    assert "exactly one CSV" in found.message, found.message


def test_a_zip_holding_a_binary_file_is_refused_as_binary(tmp_path):
    path = write_zip(tmp_path, "img.zip", {"logo.png": b"\x89PNG\r\n\x1a\n" + bytes(500)})
    assert problem(path).code == "BINARY_FILE"


def test_a_truncated_gzip_is_reported_as_damaged(tmp_path):
    full = write_gzip(tmp_path, "full.csv.gz", os.urandom(5000).hex().encode())
    path = write_bytes(tmp_path, "cut.csv.gz", full.read_bytes()[:2000])
    found = problem(path)
    assert found.code == "CORRUPT_ARCHIVE"
    assert "damaged or incomplete" in found.message, found.message


def test_garbage_after_a_gzip_signature_is_reported_as_damaged(tmp_path):
    path = write_bytes(tmp_path, "bad.csv.gz", b"\x1f\x8b\x08\x00" + os.urandom(300))
    assert problem(path).code == "CORRUPT_ARCHIVE"


def test_a_broken_zip_is_reported_as_damaged(tmp_path):
    path = write_bytes(tmp_path, "bad.zip", b"PK\x03\x04" + os.urandom(300))
    found = problem(path)
    assert found.code == "CORRUPT_ARCHIVE"
    assert "ZIP file is damaged" in found.message, found.message


def test_a_password_protected_zip_is_refused(tmp_path):
    path = write_zip(tmp_path, "locked.zip", {"a.csv": b"x\n1\n"})
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag in the local and central headers; zipfile cannot write one.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= 0x01
    found = problem(write_bytes(tmp_path, "locked2.zip", bytes(data)))
    assert found.code == "ENCRYPTED_ARCHIVE"
    assert "password" in found.message, found.message


@pytest.mark.parametrize(
    ("upload", "member", "expected"),
    [
        ("customers.csv.gz", None, "customers.csv"),
        ("export.zip", "folder/people.txt", "people.txt"),
        ("customers", None, "customers.csv"),
    ],
)
def test_the_csvs_own_name_is_derived_from_the_upload(upload, member, expected):
    assert csv_file_name(upload, member) == expected
