"""The streaming pass: dry-run report, error CSV, and the re-encoded gzip file for ACTITO."""

from __future__ import annotations

import codecs
import csv
import gzip
import io

import pytest

from actito_admin.imports.csvfile import FileProblem, detect_csv
from actito_admin.imports.mapping import Attribute, ColumnMapping, ImportTable
from actito_admin.imports.pipeline import (
    MappingNotReady,
    OutputOptions,
    prepare_import,
    validate_csv,
)

from .conftest import write_bytes, write_text

MAPPING = [
    ColumnMapping("E-mail", "emailAddress"),
    ColumnMapping("Nom", "lastName"),
    ColumnMapping("Pays", "country"),
]


def validate(path, table, mapping=MAPPING, mode="CREATE_OR_UPDATE", **kwargs):
    return validate_csv(
        path,
        csv_format=detect_csv(path).csv_format,
        table=table,
        mapping=mapping,
        mode=mode,
        **kwargs,
    )


def prepare(path, table, tmp_path, mapping=MAPPING, mode="CREATE_OR_UPDATE", **kwargs):
    return prepare_import(
        path,
        csv_format=detect_csv(path).csv_format,
        table=table,
        mapping=mapping,
        mode=mode,
        output_path=tmp_path / "customers.csv.gz",
        **kwargs,
    )


def gunzip(path) -> bytes:
    with gzip.open(path) as f:
        return f.read()


AWKWARD = (
    "E-mail;Nom;Pays;Note\r\n"
    "ann@x.be;Peeters;BE;ok\r\n"  # line 2, row 1
    'bad-email;"Multi\r\nline";ZZ;two problems\r\n'  # lines 3-4, row 2
    "\r\n"  # line 5, blank
    "bob@x.be;Maes;FR\r\n"  # line 6, row 3: a column short
    "cid@x.be;Dubois;NL;fine\r\n"  # line 7, row 4
)


def test_the_report_counts_rows_and_errors_by_kind(tmp_path, table):
    report = validate(write_text(tmp_path, "a.csv", AWKWARD), table)
    assert (report.rows_read, report.rows_valid, report.rows_invalid) == (4, 2, 2), report
    assert report.blank_lines == 1
    assert report.errors_by_code == {
        "INVALID_EMAIL": 1,
        "INVALID_COUNTRY": 1,
        "WRONG_COLUMN_COUNT": 1,
    }, report.errors_by_code
    assert not report.ok and report.can_import


def test_errors_give_the_physical_line_and_the_row_number(tmp_path, table):
    report = validate(write_text(tmp_path, "a.csv", AWKWARD), table)
    located = [(e.line, e.row, e.code) for e in report.first_errors]
    assert located == [
        (3, 2, "INVALID_EMAIL"),
        (3, 2, "INVALID_COUNTRY"),
        (6, 3, "WRONG_COLUMN_COUNT"),
    ], "a record spanning two lines or a blank line shifted the numbers"
    first = report.first_errors[0]
    assert (first.column, first.value) == ("E-mail", "bad-email")
    assert first.message == "Column “E-mail”: “bad-email” is not a valid e-mail address."
    assert "3 values but the first line has 4 column names" in report.first_errors[2].message


def test_the_error_csv_has_line_messages_and_the_original_columns(tmp_path, table):
    error_csv = tmp_path / "errors.csv"
    report = validate(write_text(tmp_path, "a.csv", AWKWARD), table, error_csv_path=error_csv)
    assert report.error_file == error_csv
    raw = error_csv.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8), "Excel needs the BOM to read the error file as UTF-8"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["line", "errors", "E-mail", "Nom", "Pays", "Note"]
    assert [r[0] for r in rows[1:]] == ["3", "6"], "only invalid rows belong in the error file"
    assert rows[1][2:] == ["bad-email", "Multi\r\nline", "ZZ", "two problems"]
    assert "valid e-mail" in rows[1][1] and "“ZZ” is not a two-letter" in rows[1][1], rows[1][1]


def test_the_error_csv_shows_the_row_as_uploaded_not_as_converted(tmp_path, table):
    # The date and the e-mail case are converted for ACTITO; the marketer fixes their own file.
    text = "E-mail;Nom;Naissance\nAnn@X.be;Peeters;26/05/1967\nnot-an-email;Maes;03/04/1975\n"
    mapping = [*MAPPING[:2], ColumnMapping("Naissance", "birthDate")]
    error_csv = tmp_path / "errors.csv"
    result = prepare(
        write_text(tmp_path, "b.csv", text), table, tmp_path, mapping, error_csv_path=error_csv
    )
    rows = list(csv.reader(io.StringIO(error_csv.read_text("utf-8-sig")), delimiter=";"))
    assert rows[1][2:] == ["not-an-email", "Maes", "03/04/1975"], rows[1]
    assert gunzip(result.file.path).decode() == (
        "E-mail,Nom,Naissance\r\nann@x.be,Peeters,1967-05-26\r\n"
    ), "ACTITO still gets the converted values"


def test_no_error_csv_is_left_when_every_row_is_valid(tmp_path, table):
    path = write_text(tmp_path, "ok.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;BE\n")
    report = validate(path, table, error_csv_path=tmp_path / "errors.csv")
    assert report.ok and report.error_file is None
    assert not (tmp_path / "errors.csv").exists()


def test_only_the_first_errors_are_kept_but_all_are_counted(tmp_path, table):
    rows = "".join(f"nobody{i};Peeters;BE\n" for i in range(500))
    report = validate(
        write_text(tmp_path, "m.csv", "E-mail;Nom;Pays\n" + rows), table, max_reported=10
    )
    assert len(report.first_errors) == 10
    assert report.errors_by_code["INVALID_EMAIL"] == 500 and report.rows_invalid == 500


def test_rows_are_checked_across_batch_boundaries(tmp_path, table):
    # 10,000 rows span three internal batches; the bad ones sit around the boundaries.
    bad = {1, 4096, 4097, 8192, 9999}
    lines = [f"{'x' if i in bad else f'p{i}@x.be'};N;BE\n" for i in range(1, 10_001)]
    report = validate(write_text(tmp_path, "b.csv", "E-mail;Nom;Pays\n" + "".join(lines)), table)
    assert [e.row for e in report.first_errors] == sorted(bad)
    assert [e.line for e in report.first_errors] == [r + 1 for r in sorted(bad)]


def test_a_missing_mandatory_value_blocks_create_only_and_warns_otherwise(tmp_path, table):
    path = write_text(tmp_path, "m.csv", "E-mail;Nom;Pays\nann@x.be;;BE\n")
    created = validate(path, table, mode="CREATE_ONLY")
    assert created.errors_by_code == {"MISSING_MANDATORY_VALUE": 1}
    upserted = validate(path, table, mode="CREATE_OR_UPDATE")
    assert upserted.rows_valid == 1 and upserted.rows_with_warnings == 1
    assert upserted.warnings_by_code == {"MISSING_MANDATORY_VALUE": 1}
    assert validate(path, table, mode="UPDATE_ONLY").ok


def test_a_row_without_any_key_value_cannot_be_updated(tmp_path, table):
    path = write_text(tmp_path, "k.csv", "E-mail;Nom;Pays\n;Peeters;BE\nann@x.be;Maes;BE\n")
    report = validate(path, table, mode="UPDATE_ONLY")
    assert report.errors_by_code == {"MISSING_KEY_VALUE": 1}
    assert "cannot tell which profile" in report.first_errors[0].message


def test_ignore_invalid_values_turns_errors_into_warnings(tmp_path, table):
    path = write_text(tmp_path, "i.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;Belgica\n")
    mapping = [*MAPPING[:2], ColumnMapping("Pays", "country", ignore_invalid_values=True)]
    report = validate(path, table, mapping=mapping)
    assert report.rows_valid == 1 and report.warnings_by_code == {"INVALID_COUNTRY": 1}


def test_a_deletion_only_checks_the_key(tmp_path, table):
    path = write_text(tmp_path, "d.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;Belgium\n")
    assert validate(path, table, mode="DELETE").ok, "non-key values should not block a deletion"


def test_mapping_problems_are_reported_by_the_dry_run(tmp_path, table):
    path = write_text(tmp_path, "p.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;BE\n")
    report = validate(path, table, mapping=[ColumnMapping("Nom", "lastName")], mode="UPDATE_ONLY")
    assert [p.code for p in report.blocking_problems] == ["NO_KEY_COLUMN"]
    assert not report.can_import


def test_preparing_with_a_blocking_mapping_problem_is_refused(tmp_path, table):
    path = write_text(tmp_path, "p.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;BE\n")
    with pytest.raises(MappingNotReady) as caught:
        prepare(path, table, tmp_path, mapping=[ColumnMapping("Nom", "lastName")], mode="DELETE")
    assert caught.value.problems[0].code == "NO_KEY_COLUMN"
    assert not (tmp_path / "customers.csv.gz").exists()


def test_a_file_that_changes_encoding_halfway_is_reported_with_a_line(tmp_path, table):
    # The sample is pure ASCII (so UTF-8); a Latin-1 "é" comes far after it.
    rows = "".join(f"p{i}@x.be;Peeters;BE\n" for i in range(5000)) + "z@x.be;Müller;BE\n"
    path = write_bytes(tmp_path, "mixed.csv", ("E-mail;Nom;Pays\n" + rows).encode("latin-1"))
    with pytest.raises(FileProblem) as caught:
        validate(path, table)
    assert caught.value.code == "ENCODING_MISMATCH"
    assert "not valid UTF-8" in caught.value.message and "Windows-1252" in caught.value.message
    line = int(caught.value.message.split()[2])
    assert 4000 < line <= 5002, f"the bad byte is on line 5002, not before line {line}"


def test_a_quote_that_never_closes_deep_in_the_file_is_located(tmp_path, table):
    good = "".join(f"p{i}@x.be;Peeters;BE\n" for i in range(100))
    runaway = 'q@x.be;"never closed;BE\n' + "r@x.be;Maes;BE\n" * 20_000
    path = write_text(tmp_path, "q.csv", "E-mail;Nom;Pays\n" + good + runaway)
    with pytest.raises(FileProblem) as caught:
        validate(path, table)
    assert caught.value.code == "MALFORMED_CSV"
    assert caught.value.message.startswith("From line 102,"), caught.value.message


# --- Re-encoding for ACTITO ---------------------------------------------------------------------


def test_a_windows_1252_semicolon_file_becomes_utf8_comma_gzip(tmp_path, table):
    text = (
        "E-mail;Nom;Pays;Note\r\n"
        "ann@x.be;Müller, Sr.;BE;l’offre à 5 €\r\n"
        'bob@x.be;"Dé ""Bob""";FR;x\r\n'
    )
    path = write_bytes(tmp_path, "w.csv", text.encode("cp1252"))
    prepared = prepare(path, table, tmp_path, options=OutputOptions(columns="all")).file
    data = gunzip(prepared.path)
    assert not data.startswith(codecs.BOM_UTF8), "ACTITO refuses a BOM"
    assert data.decode("utf-8") == (
        "E-mail,Nom,Pays,Note\r\n"
        'ann@x.be,"Müller, Sr.",BE,l’offre à 5 €\r\n'
        'bob@x.be,"Dé ""Bob""",FR,x\r\n'
    ), "re-encoded CSV differs"
    assert (prepared.rows_written, prepared.rows_left_out) == (2, 0)
    assert prepared.uncompressed_bytes == len(data)
    assert prepared.compressed_bytes == prepared.path.stat().st_size


def test_a_utf8_bom_file_loses_its_bom(tmp_path, table):
    path = write_bytes(
        tmp_path, "bom.csv", codecs.BOM_UTF8 + "E-mail,Nom,Pays\r\nann@x.be,Zoë,BE\r\n".encode()
    )
    data = gunzip(prepare(path, table, tmp_path).file.path)
    assert data == "E-mail,Nom,Pays\r\nann@x.be,Zoë,BE\r\n".encode()


def test_the_output_can_be_iso_8859_1_with_another_separator(tmp_path, table):
    path = write_text(tmp_path, "u.csv", "E-mail,Nom,Pays\r\nann@x.be,Jérôme,BE\r\n")
    options = OutputOptions(encoding="ISO-8859-1", separator=";", enclosing="'")
    prepared = prepare(path, table, tmp_path, options=options).file
    assert gunzip(prepared.path) == "E-mail;Nom;Pays\r\nann@x.be;Jérôme;BE\r\n".encode("latin-1")
    assert (prepared.encoding, prepared.separator, prepared.enclosing) == ("ISO-8859-1", ";", "'")


def test_text_that_iso_8859_1_cannot_hold_fails_clearly_and_leaves_nothing(tmp_path, table):
    path = write_text(tmp_path, "u.csv", "E-mail,Nom,Pays\r\nann@x.be,Peeters €,BE\r\n")
    with pytest.raises(FileProblem) as caught:
        prepare(path, table, tmp_path, options=OutputOptions(encoding="ISO-8859-1"))
    assert caught.value.code == "CANNOT_ENCODE"
    assert "“€”" in caught.value.message and "Choose UTF-8" in caught.value.message
    assert list(tmp_path.glob("customers*")) == [], "a partial output was left behind"


def test_a_separator_of_several_bytes_is_counted_as_one_character(tmp_path, table):
    path = write_text(tmp_path, "u.csv", "E-mail,Nom,Pays\r\nann@x.be,Jérôme,BE\r\n")
    prepared = prepare(path, table, tmp_path, options=OutputOptions(separator="§")).file
    assert gunzip(prepared.path).decode() == "E-mail§Nom§Pays\r\nann@x.be§Jérôme§BE\r\n"


def test_a_value_lengthened_by_its_conversion_is_checked_against_the_limit(tmp_path):
    # Short rows let the pass skip length checks; the rows must be measured once converted.
    table = ImportTable(
        id="1",
        name="Phones",
        attributes=(Attribute("gsm", "STRING", "MOBILE_PHONE_NUMBER", unique=True, max_length=11),),
    )
    path = write_text(tmp_path, "g.csv", "GSM\r\n0470123456\r\n+3247012345\r\n")
    mapping = [ColumnMapping("GSM", "gsm", value_format="phone:BE")]
    result = prepare(path, table, tmp_path, mapping=mapping, mode="UPDATE_ONLY")
    assert result.report.errors_by_code == {"VALUE_TOO_LONG": 1}, result.report.first_errors
    assert result.report.first_errors[0].value == "+32470123456"
    assert gunzip(result.file.path) == b"GSM\r\n+3247012345\r\n"


def test_a_separator_iso_8859_1_cannot_hold_fails_clearly(tmp_path, table):
    path = write_text(tmp_path, "u.csv", "E-mail,Nom,Pays\r\nann@x.be,Peeters,BE\r\n")
    with pytest.raises(FileProblem) as caught:
        options = OutputOptions(encoding="ISO-8859-1", separator="€")
        prepare(path, table, tmp_path, options=options)
    assert caught.value.code == "CANNOT_ENCODE", caught.value
    assert list(tmp_path.glob("customers*")) == [], "a partial output was left behind"


def test_only_mapped_columns_are_sent_by_default(tmp_path, table):
    path = write_text(tmp_path, "a.csv", AWKWARD)
    prepared = prepare(path, table, tmp_path).file
    assert prepared.headers == ["E-mail", "Nom", "Pays"]
    assert gunzip(prepared.path).decode() == (
        "E-mail,Nom,Pays\r\nann@x.be,Peeters,BE\r\ncid@x.be,Dubois,NL\r\n"
    ), "invalid rows should have been left out"
    assert (prepared.rows_written, prepared.rows_left_out) == (2, 2)


def test_invalid_rows_can_be_kept_but_ragged_rows_never_are(tmp_path, table):
    path = write_text(tmp_path, "a.csv", AWKWARD)
    options = OutputOptions(leave_out_invalid_rows=False, columns="all")
    result = prepare(path, table, tmp_path, options=options)
    lines = list(csv.reader(io.StringIO(gunzip(result.file.path).decode())))
    assert [r[0] for r in lines] == ["E-mail", "ann@x.be", "bad-email", "cid@x.be"]
    assert lines[2][1] == "Multi\r\nline", "a quoted line break was lost"
    assert result.file.rows_left_out == 1, "the row with a missing column must be left out"
    assert result.report.rows_invalid == 2


def test_a_single_mapped_column_is_written_as_one_column(tmp_path, table):
    path = write_text(tmp_path, "s.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;BE\n")
    mapping = [ColumnMapping("E-mail", "emailAddress")]
    prepared = prepare(path, table, tmp_path, mapping=mapping, mode="UPDATE_ONLY").file
    assert gunzip(prepared.path) == b"E-mail\r\nann@x.be\r\n"


def test_a_header_only_file_is_refused_by_the_full_pass_too(tmp_path, table):
    path = write_text(tmp_path, "h.csv", "E-mail;Nom;Pays\n")
    csv_format = detect_csv(write_text(tmp_path, "x.csv", "E-mail;Nom;Pays\na;b;c\n")).csv_format
    with pytest.raises(FileProblem) as caught:
        validate_csv(path, csv_format=csv_format, table=table, mapping=MAPPING, mode="CREATE_ONLY")
    assert caught.value.code == "HEADER_ONLY"


def test_the_prepared_file_knows_its_names(tmp_path, table):
    path = write_text(tmp_path, "s.csv", "E-mail;Nom;Pays\nann@x.be;Peeters;BE\n")
    prepared = prepare(path, table, tmp_path).file
    assert (prepared.file_name, prepared.compressed_file_name) == (
        "customers.csv",
        "customers.csv.gz",
    )
    with gzip.open(prepared.path) as f:
        assert f.name.endswith("customers.csv.gz")
    assert prepared.path.read_bytes()[3] & 0x08, "the gzip header should carry the CSV's name"
