"""ExpertSender CDP pages: find a custom event, send it to one customer, a list or segments.

Runs then live on the shared run pages (views.run_detail, its status fragment, pause/resume/
cancel, the outcome CSV): only choosing who and what differs from ACTITO.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actito_admin.accounts.types import AppRequest
from actito_admin.actito.errors import ActitoError
from actito_admin.ecdp.connection import effective
from actito_admin.ecdp.models import BusinessUnit, CustomEvent
from actito_admin.ecdp.services import demo_unit_ensure

from . import ecdp_services, services
from .ecdp_forms import CustomerForm, CustomerListForm, EventSendForm, SegmentsForm
from .models import Platform, TriggerRun
from .views import TRIGGER, _status_fragment

TEMPLATE = "scenarios/ecdp_event.html"


@require_GET
def event_search(request: AppRequest) -> HttpResponse:
    services.platform_remember(user=request.user, platform=Platform.ECDP)
    demo_unit_ensure()
    units = list(BusinessUnit.objects.all())
    wanted = request.GET.get("unit", "")
    unit = next((u for u in units if str(u.pk) == wanted), units[0] if units else None)
    words = request.GET.get("q", "")[:200]
    context: dict[str, Any] = {"units": units, "unit": unit, "words": words, "events": []}
    if unit is not None:
        context["problem"] = effective(unit).problem
        context["events"] = ecdp_services.event_search(unit=unit, words=words)
    template = "scenarios/ecdp_search.html"
    if request.htmx and request.htmx.target == "ecdp-results":
        template += "#results"
    return render(request, template, context)


def _event(pk: int) -> CustomEvent:
    return get_object_or_404(CustomEvent.objects.select_related("business_unit"), pk=pk)


def _recent(event: CustomEvent) -> list[TriggerRun]:
    return list(
        TriggerRun.objects.visible()
        .on(Platform.ECDP)
        .filter(business_unit=event.business_unit, scenario_actito_id=str(event.event_id))
        .select_related("requested_by")[:10]
    )


@require_GET
def event_detail(request: AppRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    context = {
        "event": event,
        "unit": event.business_unit,
        "problem": effective(event.business_unit).problem,
        "form": CustomerForm(event=event),
        "runs": _recent(event),
    }
    return render(request, TEMPLATE, context)


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def customer_lookup(request: AppRequest, pk: int) -> HttpResponse:
    """Who the customer is and the confirmation, after every value was checked."""
    event = _event(pk)
    form = CustomerForm(request.POST, event=event)
    context: dict[str, Any] = {"event": event, "form": form}
    status = 200
    if not form.is_valid():
        status = 422
    elif form.cleaned_data["send_hash"]:
        # The address must not leave the console, so it is not looked up either (a look-up
        # sends it); ECDP cannot look a customer up by a hash.
        label = _("%(address)s (sent as a hash only)") % {
            "address": form.cleaned_data["lookup_ref"].value
        }
        context |= _confirmation(event, form, label)
    else:
        try:
            customer = ecdp_services.customer_lookup(
                unit=event.business_unit, ref=form.cleaned_data["lookup_ref"]
            )
        except ActitoError as exc:
            context["lookup_error"] = exc.user_message
            status = 404 if exc.status == 404 else 502
        else:
            context |= {"customer": customer, **_confirmation(event, form, customer.label)}
    if request.htmx:
        return render(request, f"{TEMPLATE}#lookup", context, status=status)
    return render(request, TEMPLATE, _page(event, context), status=status)


def _confirmation(event: CustomEvent, form: CustomerForm, label: str) -> dict[str, Any]:
    """What the confirmation shows and sends again (every value is checked again on send)."""
    send = EventSendForm(
        initial={**form.cleaned_data, "customer_label": label, "idempotency_key": uuid.uuid4()},
        event=event,
    )
    return {"send_form": send, "who": label, "data_fields": form.cleaned_data["data_fields"]}


def _page(event: CustomEvent, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "unit": event.business_unit,
        "problem": effective(event.business_unit).problem,
        "runs": _recent(event),
    } | context


@require_POST
@permission_required(TRIGGER, raise_exception=True)
def event_send(request: AppRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    form = EventSendForm(request.POST, event=event)
    if not form.is_valid():
        context = {"event": event, "form": form}
        if request.htmx:
            return render(request, f"{TEMPLATE}#lookup", context, status=422)
        return render(request, TEMPLATE, _page(event, context), status=422)
    run = ecdp_services.event_request(
        actor=request.user,
        unit=event.business_unit,
        event=event,
        customer=form.ref,
        customer_label=form.cleaned_data["customer_label"],
        data_fields=form.cleaned_data["data_fields"],
        idempotency_key=form.cleaned_data["idempotency_key"],
        request=request,
    )
    if request.htmx:
        return _status_fragment(request, run, changed=True)
    return redirect("scenarios:run", run.pk)


@require_http_methods(["GET", "POST"])
@permission_required(TRIGGER, raise_exception=True)
def list_new(request: AppRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    status = 200
    if request.method == "POST":
        form = CustomerListForm(request.POST, request.FILES, event=event)
        if form.is_valid():
            run = ecdp_services.list_prepare(
                actor=request.user,
                unit=event.business_unit,
                event=event,
                kind=form.cleaned_data["reference_kind"],
                parsed=form.parsed,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
            return redirect("scenarios:list_check", run.pk)
        status = 422
    else:
        form = CustomerListForm(event=event)
    context = {"event": event, "unit": event.business_unit, "form": form}
    return render(request, "scenarios/ecdp_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(TRIGGER, raise_exception=True)
def segments_new(request: AppRequest, pk: int) -> HttpResponse:
    """Choose segments (and data fields), then confirm by typing the event's label."""
    event = _event(pk)
    step = request.POST.get("step", "choose")
    status = 200
    if request.method == "POST":
        form = SegmentsForm(request.POST, event=event, confirming=step == "confirm")
        if form.is_valid():
            if step == "confirm":
                run = ecdp_services.segments_request(
                    actor=request.user,
                    unit=event.business_unit,
                    event=event,
                    segments=list(form.cleaned_data["segments"]),
                    data_fields=form.cleaned_data["data_fields"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    request=request,
                )
                return redirect("scenarios:run", run.pk)
            step = "confirm"
        else:
            status = 422
    else:
        form = SegmentsForm(event=event)
    context = {"event": event, "unit": event.business_unit, "form": form, "step": step}
    return render(request, "scenarios/ecdp_segments.html", context, status=status)
