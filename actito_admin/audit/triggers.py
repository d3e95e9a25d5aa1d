"""SQL for the database-level append-only guard, shared by migrations and the retention purge."""

SQLITE_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS audit_event_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END;"""
SQLITE_NO_DELETE = """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete
    BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END;"""
SQLITE_DROP_NO_UPDATE = "DROP TRIGGER IF EXISTS audit_event_no_update;"
SQLITE_DROP_NO_DELETE = "DROP TRIGGER IF EXISTS audit_event_no_delete;"
