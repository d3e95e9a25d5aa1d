"""ECDP settings for admins: business units (key write-only, Test connection) and catalogue."""

from __future__ import annotations

from typing import Any, cast

import httpx
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
            form.add_error("label", _("A business unit already has this label."))
        else:
            unit = services.business_unit_save(
                actor=request.user, unit=None, data=form.cleaned_data, request=request
            )
            messages.success(request, _("Business unit “%(label)s” added.") % {"label": unit.label})
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
        form = BusinessUnitForm(request.POST, current=unit)
        if form.is_valid():
            services.business_unit_save(
                actor=request.user, unit=unit, data=form.cleaned_data, request=request
            )
            messages.success(request, _("Business unit saved."))
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
        messages.error(request, _("The sandbox did not answer; is it running?"))
    else:
        messages.success(
            request,
            _("%(events)s events and %(segments)s segments from the sandbox.")
            % {"events": events, "segments": segments},
        )
    return redirect("ecdp:unit", unit.pk)


CATALOGUE: dict[str, tuple[type[CustomEvent] | type[Segment], Any, str | Promise]] = {
    "event": (CustomEvent, EventForm, gettext_lazy("custom event")),
    "segment": (Segment, SegmentForm, gettext_lazy("segment")),
}


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def catalogue_edit(
    request: AppRequest, pk: int, kind: str, item_pk: int | None = None
) -> HttpResponse:
    """Add or change one custom event or segment of a business unit's catalogue."""
    unit = get_object_or_404(BusinessUnit, pk=pk)
    model, form_class, what = CATALOGUE[kind]
    item = (
        cast(CustomEvent | Segment, get_object_or_404(model, pk=item_pk, business_unit=unit))
        if item_pk
        else None
    )
    form = form_class(request.POST or None, unit=unit, instance=item)
    if request.method == "POST" and form.is_valid():
        services.catalogue_save(
            actor=request.user,
            unit=unit,
            kind=kind,
            item=item,
            data=form.cleaned_data,
            request=request,
        )
        messages.success(request, _("“%(label)s” saved.") % {"label": form.cleaned_data["label"]})
        return redirect("ecdp:unit", unit.pk)
    context = {"unit": unit, "form": form, "item": item, "what": what, "kind": kind}
    return render(request, "ecdp/item.html", context, status=422 if form.errors else 200)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def item_delete(request: AppRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    model = CATALOGUE[kind][0] if kind in CATALOGUE else None
    if model is None:
        raise Http404
    item = cast(CustomEvent | Segment, get_object_or_404(model, pk=item_pk, business_unit_id=pk))
    services.catalogue_delete(actor=request.user, item=item, request=request)
    messages.success(request, _("“%(label)s” removed from the catalogue.") % {"label": item.label})
    return redirect("ecdp:unit", pk)
