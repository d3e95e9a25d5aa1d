from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actito_admin import live
from actito_admin.accounts.types import AppRequest

from . import services
from .connection import DEFAULT_NAME, get_connection, get_governor
from .errors import ActitoError
from .forms import ConnectionForm
from .governor import GovernorUsage
from .history import calls_chart
from .models import Connection, ConnectionCheck

TEMPLATE = "actito/settings.html"


def _usage() -> dict[str, Any]:
    """Governor usage for people. Reads our database or Redis only, never ACTITO."""
    try:
        governor = get_governor()
        overall: GovernorUsage | None = governor.usage()
        tables = [governor.usage(table=t) for t in governor.tables_today()]
        return {"usage": overall, "table_usage": tables, "usage_error": ""}
    except ActitoError as exc:
        return {"usage": None, "table_usage": [], "usage_error": exc.user_message}
    except Exception:  # the panel must never break the page
        return {"usage": None, "table_usage": [], "usage_error": _("Usage is unavailable.")}


@require_http_methods(["GET", "POST"])
@permission_required("accounts.manage_connection", raise_exception=True)
def connection_settings(request: AppRequest) -> HttpResponse:
    row = Connection.objects.filter(name=DEFAULT_NAME).first()
    status = 200
    if request.method == "POST":
        form = ConnectionForm(request.POST, current=row)
        if form.is_valid():
            changed = services.connection_update(
                actor=request.user, data=form.cleaned_data, request=request
            )
            if changed:
                messages.success(request, _("Connection settings saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("connection_settings")
        status = 422
    else:
        form = ConnectionForm(initial=services.connection_initial(row))
    context = {
        "form": form,
        "connection": get_connection(),
        "key_last4": row.api_key_last4 if row else "",
        "check": ConnectionCheck.objects.filter(connection__name=DEFAULT_NAME).first(),
        **_usage(),
    }
    connection = context["connection"]
    context["calls_chart"] = calls_chart(connection.scope, connection.calls_per_minute)
    return render(request, TEMPLATE, context, status=status)


@require_POST
@permission_required("accounts.manage_connection", raise_exception=True)
def connection_test(request: AppRequest) -> HttpResponse:
    check = services.connection_check_request(actor=request.user, request=request)
    if request.htmx:
        return render(request, f"{TEMPLATE}#check", {"check": check})
    return redirect("connection_settings")


@require_GET
@permission_required("accounts.manage_connection", raise_exception=True)
def connection_test_status(request: AppRequest, pk: int) -> HttpResponse:
    # Polled every second while the check runs: reads our database only; 304 while unchanged.
    version = ConnectionCheck.objects.filter(pk=pk).values_list("status", "finished_at").first()
    if version is None:
        raise Http404
    etag = live.etag_for(version, live.reader_and_moment(request))
    if (unchanged := live.not_modified(request, etag)) is not None:
        return unchanged
    check = get_object_or_404(ConnectionCheck, pk=pk)
    return live.tagged(render(request, f"{TEMPLATE}#check", {"check": check}), etag, version)


@require_GET
@permission_required("accounts.manage_connection", raise_exception=True)
def connection_usage(request: AppRequest) -> HttpResponse:
    usage = _usage()
    # The reader's language too: the same numbers read differently in French.
    etag = live.etag_for(repr(usage), get_language())
    if (unchanged := live.not_modified(request, etag)) is not None:
        return unchanged
    return live.tagged(render(request, f"{TEMPLATE}#usage", usage), etag, repr(usage))
