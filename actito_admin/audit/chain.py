"""Hash chain over the audit log: each event's hash covers its fields and the previous hash.

The chain order is the primary key. record_event serialises appends (see `append_lock`), so ids
are handed out in the same order as the hashes are linked, and two writers can never both link to
the same predecessor.

The canonical form is computed from values *as the database gives them back*, so that a row read
later (by `audit_verify`, on SQLite or PostgreSQL) hashes to the same value it was written with:
- `data` is JSON: keys sorted, no whitespace, non-ASCII kept (json.dumps(sort_keys=True, …));
- `created_at` is ISO 8601 in UTC with microseconds ("2026-01-02T03:04:05.000006Z");
- `ip_address` is re-parsed, so PostgreSQL's `inet` spelling and ours agree.
The id is deliberately not hashed: it is only known after the INSERT, and rows never change.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

# Fields covered by the hash, in a fixed order. Changing this list breaks every existing chain.
HASHED_FIELDS = (
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "data",
    "outcome",
    "ip_address",
    "user_agent",
    "request_id",
    "prev_hash",
)
GENESIS = ""  # prev_hash of the very first event ever recorded
# pg_advisory_xact_lock key for appends: any constant shared by every writer ("audi" in ASCII).
ADVISORY_LOCK_KEY = 0x61756469


def canonical_time(value: dt.datetime | str) -> str:
    if isinstance(value, str):  # raw SQLite reads: naive UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]"
        if len(value) == 26 and value[10] == " ":
            return value.replace(" ", "T") + "Z"  # fast path: verification reads a million
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@functools.lru_cache(maxsize=65536)
def canonical_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def canonical_data(value: Any) -> Any:
    """`data` as it will be read back from a JSON column (tuples become lists, and so on)."""
    if isinstance(value, str):  # raw reads of a text JSON column
        return json.loads(value)
    return json.loads(json.dumps(value))


def canonical_json(fields: dict[str, Any]) -> str:
    actor_id = fields["actor_id"]
    ordered = {
        "action": fields["action"] or "",
        "actor_id": int(actor_id) if actor_id is not None else None,
        "actor_username": fields["actor_username"] or "",
        "created_at": canonical_time(fields["created_at"]),
        "data": canonical_data(fields["data"]),
        "ip_address": canonical_ip(fields["ip_address"]),
        "outcome": fields["outcome"] or "",
        "prev_hash": fields["prev_hash"] or "",
        "request_id": fields["request_id"] or "",
        "target_id": fields["target_id"] or "",
        "target_label": fields["target_label"] or "",
        "target_type": fields["target_type"] or "",
        "user_agent": fields["user_agent"] or "",
    }
    return json.dumps(ordered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def append_lock() -> None:
    """Serialise appends for the current transaction (call inside transaction.atomic()).

    PostgreSQL: a transaction-level advisory lock, released at COMMIT/ROLLBACK, so the next writer
    reads the last hash only after ours is visible. SQLite: settings open every transaction with
    BEGIN IMMEDIATE, which already holds the database's single write lock, so nothing to do.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def last_hash() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return row[0] if row else GENESIS


@dataclass
class Break:
    event_id: int
    created_at: str
    problem: str

    def __str__(self) -> str:
        return f"event #{self.event_id} ({self.created_at}): {self.problem}"


@dataclass
class VerifyResult:
    checked: int
    anchor: str
    first_id: int | None
    last_id: int | None
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(chunk_size: int) -> Iterator[tuple[int, dict[str, Any], str]]:
    """Every event in chain order, as (id, hashed fields, stored hash), a chunk at a time.

    Raw SQL rather than the ORM: at a million rows the ORM's per-value converters cost more than
    the hashing. Keyset on id rather than one long cursor: constant memory on both databases and
    no long-running read transaction holding back VACUUM on PostgreSQL.
    """
    columns = ", ".join(("id", *HASHED_FIELDS, "hash"))
    sql = f"SELECT {columns} FROM audit_auditevent WHERE id > %s ORDER BY id LIMIT %s"
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [after, chunk_size])
            chunk = cursor.fetchall()
        if not chunk:
            return
        for row in chunk:
            yield row[0], dict(zip(HASHED_FIELDS, row[1:-1], strict=True)), row[-1]
        after = chunk[-1][0]


def current_anchor() -> str:
    """The hash the oldest remaining event must link to: genesis, or the last purge's anchor."""
    from .models import PURGE_ACTION, AuditEvent

    purge = (
        AuditEvent.objects.filter(action=PURGE_ACTION).order_by("-id").values_list("data").first()
    )
    if purge is None:
        return GENESIS
    return str(purge[0].get("anchor_hash", GENESIS))


def verify_chain(*, chunk_size: int = 5000) -> VerifyResult:
    """Recompute every hash and link; stop at the first broken one."""
    anchor = current_anchor()
    expected_prev = anchor
    checked = 0
    first_id = last_id = None
    for event_id, fields, stored in _rows(chunk_size):
        if first_id is None:
            first_id = event_id
        when = canonical_time(fields["created_at"])
        if fields["prev_hash"] != expected_prev:
            problem = (
                f"it links to {fields['prev_hash'][:16] or '(nothing)'}…, but the event before it "
                f"has hash {expected_prev[:16] or '(none: start of the log)'}… — an event before "
                "it was removed, inserted or edited"
            )
            if checked == 0:
                problem = (
                    f"the oldest remaining event links to {fields['prev_hash'][:16]}…, but the "
                    f"recorded anchor is {expected_prev[:16] or '(start of the log)'}… — events "
                    "were removed without a purge"
                )
            return VerifyResult(checked, anchor, first_id, last_id, Break(event_id, when, problem))
        recomputed = event_hash(fields)
        if recomputed != stored:
            problem = (
                f"its stored hash {stored[:16]}… does not match its content (recomputed "
                f"{recomputed[:16]}…) — the row was edited after it was written"
            )
            return VerifyResult(checked, anchor, first_id, last_id, Break(event_id, when, problem))
        expected_prev = stored
        checked += 1
        last_id = event_id
    return VerifyResult(checked, anchor, first_id, last_id, None)
