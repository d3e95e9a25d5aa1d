"""Concurrency and per-minute limits (spec §9), fault injection and the /_sandbox/ controls."""

from __future__ import annotations

import threading
import time

import httpx

from actito_admin.sandbox.app import SandboxApp
from actito_admin.sandbox.config import SandboxConfig

from .helpers import FakeClock, client_for, token_for


def parallel_get(app: SandboxApp, path: str, count: int, token: str) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        with client_for(app) as client:
            status = client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(statuses) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # the sixth call is refused at once while five hang
    app.wake()
    for thread in threads:
        thread.join(timeout=5)
    return sorted(statuses)


def test_six_parallel_hanging_requests_give_one_429(sandbox: SandboxApp, anon) -> None:
    token = token_for(anon)
    sandbox.set_faults(hang_rate=1.0, hang_seconds=10)
    statuses = parallel_get(sandbox, "/entities/v5/entities", 6, token)
    assert statuses == [429, 504, 504, 504, 504, 504], f"statuses: {statuses}"
    stats = sandbox.stats()
    assert stats["max_in_flight_seen"] == 6 and stats["in_flight"] == 0, stats
    assert stats["responses_by_status"]["429"] == 1, stats["responses_by_status"]


def test_a_429_storm_refuses_everything_until_it_ends(api, sandbox: SandboxApp, clock) -> None:
    sandbox.set_faults(storm_429_seconds=30)
    assert api.get("/v4/entity").status_code == 429, "storm should refuse calls"
    assert api.get("/auth/token").status_code == 429, "the storm covers /auth/token too"
    assert api.get("/_sandbox/stats").status_code == 200, "control routes are never faulted"
    clock.advance(31)
    api.headers["Authorization"] = "Bearer " + token_for(api)
    assert api.get("/v4/entity").status_code == 200, "storm should be over after 30 s"


def test_forced_status_error_rate_and_path_filter(api, sandbox: SandboxApp) -> None:
    sandbox.set_faults(force_status=503, paths=r"/scenario")
    assert api.get("/v4/entity/actito/table/demodoc/scenario").status_code == 503
    assert api.get("/v4/entity").status_code == 200, "paths limits faults to matching routes"
    sandbox.clear_faults()
    sandbox.set_faults(error_rate=1.0)
    assert api.get("/v4/entity").status_code == 500, "error_rate 1.0 must always fail"
    sandbox.clear_faults()
    assert api.get("/v4/entity").status_code == 200, "clear_faults must restore normal answers"


def test_latency_is_added(api, sandbox: SandboxApp) -> None:
    sandbox.set_faults(latency_ms=200)
    started = time.monotonic()
    assert api.get("/v4/entity").status_code == 200
    assert time.monotonic() - started >= 0.19, "200 ms latency was not applied"


def test_per_minute_throttle_slows_calls_down_instead_of_refusing(clock: FakeClock) -> None:
    app = SandboxApp(SandboxConfig(calls_per_minute_throttle=2), clock=clock)
    with client_for(app) as api:
        api.headers["Authorization"] = "Bearer " + token_for(api)  # call 1
        api.get("/v4/entity")  # call 2
        started = time.monotonic()
        response = api.get("/v4/entity")  # call 3: one over the budget
        assert response.status_code == 200, "throttled calls are not rejected (spec §9)"
        assert time.monotonic() - started >= 0.24, "the call over budget was not slowed"
        assert app.stats()["calls_per_minute_max"] == 3, app.stats()
        clock.advance(61)
        started = time.monotonic()
        api.get("/v4/entity")
        assert time.monotonic() - started < 0.2, "a new minute should not be throttled"
    app.close()


def test_retry_after_is_announced_when_configured(clock: FakeClock) -> None:
    app = SandboxApp(SandboxConfig(retry_after_seconds=7), clock=clock)
    app.set_faults(storm_429_seconds=5)
    with client_for(app) as client:
        response = client.get("/auth/token")
    assert response.headers.get("Retry-After") == "7", dict(response.headers)
    app.close()


def test_stats_count_api_calls_but_not_control_calls(api, sandbox: SandboxApp) -> None:
    api.get("/v4/entity")
    api.get("/v9/nothing")
    for _ in range(3):
        api.get("/_sandbox/stats")
    stats = api.get("/_sandbox/stats").json()
    assert stats == sandbox.stats(), "GET /_sandbox/stats must equal app.stats()"
    assert stats["requests"] == 3, f"token + 2 API calls expected: {stats}"
    assert stats["responses_by_status"] == {"200": 2, "404": 1}, stats["responses_by_status"]
    assert stats["calls_per_minute_max"] == 3, stats


def test_fault_control_endpoints(api: httpx.Client, sandbox: SandboxApp) -> None:
    body = {"latency_ms": 0, "force_status": 418, "paths": "^/v4/entity$"}
    response = api.post("/_sandbox/faults", json=body)
    assert response.status_code == 200 and response.json()["force_status"] == 418, response.text
    assert api.get("/v4/entity").status_code == 418, "forced status not applied"
    assert api.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400, "unknown field"
    assert api.post("/_sandbox/faults", json={"paths": "("}).status_code == 400, "bad regex"
    assert api.delete("/_sandbox/faults").status_code == 200
    assert api.get("/v4/entity").status_code == 200, "DELETE /_sandbox/faults must clear"
    assert api.get("/_sandbox/nothing").status_code == 404


def test_config_endpoint_changes_settings_live(api: httpx.Client, sandbox: SandboxApp) -> None:
    response = api.post("/_sandbox/config", json={"max_concurrent": 7, "api_keys": ["k2"]})
    assert response.status_code == 200 and response.json()["max_concurrent"] == 7, response.text
    assert sandbox.config.api_keys == ("k2",), sandbox.config
    assert api.get("/auth/token", headers={"Authorization": "k2"}).status_code == 200
    assert api.post("/_sandbox/config", json={"nope": 1}).status_code == 400
    assert api.post("/_sandbox/config", json={"max_concurrent": "x"}).status_code == 400


def test_reset_restores_the_seed_and_clears_counters(api: httpx.Client, sandbox) -> None:
    url = "/v4/entity/actito/table/customers/profile/5"
    assert api.delete(url).status_code == 200
    api.post("/v4/entity/actito/table/demodoc/scenario/11160/profile/147471")
    sandbox.set_faults(latency_ms=5)
    assert api.post("/_sandbox/reset").status_code == 200
    assert api.get(url).status_code == 200, "reset must bring deleted profiles back"
    stats = sandbox.stats()
    assert stats["triggers"] == [] and stats["requests"] == 1, stats
    assert api.get("/_sandbox/faults").json()["latency_ms"] == 0, "reset clears faults"
