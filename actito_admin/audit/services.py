"""The one way to write the audit log."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import chain
from .actions import Action, action_named
from .client_ip import client_ip
from .models import AuditEvent, derived_refs

REDACTED = "[redacted]"
_SECRET_KEY_NAME = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|apikey|authori[sz]ation|cookie|credential|"
    r"session|csrf|private[_-]?key|^key$)",
    re.IGNORECASE,
)
# Values that look like credentials even under an innocent key (bearer tokens, JWTs).
_SECRET_VALUE = re.compile(r"^(Bearer|Basic)\s+\S+|^eyJ[\w-]+\.[\w-]+\.[\w-]+$")


def redact(value: Any) -> Any:
    """A copy of `value` with secrets replaced, safe to store in the audit log."""
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if _SECRET_KEY_NAME.search(str(k)) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return REDACTED if _SECRET_VALUE.match(value) else value
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def record_event(
    *,
    actor: User | AnonymousUser | None,
    action: Action | str,
    target: models.Model | tuple[str, str] | None = None,
    data: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    request: HttpRequest | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one event. `target` is a model instance or a (type, id) pair.

    `action` is one of audit.actions.Action (a plain name is accepted if it is declared there;
    an undeclared one raises ValueError, so every event in the log has a sentence).

    The scenario and table the event is about are taken from `data` (`scenario_id`;
    `table_name` or `table`) into indexed columns for the review's filters.

    The event is linked to the previous one by hash (see chain.py). Appends are serialised, so
    when called inside a longer transaction, other writers wait until that transaction ends:
    record events at the end of a unit of work where you can.
    """
    action = action_named(action)
    user = actor if actor is not None and actor.is_authenticated else None
    target_type = target_id = target_label = ""
    if isinstance(target, models.Model):
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_label = str(target)[:255]
    elif target is not None:
        target_type, target_id = str(target[0]), str(target[1])
    # Stored exactly as it will be read back, so the hash matches what verification reads.
    recorded = chain.canonical_data(redact(data or {}))
    scenario_ref, table_ref = derived_refs(recorded)
    event = AuditEvent(
        actor=user,
        actor_username=(user.get_username() if user else actor_username)[:150],
        action=action.value,
        target_type=target_type[:64],
        target_id=target_id[:128],
        target_label=target_label,
        data=recorded,
        outcome=outcome,
        scenario_ref=scenario_ref,
        table_ref=table_ref,
    )
    if request is not None:
        event.ip_address = chain.canonical_ip(client_ip(request))
        event.user_agent = request.headers.get("User-Agent", "")[:512]
        event.request_id = getattr(request, "request_id", "")[:64]
    with transaction.atomic():
        chain.append_lock()
        event.prev_hash = chain.last_hash()
        # Taken under the lock, so times never go backwards along the chain on one clock.
        event.created_at = timezone.now()
        event.hash = chain.event_hash({name: getattr(event, name) for name in chain.HASHED_FIELDS})
        event.save()
    return event
