"""Plain sentences for the saved-mapping actions, registered with the audit log's `@sentence`.

They live with the imports app (loaded by ImportsConfig.ready) so that the app owning an action
also words it; audit/sentences.py holds the rest. Keys read from `event.data`, all optional:
table_name, changed_columns (column names whose target or options changed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actito_admin.audit.sentences import sentence

if TYPE_CHECKING:
    from actito_admin.audit.models import AuditEvent


def _mapping(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    table = data.get("table_name")
    return f"the saved mapping for table «{table}»" if table else "a saved mapping"


@sentence("import.template_updated")
def _template_updated(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    changed = data.get("changed_columns")
    detail = (
        f" (columns {', '.join(map(str, changed))})"
        if changed and isinstance(changed, list)
        else ""
    )
    return f"{event.actor_username or 'the system'} changed {_mapping(event)}{detail}"


@sentence("import.template_deleted")
def _template_deleted(event: AuditEvent) -> str:
    return f"{event.actor_username or 'the system'} forgot {_mapping(event)}"


@sentence("import.template_saved")
def _template_saved(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    who = event.actor_username or "the system"
    if data.get("created"):
        table = data.get("table_name")
        what = f"a mapping for table «{table}»" if table else "a mapping"
        return f"{who} saved {what} while checking a file"
    return f"{who} updated {_mapping(event)} while checking a file"
