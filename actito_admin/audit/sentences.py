"""Plain-language sentences for audit events, and links to what they are about.

One function per action, registered with `@sentence("action")`. Each reads the event's columns and
a few documented keys of `event.data`; every key is optional (older events, failed steps), so a
missing one falls back to the target label or a generic noun. Actions without a sentence get a
readable fallback ("Anna: import.rolled_back on import 12").

Keys of `data` the sentences use (services recording these actions should provide them):

| action                         | data keys                                                  |
|--------------------------------|------------------------------------------------------------|
| auth.login_failed, locked_out  | username                                                   |
| connection.updated             | changed (list of setting names; never values)              |
| connection.tested              | error (on failure)                                         |
| scenario.trigger.*             | scenario_id (ACTITO's; filter), scenario_name, table,      |
|                                | profile_label (e.g. the e-mail address),                   |
|                                | error (failed/cancelled), interactionBusinessKey,          |
|                                | executionId, task_id (shown on the detail page)            |
| import.*                       | file_name, table_name (filter), row_count, rows_valid,     |
|                                | rows_invalid, rows_created, rows_updated, error,           |
|                                | file_kind ("original", "errors", "report"), task_id        |
| import.template_*              | table_name, changed_columns (column names), created        |
| audit.exported                 | format ("csv" or "jsonl"), filters (the query string)      |
| audit.purged                   | count, retention_days, cutoff, archive, anchor_hash        |

Keys marked "filter" are also copied by record_event into AuditEvent.scenario_ref and table_ref
(any action may carry them; `table` stands in for `table_name`), which the Scenario and Table
target filters search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime

if TYPE_CHECKING:
    from .models import AuditEvent

Describe = Callable[["AuditEvent"], str]
SENTENCES: dict[str, Describe] = {}

# Where a target can be opened, by target_type: a URL name reversed with the target id. A type
# whose app has not shipped yet (or whose URL does not reverse) is shown as plain text.
TARGET_URL_NAMES: dict[str, str] = {
    "auth.user": "admin:auth_user_change",
    "scenarios.triggerrun": "scenarios:run",
    "scenarios.scenario": "scenarios:detail",
    "imports.importjob": "imports:detail",
}
# Target types offered in the filter form (free text is accepted too). Scenario and Table match
# the events about one (AuditEvent.scenario_ref / table_ref), not a target column.
KNOWN_TARGET_TYPES = {
    "scenarios.scenario": "Scenario (its ACTITO id)",
    "scenarios.triggerrun": "Trigger run",
    "actito.table": "Table (its name or ACTITO id)",
    "imports.importjob": "Import",
    "auth.user": "User",
    "actito.connection": "ACTITO connection",
}


def sentence(action: str) -> Callable[[Describe], Describe]:
    def register(func: Describe) -> Describe:
        SENTENCES[action] = func
        return func

    return register


def describe(event: AuditEvent) -> str:
    func = SENTENCES.get(event.action, _fallback)
    text = func(event)
    # A username is shown exactly as it is; any other first word starts with a capital.
    if event.actor_username and text.startswith(event.actor_username):
        return text
    return text[:1].upper() + text[1:]


def known_actions() -> list[str]:
    return sorted(SENTENCES)


def target_url(event: AuditEvent) -> str | None:
    name = TARGET_URL_NAMES.get(event.target_type)
    if not name or not event.target_id:
        return None
    try:
        return reverse(name, args=[event.target_id])
    except NoReverseMatch:
        return None


# --- helpers ------------------------------------------------------------------------------------


def _who(event: AuditEvent) -> str:
    return event.actor_username or "the system"


def _d(event: AuditEvent, key: str, default: str = "") -> str:
    value = event.data.get(key) if isinstance(event.data, dict) else None
    return default if value in (None, "") else str(value)


def _quoted(value: str) -> str:
    return f"«{value}»"


def _scenario(event: AuditEvent) -> str:
    name = _d(event, "scenario_name") or (
        event.target_label if event.target_type == "scenarios.scenario" else ""
    )
    return _quoted(name) if name else "a scenario"


def _profile(event: AuditEvent) -> str:
    return _d(event, "profile_label", "a profile")


def _file(event: AuditEvent) -> str:
    name = _d(event, "file_name") or (
        event.target_label if event.target_type == "imports.importjob" else ""
    )
    return _quoted(name) if name else "a file"


def _table(event: AuditEvent) -> str:
    name = _d(event, "table_name")
    return f" into table {_quoted(name)}" if name else ""


def _because(event: AuditEvent) -> str:
    error = _d(event, "error")
    return f": {error}" if error else ""


def _fallback(event: AuditEvent) -> str:
    text = f"{_who(event)}: {event.action}"
    if event.target_label or event.target_id:
        text += f" on {event.target_label or f'{event.target_type} {event.target_id}'}"
    return text


# --- auth ---------------------------------------------------------------------------------------


@sentence("auth.login")
def _login(event: AuditEvent) -> str:
    return f"{_who(event)} logged in"


@sentence("auth.logout")
def _logout(event: AuditEvent) -> str:
    return f"{_who(event)} logged out"


@sentence("auth.login_failed")
def _login_failed(event: AuditEvent) -> str:
    return f"failed log-in as {_quoted(_d(event, 'username', event.actor_username or '?'))}"


@sentence("auth.locked_out")
def _locked_out(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.actor_username or "?"))
    return f"{name} was locked out after too many failed log-ins"


# --- users and roles ----------------------------------------------------------------------------


@sentence("accounts.role_changed")
def _role_changed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    before, after = _d(event, "from", "no role"), _d(event, "to", "no role")
    return f"{_who(event)} changed the role of {name} from {before} to {after}"


@sentence("accounts.unlocked")
def _unlocked(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    return f"{_who(event)} unlocked {name} after too many failed log-ins"


@sentence("accounts.privileges_changed")
def _privileges_changed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    data = event.data if isinstance(event.data, dict) else {}
    parts = []
    for key, what in (("superuser", "superuser"), ("staff", "staff")):
        if key in data and bool(data.get(key)) != bool(data.get(f"was_{key}")):
            parts.append(f"{'became' if data.get(key) else 'is no longer'} {what}")
    return f"{name} {' and '.join(parts) or 'had its privileges changed'} (outside the console)"


# --- connection ---------------------------------------------------------------------------------


@sentence("connection.updated")
def _connection_updated(event: AuditEvent) -> str:
    changed = event.data.get("changed") if isinstance(event.data, dict) else None
    detail = f" ({', '.join(map(str, changed))})" if isinstance(changed, list) and changed else ""
    return f"{_who(event)} changed the ACTITO connection settings{detail}"


@sentence("connection.tested")
def _connection_tested(event: AuditEvent) -> str:
    if event.outcome == "success":
        return f"{_who(event)} tested the ACTITO connection: it works"
    return f"{_who(event)} tested the ACTITO connection: it failed{_because(event)}"


# --- scenarios ----------------------------------------------------------------------------------


@sentence("scenario.trigger.requested")
def _trigger_requested(event: AuditEvent) -> str:
    return f"{_who(event)} asked to start {_scenario(event)} for {_profile(event)}"


@sentence("scenario.trigger.performed")
def _trigger_performed(event: AuditEvent) -> str:
    if event.outcome == "success":
        return f"{_who(event)} started {_scenario(event)} for {_profile(event)}"
    return (
        f"starting {_scenario(event)} for {_profile(event)} "
        f"({_who(event)}) did not succeed{_because(event)}"
    )


@sentence("scenario.trigger.cancelled")
def _trigger_cancelled(event: AuditEvent) -> str:
    return f"{_who(event)} cancelled starting {_scenario(event)} for {_profile(event)}"


@sentence("scenario.trigger.retried")
def _trigger_retried(event: AuditEvent) -> str:
    return f"{_who(event)} retried starting {_scenario(event)} for {_profile(event)}"


# --- imports ------------------------------------------------------------------------------------


@sentence("import.uploaded")
def _import_uploaded(event: AuditEvent) -> str:
    return f"{_who(event)} uploaded {_file(event)}{_table(event)}"


@sentence("import.validated")
def _import_validated(event: AuditEvent) -> str:
    valid, invalid = _d(event, "rows_valid"), _d(event, "rows_invalid")
    counts = f": {valid} valid rows, {invalid or 0} with errors" if valid else ""
    return f"{_file(event)} was checked{counts}"


@sentence("import.submitted")
def _import_submitted(event: AuditEvent) -> str:
    rows = _d(event, "row_count")
    return f"{_who(event)} imported {_file(event)}{_table(event)}" + (
        f" ({rows} rows)" if rows else ""
    )


@sentence("import.finished")
def _import_finished(event: AuditEvent) -> str:
    created, updated = _d(event, "rows_created"), _d(event, "rows_updated")
    counts = f": {created or 0} created, {updated or 0} updated" if created or updated else ""
    return f"import of {_file(event)}{_table(event)} finished{counts}"


@sentence("import.failed")
def _import_failed(event: AuditEvent) -> str:
    return f"import of {_file(event)}{_table(event)} failed{_because(event)}"


@sentence("import.file_downloaded")
def _import_file_downloaded(event: AuditEvent) -> str:
    kind = _d(event, "file_kind")
    what = f"the {kind} file" if kind else "the file"
    return f"{_who(event)} downloaded {what} of import {_file(event)}"


def _mapping(event: AuditEvent) -> str:
    table = _d(event, "table_name")
    return f"the saved mapping for table {_quoted(table)}" if table else "a saved mapping"


@sentence("import.template_saved")
def _template_saved(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("created") is True:
        table = _d(event, "table_name")
        what = f"a mapping for table {_quoted(table)}" if table else "a mapping"
        return f"{_who(event)} saved {what} while checking a file"
    return f"{_who(event)} updated {_mapping(event)} while checking a file"


@sentence("import.template_updated")
def _template_updated(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    changed = data.get("changed_columns")
    detail = (
        f" (columns {', '.join(map(str, changed))})"
        if changed and isinstance(changed, list)
        else ""
    )
    return f"{_who(event)} changed {_mapping(event)}{detail}"


@sentence("import.template_deleted")
def _template_deleted(event: AuditEvent) -> str:
    return f"{_who(event)} forgot {_mapping(event)}"


# --- audit --------------------------------------------------------------------------------------


@sentence("audit.exported")
def _audit_exported(event: AuditEvent) -> str:
    fmt = _d(event, "format", "a file").upper()
    filtered = " (filtered)" if _d(event, "filters") else ""
    return f"{_who(event)} exported the audit log as {fmt}{filtered}"


@sentence("audit.purged")
def _audit_purged(event: AuditEvent) -> str:
    cutoff = parse_datetime(_d(event, "cutoff"))
    before = f" older than {date_format(localtime(cutoff), 'j M Y')}" if cutoff else ""
    count: Any = _d(event, "count", "?")
    return f"{_who(event)} archived and removed {count} events{before}"
