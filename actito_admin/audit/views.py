"""Review screens: the filtered list, one event, exports and the purge history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from actito_admin import csvflavour
from actito_admin.listing import Pager, with_query
from actito_admin.types import AppRequest

from . import export
from .actions import Action
from .forms import PAGE_SIZE, AuditFilterForm, action_choices, cursor_for
from .models import PURGE_ACTION, SCENARIO_TARGET, TABLE_TARGET, AuditEvent
from .sentences import KNOWN_TARGET_TYPES
from .services import record_event

# Keys of `data` that tie an event to other systems; shown apart on the detail page.
# The ids an event's data may hold, in the one spelling the recording code uses, with the
# words the detail page shows for each (the key itself follows in small print).
RELATED_IDS: tuple[tuple[str, Any], ...] = (
    ("execution_id", gettext_lazy("ACTITO import (execution)")),
    ("interaction_business_key", gettext_lazy("Reference for ACTITO support")),
    ("run_id", gettext_lazy("Scenario run in this console")),
    ("import_id", gettext_lazy("Import in this console")),
    ("event_id", gettext_lazy("ExpertSender CDP event")),
    ("task_id", gettext_lazy("Background task")),
)
RELATED_LIMIT = 50


def _page(request: AppRequest, form: AuditFilterForm) -> dict[str, Any]:
    """One keyset page of the filtered events, newest first."""
    if not form.is_valid():
        return {"events": [], "next_cursor": None, "pager": Pager()}
    events = AuditEvent.objects.visible_to(request.user).filtered(**form.filters())
    cursor = form.cleaned_data["before"]
    if cursor is not None:
        events = events.before(*cursor)
    # One more than a page tells us whether an older page exists, without a COUNT(*).
    rows = list(events.newest_first()[: PAGE_SIZE + 1])
    older = cursor_for(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    base, query = reverse("audit"), form.query_string()
    pager = Pager(
        newer_url=base + with_query(query) if cursor is not None else None,
        older_url=base + with_query(query, before=older) if older else None,
        newer_text=_("← Newest events"),
        older_text=_("Older events →"),
    )
    shown = rows[:PAGE_SIZE]
    _join_stories(shown)
    return {"events": shown, "next_cursor": older, "pager": pager}


# A request whose outcome comes in a later event about the same target: shown as one story.
STORY_ENDS = {Action.TRIGGER_REQUESTED.value: Action.TRIGGER_PERFORMED.value}


def _join_stories(events: list[AuditEvent]) -> None:
    """Give each "requested" event on the page the outcome of the event that ended its story
    (one query for the page), so it does not read "Pending" forever beside its own ending."""
    wanted: dict[tuple[str, str, str], list[AuditEvent]] = {}
    for event in events:
        end = STORY_ENDS.get(event.action)
        if end and event.target_id:
            wanted.setdefault((end, event.target_type, event.target_id), []).append(event)
    if not wanted:
        return
    # The target's type as well as its id, so that the (target_type, target_id, …) index
    # answers: by action alone it read every start ever made (0.1 s at a million events).
    endings = AuditEvent.objects.filter(
        action__in=set(STORY_ENDS.values()),
        target_type__in={target_type for _a, target_type, _id in wanted},
        target_id__in={target_id for _a, _t, target_id in wanted},
    ).values_list("action", "target_type", "target_id", "outcome")
    labels = dict(AuditEvent.Outcome.choices)
    for action, target_type, target_id, outcome in endings:
        for event in wanted.get((action, target_type, target_id), []):
            event.story_outcome = outcome  # type: ignore[attr-defined]
            event.story_outcome_label = labels.get(outcome, outcome)  # type: ignore[attr-defined]


@require_GET
def event_list(request: AppRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    context = {
        "form": form,
        **_page(request, form),
        "action_choices": action_choices(),
        "target_types": KNOWN_TARGET_TYPES,
        "usernames": User.objects.order_by("username").values_list("username", flat=True)[:500],
        "retention_days": settings.AUDIT_RETENTION_DAYS,
        "is_first_page": not request.GET.get("before"),
        "filter_query": form.query_string(),
    }
    # Filters and "Older events" swap only the results; a history restore needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "audit/list.html#results", context)
    return render(request, "audit/list.html", context)


def _pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def _about(event: AuditEvent, data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The scenario and table an event is about: (label, name, URL of all their events, the
    words of that link)."""
    about = []
    if event.scenario_ref:
        name = str(data.get("scenario_name") or "")
        text = (
            _("«%(name)s» (ACTITO id %(id)s)") % {"name": name, "id": event.scenario_ref}
            if name
            else event.scenario_ref
        )
        about.append(
            (
                _("Scenario"),
                text,
                _filter_url(SCENARIO_TARGET, event.scenario_ref),
                _("all events about this scenario"),
            )
        )
    if event.table_ref:
        # Shown as recorded; the column holds the name folded to lower case.
        name = str(data.get("table_name") or data.get("table") or event.table_ref)
        about.append(
            (
                _("Table"),
                name,
                _filter_url(TABLE_TARGET, event.table_ref),
                _("all events about this table"),
            )
        )
    return about


def _filter_url(target_type: str, target_id: str) -> str:
    return f"{reverse('audit')}?{urlencode({'target_type': target_type, 'target_id': target_id})}"


@require_GET
def event_detail(request: AppRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AuditEvent.objects.visible_to(request.user), pk=pk)
    data = event.data if isinstance(event.data, dict) else {}
    related_ids = [(_("Web request"), "request_id", event.request_id)] if event.request_id else []
    related_ids += [
        (str(label), key, str(data[key])) for key, label in RELATED_IDS if data.get(key)
    ]
    same_run = (
        AuditEvent.objects.visible_to(request.user).same_run_as(event).newest_first()
        if event.request_id or event.target_id
        else AuditEvent.objects.none()
    )
    context = {
        "event": event,
        "data_items": [(key, _pretty(value)) for key, value in sorted(data.items())],
        "related_ids": related_ids,
        "about": _about(event, data),
        "same_run": same_run[:RELATED_LIMIT],
        "related_limit": RELATED_LIMIT,
    }
    return render(request, "audit/detail.html", context)


@require_GET
@permission_required("accounts.export_audit", raise_exception=True)
def event_export(request: AppRequest, fmt: str) -> HttpResponseBase:
    if fmt not in ("csv", "jsonl"):
        raise Http404("Unknown export format")
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("The filters are not valid: %(errors)s")
            % {"errors": "; ".join(str(e) for el in form.errors.values() for e in el)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    # Everything up to now, and nothing written while the file streams (its own audit event
    # included): the export is a consistent snapshot of the filtered log.
    latest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    events = (
        AuditEvent.objects.visible_to(request.user)
        .filtered(**form.filters())
        .filter(id__lte=latest)
        .order_by("created_at", "id")
    )
    # The row count is not known until the stream ends (it may be cut short), so the event
    # records what was asked for: the filters and the format.
    record_event(
        actor=request.user,
        action=Action.AUDIT_EXPORTED,
        data={"format": fmt, "filters": form.query_string(), "through_event_id": latest},
        request=request,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"audit-log-{stamp}.{fmt}"
    body: Iterator[Any]
    if fmt == "csv":
        body = export.csv_lines(export.stream(events))
        content_type = "text/csv; charset=utf-8"
        if csvflavour.excel_requested(request):
            body = csvflavour.for_excel(csvflavour.encoded(body))
            name = csvflavour.excel_name(name)
    else:
        body = export.jsonl_lines(export.stream(events))
        content_type = "application/jsonl; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@permission_required("accounts.export_audit", raise_exception=True)
def purge_history(request: AppRequest) -> HttpResponse:
    purges = AuditEvent.objects.filter(action=PURGE_ACTION).newest_first()[:200]
    context = {"purges": purges, "retention_days": settings.AUDIT_RETENTION_DAYS}
    return render(request, "audit/purges.html", context)
