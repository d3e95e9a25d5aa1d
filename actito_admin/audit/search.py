"""Free-text search in the audit log, served by an index on SQLite and on PostgreSQL.

The meaning stays the one the review has always had (`text_match`): a case-insensitive substring
of who, what, the target's label or the recorded data, or exactly the target id, request id or IP
address. No ordinary index can serve "contains", so each database gets a trigram index over one
document per event holding all of those fields:

* SQLite: an FTS5 table (`audit_text`, trigram tokenizer, contentless, kept in step by triggers);
  a search asks it for the events holding every trigram of the text.
* PostgreSQL: a pg_trgm GIN index on the same document, used by `ILIKE '%text%'`.

The index is asked for at most FEW candidates (see `search`).

Either way the index only narrows the candidates (a superset of the matches); `text_match` then
decides, so results are exactly those of the plain filter. Texts shorter than a trigram, and
databases where the index could not be made, fall back to the plain filter.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any, TypeVar

from django.db import connections, models

# The fields searched, in one document per event; "\x1f" keeps a match from spanning two fields.
_SQLITE_DOC = (
    "{t}.actor_username || char(31) || {t}.action || char(31) || {t}.target_label || char(31) || "
    "{t}.target_id || char(31) || {t}.request_id || char(31) || coalesce({t}.ip_address, '') || "
    "char(31) || {t}.data"
)
PG_DOC = (
    "(actor_username || chr(31) || action || chr(31) || target_label || chr(31) || target_id || "
    "chr(31) || request_id || chr(31) || coalesce(host(ip_address), '') || chr(31) || data::text)"
)

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS audit_text USING fts5("
    "doc, content='', detail='none', tokenize='trigram')",
]
# Recreated by any later migration that rebuilds the audit table on SQLite (that drops triggers).
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_text_insert AFTER INSERT ON audit_auditevent BEGIN "
    f"INSERT INTO audit_text(rowid, doc) VALUES (new.id, {_SQLITE_DOC.format(t='new')}); END",
    # Contentless FTS5 forgets a row when given the same document back ("delete" command).
    "CREATE TRIGGER IF NOT EXISTS audit_text_delete AFTER DELETE ON audit_auditevent BEGIN "
    "INSERT INTO audit_text(audit_text, rowid, doc) "
    f"VALUES ('delete', old.id, {_SQLITE_DOC.format(t='old')}); END",
]
SQLITE_FILL = (
    "INSERT INTO audit_text(rowid, doc) "
    f"SELECT id, {_SQLITE_DOC.format(t='audit_auditevent')} FROM audit_auditevent"
)
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_text_insert",
    "DROP TRIGGER IF EXISTS audit_text_delete",
    "DROP TABLE IF EXISTS audit_text",
]
PG_INDEX = "audit_text_trgm_idx"
PG_CREATE = (
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON audit_auditevent USING gin ({PG_DOC} gin_trgm_ops)"
)
PG_DROP = f"DROP INDEX IF EXISTS {PG_INDEX}"

TRIGRAM = 3
# Up to this many candidates, the index's answer is used as it is (see `search`).
FEW = 2000


# Any QuerySet of events; the same kind comes back, so callers keep their own methods.
EventsT = TypeVar("EventsT", bound=models.QuerySet[Any])


def text_match(text: str) -> models.Q:
    """What "contains this text" has always meant in the review (the exact semantics)."""
    match = (
        models.Q(actor_username__icontains=text)
        | models.Q(action__icontains=text)
        | models.Q(target_label__icontains=text)
        | models.Q(target_id=text)
        | models.Q(request_id=text)
        | models.Q(data__icontains=text)
    )
    with contextlib.suppress(ValueError):  # not an address: the other fields only
        match |= models.Q(ip_address=str(ipaddress.ip_address(text)))
    return match


def search(queryset: EventsT, text: str) -> EventsT:
    """`queryset` narrowed to events containing `text`, through the index where there is one."""
    exact = queryset.filter(text_match(text))
    if len(text) < TRIGRAM or not has_index(queryset.db):
        return exact
    # Ask the index first, for a bounded number of candidates: a rare text has few, which are
    # filtered and sorted at once; a common one has many, and its newest matches are then
    # found sooner by walking the log from the newest event, as without an index.
    candidates = _candidates(queryset.db, text)
    return exact if candidates is None else exact.filter(pk__in=candidates)


def _candidates(alias: str, text: str) -> list[int] | None:
    """Ids of the events whose document may contain `text`, or None when there are more than
    FEW of them."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        sql = "SELECT rowid FROM audit_text WHERE audit_text MATCH %s LIMIT %s"
        params: list[Any] = [_fts_query(text), FEW + 1]
    else:
        sql = f"SELECT id FROM audit_auditevent WHERE {PG_DOC} ILIKE %s LIMIT %s"
        params = ["%" + connection.ops.prep_for_like_query(text) + "%", FEW + 1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [row[0] for row in cursor.fetchall()]
    return None if len(found) > FEW else found


def _fts_query(text: str) -> str:
    """Trigrams covering the text, each quoted, all required (detail=none has no phrases).

    Side by side rather than overlapping, plus the last one: a third of the work for the
    index, and the candidates stay few (the exact filter decides anyway)."""
    last = len(text) - TRIGRAM
    grams = {text[i : i + TRIGRAM] for i in range(0, last + 1, TRIGRAM)} | {text[last:]}
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in sorted(grams))


_HAS_INDEX: dict[str, bool] = {}


def has_index(alias: str = "default") -> bool:
    """Whether this database has the search index (pg_trgm may be missing or not allowed)."""
    if alias not in _HAS_INDEX:
        connection = connections[alias]
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_text'")
            elif connection.vendor == "postgresql":
                cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            else:
                return False
            _HAS_INDEX[alias] = cursor.fetchone() is not None
    return _HAS_INDEX[alias]


def create_index(schema_editor: Any) -> None:
    """Make the index (migrations). On PostgreSQL without the right to add pg_trgm, the log
    still works, only free text stays slow on a large log."""
    connection = schema_editor.connection
    _HAS_INDEX.pop(connection.alias, None)
    if connection.vendor == "sqlite":
        for statement in [*SQLITE_CREATE, *SQLITE_TRIGGERS]:
            schema_editor.execute(statement)
        schema_editor.execute("DELETE FROM audit_text")
        schema_editor.execute(SQLITE_FILL)
    elif connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return
        schema_editor.execute(PG_CREATE)


def drop_index(schema_editor: Any) -> None:
    connection = schema_editor.connection
    _HAS_INDEX.pop(connection.alias, None)
    if connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
