"""Contract tests: our ActitoClient against the ACTITO sandbox over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.core.cache.backends.locmem import LocMemCache

from actito_admin.actito.client import ActitoClient
from actito_admin.actito.governor import DatabaseBackend, Governor, Limits
from actito_admin.sandbox.config import DEMO_API_KEY, DEMO_ENTITY, SandboxConfig
from actito_admin.sandbox.server import RunningSandbox, start_server


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    # Executions finish on their first read so that polling tests need no sleeping.
    server = start_server(
        port=0, config=SandboxConfig(execution_seconds=0, execution_ms_per_1000_rows=0)
    )
    yield server
    server.stop()


@pytest.fixture
def fresh_sandbox(sandbox: RunningSandbox) -> RunningSandbox:
    sandbox.app.reset()
    sandbox.app.update_config(
        {"max_concurrent": 5, "daily_imports_per_table": 12, "token_ttl_seconds": 900}
    )
    return sandbox


@pytest.fixture
def governor(db) -> Governor:
    return Governor(
        scope=f"contract-{uuid.uuid4().hex[:8]}",
        limits=Limits(calls_per_minute=600, max_in_flight=5, daily_imports_per_table=12),
        backend=DatabaseBackend(),
        max_wait_seconds=5,
    )


@pytest.fixture
def make_client(fresh_sandbox: RunningSandbox, governor: Governor):
    clients: list[ActitoClient] = []

    def make(**overrides) -> ActitoClient:
        options = {
            "base_url": fresh_sandbox.url,
            "api_key": DEMO_API_KEY,
            "entity": DEMO_ENTITY,
            "governor": governor,
            "timeout_seconds": 5.0,
            "backoff_seconds": 0.01,
            "token_cache": LocMemCache(f"contract-{uuid.uuid4().hex}", {}),
        }
        options.update(overrides)
        client = ActitoClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> ActitoClient:
    return make_client()
