"""Saved mappings: a mapping remembered for one table and one set of CSV headers, applied when a
file with the same headers comes back (audited when it changes)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from actito_admin.actito.connection import get_connection
from actito_admin.audit.services import record_event

from .mapping import (
    OPTION_FIELDS,
    ImportTable,
)
from .models import ImportJob, MappingTemplate


def header_key(headers: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(sorted(headers)).encode()).hexdigest()


def latest_template_for_headers(headers: Sequence[str]) -> MappingTemplate | None:
    """The most recently saved mapping for files with these column names, whatever its table:
    a second upload of the same export goes where the first one went."""
    return (
        MappingTemplate.objects.filter(scope=get_connection().scope, header_key=header_key(headers))
        .order_by("-updated_at")
        .first()
    )


def template_for(job: ImportJob) -> MappingTemplate | None:
    if not job.table_id:
        return None
    return MappingTemplate.objects.filter(
        scope=get_connection().scope, table_id=job.table_id, header_key=header_key(job.headers)
    ).first()


def remember_mapping(job: ImportJob) -> MappingTemplate:
    """The import that used this mapping ended well: remember it now, in the name of the person
    who sent it (the worker has no user of its own), and say so on the import's page."""
    template = mapping_template_save(actor=job.submitted_by, job=job)
    ImportJob.objects.filter(pk=job.pk).update(mapping_remembered=True)
    job.mapping_remembered = True
    return template


def mapping_template_save(*, actor: User | None, job: ImportJob) -> MappingTemplate:
    """Remember the job's mapping for files with the same headers (audited when it changes)."""
    scope, key = get_connection().scope, header_key(job.headers)
    previous = MappingTemplate.objects.filter(
        scope=scope, table_id=job.table_id, header_key=key
    ).first()
    template, created = MappingTemplate.objects.update_or_create(
        scope=scope,
        table_id=job.table_id,
        header_key=key,
        defaults={
            "table_name": job.table_name,
            "headers": job.headers,
            "mapping": job.mapping,
            "mode": job.mode,
            "report_recipients": job.report_recipients,
            "updated_by": actor,
        },
    )
    changed = (
        [] if previous is None else changed_columns(job.headers, previous.mapping, job.mapping)
    )
    if created or changed or (previous and previous.mode != job.mode):
        record_event(
            actor=actor,
            actor_username=actor.get_username() if actor else "",
            action="import.template_saved",
            target=template,
            data={
                "table_name": template.table_name,
                "columns": len(template.headers),
                "changed_columns": changed,
                "created": created,
                "import_id": job.pk,
            },
        )
    return template


def template_table(template: MappingTemplate) -> ImportTable | None:
    """The table a saved mapping is edited against: the structure copied by the latest import
    into that table (a template is always saved from one, and jobs keep their copy after their
    files are purged). None when no such import is left."""
    structure = (
        ImportJob.objects.filter(table_id=template.table_id)
        .exclude(table_structure={})
        .values_list("table_structure", flat=True)
        .first()
    )
    return ImportTable.from_structure(structure) if structure else None


def _column_settings(mapping: Sequence[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        m["header"]: (
            m["target"],
            *(bool(m.get(o)) for o in OPTION_FIELDS),
            m.get("value_format") or "auto",
        )
        for m in mapping
    }


def changed_columns(
    headers: Sequence[str], before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> list[str]:
    """Names of the columns whose target or options differ (never their values)."""
    old, new = _column_settings(before), _column_settings(after)
    return [h for h in headers if old.get(h) != new.get(h)]


def mapping_template_update(
    *,
    actor: User,
    template: MappingTemplate,
    mapping: list[dict[str, Any]],
    mode: str,
    report_recipients: list[str],
    request: HttpRequest | None = None,
) -> MappingTemplate:
    """Save a marketer's changes to a saved mapping; the next file with these headers gets them."""
    changed = changed_columns(template.headers, template.mapping, mapping)
    with transaction.atomic():
        template.mapping, template.mode = mapping, mode
        template.report_recipients = report_recipients
        template.updated_by = actor
        template.save()
        record_event(
            actor=actor,
            action="import.template_updated",
            target=template,
            data={
                "table_name": template.table_name,
                "columns": len(template.headers),
                # Column names only (never values): which ones now go elsewhere or changed options.
                "changed_columns": changed,
                "mode": mode,
            },
            request=request,
        )
    return template


def mapping_template_delete(
    *, actor: User, template: MappingTemplate, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action="import.template_deleted",
            target=template,
            data={"table_name": template.table_name, "columns": len(template.headers)},
            request=request,
        )
        template.delete()
