"""Golden exchanges: the exact requests our client sends for each documented ACTITO call, kept in
tests/contract/golden/exchanges.json beside the document's own example. This fails when the client
drifts from the recording, or the recording from what the document shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.actito.helpers import make_client

GOLDEN = json.loads((Path(__file__).parent / "golden" / "exchanges.json").read_text())
KEPT_HEADERS = ("accept", "authorization", "content-type")


def _record(call) -> dict[str, Any]:
    """Run one client call against a transport that records the request it makes."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(200, json={"accessToken": "tok", "expiresIn": "900s"})
        request.read()
        seen.append(request)
        if request.url.path.endswith("/output-files"):
            return httpx.Response(404)
        if request.url.path.endswith("/integration-results"):
            return httpx.Response(200, json={"integrationResults": []})
        if request.url.path.endswith("/etl-executions"):
            return httpx.Response(200, json={"id": 123456})
        if request.method == "POST":
            return httpx.Response(200, json={"interactionBusinessKey": "k"})
        return httpx.Response(200, json={"workflows": []})

    with make_client(handler) as client:
        call(client)
    [request] = seen
    headers = {k: request.headers[k] for k in KEPT_HEADERS if k in request.headers}
    if headers.get("authorization", "").startswith("Bearer "):
        headers["authorization"] = "Bearer <token>"
    exchange: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.url.params),
        "headers": headers,
    }
    if headers.get("content-type", "").startswith("multipart/form-data"):
        headers["content-type"] = "multipart/form-data"
        body = request.content.decode("latin-1")
        exchange["parts"] = [p for p in ("inputFile", "oneshotEtl") if f'name="{p}"' in body]
    else:
        exchange["body"] = request.content.decode()
    return exchange


def _oneshot(client, tmp_path: Path) -> None:
    csv = tmp_path / "inputFile.csv"
    csv.write_text("email\na@b.be\n")
    client.create_oneshot_execution(
        definition={"type": "ONESHOT", "dataLoading": {"destination": {"id": "17"}}},
        input_file=csv,
    )


CALLS = {
    "scenario_search": lambda c, _: c.search_scenarios(table="demodoc"),
    "trigger": lambda c, _: c.trigger_scenario(table="demodoc", scenario=11160, profile=147471),
    "oneshot_execution": _oneshot,
    "integration_results": lambda c, _: c.get_integration_results("123456"),
    "output_files": lambda c, p: c.download_output_files("123456", dest=p / "out.zip"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_our_request_matches_its_recording(name, tmp_path):
    ours = _record(lambda client: CALLS[name](client, tmp_path))
    assert ours == GOLDEN[name]["ours"], (
        f"the client's {name} request changed; if on purpose, update exchanges.json and check "
        f"it against seed {GOLDEN[name]['document']['seed']}:\n{json.dumps(ours, indent=2)}"
    )


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_recording_keeps_what_the_document_shows(name):
    document, ours = GOLDEN[name]["document"], GOLDEN[name]["ours"]
    assert ours["method"] == document["method"]
    # Same resource: the document's path, whatever root (legacy /ActitoWebServices/ws or the
    # service prefix) it is reached through.
    tail = document["path"].split("/v4/", 1)[-1] if "/v4/" in document["path"] else None
    assert ours["path"].endswith(tail) if tail else ours["path"] == document["path"]
    for header, value in document["headers"].items():
        assert ours["headers"].get(header) == value, f"{name}: the document sends {header}"
    assert ours.get("parts", []) == document.get("parts", [])
