"""Fixtures for the sandbox tests: an in-process sandbox with instant executions, a clock that
tests can move, and httpx clients (with and without a bearer token)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from actito_admin.sandbox.app import SandboxApp
from actito_admin.sandbox.config import SandboxConfig

from .helpers import FakeClock, client_for, token_for


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(execution_seconds=0, execution_ms_per_1000_rows=0)


@pytest.fixture
def sandbox(config: SandboxConfig, clock: FakeClock) -> Iterator[SandboxApp]:
    app = SandboxApp(config, clock=clock)
    yield app
    app.close()


@pytest.fixture
def anon(sandbox: SandboxApp) -> Iterator[httpx.Client]:
    """A client without credentials."""
    with client_for(sandbox) as client:
        yield client


@pytest.fixture
def api(sandbox: SandboxApp) -> Iterator[httpx.Client]:
    """A client that sends a valid bearer token and Accept: application/json."""
    with client_for(sandbox) as client:
        client.headers["Authorization"] = "Bearer " + token_for(client)
        client.headers["Accept"] = "application/json"
        yield client
