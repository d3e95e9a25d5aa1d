"""ECDP test helpers: the demo business unit on the sandbox, its catalogue, recorded events."""

from __future__ import annotations

import uuid
from typing import Any

from actito_admin.ecdp.models import BusinessUnit, CustomEvent, Segment
from actito_admin.ecdp.services import catalogue_fill
from actito_admin.sandbox.ecdp_seed import EVENTS


def sandbox_unit(sandbox: Any, **limits: Any) -> BusinessUnit:
    """A business unit without key (so: the sandbox), its catalogue copied from the sandbox."""
    unit = BusinessUnit.objects.create(label="Demo BU", **limits)
    catalogue_fill(unit=unit, catalogue=sandbox.app.ecdp.catalogue(), actor=None)
    return unit


def event(unit: BusinessUnit, event_id: int) -> CustomEvent:
    return unit.events.get(event_id=event_id)


def segment(unit: BusinessUnit, segment_id: int) -> Segment:
    return unit.segments.get(segment_id=segment_id)


def recorded(sandbox: Any, event_id: int | None = None) -> list[dict]:
    return sandbox.app.ecdp.recorded(event_id=event_id)


def key() -> uuid.UUID:
    return uuid.uuid4()


assert len(EVENTS) >= 8
