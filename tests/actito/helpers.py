"""Shared test helpers: an in-process governor and a client on an httpx.MockTransport."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

import httpx
from django.core.cache.backends.locmem import LocMemCache

from actito_admin.actito.client import ActitoClient
from actito_admin.actito.governor import (
    IN_FLIGHT,
    Governor,
    ImportSlot,
    Limits,
    _Attempt,
)

BASE = "https://actito.test"
TOKEN_BODY = {"accessToken": "tok-1", "tokenType": "bearer", "expiresIn": "900s"}


class MemoryBackend:
    """A single-process backend that counts what the client asks of the governor."""

    def __init__(self) -> None:
        self.acquired = 0
        self.in_flight = 0
        self.max_seen = 0
        self.imports: dict[str, str] = {}
        self.released_imports: list[str] = []
        self.extended = 0

    def try_acquire(self, scope: str, limits: Limits, token: str, lease: float) -> _Attempt:
        if self.in_flight >= limits.max_in_flight:
            return _Attempt(False, 0.01, IN_FLIGHT)
        self.acquired += 1
        self.in_flight += 1
        self.max_seen = max(self.max_seen, self.in_flight)
        return _Attempt(True)

    def release(self, scope: str, token: str) -> None:
        self.in_flight -= 1

    def extend(self, scope: str, token: str, lease_seconds: float) -> None:
        self.extended += 1

    def reserve_import(
        self, scope: str, table_id: str, table_name: str, note: str, limit: int
    ) -> ImportSlot:
        slot_id = str(len(self.imports) + 1)
        self.imports[slot_id] = table_id
        return ImportSlot(slot_id, table_id, table_name, datetime.date.today(), 1, limit)

    def release_import(self, scope: str, slot_id: str) -> None:
        self.released_imports.append(slot_id)

    def usage(self, scope: str, limits: Limits, table: str | None) -> tuple:
        return self.acquired, self.in_flight, None, None

    def tables_today(self, scope: str) -> list[str]:
        return []


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    backend: MemoryBackend | None = None,
    cache: LocMemCache | None = None,
    **kwargs,
) -> ActitoClient:
    backend = backend or MemoryBackend()
    governor = Governor(scope="test", limits=Limits(), backend=backend, sleep=lambda s: None)
    options = {
        "base_url": BASE,
        "api_key": "secret-api-key-1234",
        "entity": "actito",
        "governor": governor,
        "transport": httpx.MockTransport(handler),
        "token_cache": cache or LocMemCache(f"actito-test-{uuid.uuid4().hex}", {}),
        "sleep": lambda s: None,
        "backoff_seconds": 0.0,
    }
    options.update(kwargs)
    return ActitoClient(**options)


def token_or(handler: Callable[[httpx.Request], httpx.Response]):
    """Answer /auth/token, pass everything else to `handler`."""

    def wrapped(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(200, json=TOKEN_BODY)
        return handler(request)

    return wrapped
