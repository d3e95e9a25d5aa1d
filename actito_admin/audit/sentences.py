"""Plain-language sentences for audit events, and links to what they are about.

One function per action (audit/actions.py), registered with `@sentence(Action.X)`. Each reads
the event's columns and a few documented keys of `event.data`; every key is optional (older
events, failed steps), so a missing one falls back to the target label or a generic noun. Every
declared Action has a sentence (tested); names found only in old logs get a readable fallback
("Anna: import.rolled_back on import 12").

Keys of `data` the sentences use (services recording these actions should provide them):

| action                         | data keys                                                  |
|--------------------------------|------------------------------------------------------------|
| auth.login_failed, locked_out  | username                                                   |
| connection.updated             | changed (list of setting names; never values)              |
| connection.tested              | error (on failure), summary                                |
| scenario.trigger.paused/resumed| scenario_name, not_sent (items not sent yet)               |
| ecdp.*                         | business_unit, changed, events, segments, event_label,     |
|                                | segment_label                                              |
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
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime

from .actions import Action
from .models import AuditEvent

Describe = Callable[[AuditEvent], str]
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


def sentence(action: Action) -> Callable[[Describe], Describe]:
    def register(func: Describe) -> Describe:
        SENTENCES[action] = func
        return func

    return register


def describe(event: AuditEvent) -> str:
    # Older logs may hold names no longer declared; they still read, through the fallback.
    func = SENTENCES.get(event.action, _fallback)
    text = func(event)
    # A username is shown exactly as it is; any other first word starts with a capital.
    if event.actor_username and text.startswith(event.actor_username):
        return text
    return text[:1].upper() + text[1:]


def known_actions() -> list[str]:
    return sorted(action.value for action in Action)


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


@sentence(Action.AUTH_LOGIN)
def _login(event: AuditEvent) -> str:
    return f"{_who(event)} logged in"


@sentence(Action.AUTH_LOGOUT)
def _logout(event: AuditEvent) -> str:
    return f"{_who(event)} logged out"


@sentence(Action.AUTH_LOGIN_FAILED)
def _login_failed(event: AuditEvent) -> str:
    return f"failed log-in as {_quoted(_d(event, 'username', event.actor_username or '?'))}"


@sentence(Action.SETTINGS_CHANGED)
def _settings_changed(event: AuditEvent) -> str:
    names = event.data.get("changed") if isinstance(event.data, dict) else None
    words = {"email": "e-mail address", "email_when_done": "e-mail when work ends"}
    changed = ", ".join(words.get(n, str(n)) for n in names or []) or "nothing"
    return f"{_who(event)} changed their own settings ({changed})"


@sentence(Action.AUTH_LOCKED_OUT)
def _locked_out(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.actor_username or "?"))
    return f"{name} was locked out after too many failed log-ins"


# --- users and roles ----------------------------------------------------------------------------


@sentence(Action.ROLE_CHANGED)
def _role_changed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    before, after = _d(event, "from", "no role"), _d(event, "to", "no role")
    return f"{_who(event)} changed the role of {name} from {before} to {after}"


@sentence(Action.UNLOCKED)
def _unlocked(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    return f"{_who(event)} unlocked {name} after too many failed log-ins"


@sentence(Action.PRIVILEGES_CHANGED)
def _privileges_changed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    data = event.data if isinstance(event.data, dict) else {}
    parts = []
    for key, what in (("superuser", "superuser"), ("staff", "staff")):
        if key in data and bool(data.get(key)) != bool(data.get(f"was_{key}")):
            parts.append(f"{'became' if data.get(key) else 'is no longer'} {what}")
    return f"{name} {' and '.join(parts) or 'had its privileges changed'} (outside the console)"


# --- connection ---------------------------------------------------------------------------------


@sentence(Action.CONNECTION_UPDATED)
def _connection_updated(event: AuditEvent) -> str:
    changed = event.data.get("changed") if isinstance(event.data, dict) else None
    detail = f" ({', '.join(map(str, changed))})" if isinstance(changed, list) and changed else ""
    return f"{_who(event)} changed the ACTITO connection settings{detail}"


@sentence(Action.CONNECTION_TEST_REQUESTED)
def _connection_test_requested(event: AuditEvent) -> str:
    return f"{_who(event)} asked to test the ACTITO connection"


@sentence(Action.CONNECTION_TESTED)
def _connection_tested(event: AuditEvent) -> str:
    if event.outcome == "success":
        return f"{_who(event)} tested the ACTITO connection: it works"
    return f"{_who(event)} tested the ACTITO connection: it failed{_because(event)}"


# --- scenarios ----------------------------------------------------------------------------------


@sentence(Action.TRIGGER_REQUESTED)
def _trigger_requested(event: AuditEvent) -> str:
    return f"{_who(event)} asked to start {_scenario(event)} for {_profile(event)}"


@sentence(Action.TRIGGER_PERFORMED)
def _trigger_performed(event: AuditEvent) -> str:
    if event.outcome == "partial":
        data = event.data if isinstance(event.data, dict) else {}
        done = int(data.get("succeeded") or 0)
        total = done + sum(int(data.get(k) or 0) for k in ("failed", "unknown", "cancelled"))
        rest = ", ".join(
            f"{data[k]} {word}"
            for k, word in (("failed", "failed"), ("unknown", "outcome unknown"))
            if data.get(k)
        )
        return f"{_who(event)} started {_scenario(event)} for {done} of {total} profiles ({rest})"
    if event.outcome == "success":
        return f"{_who(event)} started {_scenario(event)} for {_profile(event)}"
    return (
        f"starting {_scenario(event)} for {_profile(event)} "
        f"({_who(event)}) did not succeed{_because(event)}"
    )


@sentence(Action.TRIGGER_CANCELLED)
def _trigger_cancelled(event: AuditEvent) -> str:
    return f"{_who(event)} cancelled starting {_scenario(event)} for {_profile(event)}"


@sentence(Action.TRIGGER_RETRIED)
def _trigger_retried(event: AuditEvent) -> str:
    return f"{_who(event)} retried starting {_scenario(event)} for {_profile(event)}"


def _left(event: AuditEvent) -> str:
    left = _d(event, "not_sent")
    return f" ({left} not sent yet)" if left else ""


@sentence(Action.TRIGGER_PAUSED)
def _trigger_paused(event: AuditEvent) -> str:
    return f"{_who(event)} paused starting {_scenario(event)} for a list{_left(event)}"


@sentence(Action.TRIGGER_RESUMED)
def _trigger_resumed(event: AuditEvent) -> str:
    return f"{_who(event)} resumed starting {_scenario(event)} for a list{_left(event)}"


# --- imports ------------------------------------------------------------------------------------


@sentence(Action.IMPORT_UPLOADED)
def _import_uploaded(event: AuditEvent) -> str:
    return f"{_who(event)} uploaded {_file(event)}{_table(event)}"


@sentence(Action.IMPORT_VALIDATED)
def _import_validated(event: AuditEvent) -> str:
    valid, invalid = _d(event, "rows_valid"), _d(event, "rows_invalid")
    counts = f": {valid} valid rows, {invalid or 0} with errors" if valid else ""
    return f"{_file(event)} was checked{counts}"


@sentence(Action.IMPORT_SUBMITTED)
def _import_submitted(event: AuditEvent) -> str:
    rows = _d(event, "row_count")
    return f"{_who(event)} imported {_file(event)}{_table(event)}" + (
        f" ({rows} rows)" if rows else ""
    )


@sentence(Action.IMPORT_FINISHED)
def _import_finished(event: AuditEvent) -> str:
    created, updated = _d(event, "rows_created"), _d(event, "rows_updated")
    refused, read = _d(event, "rows_refused"), _d(event, "rows_read")
    counts = f": {created or 0} created, {updated or 0} updated" if created or updated else ""
    if refused:
        of = f" of {read}" if read else ""
        return (
            f"import of {_file(event)}{_table(event)} partly refused{counts}, {refused}{of} refused"
        )
    return f"import of {_file(event)}{_table(event)} finished{counts}"


@sentence(Action.IMPORT_REFUSED)
def _import_refused(event: AuditEvent) -> str:
    refused = _d(event, "rows_refused")
    rows = f" (all {refused} rows)" if refused else ""
    return f"ACTITO refused every row of {_file(event)}{_table(event)}{rows}: nothing was imported"


@sentence(Action.IMPORT_FAILED)
def _import_failed(event: AuditEvent) -> str:
    return f"import of {_file(event)}{_table(event)} failed{_because(event)}"


@sentence(Action.IMPORT_FILE_DOWNLOADED)
def _import_file_downloaded(event: AuditEvent) -> str:
    kind = _d(event, "file_kind")
    what = f"the {kind} file" if kind else "the file"
    return f"{_who(event)} downloaded {what} of import {_file(event)}"


def _mapping(event: AuditEvent) -> str:
    table = _d(event, "table_name")
    return f"the saved mapping for table {_quoted(table)}" if table else "a saved mapping"


@sentence(Action.IMPORT_TEMPLATE_SAVED)
def _template_saved(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("created") is True:
        table = _d(event, "table_name")
        what = f"a mapping for table {_quoted(table)}" if table else "a mapping"
        return f"{_who(event)} saved {what} while checking a file"
    return f"{_who(event)} updated {_mapping(event)} while checking a file"


@sentence(Action.IMPORT_TEMPLATE_UPDATED)
def _template_updated(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    changed = data.get("changed_columns")
    detail = (
        f" (columns {', '.join(map(str, changed))})"
        if changed and isinstance(changed, list)
        else ""
    )
    return f"{_who(event)} changed {_mapping(event)}{detail}"


@sentence(Action.IMPORT_TEMPLATE_DELETED)
def _template_deleted(event: AuditEvent) -> str:
    return f"{_who(event)} forgot {_mapping(event)}"


# --- ExpertSender CDP ---------------------------------------------------------------------------


def _unit(event: AuditEvent) -> str:
    name = _d(event, "business_unit") or event.target_label
    return f"business unit {_quoted(name)}" if name else "a business unit"


@sentence(Action.ECDP_BUSINESS_UNIT_CREATED)
def _ecdp_unit_created(event: AuditEvent) -> str:
    return f"{_who(event)} added ExpertSender CDP {_unit(event)}"


@sentence(Action.ECDP_BUSINESS_UNIT_CHANGED)
def _ecdp_unit_changed(event: AuditEvent) -> str:
    changed = event.data.get("changed") if isinstance(event.data, dict) else None
    detail = f" ({', '.join(map(str, changed))})" if isinstance(changed, list) and changed else ""
    return f"{_who(event)} changed ExpertSender CDP {_unit(event)}{detail}"


@sentence(Action.ECDP_CATALOGUE_FILLED)
def _ecdp_catalogue_filled(event: AuditEvent) -> str:
    events, segments = _d(event, "events", "0"), _d(event, "segments", "0")
    return (
        f"{_who(event)} filled the catalogue of {_unit(event)}: "
        f"{events} custom events, {segments} segments"
    )


def _catalogue_item(event: AuditEvent, kind: str) -> str:
    name = _d(event, f"{kind}_label") or event.target_label
    what = "custom event" if kind == "event" else "segment"
    return f"{what} {_quoted(name)}" if name else f"a {what}"


def _catalogue_sentence(kind: str, verb: str) -> Describe:
    def describe_item(event: AuditEvent) -> str:
        return f"{_who(event)} {verb} {_catalogue_item(event, kind)} of {_unit(event)}"

    return describe_item


for _kind, _verb, _action in (
    ("event", "added", Action.ECDP_EVENT_CREATED),
    ("event", "changed", Action.ECDP_EVENT_CHANGED),
    ("event", "removed", Action.ECDP_EVENT_DELETED),
    ("segment", "added", Action.ECDP_SEGMENT_CREATED),
    ("segment", "changed", Action.ECDP_SEGMENT_CHANGED),
    ("segment", "removed", Action.ECDP_SEGMENT_DELETED),
):
    sentence(_action)(_catalogue_sentence(_kind, _verb))


# --- audit --------------------------------------------------------------------------------------


@sentence(Action.AUDIT_EXPORTED)
def _audit_exported(event: AuditEvent) -> str:
    fmt = _d(event, "format", "a file").upper()
    filtered = " (filtered)" if _d(event, "filters") else ""
    return f"{_who(event)} exported the audit log as {fmt}{filtered}"


@sentence(Action.AUDIT_PURGED)
def _audit_purged(event: AuditEvent) -> str:
    cutoff = parse_datetime(_d(event, "cutoff"))
    before = f" older than {date_format(localtime(cutoff), 'j M Y')}" if cutoff else ""
    count: Any = _d(event, "count", "?")
    return f"{_who(event)} archived and removed {count} events{before}"
