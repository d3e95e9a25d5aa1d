"""Every action the audit log records: the names used to record an event and to describe it.

`record_event` refuses a name that is not here, and tests/audit/test_sentences.py checks that
each one has a sentence, so a new kind of event cannot reach the log without reading well.
Recorded names never change (the log keeps them for years); add new ones, do not rename.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOCKED_OUT = "auth.locked_out"

    ROLE_CHANGED = "accounts.role_changed"
    PRIVILEGES_CHANGED = "accounts.privileges_changed"
    UNLOCKED = "accounts.unlocked"
    SETTINGS_CHANGED = "accounts.settings_changed"

    CONNECTION_UPDATED = "connection.updated"
    CONNECTION_TEST_REQUESTED = "connection.test_requested"
    CONNECTION_TESTED = "connection.tested"

    TRIGGER_REQUESTED = "scenario.trigger.requested"
    TRIGGER_PERFORMED = "scenario.trigger.performed"
    TRIGGER_CANCELLED = "scenario.trigger.cancelled"
    TRIGGER_RETRIED = "scenario.trigger.retried"
    TRIGGER_PAUSED = "scenario.trigger.paused"
    TRIGGER_RESUMED = "scenario.trigger.resumed"

    IMPORT_UPLOADED = "import.uploaded"
    IMPORT_VALIDATED = "import.validated"
    IMPORT_SUBMITTED = "import.submitted"
    IMPORT_FINISHED = "import.finished"
    IMPORT_REFUSED = "import.refused"
    IMPORT_FAILED = "import.failed"
    IMPORT_FILE_DOWNLOADED = "import.file_downloaded"
    IMPORT_TEMPLATE_SAVED = "import.template_saved"
    IMPORT_TEMPLATE_UPDATED = "import.template_updated"
    IMPORT_TEMPLATE_DELETED = "import.template_deleted"

    ECDP_BUSINESS_UNIT_CREATED = "ecdp.business_unit.created"
    ECDP_BUSINESS_UNIT_CHANGED = "ecdp.business_unit.changed"
    ECDP_CATALOGUE_FILLED = "ecdp.catalogue.filled"
    ECDP_EVENT_CREATED = "ecdp.event.created"
    ECDP_EVENT_CHANGED = "ecdp.event.changed"
    ECDP_EVENT_DELETED = "ecdp.event.deleted"
    ECDP_SEGMENT_CREATED = "ecdp.segment.created"
    ECDP_SEGMENT_CHANGED = "ecdp.segment.changed"
    ECDP_SEGMENT_DELETED = "ecdp.segment.deleted"

    AUDIT_EXPORTED = "audit.exported"
    AUDIT_PURGED = "audit.purged"


def action_named(name: str) -> Action:
    """The Action recorded under `name`; a clear error for a name nobody declared."""
    try:
        return Action(name)
    except ValueError:
        raise ValueError(
            f"Unknown audit action {name!r}: declare it in actito_admin/audit/actions.py "
            "and give it a sentence in audit/sentences.py."
        ) from None
