"""CSV and JSON Lines renderings of the audit log, streamed a chunk at a time.

Both keep the neutral fields as recorded (action, data, …). The CSV also has a `description`, the
sentence a person reads on the page, in the language of whoever exported it; the
`description_language` column says which (a language code such as en-gb, fr or nl).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation

from .chain import canonical_time
from .models import AuditEvent
from .sentences import describe

CSV_COLUMNS = [
    "id",
    "created_at_utc",
    "actor_username",
    "action",
    "description",
    "description_language",
    "target_type",
    "target_id",
    "target_label",
    "outcome",
    "ip_address",
    "user_agent",
    "request_id",
    "data",
    "prev_hash",
    "hash",
]
# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets
# (CSV injection, OWASP). Tab and CR are included because some programs strip them first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000


def neutralise(value: str) -> str:
    """A cell value a spreadsheet will show as text, never evaluate."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def event_record(event: AuditEvent) -> dict[str, Any]:
    """Everything recorded about an event, as plain JSON values (export and archive)."""
    return {
        "id": event.pk,
        "created_at": canonical_time(event.created_at),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "data": event.data,
        "outcome": event.outcome,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


class _Echo:
    """A file-like object whose write() hands the line back: lets csv.writer feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: Iterable[AuditEvent], language: str | None = None) -> Iterator[str]:
    """The CSV, its descriptions in `language` (default: the one active now, the reader's).

    The language is fixed here, not when the rows are written: a streamed response is written
    after the view has returned, when no request's language may be active any more."""
    chosen = language or translation.get_language() or settings.LANGUAGE_CODE
    return _csv_rows(events, chosen)


def _csv_rows(events: Iterable[AuditEvent], language: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark, or Excel reads UTF-8 as Windows-1252 and mangles names and «quotes».
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for event in events:
        record = event_record(event)
        record["created_at_utc"] = record.pop("created_at")
        with translation.override(language):
            record["description"] = str(describe(event))
        record["description_language"] = language
        record["data"] = json.dumps(event.data, sort_keys=True, ensure_ascii=False)
        yield writer.writerow(
            [neutralise("" if record[c] is None else str(record[c])) for c in CSV_COLUMNS]
        )


def jsonl_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event_record(event), ensure_ascii=False) + "\n"


def stream(queryset: QuerySet[AuditEvent]) -> Iterator[AuditEvent]:
    return queryset.iterator(chunk_size=CHUNK_SIZE)
