"""Scenario pages. One view per URL renders the page or, for htmx, the fragment it swaps.

Everyone with the console may search and read; triggering needs accounts.trigger_scenarios.
Polls read our database only.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from actito_admin import csvflavour, live
from actito_admin.accounts.types import AppRequest
from actito_admin.actito.errors import ActitoError
from actito_admin.listing import numbered_page
from actito_admin.spreadsheet import defuse

from . import services
from .forms import HistoryForm, ListForm, ProfileRefForm, SearchForm, TriggerForm
from .models import Catalog, Platform, ProfileTable, Scenario, TriggerRun
from .platforms import platform_of

TRIGGER = "accounts.trigger_scenarios"


# --- search ---------------------------------------------------------------------------------------


@require_GET
def scenario_search(request: AppRequest) -> HttpResponse:
    # The platform a marketer last chose opens by itself; ?platform=actito switches back.
    if request.GET.get("platform") == Platform.ACTITO:
        services.platform_remember(user=request.user, platform=Platform.ACTITO)
    elif not request.GET and services.platform_of_user(request.user) == Platform.ECDP:
        return redirect("ecdp_scenarios:search")
    state = services.connection_state()
    context: dict[str, Any] = {"problem": state.problem}
    if state.problem:
        return _render_search(request, context)
    tables_catalog = services.catalog_request(scope=state.scope, kind=Catalog.Kind.TABLES)
    tables = list(ProfileTable.objects.filter(scope=state.scope).values_list("name", flat=True))
    form = SearchForm(request.GET, tables=tables)
    form.is_valid()  # every field is optional; an unknown table falls back below
    table = form.cleaned_data.get("table") or services.search_table_of(request.user)
    if table not in tables:
        table = tables[0] if tables else ""
    if table and request.GET.get("table") == table:
        services.search_table_remember(user=request.user, table=table)
    context |= {"form": form, "tables": tables, "table": table, "tables_catalog": tables_catalog}
    if table:
        catalog = services.catalog_request(
            scope=state.scope, kind=Catalog.Kind.SCENARIOS, table=table
        )
        words = form.cleaned_data.get("q") or ""
        only_triggerable = form.cleaned_data.get("only_triggerable", True)
        only_active = form.cleaned_data.get("only_active", True)
        scenarios = services.scenario_search(
            scope=state.scope,
            table=table,
            words=words,
            only_triggerable=only_triggerable,
            only_active=only_active,
        )
        hidden = 0
        if only_triggerable or only_active:
            hidden = services.scenario_search_hidden(
                scope=state.scope, table=table, words=words, shown=len(scenarios)
            )
        context |= {
            "catalog": catalog,
            "words": words,
            "scenarios": scenarios,
            "hidden": hidden,
            "show_hidden_query": urlencode({"table": table, "q": words, "filtered": "1"}),
            "query": urlencode(
                {
                    "table": table,
                    "q": words,
                    "filtered": "1",
                    **{
                        name: "on"
                        for name in ("only_triggerable", "only_active")
                        if form.cleaned_data.get(name)
                    },
                }
            ),
        }
    return _render_search(request, context)


def _render_search(request: AppRequest, context: dict[str, Any]) -> HttpResponse:
    template = "scenarios/search.html"
    if request.htmx and request.htmx.target == "scenario-results":
        template += "#results"
    elif request.htmx and request.htmx.target == "scenario-page":
        template += "#page"
    return render(request, template, context)


@require_POST
def catalog_refresh(request: AppRequest) -> HttpResponse:
    """Ask for fresh lists now (anyone who can search may; it costs one governed call)."""
    state = services.connection_state()
    if not state.problem:
        table = request.POST.get("table", "")[:200]
        services.catalog_request(scope=state.scope, kind=Catalog.Kind.TABLES, force=True)
        if ProfileTable.objects.filter(scope=state.scope, name=table).exists():
            services.catalog_request(
                scope=state.scope, kind=Catalog.Kind.SCENARIOS, table=table, force=True
            )
    # Back to the same search (a plain form post works without htmx too).
    query = request.POST.get("query", "")
    return redirect(f"{reverse('scenarios')}?{query}" if query else reverse("scenarios"))


# --- one scenario, one profile --------------------------------------------------------------------


def _scenario_and_table(pk: int) -> tuple[Scenario, ProfileTable | None]:
    scenario = get_object_or_404(Scenario, pk=pk)
    table = ProfileTable.objects.filter(scope=scenario.scope, name=scenario.table).first()
    return scenario, table


def _keys(table: ProfileTable | None) -> list[str]:
    return list(table.key_attributes) if table else []


@require_GET
def scenario_detail(request: AppRequest, pk: int) -> HttpResponse:
    scenario, table = _scenario_and_table(pk)
    return _render_detail(request, scenario, table, ProfileRefForm(key_attributes=_keys(table)))


def _render_detail(
    request: AppRequest,
    scenario: Scenario,
    table: ProfileTable | None,
    form: ProfileRefForm,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "scenario": scenario,
        "table": table,
        "lookup_form": form,
        "runs": scenario.runs.visible().select_related("requested_by")[:10],
        **(extra or {}),
    }
    return render(request, "scenarios/detail.html", context, status=status)


LOOKED_UP_LABEL_SECONDS = 3600


def _label_key(request: AppRequest, idempotency_key: uuid.UUID) -> str:
    return f"scenarios:looked-up:{request.user.pk}:{idempotency_key}"


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def profile_lookup(request: AppRequest, pk: int) -> HttpResponse:
    """Who is this? A short read-through call (governor, 60-s cache) the confirmation needs."""
    scenario, table = _scenario_and_table(pk)
    form = ProfileRefForm(request.POST, key_attributes=_keys(table))
    context: dict[str, Any] = {"scenario": scenario, "lookup_form": form}
    status = 200
    if not form.is_valid():
        status = 422
    elif table is None:
        context["lookup_error"] = _("The profile tables are not loaded yet; try again in a moment.")
    else:
        try:
            preview = services.profile_lookup(scope=scenario.scope, table=table, ref=form.ref)
        except ActitoError as exc:
            if exc.status == 404:
                context["lookup_error"] = _(
                    "There is no profile with %(ref)s in table %(table)s. Check the value: "
                    "nothing can be started for a profile that does not exist."
                ) % {"ref": form.ref, "table": table.name}
            else:
                context["lookup_error"] = exc.user_message
        else:
            key = uuid.uuid4()
            # Who the profile is, as looked up, kept on our side for the confirmation: the
            # audit log must not name whoever a hand-made form says.
            cache.set(_label_key(request, key), preview.label, LOOKED_UP_LABEL_SECONDS)
            context["preview"] = preview
            context["started_lately"] = services.started_lately(
                scenario=scenario, ref=form.ref, profile_label=preview.label
            )
            context["trigger_form"] = TriggerForm(
                initial={
                    "attribute": form.cleaned_data["attribute"],
                    "value": form.cleaned_data["value"],
                    "profile_label": preview.label,
                    "idempotency_key": key,
                },
                key_attributes=_keys(table),
            )
    if request.htmx:
        return render(request, "scenarios/detail.html#lookup", context, status=status)
    return _render_detail(request, scenario, table, form, context, status)


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def scenario_trigger(request: AppRequest, pk: int) -> HttpResponse:
    scenario, table = _scenario_and_table(pk)
    form = TriggerForm(request.POST, key_attributes=_keys(table))
    if not scenario.can_trigger:
        form.add_error(None, scenario.why_not_triggerable)
    if not form.is_valid():
        context = {"scenario": scenario, "lookup_form": form, "trigger_errors": form.errors}
        if request.htmx:
            return render(request, "scenarios/detail.html#lookup", context, status=422)
        return _render_detail(request, scenario, table, form, context, 422)
    run = services.trigger_run_request(
        actor=request.user,
        scenario=scenario,
        ref=form.ref,
        profile_label=cache.get(_label_key(request, form.cleaned_data["idempotency_key"]))
        or str(form.ref),
        idempotency_key=form.cleaned_data["idempotency_key"],
        request=request,
    )
    if request.htmx:
        return _status_fragment(request, run, changed=True)
    return redirect("scenarios:run", run.pk)


# --- runs -----------------------------------------------------------------------------------------


def _status_context(run: TriggerRun) -> dict[str, Any]:
    counts = run.counts()
    return {
        "run": run,
        "counts": counts,
        "item": run.item if run.is_one_call else None,
        "eta": run.eta_seconds(counts, platform_of(run).calls_per_minute(run)),
    }


def _status_fragment(
    request: AppRequest, run: TriggerRun, *, changed: bool = False
) -> HttpResponse:
    """The live status; tells the page to reload its list of starts when this run was just
    queued (`changed`) or has reached its outcome (the last poll)."""
    response = render(request, "scenarios/_run_status.html", _status_context(run))
    if changed or not run.is_live:
        trigger_client_event(response, "scenario-runs-changed")
    return response


def _visible_run(pk: int) -> TriggerRun:
    return get_object_or_404(TriggerRun.objects.visible(), pk=pk)


@require_GET
def run_detail(request: AppRequest, pk: int) -> HttpResponse:
    run = _visible_run(pk)
    context = _status_context(run)
    if run.kind == TriggerRun.Kind.LIST:
        context["problem_items"] = run.items.exclude(status__in=("succeeded", "pending"))[:50]
    context["retries"] = run.retries.all()
    return render(request, "scenarios/run.html", context)


@require_GET
def run_status(request: AppRequest, pk: int) -> HttpResponse:
    # Polled every second while the run is live: our database only, never ACTITO. An unchanged
    # run costs one query and no rendering (304).
    version = TriggerRun.objects.live_version(pk)
    if version is None:
        raise Http404
    etag = live.etag_for(version, live.reader_and_moment(request))
    if (unchanged := live.not_modified(request, etag)) is not None:
        return unchanged
    return live.tagged(_status_fragment(request, _visible_run(pk)), etag, version)


def _after_action(request: AppRequest, run: TriggerRun) -> HttpResponse:
    if request.htmx:
        return _status_fragment(request, run, changed=True)
    return redirect("scenarios:run", run.pk)


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def run_retry(request: AppRequest, pk: int) -> HttpResponse:
    run = _visible_run(pk)
    if run.retried_as is not None:
        return _after_action(request, run.retried_as)
    if not run.can_retry or (run.platform == Platform.ACTITO and run.scenario is None):
        return _after_action(request, run)
    if not _confirmed(request):
        return _confirm_page(
            request, run, run.retry_question, _("Yes, start it again"), "scenarios:run_retry"
        )
    return _after_action(
        request, services.trigger_run_retry(actor=request.user, run=run, request=request)
    )


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def run_pause(request: AppRequest, pk: int) -> HttpResponse:
    run = services.trigger_run_pause(actor=request.user, run=_visible_run(pk), request=request)
    return _after_action(request, run)


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def run_resume(request: AppRequest, pk: int) -> HttpResponse:
    return _after_action(
        request,
        services.trigger_run_resume(actor=request.user, run=_visible_run(pk), request=request),
    )


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def run_cancel(request: AppRequest, pk: int) -> HttpResponse:
    run = _visible_run(pk)
    if run.can_cancel and not _confirmed(request):
        return _confirm_page(
            request, run, run.cancel_question, _("Yes, cancel the rest"), "scenarios:run_cancel"
        )
    run = services.trigger_run_cancel(actor=request.user, run=run, request=request)
    return _after_action(request, run)


def _confirmed(request: AppRequest) -> bool:
    """htmx requests were confirmed in the browser (data-confirm); a plain form post, sent
    when scripts do not run, is confirmed on a page of its own first."""
    return bool(request.htmx) or request.POST.get("confirmed") == "yes"


def _confirm_page(
    request: AppRequest, run: TriggerRun, question: str, button: str, url_name: str
) -> HttpResponse:
    context = {"run": run, "question": question, "button": button, "action": url_name}
    return render(request, "scenarios/confirm.html", context)


@require_GET
def run_results_csv(request: AppRequest, pk: int) -> StreamingHttpResponse:
    run = _visible_run(pk)

    class Echo:
        def write(self, value: str) -> str:
            return value

    def rows() -> Iterator[str]:
        writer = csv.writer(Echo())
        yield "\ufeff"  # so that Excel reads the file as UTF-8
        platform = platform_of(run)
        status_header = f"{platform.key}_status"
        yield writer.writerow(
            ["reference", "outcome", platform.receipt_header, status_header, "message"]
        )
        for item in run.items.order_by("position").iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    defuse(item.reference),
                    item.status,
                    defuse(item.interaction_business_key),
                    item.actito_status or "",
                    defuse(item.message),
                ]
            )

    name = f"trigger-run-{run.pk}.csv"
    body: Iterator[Any] = rows()
    if csvflavour.excel_requested(request):
        body, name = csvflavour.for_excel(csvflavour.encoded(body)), csvflavour.excel_name(name)
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- lists ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(TRIGGER, raise_exception=True)
def list_new(request: AppRequest, pk: int) -> HttpResponse:
    scenario, table = _scenario_and_table(pk)
    if request.method == "POST":
        form = ListForm(request.POST, request.FILES, key_attributes=_keys(table))
        if not scenario.can_trigger:
            form.add_error(None, scenario.why_not_triggerable)
        if form.is_valid():
            run = services.trigger_list_prepare(
                actor=request.user,
                scenario=scenario,
                reference_kind=form.cleaned_data["attribute"],
                parsed=form.parsed,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
            return redirect("scenarios:list_check", run.pk)
        status = 422
    else:
        form = ListForm(key_attributes=_keys(table))
        status = 200
    return render(
        request, "scenarios/list.html", {"scenario": scenario, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required(TRIGGER, raise_exception=True)
def list_check(request: AppRequest, pk: int) -> HttpResponse:
    """What the list holds, and the confirmation; POST confirms (once, whatever happens)."""
    run = get_object_or_404(TriggerRun, pk=pk, kind=TriggerRun.Kind.LIST)
    if run.status == TriggerRun.Status.DRAFT and run.requested_by_id != request.user.pk:
        raise Http404  # a draft is private to whoever checked the list
    if run.status != TriggerRun.Status.DRAFT:
        return redirect("scenarios:run", run.pk)  # confirmed already (double click, back)
    if request.method == "POST":
        services.trigger_list_confirm(actor=request.user, run=run, request=request)
        return redirect("scenarios:run", run.pk)
    context = {"run": run, "change_url": platform_of(run).list_url(run)}
    return render(request, "scenarios/list_check.html", context)


# --- history --------------------------------------------------------------------------------------


@require_GET
def history(request: AppRequest) -> HttpResponse:
    form = HistoryForm(request.GET or None)
    runs = TriggerRun.objects.visible().select_related("requested_by")
    if form.is_bound:
        runs = runs.filtered(**form.filters()) if form.is_valid() else runs.none()
    page, pager = numbered_page(request, runs, 50)
    context = {
        "form": form,
        "page": page,
        "pager": pager,
        "filtered": bool(form.is_bound and form.has_changed()),
        "tables": sorted(set(TriggerRun.objects.visible().values_list("table", flat=True))),
    }
    template = "scenarios/history.html"
    if request.htmx and request.htmx.target == "history-results":
        template += "#results"
    return render(request, template, context)
