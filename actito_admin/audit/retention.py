"""Retention: archive, then remove, the oldest events, keeping the hash chain verifiable."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import chain, triggers
from .export import event_record
from .models import PURGE_ACTION, AuditEvent
from .services import record_event


@dataclass
class PurgeResult:
    cutoff: dt.datetime
    count: int
    archive: Path | None
    anchor_hash: str
    dry_run: bool


def archive_dir() -> Path:
    return Path(settings.DATA_DIR) / "audit-archive"


def _purgeable(cutoff: dt.datetime) -> tuple[int | None, int]:
    """(last id to purge, how many): always a prefix of the chain, never a hole in it.

    Removing "everything before the first event we keep" rather than "everything older than the
    cutoff" keeps the chain contiguous even if a clock once went backwards.
    """
    first_kept = (
        AuditEvent.objects.filter(created_at__gte=cutoff)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
        .first()
    )
    older = AuditEvent.objects.all()
    if first_kept is not None:
        older = older.filter(id__lt=first_kept)
    last_id = older.order_by("-id").values_list("id", flat=True).first()
    return last_id, (older.count() if last_id is not None else 0)


def _write_archive(last_id: int, path: Path) -> int:
    """Stream events up to `last_id` to a gzip JSON Lines file; fsync before anything is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    rows = AuditEvent.objects.filter(id__lte=last_id).order_by("id")
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for event in rows.iterator(chunk_size=2000):
            out.write(json.dumps(event_record(event), ensure_ascii=False) + "\n")
            written += 1
    with path.open("rb") as f:
        os.fsync(f.fileno())
    return written


def _raw_delete_through(last_id: int) -> int:
    """Remove the prefix with raw SQL (the ORM refuses), lifting the database guard for it only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger lets DELETE through while this setting is on; SET LOCAL ends with the
            # transaction, and we switch it off at once in case we are inside a longer one.
            cursor.execute("SET LOCAL actito_admin.audit_purge = 'on'")
            cursor.execute("DELETE FROM audit_auditevent WHERE id <= %s", [last_id])
            deleted = cursor.rowcount
            cursor.execute("SELECT set_config('actito_admin.audit_purge', 'off', true)")
        else:
            # SQLite has no session settings: drop the guard and recreate it in the same
            # transaction. Other connections never see it missing (DDL is transactional and
            # our IMMEDIATE transaction holds the write lock).
            cursor.execute(triggers.SQLITE_DROP_NO_DELETE)
            cursor.execute("DELETE FROM audit_auditevent WHERE id <= %s", [last_id])
            deleted = cursor.rowcount
            cursor.execute(triggers.SQLITE_NO_DELETE)
    return deleted


def audit_purge(*, days: int | None = None, dry_run: bool = False) -> PurgeResult:
    """Archive and remove events older than `days` (default settings.AUDIT_RETENTION_DAYS)."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    if days < 0:
        raise ValueError("days must be zero or more")
    cutoff = timezone.now() - dt.timedelta(days=days)
    last_id, count = _purgeable(cutoff)
    if last_id is None or dry_run:
        return PurgeResult(cutoff, count, None, "", dry_run)

    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    archive = archive_dir() / f"audit-{stamp}-through-{last_id}.jsonl.gz"
    # Written outside the transaction: old events never change, and a long IMMEDIATE transaction
    # would hold every writer (logins included) for as long as the archive takes.
    archived = _write_archive(last_id, archive)
    try:
        with transaction.atomic():
            chain.append_lock()
            anchor = AuditEvent.objects.filter(id=last_id).values_list("hash", flat=True).get()
            # The purge event is appended *before* the delete, so it links to the full chain and
            # always survives the purge; verification reads the anchor from it.
            record_event(
                actor=None,
                actor_username="",
                action=PURGE_ACTION,
                data={
                    "count": archived,
                    "retention_days": days,
                    "cutoff": cutoff.isoformat(),
                    "archive": archive.name,
                    "last_purged_id": last_id,
                    "anchor_hash": anchor,
                },
            )
            deleted = _raw_delete_through(last_id)
            if deleted != archived:
                raise RuntimeError(f"archived {archived} events but {deleted} matched the delete")
    except BaseException:
        archive.unlink(missing_ok=True)  # nothing was removed, so the archive is not needed
        raise
    return PurgeResult(cutoff, deleted, archive, anchor, False)
