from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from actito_admin.accounts.types import AppRequest
from actito_admin.actito.connection import get_connection
from actito_admin.actito.history import calls_chart
from actito_admin.audit.models import AuditEvent
from actito_admin.imports.services import home_card_context as imports_card_context
from actito_admin.imports.stats import import_charts
from actito_admin.scenarios.services import home_card_context

from .health import database_health, task_queue_health

HOME_LEAVES_OUT = ("auth.login", "auth.logout", "scenario.trigger.requested")


@require_GET
def home(request: AppRequest) -> HttpResponse:
    # What people did, not that they came and went; a start shows once, with its outcome (its
    # "requested" twin stays in the audit log). The recent starts card lists starts in flight.
    events = (
        AuditEvent.objects.visible_to(request.user).exclude(action__in=HOME_LEAVES_OUT).recent(10)
    )
    context = {"recent_events": events, **home_card_context(), **imports_card_context()}
    connection = get_connection()
    context["calls_chart"] = calls_chart(
        connection.scope, connection.calls_per_minute, chart_id="home-calls"
    )
    context["imports_chart"] = import_charts(days=14)["imports_chart"]
    return render(request, "web/home.html", context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_health()
    tasks = task_queue_health()
    ok = database["ok"] and tasks["ok"]
    status = "ok" if ok else "error"
    if ok and not tasks["workers_running"]:
        # Still 200: this web process can serve pages, and a load balancer must not take every
        # web process out because the workers (often other machines) are down. Monitoring alerts
        # on "degraded": nothing reaches ACTITO until a `qcluster` runs again.
        status = "degraded"
        tasks["problem"] = "No task worker is running: starts and imports wait in the queue."
    body = {"status": status, "database": database, "task_queue": tasks}
    return JsonResponse(body, status=200 if ok else 503)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke may be what they need.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
