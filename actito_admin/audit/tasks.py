"""Background work for the audit log (django-q2)."""

from __future__ import annotations

from .retention import audit_purge


def audit_purge_daily() -> str:
    """Scheduled daily by migration 0004; the retention period comes from settings."""
    result = audit_purge()
    into = f" into {result.archive.name}" if result.archive else ""
    return f"purged {result.count} events{into}"
