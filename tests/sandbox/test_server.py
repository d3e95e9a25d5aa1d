"""The sandbox over real HTTP (threaded server on an ephemeral port) and its command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actito_admin.sandbox.config import DEMO_API_KEY, SandboxConfig
from actito_admin.sandbox.server import RunningSandbox, start_server

from .helpers import definition, gzipped, upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def running() -> Iterator[RunningSandbox]:
    sandbox = start_server(config=SandboxConfig(execution_seconds=0, execution_ms_per_1000_rows=0))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def http(running: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.url, timeout=10) as client:
        token = client.get("/auth/token", headers={"Authorization": DEMO_API_KEY}).json()
        client.headers["Authorization"] = "Bearer " + token["accessToken"]
        yield client


def test_server_binds_localhost_on_an_ephemeral_port(running: RunningSandbox) -> None:
    assert running.url.startswith("http://127.0.0.1:"), running.url
    assert not running.url.endswith(":0"), "port 0 must be replaced by the bound port"


def test_documented_trigger_over_http_with_accents_in_the_path(http: httpx.Client) -> None:
    search = http.get("/v4/entity/actito/table/customers/scenario", params={"name": "Relance*"})
    (workflow,) = search.json()["workflows"]
    response = http.post(
        f"/v4/entity/actito/table/customers/scenario/{workflow['name']}"
        "/profile/emailAddress=cedric.claessens%40example.com"
    )
    assert response.status_code == 200, f"UTF-8 path over wsgiref failed: {response.text}"


def test_multipart_gzip_upload_over_http(http: httpx.Client) -> None:
    content = gzipped(b"email,last_name,first_name\r\nhttp.user@example.com,Http,User\r\n")
    response = upload(http, content, definition(compression="GZIP"))
    assert response.status_code == 200, response.text
    results = http.get(
        f"/mass-imports/v5/entities/actito/etl-executions/{response.json()['id']}"
        "/integration-results"
    ).json()
    assert results["integrationResults"][0]["insertedLines"] == 1, results


def test_six_parallel_hanging_requests_over_http_give_one_429(
    running: RunningSandbox, http: httpx.Client
) -> None:
    http.post("/_sandbox/faults", json={"hang_rate": 1.0, "hang_seconds": 10})
    statuses: list[int] = []
    got_one = threading.Event()

    def call() -> None:
        with httpx.Client(base_url=running.url, headers=http.headers, timeout=15) as client:
            statuses.append(client.get("/v4/entity").status_code)
        got_one.set()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    assert got_one.wait(5), "the sixth request should be refused at once"
    http.delete("/_sandbox/faults")  # wakes the five hanging requests
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(statuses) == [429, 504, 504, 504, 504, 504], statuses
    assert http.get("/_sandbox/stats").json()["max_in_flight_seen"] == 6


def test_management_command_serves_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "actito_sandbox", "--port", "0", "--seed", "7"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line and "'actito'" in line and DEMO_API_KEY in line, (
            f"start line should give URL, entity and key: {line!r} {process.stderr.read()}"
        )
        url = line.split()[3]
        response = httpx.get(f"{url}/auth/token", headers={"Authorization": DEMO_API_KEY})
        assert response.status_code == 200, response.text
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0, f"exit code {process.returncode}: {process.stderr.read()}"
