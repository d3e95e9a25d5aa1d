"""Import pages. One view per URL renders the page or, for htmx, the fragment it swaps.

Everyone with the console may look; uploading, checking, sending and downloading need
accounts.run_imports. The live status fragment reads our database only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from actito_admin import csvflavour, live
from actito_admin.accounts.types import AppRequest
from actito_admin.actito.errors import ActitoError, ImportQuotaExceeded
from actito_admin.listing import numbered_page

from . import files, saved_mappings, services
from .conf import max_import_bytes
from .conversions import AUTO, resolve
from .csvfile import Detection, FileProblem
from .forms import (
    FormatForm,
    JobFilterForm,
    MappingForm,
    SubmitForm,
    TableForm,
    TemplateForm,
    UploadForm,
)
from .mapping import MODE_HELP, ImportTable
from .models import ImportJob, MappingTemplate
from .stats import import_charts
from .validation import SYSTEM_ATTRIBUTES, value_kind

RUN = "accounts.run_imports"


# --- list and upload -----------------------------------------------------------------------------


@require_GET
def job_list(request: AppRequest) -> HttpResponse:
    users = get_user_model().objects.filter(pk__in=ImportJob.objects.values("requested_by"))
    tables = sorted(
        set(ImportJob.objects.exclude(table_name="").values_list("table_name", flat=True))
    )
    form = JobFilterForm(request.GET or None, tables=tables, users=users)
    jobs = ImportJob.objects.select_related("requested_by")
    if form.is_bound:
        jobs = jobs.filtered(**form.filters()) if form.is_valid() else jobs.none()
    page, pager = numbered_page(request, jobs, 25)
    context = {
        "form": form,
        "page": page,
        "pager": pager,
        "jobs": page.object_list,
        "quota": services.quota_today(),
        "filtered": bool(form.is_bound and form.has_changed()),
    }
    if request.htmx and request.htmx.target == "import-jobs":
        return render(request, "imports/list.html#jobs", context)
    context |= import_charts()
    return render(request, "imports/list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(RUN, raise_exception=True)
def job_new(request: AppRequest) -> HttpResponse:
    form = UploadForm()
    problem = ""
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.import_job_create(
                    actor=request.user, uploaded=form.cleaned_data["file"], request=request
                )
            except FileProblem as exc:
                problem = exc.message
            else:
                url = reverse("imports:detail", args=[job.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        status = 422
    else:
        status = 200
    context = {"form": form, "problem": problem}
    if request.htmx:
        return render(request, "imports/new.html#upload", context, status=status)
    return render(request, "imports/new.html", context, status=status)


# --- one job -------------------------------------------------------------------------------------


def _workspace(
    request: AppRequest, job: ImportJob, *, may_call_actito: bool = True, **extra: Any
) -> dict[str, Any]:
    """Everything the job page shows, step by step: each step's context function reads our
    database (and the file's first rows); a form passed in `extra` (bound, with its errors)
    replaces the fresh one of its step.

    Only the table step may need ACTITO (a cached read-through); a fragment rendered for a
    status poll passes may_call_actito=False and makes do with the cache.
    """
    context: dict[str, Any] = {"job": job, **extra}
    if job.is_editable or "format_form" in extra:
        context |= _format_step(job) | extra
    if job.is_editable and "table_form" not in extra:
        context |= _table_step(job, may_call_actito=may_call_actito) | extra
    context |= _mapping_step(job, context.get("detection")) | extra
    if "mapping_form" in context and context.get("table") is not None:
        context["mode_choices"] = _mode_choices(context["mapping_form"])
        context["columns"] = _columns(
            context["mapping_form"], context["matches"], context.get("detection")
        )
    return context | _status_context(job) | extra


def _format_step(job: ImportJob) -> dict[str, Any]:
    """Step 1: how the file is read, with its first rows as read that way."""
    context: dict[str, Any] = {
        "format_form": FormatForm(
            initial={
                "encoding": job.encoding,
                "separator": job.separator,
                "quotechar": job.quotechar,
            }
        )
    }
    try:
        context["detection"] = services.job_detection(job)
    except FileProblem as exc:
        context["format_problem"] = exc.message
    return context


def _table_step(job: ImportJob, *, may_call_actito: bool) -> dict[str, Any]:
    """Step 2: the destination table, chosen from ACTITO's list."""
    context: dict[str, Any] = {}
    try:
        tables = services.table_list() if may_call_actito else services.table_list_cached()
    except ActitoError as exc:
        context["tables_problem"] = exc.user_message
        tables = []
    if tables is None:  # not cached: offer the chosen table; "Reload the list" fetches all
        tables = [job.table_structure] if job.table_structure else []
    initial = job.table_id
    saved = None if initial else saved_mappings.latest_template_for_headers(job.headers)
    if saved is not None and any(str(t.get("id")) == saved.table_id for t in tables):
        initial = saved.table_id
        context["table_from_saved_mapping"] = saved
    context["table_form"] = TableForm(initial={"table": initial}, tables=tables)
    return context


def _mapping_step(job: ImportJob, detection: Detection | None) -> dict[str, Any]:
    """Step 3: where each column goes (editable until the file is sent)."""
    table = services.job_table(job)
    context: dict[str, Any] = {"table": table}
    if table is None:
        return context
    context |= _table_facts(table)
    context["matches"] = services.job_matches(job)
    context["template"] = saved_mappings.template_for(job)
    if job.is_editable:
        context["mapping_form"] = MappingForm(
            initial=MappingForm.initial_for(job), headers=job.headers, table=table
        )
    return context


def _table_facts(table: ImportTable) -> dict[str, list[str]]:
    return {
        "key_names": [a.name for a in table.key_attributes],
        # ACTITO fills profileId and creationMoment itself: not something to map.
        "mandatory_names": [
            a.name for a in table.attributes if a.mandatory and a.name not in SYSTEM_ATTRIBUTES
        ],
    }


def _mode_choices(form: MappingForm) -> list[tuple[Any, str]]:
    """Each mode's radio button with its plain-language explanation."""
    return [(r, MODE_HELP[r.data["value"]][1]) for r in form["mode"]]


def _columns(
    form: MappingForm, matches: dict[str, Any], detection: Detection | None
) -> list[dict[str, Any]]:
    rows = detection.preview if detection else []
    columns = form.columns()
    for column in columns:
        column["match"] = matches.get(column["header"])
        i = column["index"]
        # An example value helps recognise a column with a cryptic name.
        samples = [r[i] for r in rows if i < len(r) and r[i].strip()]
        column["sample"] = samples[0] if samples else ""
        column["sent_as"] = _sent_as(form, column, samples)
    return columns


def _sent_as(form: MappingForm, column: dict[str, Any], samples: list[str]) -> str:
    """The example as ACTITO will get it (26/05/1967 → 1967-05-26), for the field the column
    goes to now; empty when it goes as it is."""
    target = form.table.target(str(column["target"].value() or ""))
    if target is None or not samples:
        return ""
    chosen = str(column["value_format"].value() or AUTO)
    value_format = resolve(value_kind(target), chosen, samples)
    if value_format.convert is None:
        return ""
    sent = value_format.convert(samples[:1])[0]
    return sent if sent != samples[0] else ""


def _status_context(job: ImportJob) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job, "max_import_bytes": max_import_bytes()}
    if job.status == ImportJob.Status.VALIDATED and job.table_id:
        context["quota"] = services.quota_usage(table_id=job.table_id, table_name=job.table_name)
        context.setdefault("submit_form", SubmitForm(job=job))
    return context


def _step_response(
    request: AppRequest, job: ImportJob, step: str, *, status: int, **extra: Any
) -> HttpResponse:
    """One step changed alone (its form came back with errors, or the table list was reloaded):
    htmx swaps that step's partial in place; without htmx the whole page comes back."""
    if not request.htmx:
        return _render_workspace(request, job, status=status, **extra)
    context: dict[str, Any] = {"job": job}
    if step == "format":
        context |= _format_step(job) | extra
    elif step == "table":
        fresh = {} if "table_form" in extra else _table_step(job, may_call_actito=False)
        context |= fresh | extra
    else:
        detection = _format_step(job).get("detection")
        context |= _mapping_step(job, detection) | extra
        context["mode_choices"] = _mode_choices(context["mapping_form"])
        context["columns"] = _columns(context["mapping_form"], context["matches"], detection)
    response = render(request, f"imports/detail.html#{step}-step", context, status=status)
    return reswap(retarget(response, f"#step-{step}"), "outerHTML")


def _render_workspace(
    request: AppRequest, job: ImportJob, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _workspace(request, job, **extra)
    template = "imports/detail.html#workspace" if request.htmx else "imports/detail.html"
    return render(request, template, context, status=status)


@require_GET
def job_detail(request: AppRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.select_related("requested_by"), pk=pk)
    return render(request, "imports/detail.html", _workspace(request, job))


@require_GET
def job_status(request: AppRequest, pk: int) -> HttpResponse:
    # Polled every second while the import is live: one query and no rendering (304) while
    # nothing changed.
    version = ImportJob.objects.live_version(pk)
    if version is None:
        raise Http404
    etag = live.etag_for(version, request.GET.get("was"), live.reader_and_moment(request))
    if (unchanged := live.not_modified(request, etag)) is not None:
        return unchanged
    job = get_object_or_404(ImportJob, pk=pk)
    # When a check ends, the whole workspace changes (results, submit form): swap it all once.
    if request.GET.get("was") in ImportJob.CHECK and not job.is_checking:
        return live.tagged(_workspace_swap(request, job), etag, version)
    return live.tagged(
        render(request, "imports/detail.html#status", _status_context(job)), etag, version
    )


def _workspace_swap(request: AppRequest, job: ImportJob) -> HttpResponse:
    context = _workspace(request, job, may_call_actito=False)
    response = render(request, "imports/detail.html#workspace", context)
    # The poll targets the status box; retarget to the workspace so the mapping form updates too.
    return reswap(retarget(response, "#workspace"), "outerHTML")


@require_POST
@permission_required(RUN, raise_exception=True)
def job_format(request: AppRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if not job.is_editable:
        return _render_workspace(request, job, status=409)
    form = FormatForm(request.POST)
    if not form.is_valid():
        return _step_response(request, job, "format", status=422, format_form=form)
    try:
        services.import_job_format_update(job=job, **form.cleaned_data)
    except FileProblem as exc:
        job.refresh_from_db()
        return _step_response(
            request, job, "format", status=422, format_form=form, format_problem=exc.message
        )
    if job.table_structure:
        # New headers may come with a new separator: match them again.
        services.import_job_table_choose(job=job, structure=job.table_structure)
    return _render_workspace(request, job)


@require_POST
@permission_required(RUN, raise_exception=True)
def job_table(request: AppRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if not job.is_editable:
        return _render_workspace(request, job, status=409)
    try:
        tables = services.table_list(refresh=bool(request.POST.get("refresh")))
    except ActitoError as exc:
        return _step_response(request, job, "table", status=200, tables_problem=exc.user_message)
    form = TableForm(request.POST, tables=tables)
    if request.POST.get("refresh") or not form.is_valid():
        status = 200 if request.POST.get("refresh") else 422
        return _step_response(request, job, "table", status=status, table_form=form)
    structure = next(t for t in tables if str(t.get("id")) == form.cleaned_data["table"])
    services.import_job_table_choose(job=job, structure=structure)
    return _render_workspace(request, job)


@require_POST
@permission_required(RUN, raise_exception=True)
def job_validate(request: AppRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    table = services.job_table(job)
    if not job.is_editable or table is None:
        return _render_workspace(request, job, status=409)
    form = MappingForm(request.POST, headers=job.headers, table=table)
    if not form.is_valid():
        return _step_response(request, job, "mapping", status=422, mapping_form=form)
    data = form.cleaned_data
    job = services.import_job_validate_request(
        actor=request.user,
        job=job,
        mapping=data["mapping"],
        mode=data["mode"],
        report_recipients=data["report_recipients"],
        leave_out_invalid=data["leave_out_invalid"],
        save_template=data["save_template"],
    )
    return _render_workspace(request, job)


@require_POST
@permission_required(RUN, raise_exception=True)
def job_submit(request: AppRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    form = SubmitForm(request.POST, job=job)
    # The whole workspace: once sent, the forms above the status become a read-only summary.
    template = "imports/detail.html#workspace" if request.htmx else "imports/detail.html"
    if not form.is_valid():
        context = _workspace(request, job) | {"submit_form": form}
        return render(request, template, context, status=422)
    try:
        job = services.import_job_submit(actor=request.user, job=job, request=request)
    except ImportQuotaExceeded as exc:
        context = _workspace(request, job) | {"submit_problem": exc.user_message}
        return render(request, template, context, status=422)
    if not request.htmx:
        return redirect("imports:detail", pk=job.pk)
    return render(request, template, _workspace(request, job))


# --- files ---------------------------------------------------------------------------------------


@require_GET
@permission_required(RUN, raise_exception=True)
def job_error_file(request: AppRequest, pk: int) -> HttpResponseBase:
    job = get_object_or_404(ImportJob, pk=pk)
    path = files.job_error_file_download(actor=request.user, job=job, request=request)
    if path is None:
        raise Http404("No error file for this import.")
    stem = job.original_name.split(".")[0] or "import"
    name = f"{stem}-rows-with-errors.csv"
    if csvflavour.excel_requested(request):
        return _csv_stream(csvflavour.for_excel(_file_chunks(path)), csvflavour.excel_name(name))
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=name,
        content_type="text/csv",
    )


def _file_chunks(path: Any) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            yield chunk


def _csv_stream(chunks: Iterator[bytes], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@permission_required(RUN, raise_exception=True)
def job_output(request: AppRequest, pk: int, member: str) -> HttpResponseBase:
    job = get_object_or_404(ImportJob, pk=pk)
    download = files.job_output_download(
        actor=request.user, job=job, member=member, request=request
    )
    if download is None:
        raise Http404("No such file for this import.")
    if csvflavour.excel_requested(request):
        return _csv_stream(
            csvflavour.for_excel(download.chunks), csvflavour.excel_name(download.name)
        )
    return _csv_stream(download.chunks, download.name)


# --- saved mappings ------------------------------------------------------------------------------


@require_GET
def template_list(request: AppRequest) -> HttpResponse:
    templates = MappingTemplate.objects.select_related("updated_by")
    return render(request, "imports/templates.html", {"templates": templates})


@require_http_methods(["GET", "POST"])
@permission_required(RUN, raise_exception=True)
def template_edit(request: AppRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(MappingTemplate.objects.select_related("updated_by"), pk=pk)
    table = saved_mappings.template_table(template)
    context: dict[str, Any] = {"template": template, "table": table}
    if table is None:
        # No import into this table is left to say which fields it has: nothing to choose from.
        return render(request, "imports/template_edit.html", context, status=409)
    if request.method == "POST":
        form = TemplateForm(request.POST, headers=template.headers, table=table)
        if form.is_valid():
            data = form.cleaned_data
            saved_mappings.mapping_template_update(
                actor=request.user,
                template=template,
                mapping=data["mapping"],
                mode=data["mode"],
                report_recipients=data["report_recipients"],
                request=request,
            )
            messages.success(
                request,
                _("Mapping for %(table)s saved. The next file with these columns gets it.")
                % {"table": template.table_name or template.table_id},
            )
            return redirect("imports:templates")
        status = 422
    else:
        form = TemplateForm(
            initial=TemplateForm.initial_for(template), headers=template.headers, table=table
        )
        status = 200
    context |= _table_facts(table) | {
        "form": form,
        "columns": form.columns(),
        "mode_choices": _mode_choices(form),
        # Links to fields the table no longer has show as "Don't import": say so.
        "lost": [m for m in template.mapping if table.target(m["target"]) is None],
    }
    return render(request, "imports/template_edit.html", context, status=status)


@require_POST
@permission_required(RUN, raise_exception=True)
def template_delete(request: AppRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(MappingTemplate, pk=pk)
    saved_mappings.mapping_template_delete(actor=request.user, template=template, request=request)
    return redirect("imports:templates")
