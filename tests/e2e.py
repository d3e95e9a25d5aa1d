"""Shared end-to-end fixtures: the ACTITO sandbox over real HTTP and a real django-q2 cluster.

Loaded for the whole suite as a plugin (`pytest_plugins` in tests/conftest.py).
The cluster is `manage.py qcluster` in its own process group, pointed at the test database
(DATABASE_URL) and the sandbox (SANDBOX_URL); everything else in os.environ passes through, so
REDIS_URL / Q_CLUSTER_NAME make it use the same broker as the test process in the Redis run.
Tests using these need `transactional_db` (the cluster cannot see uncommitted data); the root
conftest lifts the audit log's append-only guard for the flush after such tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Strict: the sandbox refuses whatever strays from ACTITO's documents, so the client cannot.
FAST_SANDBOX = {"execution_seconds": 0, "execution_ms_per_1000_rows": 0, "strict": True}


def wait_for(condition: Callable[[], Any], *, timeout: float = 20.0, every: float = 0.1) -> Any:
    """Poll until `condition()` is truthy; fail the test with a plain message otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def database_url() -> str:
    """The test database as a DATABASE_URL another process can open."""
    from django.db import connection

    config = connection.settings_dict
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(str(config['NAME'])).resolve()}"
    if "postgresql" in config["ENGINE"]:
        auth = config["USER"] or ""
        if config.get("PASSWORD"):
            auth += f":{config['PASSWORD']}"
        host = config["HOST"] or "127.0.0.1"
        port = f":{config['PORT']}" if config.get("PORT") else ""
        return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{config['NAME']}"
    raise RuntimeError(f"no DATABASE_URL for {config['ENGINE']}")


class TaskCluster:
    """`manage.py qcluster` as a subprocess that tests may stop, kill and start again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="qcluster-", suffix=".log")[1])

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        start_at = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill takes the workers too
        )
        log.close()

        def ready() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()
            text = self.log_path.read_bytes()[start_at:].decode(errors="replace")
            return " running." in text

        wait_for(ready, timeout=timeout, every=0.2)

    def stop(self) -> None:
        """SIGTERM: the cluster finishes its tasks in hand and exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def kill(self) -> None:
        """SIGKILL to the whole group: the cluster and its workers die mid-task."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def _reap_group(self) -> None:
        # Workers left behind by a parent that exited must not keep taking tasks.
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Any]:
    """The ACTITO sandbox on an ephemeral 127.0.0.1 port, with instant executions."""
    from actito_admin.sandbox.config import SandboxConfig
    from actito_admin.sandbox.server import start_server

    server = start_server(config=SandboxConfig(**FAST_SANDBOX))
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: Any, settings: Any) -> Iterator[Any]:
    """The sandbox back at its seed, and this process's connection pointing at it."""
    sandbox_server.app.reset()
    settings.SANDBOX_URL = sandbox_server.url
    settings.ACTITO_BASE_URL = settings.ACTITO_API_KEY = settings.ACTITO_ENTITY = ""
    yield sandbox_server
    sandbox_server.app.clear_faults()


@pytest.fixture(scope="session")
def task_cluster(
    django_db_setup: Any, django_db_blocker: Any, sandbox_server: Any
) -> Iterator[TaskCluster]:
    """A real django-q2 cluster on the test database, talking to the sandbox."""
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SANDBOX_URL": sandbox_server.url,
        "ACTITO_BASE_URL": "",
        "ACTITO_API_KEY": "",
        "ACTITO_ENTITY": "",
        "LOG_LEVEL": "INFO",
    }
    cluster = TaskCluster(env)
    cluster.start()
    yield cluster
    cluster.stop()
    cluster.log_path.unlink(missing_ok=True)


@pytest.fixture
def connection_limits(transactional_db: Any) -> Callable[..., None]:
    """Set the connection's limits in the database, where web and cluster both read them."""

    def apply(**limits: Any) -> None:
        from actito_admin.actito.models import Connection

        Connection.objects.update_or_create(name="default", defaults=limits)

    # Tests are not about the licence's pace unless they say so.
    apply(calls_per_minute=6000, max_in_flight=5, timeout_seconds=10)
    return apply
