"""Changing ECDP business units and their catalogue: every change audited, the key never."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from actito_admin.actito.connection import encrypt_secret
from actito_admin.audit.services import record_event

from .client import EcdpError
from .connection import build_client, effective
from .fields import TYPES, CustomerRef
from .models import BusinessUnit, CustomEvent, Segment

UNIT_FIELDS = ("label", "base_url", "calls_per_minute", "max_in_flight", "timeout_seconds")
DEMO_LABEL = "Demo business unit (sandbox)"


def business_unit_save(
    *,
    actor: User,
    unit: BusinessUnit | None,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> BusinessUnit:
    """Create or change a business unit; the audit names changed fields, never the key."""
    created = unit is None
    unit = unit or BusinessUnit()
    changed = []
    for name in UNIT_FIELDS:
        value = data.get(name)
        if value in ("", None) and name != "label":
            value = "" if name == "base_url" else None
        if getattr(unit, name) != value:
            setattr(unit, name, value)
            changed.append(name)
    api_key = (data.get("api_key") or "").strip()
    if api_key:
        unit.api_key_encrypted = encrypt_secret(api_key)
        unit.api_key_last4 = api_key[-4:] if len(api_key) >= 8 else ""
        changed.append("api_key")
    elif data.get("clear_api_key"):
        unit.api_key_encrypted = unit.api_key_last4 = ""
        changed.append("api_key")
    with transaction.atomic():
        unit.save()
        if changed:
            record_event(
                actor=actor,
                action="ecdp.business_unit.created" if created else "ecdp.business_unit.changed",
                target=unit,
                data={"business_unit": unit.label, "changed": changed},
                request=request,
            )
    return unit


def business_unit_test(*, unit: BusinessUnit) -> tuple[bool, str]:
    """One governed look-up of a customer nobody has: 404 means the key works."""
    try:
        with build_client(effective(unit), max_wait_seconds=5, max_attempts=1) as client:
            client.get_customer(CustomerRef("id", "0"))
    except EcdpError as exc:
        if exc.status == 404:
            return True, _("ECDP accepted the API key.")
        return False, exc.user_message
    return True, _("ECDP accepted the API key.")


def _clean_declared(fields: Any) -> list[dict[str, Any]]:
    declared = []
    for item in fields or []:
        if isinstance(item, dict) and item.get("name") and item.get("type") in TYPES:
            declared.append(
                {
                    "name": str(item["name"]),
                    "type": item["type"],
                    "required": bool(item.get("required")),
                }
            )
    return declared


def catalogue_fill(
    *,
    unit: BusinessUnit,
    catalogue: dict[str, Any],
    actor: User | None,
    request: HttpRequest | None = None,
) -> tuple[int, int]:
    """Add or update events and segments from a catalogue document (the sandbox's)."""
    with transaction.atomic():
        for item in catalogue.get("events", []):
            CustomEvent.objects.update_or_create(
                business_unit=unit,
                event_id=int(item["id"]),
                defaults={
                    "label": str(item.get("label") or item["id"])[:200],
                    "description": str(item.get("description") or ""),
                    "data_fields": _clean_declared(item.get("dataFields")),
                },
            )
        for item in catalogue.get("segments", []):
            size = item.get("size")
            Segment.objects.update_or_create(
                business_unit=unit,
                segment_id=int(item["id"]),
                defaults={
                    "label": str(item.get("label") or item["id"])[:200],
                    "note": _("about %(size)s customers") % {"size": f"{size:,}"}
                    if isinstance(size, int)
                    else "",
                },
            )
        counts = (len(catalogue.get("events", [])), len(catalogue.get("segments", [])))
        record_event(
            actor=actor,
            action="ecdp.catalogue.filled",
            target=unit,
            data={"business_unit": unit.label, "events": counts[0], "segments": counts[1]},
            request=request,
            actor_username="",  # no person: shown as "system" in the reader's language
        )
    return counts


def sandbox_catalogue() -> dict[str, Any]:
    """The sandbox's own catalogue (sandbox mode only; ECDP itself cannot list it)."""
    response = httpx.get(settings.SANDBOX_URL.rstrip("/") + "/_sandbox/ecdp/catalogue", timeout=5)
    response.raise_for_status()
    return response.json()


def demo_unit_ensure() -> BusinessUnit | None:
    """In sandbox mode with no business unit yet: one on the sandbox, catalogue pre-filled."""
    if not settings.SANDBOX_URL or BusinessUnit.objects.exists():
        return None
    try:
        catalogue = sandbox_catalogue()
    except (httpx.HTTPError, ValueError):
        return None  # the sandbox is not up (yet): try again on the next visit
    with transaction.atomic():
        unit, created = BusinessUnit.objects.get_or_create(label=DEMO_LABEL)
        if created:
            catalogue_fill(unit=unit, catalogue=catalogue, actor=None)
    return unit


CATALOGUE_FIELDS = {
    "event": ("event_id", "label", "description", "data_fields"),
    "segment": ("segment_id", "label", "note"),
}


def catalogue_save(
    *,
    actor: User,
    unit: BusinessUnit,
    kind: str,
    item: CustomEvent | Segment | None,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> CustomEvent | Segment:
    """Add or change a custom event or a segment of the catalogue (audited)."""
    created = item is None
    item = item or (CustomEvent if kind == "event" else Segment)(business_unit=unit)
    for name in CATALOGUE_FIELDS[kind]:
        setattr(item, name, data[name])
    audit = {
        "business_unit": unit.label,
        f"{kind}_id": data[f"{kind}_id"],
        f"{kind}_label": item.label,
    }
    if kind == "event":
        audit["data_fields"] = [f"{f['name']} ({f['type']})" for f in data["data_fields"]]
    with transaction.atomic():
        item.save()
        action = f"ecdp.{kind}.{'created' if created else 'changed'}"
        record_event(actor=actor, action=action, target=item, data=audit, request=request)
    return item


def catalogue_delete(
    *,
    actor: User,
    item: CustomEvent | Segment,
    request: HttpRequest | None = None,
) -> None:
    kind = "event" if isinstance(item, CustomEvent) else "segment"
    data = {"business_unit": item.business_unit.label, f"{kind}_label": item.label}
    with transaction.atomic():
        record_event(
            actor=actor, action=f"ecdp.{kind}.deleted", target=item, data=data, request=request
        )
        item.delete()
