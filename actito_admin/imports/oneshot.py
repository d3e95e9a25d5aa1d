"""The `oneshotEtl` definition sent with the file to create a one-shot import (spec §7.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .mapping import IMPORT_MODES, ColumnMapping, ImportMode
from .writers import PreparedFile


def build_oneshot_definition(
    *,
    table_id: str,
    prepared: PreparedFile,
    mapping: Sequence[ColumnMapping],
    mode: ImportMode,
    report_recipients: Sequence[str] = (),
    generate_error_files: bool = True,
    generate_result_files: bool = True,
    with_file_transfer: bool = False,
) -> dict[str, Any]:
    """The JSON-ready definition for a gzip file made by `prepare_import`.

    `table_id` is the v5 profile-table id (e.g. "16"), not its name. The smallest definition
    seed 002 supports for a file sent in the call: what it "always includes" (CSV format,
    destination and mapping, mode) and no `fileTransfer`, which the documents only show for a
    file fetched from a transfer location (the gzip is recognised from its bytes).
    `with_file_transfer` (setting ACTITO_ONESHOT_FILE_TRANSFER) adds the `fileTransfer.input.file`
    block we used to send, should a licence want it. Every mapping flag is written, false
    included, so the request says exactly what we meant.
    """
    if mode not in IMPORT_MODES:
        raise ValueError(f"Unknown import mode {mode!r}; expected one of {IMPORT_MODES}.")
    headers = [m.header for m in mapping]
    if len(set(headers)) != len(headers):
        raise ValueError("Each CSV column may appear only once in attributesMapping.")
    missing = [h for h in headers if h not in prepared.headers]
    if missing:
        raise ValueError(f"Mapped columns not in the prepared file: {missing}.")
    definition: dict[str, Any] = {"type": "ONESHOT"}
    if with_file_transfer:
        definition["fileTransfer"] = {
            "input": {
                "file": {
                    "fileNamePattern": prepared.file_name,
                    "compressionType": "GZIP",
                    "compressedFileNamePattern": prepared.compressed_file_name,
                },
            },
        }
    definition |= {
        "inputFileProperties": {
            "csvFormat": {
                "separator": prepared.separator,
                "enclosing": prepared.enclosing,
                "encoding": prepared.encoding,
            },
        },
        "dataLoading": {
            "destination": {
                "type": "PROFILE_TABLE",
                "id": str(table_id),
                "attributesMapping": [
                    {
                        "header": m.header,
                        "attributeName": m.target,
                        "ignoreEmptyValues": m.ignore_empty_values,
                        "ignoreInvalidValues": m.ignore_invalid_values,
                        "ignoreValuesWhenAlreadyKnown": m.ignore_values_when_already_known,
                        "mergeValuesWhenMultivalued": m.merge_values_when_multivalued,
                    }
                    for m in mapping
                ],
            },
            "parameters": {
                "mode": mode,
                "generateErrorFiles": generate_error_files,
                "generateResultFiles": generate_result_files,
            },
        },
    }
    if report_recipients:
        definition["reportRecipients"] = list(report_recipients)
    return definition
