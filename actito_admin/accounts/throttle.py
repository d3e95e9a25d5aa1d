"""A second lock, per address: django-axes locks a (username, address) pair after a few wrong
passwords, which still lets one address try a few passwords on every username. This counts the
failed log-ins of an address, whatever the username, and pauses log-ins from it past a higher
limit (an office behind one address makes more honest mistakes than one person)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from actito_admin.audit.client_ip import client_ip


def _key(request: HttpRequest) -> str | None:
    address = client_ip(request)
    return f"login-failures:{address}" if address else None


def note_failure(request: HttpRequest | None) -> None:
    key = _key(request) if request is not None else None
    if key is None:
        return
    window = int(settings.AXES_COOLOFF_TIME * 3600)
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


def address_locked(request: HttpRequest) -> bool:
    key = _key(request)
    return key is not None and (cache.get(key) or 0) >= settings.LOGIN_FAILURES_PER_ADDRESS
