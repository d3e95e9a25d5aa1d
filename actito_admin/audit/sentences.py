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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

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
    "scenarios.scenario": gettext_lazy("Scenario (its ACTITO id)"),
    "scenarios.triggerrun": gettext_lazy("Trigger run"),
    "actito.table": gettext_lazy("Table (its name or ACTITO id)"),
    "imports.importjob": gettext_lazy("Import"),
    "auth.user": gettext_lazy("User"),
    "actito.connection": gettext_lazy("ACTITO connection"),
}


def sentence(action: Action) -> Callable[[Describe], Describe]:
    def register(func: Describe) -> Describe:
        SENTENCES[action] = func
        return func

    return register


def describe(event: AuditEvent) -> str:
    """The event as a sentence in the reader's language (the active one); the stored fields
    (action, data) stay as they were recorded."""
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
# Each helper gives a whole noun phrase ("a scenario", "«Welcome»", "«c.csv» into table «T»") that
# the sentences place with a named placeholder, so translators can move it.


def _who(event: AuditEvent) -> str:
    # Translators: the subject of an audit sentence when no person did it ("The system archived …").
    return event.actor_username or _("the system")


def _d(event: AuditEvent, key: str, default: str = "") -> str:
    value = event.data.get(key) if isinstance(event.data, dict) else None
    return default if value in (None, "") else str(value)


def _n(value: str) -> int:
    """A recorded count as a number, to choose a plural form ("?" or junk counts as many)."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 2


def _quoted(value: str) -> str:
    return f"«{value}»"


def _scenario(event: AuditEvent) -> str:
    name = _d(event, "scenario_name") or (
        event.target_label if event.target_type == "scenarios.scenario" else ""
    )
    return _quoted(name) if name else _("a scenario")


def _profile(event: AuditEvent) -> str:
    return _d(event, "profile_label") or _("a profile")


def _file(event: AuditEvent) -> str:
    """The file, and the table it goes into when recorded: «c.csv» into table «Customers»."""
    name = _d(event, "file_name") or (
        event.target_label if event.target_type == "imports.importjob" else ""
    )
    file = _quoted(name) if name else _("a file")
    table = _d(event, "table_name")
    if not table:
        return file
    # Translators: a file and the table it goes into, e.g. «c.csv» into table «Customers».
    return _("%(file)s into table %(table)s") % {"file": file, "table": _quoted(table)}


def _fallback(event: AuditEvent) -> str:
    values = {"who": _who(event), "action": event.action}
    if event.target_label or event.target_id:
        values["target"] = event.target_label or f"{event.target_type} {event.target_id}"
        # Translators: an event of a kind this version does not know; %(action)s is its code.
        return _("%(who)s: %(action)s on %(target)s") % values
    return _("%(who)s: %(action)s") % values


# --- auth ---------------------------------------------------------------------------------------


@sentence(Action.AUTH_LOGIN)
def _login(event: AuditEvent) -> str:
    return _("%(who)s logged in") % {"who": _who(event)}


@sentence(Action.AUTH_LOGOUT)
def _logout(event: AuditEvent) -> str:
    return _("%(who)s logged out") % {"who": _who(event)}


@sentence(Action.AUTH_LOGIN_FAILED)
def _login_failed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.actor_username or "?"))
    return _("failed log-in as %(name)s") % {"name": name}


def _setting_names() -> dict[str, str]:
    return {
        "email": _("e-mail address"),
        "email_when_done": _("e-mail when work ends"),
        "language": _("language"),
    }


@sentence(Action.SETTINGS_CHANGED)
def _settings_changed(event: AuditEvent) -> str:
    names = event.data.get("changed") if isinstance(event.data, dict) else None
    words = _setting_names()
    # Translators: what changed in the audit sentence "anna changed their own settings (nothing)".
    changed = ", ".join(words.get(n, str(n)) for n in names or []) or _("nothing")
    return _("%(who)s changed their own settings (%(changed)s)") % {
        "who": _who(event),
        "changed": changed,
    }


@sentence(Action.AUTH_LOCKED_OUT)
def _locked_out(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.actor_username or "?"))
    return _("%(name)s was locked out after too many failed log-ins") % {"name": name}


# --- users and roles ----------------------------------------------------------------------------


def _role(name: str) -> str:
    # The stored group name, read through the catalogue entry accounts/roles.py marks with the
    # "role" context (the audit app imports no other app, so not through role_label).
    return pgettext("role", name) if name else _("no role")


@sentence(Action.ROLE_CHANGED)
def _role_changed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    return _("%(who)s changed the role of %(name)s from %(before)s to %(after)s") % {
        "who": _who(event),
        "name": name,
        "before": _role(_d(event, "from")),
        "after": _role(_d(event, "to")),
    }


@sentence(Action.UNLOCKED)
def _unlocked(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    return _("%(who)s unlocked %(name)s after too many failed log-ins") % {
        "who": _who(event),
        "name": name,
    }


def _privilege_words() -> dict[tuple[str, bool], str]:
    # Translators: what happened to an account's rights, after its name («mark» became superuser).
    return {
        ("superuser", True): _("became superuser"),
        ("superuser", False): _("is no longer superuser"),
        ("staff", True): _("became staff"),
        ("staff", False): _("is no longer staff"),
    }


@sentence(Action.PRIVILEGES_CHANGED)
def _privileges_changed(event: AuditEvent) -> str:
    name = _quoted(_d(event, "username", event.target_label or "?"))
    data = event.data if isinstance(event.data, dict) else {}
    words = _privilege_words()
    parts = [
        words[key, bool(data.get(key))]
        for key in ("superuser", "staff")
        if key in data and bool(data.get(key)) != bool(data.get(f"was_{key}"))
    ]
    if len(parts) == 2:
        change = _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
    else:
        change = parts[0] if parts else _("had its privileges changed")
    return _("%(name)s %(change)s (outside the console)") % {"name": name, "change": change}


# --- connection ---------------------------------------------------------------------------------


def _changed_list(event: AuditEvent, key: str = "changed") -> str:
    """The recorded names of what changed (setting or column names, shown as recorded)."""
    changed = event.data.get(key) if isinstance(event.data, dict) else None
    return ", ".join(map(str, changed)) if isinstance(changed, list) and changed else ""


@sentence(Action.CONNECTION_UPDATED)
def _connection_updated(event: AuditEvent) -> str:
    changed = _changed_list(event)
    if changed:
        return _("%(who)s changed the ACTITO connection settings (%(changed)s)") % {
            "who": _who(event),
            "changed": changed,
        }
    return _("%(who)s changed the ACTITO connection settings") % {"who": _who(event)}


@sentence(Action.CONNECTION_TEST_REQUESTED)
def _connection_test_requested(event: AuditEvent) -> str:
    return _("%(who)s asked to test the ACTITO connection") % {"who": _who(event)}


@sentence(Action.CONNECTION_TESTED)
def _connection_tested(event: AuditEvent) -> str:
    values = {"who": _who(event), "error": _d(event, "error")}
    if event.outcome == "success":
        return _("%(who)s tested the ACTITO connection: it works") % values
    if values["error"]:
        return _("%(who)s tested the ACTITO connection: it failed: %(error)s") % values
    return _("%(who)s tested the ACTITO connection: it failed") % values


# --- scenarios ----------------------------------------------------------------------------------


def _start_values(event: AuditEvent) -> dict[str, str]:
    return {"who": _who(event), "scenario": _scenario(event), "profile": _profile(event)}


@sentence(Action.TRIGGER_REQUESTED)
def _trigger_requested(event: AuditEvent) -> str:
    return _("%(who)s asked to start %(scenario)s for %(profile)s") % _start_values(event)


@sentence(Action.TRIGGER_PERFORMED)
def _trigger_performed(event: AuditEvent) -> str:
    values = _start_values(event)
    if event.outcome == "partial":
        data = event.data if isinstance(event.data, dict) else {}
        done = int(data.get("succeeded") or 0)
        total = done + sum(int(data.get(k) or 0) for k in ("failed", "unknown", "cancelled"))
        rest = []
        if data.get("failed"):
            count = _n(str(data["failed"]))
            rest.append(
                ngettext("%(count)s failed", "%(count)s failed", count) % {"count": data["failed"]}
            )
        if data.get("unknown"):
            count = _n(str(data["unknown"]))
            rest.append(
                ngettext("%(count)s outcome unknown", "%(count)s outcome unknown", count)
                % {"count": data["unknown"]}
            )
        return ngettext(
            "%(who)s started %(scenario)s for %(done)s of %(total)s profiles (%(rest)s)",
            "%(who)s started %(scenario)s for %(done)s of %(total)s profiles (%(rest)s)",
            total,
        ) % {**values, "done": done, "total": total, "rest": ", ".join(rest)}
    if event.outcome == "success":
        return _("%(who)s started %(scenario)s for %(profile)s") % values
    error = _d(event, "error")
    if error:
        return _("starting %(scenario)s for %(profile)s (%(who)s) did not succeed: %(error)s") % {
            **values,
            "error": error,
        }
    return _("starting %(scenario)s for %(profile)s (%(who)s) did not succeed") % values


@sentence(Action.TRIGGER_CANCELLED)
def _trigger_cancelled(event: AuditEvent) -> str:
    return _("%(who)s cancelled starting %(scenario)s for %(profile)s") % _start_values(event)


@sentence(Action.TRIGGER_RETRIED)
def _trigger_retried(event: AuditEvent) -> str:
    return _("%(who)s retried starting %(scenario)s for %(profile)s") % _start_values(event)


@sentence(Action.TRIGGER_PAUSED)
def _trigger_paused(event: AuditEvent) -> str:
    values = {"who": _who(event), "scenario": _scenario(event), "count": _d(event, "not_sent")}
    if values["count"]:
        return (
            ngettext(
                "%(who)s paused starting %(scenario)s for a list (%(count)s not sent yet)",
                "%(who)s paused starting %(scenario)s for a list (%(count)s not sent yet)",
                _n(values["count"]),
            )
            % values
        )
    return _("%(who)s paused starting %(scenario)s for a list") % values


@sentence(Action.TRIGGER_RESUMED)
def _trigger_resumed(event: AuditEvent) -> str:
    values = {"who": _who(event), "scenario": _scenario(event), "count": _d(event, "not_sent")}
    if values["count"]:
        return (
            ngettext(
                "%(who)s resumed starting %(scenario)s for a list (%(count)s not sent yet)",
                "%(who)s resumed starting %(scenario)s for a list (%(count)s not sent yet)",
                _n(values["count"]),
            )
            % values
        )
    return _("%(who)s resumed starting %(scenario)s for a list") % values


# --- imports ------------------------------------------------------------------------------------


@sentence(Action.IMPORT_UPLOADED)
def _import_uploaded(event: AuditEvent) -> str:
    return _("%(who)s uploaded %(file)s") % {"who": _who(event), "file": _file(event)}


@sentence(Action.IMPORT_VALIDATED)
def _import_validated(event: AuditEvent) -> str:
    valid, invalid = _d(event, "rows_valid"), _d(event, "rows_invalid")
    name = _d(event, "file_name") or (
        event.target_label if event.target_type == "imports.importjob" else ""
    )
    file = _quoted(name) if name else _("a file")
    if valid:
        return ngettext(
            "%(file)s was checked: %(valid)s valid rows, %(invalid)s with errors",
            "%(file)s was checked: %(valid)s valid rows, %(invalid)s with errors",
            _n(valid),
        ) % {"file": file, "valid": valid, "invalid": invalid or 0}
    return _("%(file)s was checked") % {"file": file}


@sentence(Action.IMPORT_SUBMITTED)
def _import_submitted(event: AuditEvent) -> str:
    rows = _d(event, "row_count")
    values = {"who": _who(event), "file": _file(event), "rows": rows}
    if rows:
        return (
            ngettext(
                "%(who)s imported %(file)s (%(rows)s rows)",
                "%(who)s imported %(file)s (%(rows)s rows)",
                _n(rows),
            )
            % values
        )
    return _("%(who)s imported %(file)s") % values


@sentence(Action.IMPORT_FINISHED)
def _import_finished(event: AuditEvent) -> str:
    created, updated = _d(event, "rows_created"), _d(event, "rows_updated")
    refused, read = _d(event, "rows_refused"), _d(event, "rows_read")
    counts = (
        # Translators: counts of profiles an import created and updated.
        _("%(created)s created, %(updated)s updated")
        % {"created": created or 0, "updated": updated or 0}
        if created or updated
        else ""
    )
    values = {"file": _file(event), "counts": counts}
    if refused:
        if read:
            values["refused"] = _("%(refused)s of %(read)s refused") % {
                "refused": refused,
                "read": read,
            }
        else:
            values["refused"] = _("%(refused)s refused") % {"refused": refused}
        if counts:
            return _("import of %(file)s partly refused: %(counts)s, %(refused)s") % values
        return _("import of %(file)s partly refused, %(refused)s") % values
    if counts:
        return _("import of %(file)s finished: %(counts)s") % values
    return _("import of %(file)s finished") % values


@sentence(Action.IMPORT_REFUSED)
def _import_refused(event: AuditEvent) -> str:
    refused = _d(event, "rows_refused")
    values = {"file": _file(event), "count": refused}
    if refused:
        return (
            ngettext(
                "ACTITO refused every row of %(file)s (all %(count)s rows): nothing was imported",
                "ACTITO refused every row of %(file)s (all %(count)s rows): nothing was imported",
                _n(refused),
            )
            % values
        )
    return _("ACTITO refused every row of %(file)s: nothing was imported") % values


@sentence(Action.IMPORT_FAILED)
def _import_failed(event: AuditEvent) -> str:
    values = {"file": _file(event), "error": _d(event, "error")}
    if values["error"]:
        return _("import of %(file)s failed: %(error)s") % values
    return _("import of %(file)s failed") % values


@sentence(Action.IMPORT_FILE_DOWNLOADED)
def _import_file_downloaded(event: AuditEvent) -> str:
    kind = _d(event, "file_kind")
    kinds = {
        "original": _("the original file"),
        "errors": _("the errors file"),
        "report": _("the report file"),
    }
    if kind in kinds:
        what = kinds[kind]
    elif kind:
        what = _("the %(kind)s file") % {"kind": kind}
    else:
        what = _("the file")
    name = _d(event, "file_name") or (
        event.target_label if event.target_type == "imports.importjob" else ""
    )
    return _("%(who)s downloaded %(what)s of import %(file)s") % {
        "who": _who(event),
        "what": what,
        "file": _quoted(name) if name else _("a file"),
    }


def _mapping(event: AuditEvent) -> str:
    table = _d(event, "table_name")
    if table:
        return _("the saved mapping for table %(table)s") % {"table": _quoted(table)}
    return _("a saved mapping")


@sentence(Action.IMPORT_TEMPLATE_SAVED)
def _template_saved(event: AuditEvent) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    values = {"who": _who(event), "mapping": _mapping(event)}
    if data.get("created") is True:
        table = _d(event, "table_name")
        if table:
            return _("%(who)s saved a mapping for table %(table)s while checking a file") % {
                **values,
                "table": _quoted(table),
            }
        return _("%(who)s saved a mapping while checking a file") % values
    return _("%(who)s updated %(mapping)s while checking a file") % values


@sentence(Action.IMPORT_TEMPLATE_UPDATED)
def _template_updated(event: AuditEvent) -> str:
    columns = _changed_list(event, "changed_columns")
    values = {"who": _who(event), "mapping": _mapping(event), "columns": columns}
    if columns:
        return _("%(who)s changed %(mapping)s (columns %(columns)s)") % values
    return _("%(who)s changed %(mapping)s") % values


@sentence(Action.IMPORT_TEMPLATE_DELETED)
def _template_deleted(event: AuditEvent) -> str:
    # Translators: a saved column mapping was deleted ("anna forgot the saved mapping …").
    return _("%(who)s forgot %(mapping)s") % {"who": _who(event), "mapping": _mapping(event)}


# --- ExpertSender CDP ---------------------------------------------------------------------------


def _unit(event: AuditEvent) -> str:
    name = _d(event, "business_unit") or event.target_label
    if name:
        return _("business unit %(name)s") % {"name": _quoted(name)}
    return _("a business unit")


@sentence(Action.ECDP_BUSINESS_UNIT_CREATED)
def _ecdp_unit_created(event: AuditEvent) -> str:
    return _("%(who)s added ExpertSender CDP %(unit)s") % {"who": _who(event), "unit": _unit(event)}


@sentence(Action.ECDP_BUSINESS_UNIT_CHANGED)
def _ecdp_unit_changed(event: AuditEvent) -> str:
    values = {"who": _who(event), "unit": _unit(event), "changed": _changed_list(event)}
    if values["changed"]:
        return _("%(who)s changed ExpertSender CDP %(unit)s (%(changed)s)") % values
    return _("%(who)s changed ExpertSender CDP %(unit)s") % values


@sentence(Action.ECDP_CATALOGUE_FILLED)
def _ecdp_catalogue_filled(event: AuditEvent) -> str:
    return _(
        "%(who)s filled the catalogue of %(unit)s: %(events)s custom events, %(segments)s segments"
    ) % {
        "who": _who(event),
        "unit": _unit(event),
        "events": _d(event, "events", "0"),
        "segments": _d(event, "segments", "0"),
    }


def _catalogue_item(event: AuditEvent, kind: str) -> str:
    name = _d(event, f"{kind}_label") or event.target_label
    if kind == "event":
        return _("custom event %(name)s") % {"name": _quoted(name)} if name else _("a custom event")
    return _("segment %(name)s") % {"name": _quoted(name)} if name else _("a segment")


def _catalogue_sentence(kind: str, verb: str) -> Describe:
    def describe_item(event: AuditEvent) -> str:
        values = {"who": _who(event), "item": _catalogue_item(event, kind), "unit": _unit(event)}
        # Translators: %(item)s is a custom event or a segment, %(unit)s its business unit.
        if verb == "added":
            return _("%(who)s added %(item)s of %(unit)s") % values
        if verb == "changed":
            return _("%(who)s changed %(item)s of %(unit)s") % values
        return _("%(who)s removed %(item)s of %(unit)s") % values

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
    values = {"who": _who(event), "format": (_d(event, "format") or _("a file")).upper()}
    if _d(event, "filters"):
        return _("%(who)s exported the audit log as %(format)s (filtered)") % values
    return _("%(who)s exported the audit log as %(format)s") % values


@sentence(Action.AUDIT_PURGED)
def _audit_purged(event: AuditEvent) -> str:
    cutoff = parse_datetime(_d(event, "cutoff"))
    count: Any = _d(event, "count", "?")
    values = {"who": _who(event), "count": count}
    if cutoff:
        values["date"] = date_format(localtime(cutoff), "j M Y")
        return (
            ngettext(
                "%(who)s archived and removed %(count)s events older than %(date)s",
                "%(who)s archived and removed %(count)s events older than %(date)s",
                _n(count),
            )
            % values
        )
    return (
        ngettext(
            "%(who)s archived and removed %(count)s events",
            "%(who)s archived and removed %(count)s events",
            _n(count),
        )
        % values
    )
