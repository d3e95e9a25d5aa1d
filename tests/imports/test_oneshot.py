"""The `oneshotEtl` definition (spec §7.3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actito_admin.imports.mapping import ColumnMapping
from actito_admin.imports.oneshot import build_oneshot_definition
from actito_admin.imports.pipeline import PreparedFile

PREPARED = PreparedFile(
    path=Path("/tmp/customers.csv.gz"),
    file_name="customers.csv",
    compressed_file_name="customers.csv.gz",
    encoding="UTF-8",
    separator=",",
    enclosing='"',
    headers=["email", "last_name", "news"],
    rows_written=2,
    rows_left_out=0,
    uncompressed_bytes=100,
    compressed_bytes=80,
)


def test_the_definition_matches_the_documented_shape():
    mapping = [
        ColumnMapping("email", "emailAddress"),
        ColumnMapping("last_name", "lastName", ignore_empty_values=True),
        ColumnMapping("news", "subscriptions#Newsletter"),
    ]
    definition = build_oneshot_definition(
        table_id="16",
        prepared=PREPARED,
        mapping=mapping,
        mode="CREATE_OR_UPDATE",
        report_recipients=["john.smith@actito.com"],
    )
    flags = {
        "ignoreEmptyValues": False,
        "ignoreInvalidValues": False,
        "ignoreValuesWhenAlreadyKnown": False,
        "mergeValuesWhenMultivalued": False,
    }
    assert definition == {
        "type": "ONESHOT",
        "inputFileProperties": {
            "csvFormat": {"separator": ",", "enclosing": '"', "encoding": "UTF-8"}
        },
        "dataLoading": {
            "destination": {
                "type": "PROFILE_TABLE",
                "id": "16",
                "attributesMapping": [
                    {"header": "email", "attributeName": "emailAddress", **flags},
                    {
                        "header": "last_name",
                        "attributeName": "lastName",
                        **flags,
                        "ignoreEmptyValues": True,
                    },
                    {"header": "news", "attributeName": "subscriptions#Newsletter", **flags},
                ],
            },
            "parameters": {
                "mode": "CREATE_OR_UPDATE",
                "generateErrorFiles": True,
                "generateResultFiles": True,
            },
        },
        "reportRecipients": ["john.smith@actito.com"],
    }, "definition drifted from spec §7.3"
    assert "fileTransfer" not in definition, "an uploaded file: no fileTransfer (seed 002)"
    json.dumps(definition)  # must be serialisable as it is


@pytest.mark.parametrize("mode", ["CREATE_OR_UPDATE", "CREATE_ONLY", "UPDATE_ONLY", "DELETE"])
def test_every_supported_mode_is_accepted(mode):
    definition = build_oneshot_definition(
        table_id="16",
        prepared=PREPARED,
        mapping=[ColumnMapping("email", "emailAddress")],
        mode=mode,
    )
    assert definition["dataLoading"]["parameters"]["mode"] == mode
    assert "reportRecipients" not in definition, "no recipients means no key"


def test_the_v4_mode_name_is_refused():
    with pytest.raises(ValueError, match="CREATE_UPDATE"):
        build_oneshot_definition(
            table_id="16",
            prepared=PREPARED,
            mapping=[],
            mode="CREATE_UPDATE",  # type: ignore[arg-type]
        )


def test_a_column_mapped_twice_is_refused():
    mapping = [ColumnMapping("email", "emailAddress"), ColumnMapping("email", "customerId")]
    with pytest.raises(ValueError, match="only once"):
        build_oneshot_definition(table_id="16", prepared=PREPARED, mapping=mapping, mode="DELETE")


def test_a_column_missing_from_the_prepared_file_is_refused():
    with pytest.raises(ValueError, match="not in the prepared file"):
        build_oneshot_definition(
            table_id="16",
            prepared=PREPARED,
            mapping=[ColumnMapping("phone", "gsm")],
            mode="UPDATE_ONLY",
        )


def test_the_file_transfer_block_is_sent_only_when_the_setting_asks_for_it():
    mapping = [ColumnMapping("email", "emailAddress")]
    common = {"table_id": "16", "prepared": PREPARED, "mapping": mapping, "mode": "CREATE_ONLY"}
    assert "fileTransfer" not in build_oneshot_definition(**common)
    with_block = build_oneshot_definition(**common, with_file_transfer=True)
    assert with_block["fileTransfer"] == {
        "input": {
            "file": {
                "fileNamePattern": "customers.csv",
                "compressionType": "GZIP",
                "compressedFileNamePattern": "customers.csv.gz",
            }
        }
    }
