"""Starting ExpertSender CDP scenarios: what differs from ACTITO is only who and what is sent.

Runs are the same TriggerRun/TriggerItem rows, queued, claimed, paced, paused, recovered and
audited by services.py; the ECDP adapter in platforms.py sends them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from actito_admin.ecdp.client import Customer
from actito_admin.ecdp.connection import build_client, effective
from actito_admin.ecdp.customer_list import ParsedCustomers
from actito_admin.ecdp.fields import CustomerRef
from actito_admin.ecdp.models import BusinessUnit, CustomEvent, Segment

from . import services
from .models import Platform, TriggerRun
from .references import name_matches

LOOKUP_CACHE_SECONDS = 60


def identity(
    *, actor: User, unit: BusinessUnit, event: CustomEvent, idempotency_key: uuid.UUID
) -> dict[str, Any]:
    return {
        "idempotency_key": idempotency_key,
        "platform": Platform.ECDP,
        "business_unit": unit,
        "entity": "",
        "table": unit.label,
        "scenario": None,
        "scenario_actito_id": str(event.event_id),
        "scenario_name": event.label,
        "requested_by": actor,
    }


def event_search(*, unit: BusinessUnit, words: str) -> list[CustomEvent]:
    """The catalogue's events whose label matches as ACTITO's scenario search does."""
    return [e for e in unit.events.all() if name_matches(words, e.label)]


def customer_lookup(*, unit: BusinessUnit, ref: CustomerRef) -> Customer:
    """Who a reference is (one governed GET, short wait, cached a minute). Raises EcdpError."""
    bu = effective(unit)
    key = f"ecdp:customer:{bu.scope}:{ref}"
    data = cache.get(key)
    if data is None:
        with build_client(bu, max_wait_seconds=5, max_attempts=1) as client:
            customer = client.get_customer(ref)
        cache.set(key, customer.raw, LOOKUP_CACHE_SECONDS)
        return customer
    return Customer.from_json(data)


def event_request(
    *,
    actor: User,
    unit: BusinessUnit,
    event: CustomEvent,
    customer: CustomerRef,
    customer_label: str,
    data_fields: list[dict[str, str]],
    idempotency_key: uuid.UUID,
    request: HttpRequest | None = None,
) -> TriggerRun:
    """Queue the event for one customer (once per idempotency key)."""
    return services.run_queue_one(
        actor=actor,
        identity=identity(actor=actor, unit=unit, event=event, idempotency_key=idempotency_key),
        kind=TriggerRun.Kind.SINGLE,
        reference_kind=customer.kind,
        reference=str(customer),
        profile_label=customer_label or str(customer),
        data=data_fields,
        request=request,
    )


def segments_request(
    *,
    actor: User,
    unit: BusinessUnit,
    event: CustomEvent,
    segments: list[Segment],
    data_fields: list[dict[str, str]],
    idempotency_key: uuid.UUID,
    request: HttpRequest | None = None,
) -> TriggerRun:
    """Queue one call that reaches every customer of the segments."""
    ids = ",".join(str(s.segment_id) for s in segments)
    names = ", ".join(f"«{s.label}»" for s in segments)
    return services.run_queue_one(
        actor=actor,
        identity=identity(actor=actor, unit=unit, event=event, idempotency_key=idempotency_key),
        kind=TriggerRun.Kind.SEGMENTS,
        reference_kind="segments",
        reference=f"segments={ids}",
        profile_label=_("every customer in %(segments)s") % {"segments": names},
        data=data_fields,
        request=request,
    )


def list_prepare(
    *,
    actor: User,
    unit: BusinessUnit,
    event: CustomEvent,
    kind: str,
    parsed: ParsedCustomers,
    idempotency_key: uuid.UUID,
) -> TriggerRun:
    """A checked list as a draft run; services.trigger_list_confirm sends it."""
    return services.list_prepare(
        identity=identity(actor=actor, unit=unit, event=event, idempotency_key=idempotency_key),
        reference_kind=kind,
        items=[(str(ref), fields) for ref, fields in parsed.items],
        duplicates=len(parsed.duplicates),
        invalid=parsed.invalid,
    )
