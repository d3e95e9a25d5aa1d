"""ECDP settings for admins: business units (key write-only, Test connection) and catalogue."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from actito_admin.accounts.types import AppRequest

from . import services
from .connection import effective
from .forms import BusinessUnitForm, EventForm, SegmentForm
from .models import BusinessUnit, CustomEvent, Segment

MANAGE = "accounts.manage_connection"


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def units(request: AppRequest) -> HttpResponse:
    """The business units, and a form to add one."""
    form = BusinessUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if BusinessUnit.objects.filter(label=form.cleaned_data["label"]).exists():
            form.add_error("label", "A business unit already has this label.")
        else:
            unit = services.business_unit_save(
                actor=request.user, unit=None, data=form.cleaned_data, request=request
            )
            messages.success(request, f"Business unit “{unit.label}” added.")
            return redirect("ecdp:unit", unit.pk)
    context = {
        "units": [(u, effective(u)) for u in BusinessUnit.objects.all()],
        "form": form,
        "sandbox": bool(settings.SANDBOX_URL),
    }
    return render(request, "ecdp/units.html", context, status=422 if form.errors else 200)


def _unit_context(unit: BusinessUnit, **extra: Any) -> dict[str, Any]:
    return {
        "unit": unit,
        "bu": effective(unit),
        "unit_form": BusinessUnitForm(
            initial={name: getattr(unit, name) for name in services.UNIT_FIELDS}
        ),
        "event_form": EventForm(unit=unit),
        "segment_form": SegmentForm(unit=unit),
        "sandbox": bool(settings.SANDBOX_URL),
    } | extra


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def unit_detail(request: AppRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(BusinessUnit, pk=pk)
    if request.method == "POST":
        form = BusinessUnitForm(request.POST)
        if form.is_valid():
            services.business_unit_save(
                actor=request.user, unit=unit, data=form.cleaned_data, request=request
            )
            messages.success(request, "Business unit saved.")
            return redirect("ecdp:unit", unit.pk)
        return render(request, "ecdp/unit.html", _unit_context(unit, unit_form=form), status=422)
    return render(request, "ecdp/unit.html", _unit_context(unit))


@require_POST
@permission_required(MANAGE, raise_exception=True)
def unit_test(request: AppRequest, pk: int) -> HttpResponse:
    """One governed look-up; a few seconds at most (a short wait and no retries)."""
    unit = get_object_or_404(BusinessUnit, pk=pk)
    ok, words = services.business_unit_test(unit=unit)
    (messages.success if ok else messages.error)(request, words)
    return redirect("ecdp:unit", unit.pk)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def unit_fill_from_sandbox(request: AppRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(BusinessUnit, pk=pk)
    try:
        events, segments = services.catalogue_fill(
            unit=unit, catalogue=services.sandbox_catalogue(), actor=request.user, request=request
        )
    except (httpx.HTTPError, ValueError):
        messages.error(request, "The sandbox did not answer; is it running?")
    else:
        messages.success(request, f"{events} events and {segments} segments from the sandbox.")
    return redirect("ecdp:unit", unit.pk)


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def event_edit(request: AppRequest, pk: int, event_pk: int | None = None) -> HttpResponse:
    unit = get_object_or_404(BusinessUnit, pk=pk)
    event = get_object_or_404(CustomEvent, pk=event_pk, business_unit=unit) if event_pk else None
    form = EventForm(request.POST or None, unit=unit, instance=event)
    if request.method == "POST" and form.is_valid():
        services.event_save(
            actor=request.user, unit=unit, event=event, data=form.cleaned_data, request=request
        )
        messages.success(request, f"Custom event “{form.cleaned_data['label']}” saved.")
        return redirect("ecdp:unit", unit.pk)
    context = {"unit": unit, "form": form, "item": event, "what": "custom event", "kind": "event"}
    return render(request, "ecdp/item.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def segment_edit(request: AppRequest, pk: int, segment_pk: int | None = None) -> HttpResponse:
    unit = get_object_or_404(BusinessUnit, pk=pk)
    segment = get_object_or_404(Segment, pk=segment_pk, business_unit=unit) if segment_pk else None
    form = SegmentForm(request.POST or None, unit=unit, instance=segment)
    if request.method == "POST" and form.is_valid():
        services.segment_save(
            actor=request.user, unit=unit, segment=segment, data=form.cleaned_data, request=request
        )
        messages.success(request, f"Segment “{form.cleaned_data['label']}” saved.")
        return redirect("ecdp:unit", unit.pk)
    context = {"unit": unit, "form": form, "item": segment, "what": "segment", "kind": "segment"}
    return render(request, "ecdp/item.html", context, status=422 if form.errors else 200)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def item_delete(request: AppRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    model = CustomEvent if kind == "event" else Segment
    item = get_object_or_404(model, pk=item_pk, business_unit_id=pk)
    services.catalogue_delete(actor=request.user, item=item, request=request)
    messages.success(request, f"“{item.label}” removed from the catalogue.")
    return redirect("ecdp:unit", pk)
