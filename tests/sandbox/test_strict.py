"""The strict sandbox refuses what strays from ACTITO's documents, with ACTITO's statuses; our
client, run against it in every end-to-end test, sends what the documents send."""

from __future__ import annotations

import httpx
import pytest

from actito_admin.sandbox.app import SandboxApp
from actito_admin.sandbox.config import DEMO_API_KEY, SandboxConfig
from tests.actito.helpers import make_client

from .helpers import client_for, execution_url, token_for
from .test_etl import GOOD_CSV, run

TRIGGER = "/v4/entity/actito/table/demodoc/scenario/11160/profile/147471"


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(execution_seconds=0, execution_ms_per_1000_rows=0, strict=True)


def test_a_trigger_without_a_json_content_type_is_refused_with_415(api: httpx.Client) -> None:
    bare = api.post(TRIGGER)
    assert bare.status_code == 415, bare.text
    documented = api.post(TRIGGER, headers={"Content-Type": "application/json"})
    assert documented.status_code == 200, documented.text


def test_a_json_only_accept_on_the_output_files_is_refused_with_406(api: httpx.Client) -> None:
    execution_id = run(api, GOOD_CSV)
    refused = api.get(execution_url(execution_id, "/output-files"))  # Accept: application/json
    assert refused.status_code == 406, refused.text
    documented = api.get(execution_url(execution_id, "/output-files"), headers={"Accept": "*/*"})
    assert documented.status_code == 200, documented.text


def test_the_lenient_demo_sandbox_still_accepts_both() -> None:
    app = SandboxApp(SandboxConfig(execution_seconds=0, execution_ms_per_1000_rows=0))
    with client_for(app) as client:
        client.headers["Authorization"] = "Bearer " + token_for(client)
        assert client.post(TRIGGER).status_code == 200
    app.close()


def test_our_client_sends_the_documented_headers_to_the_strict_sandbox(sandbox: SandboxApp):
    seen: list[httpx.Request] = []
    transport = httpx.WSGITransport(app=sandbox)

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        request.read()
        return transport.handle_request(request)

    client = make_client(recording, base_url="http://sandbox", api_key=DEMO_API_KEY)
    with client:
        result = client.trigger_scenario(table="demodoc", scenario=11160, profile="147471")
        assert result.interaction_business_key
    trigger = next(r for r in seen if r.method == "POST" and "/scenario/" in r.url.path)
    assert trigger.headers["content-type"] == "application/json"
    assert trigger.headers["accept"] == "application/json"


def test_our_client_sends_accept_any_on_every_mass_import_call(tmp_path):
    from tests.actito.helpers import token_or

    accepts: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        accepts[request.url.path.rsplit("/", 1)[-1]] = request.headers["accept"]
        if request.url.path.endswith("/output-files"):
            return httpx.Response(404)
        if request.url.path.endswith("/integration-results"):
            return httpx.Response(200, json={"status": "IN_PROGRESS", "integrationResults": []})
        return httpx.Response(200, json={"id": 42, "status": "IN_PROGRESS"})

    with make_client(token_or(handler)) as client:
        client.get_execution("42")
        client.get_integration_results("42")
        client.download_output_files("42", dest=tmp_path / "out.zip")
    assert accepts == {"integration-results": "*/*", "output-files": "*/*"}


def test_a_definition_outside_the_documented_shape_is_refused_with_400(api: httpx.Client):
    import json

    from .helpers import definition

    shaped = definition()
    shaped["fileTransfer"] = {"input": {"file": {"fileNamePattern": "a.csv"}}}  # no location
    files = {
        "inputFile": ("a.csv", GOOD_CSV, "text/csv"),
        "oneshotEtl": ("oneshotEtl.json", json.dumps(shaped), "application/json"),
    }
    refused = api.post("/mass-imports/v5/entities/actito/etl-executions", files=files)
    assert refused.status_code == 400 and "location" in refused.text, refused.text
    shaped.pop("fileTransfer")
    files["oneshotEtl"] = ("oneshotEtl.json", json.dumps(shaped), "application/json")
    accepted = api.post("/mass-imports/v5/entities/actito/etl-executions", files=files)
    assert accepted.status_code == 200, accepted.text


def _client_on(app: SandboxApp):
    transport = httpx.WSGITransport(app=app)
    return make_client(transport.handle_request, base_url="http://sandbox", api_key=DEMO_API_KEY)


@pytest.mark.parametrize("shape", ["message", "errors", "plain"])
def test_the_tests_choose_the_error_body_shape_and_our_client_quotes_it_each_time(shape):
    from actito_admin.actito.errors import ActitoError

    app = SandboxApp(SandboxConfig(error_shape=shape))
    with _client_on(app) as client, pytest.raises(ActitoError) as caught:
        client.trigger_scenario(table="demodoc", scenario=99999, profile="147471")
    app.close()
    assert caught.value.status == 404
    assert "ACTITO said: “scenario '99999' not found" in caught.value.user_message, shape


def test_the_tests_choose_an_unfamiliar_running_word_and_the_import_is_still_followed():
    app = SandboxApp(SandboxConfig(execution_seconds=600, in_progress_word="VALIDATING"))
    with client_for(app) as raw:
        raw.headers["Authorization"] = "Bearer " + token_for(raw)
        raw.headers["Accept"] = "*/*"
        execution_id = run(raw, GOOD_CSV)
    with _client_on(app) as client:
        execution = client.get_execution(execution_id)
    app.close()
    assert execution.status == "VALIDATING" and not execution.is_terminal
