"""How an event reads on a page: `{{ event|sentence }}`, `{{ event|target_url }}`.

Presentation lives here and in sentences.py; the model knows neither (it is imported by every
app, and sentences reverse URLs of the apps that record events).
"""

from __future__ import annotations

from django import template

from ..models import AuditEvent
from ..sentences import describe
from ..sentences import target_url as _target_url

register = template.Library()


@register.filter
def sentence(event: AuditEvent) -> str:
    return describe(event)


@register.filter
def target_url(event: AuditEvent) -> str | None:
    return _target_url(event)
