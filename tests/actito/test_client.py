"""ActitoClient against httpx.MockTransport: paths, auth, retries, errors, files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import httpx
import pytest
from django.core.cache.backends.locmem import LocMemCache

from actito_admin.actito.errors import ActitoError
from actito_admin.actito.schemas import IntegrationResults, ProfileRef

from .helpers import TOKEN_BODY, MemoryBackend, make_client, token_or

TABLES = {
    "profileTables": [
        {
            "id": "16",
            "name": "demodoc",
            "attributes": [
                {
                    "type": "CUSTOM",
                    "name": "profileId",
                    "unique": True,
                    "mandatory": True,
                    "valueType": "INTEGER",
                },
                {
                    "type": "EMAIL_ADDRESS",
                    "name": "emailAddress",
                    "unique": True,
                    "mandatory": True,
                },
                {"type": "LASTNAME", "name": "lastName", "unique": False, "mandatory": True},
            ],
            "subscriptions": [{"name": "Newsletter"}],
            "segmentations": [{"name": "ClientType", "categories": ["Gold", "Silver"]}],
        }
    ]
}


def test_the_token_is_asked_with_the_raw_key_and_then_sent_as_a_bearer():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/auth/token":
            return httpx.Response(200, json=TOKEN_BODY)
        return httpx.Response(200, json={"entities": [{"id": 1, "name": "actito"}]})

    entities = make_client(handler).list_entities()
    assert seen[0].headers["Authorization"] == "secret-api-key-1234", "raw key, no prefix"
    assert seen[1].url.path == "/entities/v5/entities", "service-prefixed path by default"
    assert seen[1].headers["Authorization"] == "Bearer tok-1"
    assert entities[0].name == "actito" and entities[0].id == "1", "ids are kept as strings"


def test_a_token_is_shared_through_the_cache_until_shortly_before_it_expires():
    token_calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            token_calls.append(1)
            return httpx.Response(200, json=TOKEN_BODY)
        return httpx.Response(200, json={"entities": []})

    cache = LocMemCache(f"shared-{id(handler)}", {})
    make_client(handler, cache=cache).list_entities()
    make_client(handler, cache=cache).list_entities()  # another "process" sharing the cache
    assert len(token_calls) == 1, "the second client must reuse the cached token"
    entry = next(iter(cache._cache.values()))
    assert b"secret-api-key" not in entry, "the API key itself must never be cached"


def test_a_401_refreshes_the_token_once_and_repeats_the_call():
    calls = {"token": 0, "data": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            calls["token"] += 1
            return httpx.Response(200, json={**TOKEN_BODY, "accessToken": f"t{calls['token']}"})
        calls["data"] += 1
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(401)
        return httpx.Response(200, json={"profileTables": []})

    assert make_client(handler).list_tables() == []
    assert calls == {"token": 2, "data": 2}, f"one refresh and one repeat expected, got {calls}"


def test_a_key_that_actito_refuses_gives_a_401_error_in_plain_words():
    client = make_client(lambda r: httpx.Response(401, text=""))
    with pytest.raises(ActitoError) as caught:
        client.fetch_token()
    assert caught.value.status == 401 and not caught.value.retryable
    assert "API key" in caught.value.user_message
    assert "secret-api-key" not in str(caught.value) + caught.value.user_message


def test_tables_keep_both_id_and_name_and_know_their_key_attributes():
    tables = make_client(token_or(lambda r: httpx.Response(200, json=TABLES))).list_tables()
    table = tables[0]
    assert (table.id, table.name) == ("16", "demodoc")
    assert [a.name for a in table.key_attributes] == ["profileId", "emailAddress"]
    assert table.attribute("profileId").value_type == "INTEGER"
    assert table.subscriptions[0].name == "Newsletter"
    assert table.segmentations[0].categories == ("Gold", "Silver")


def test_a_profile_by_key_attribute_percent_encodes_the_value_in_the_path():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        body = {
            "attributes": [{"name": "profileId", "value": "7"}],
            "subscriptions": [{"name": "Newsletter", "subscribe": "true"}],
            "segmentations": [
                {"belongs": "true", "segmentation": {"name": "ClientType", "category": "Gold"}}
            ],
        }
        return httpx.Response(200, json=body)

    profile = make_client(token_or(handler)).get_profile(
        table="demodoc", ref="emailAddress=jo+hn/x@actito.com"
    )
    expected = "/v4/entity/actito/table/demodoc/profile/emailAddress=jo%2Bhn%2Fx%40actito.com"
    assert seen[0] == expected, "the value must be one percent-encoded path segment"
    assert profile.profile_id == "7"
    assert profile.subscriptions == {"Newsletter": True}
    assert profile.segmentations == {"ClientType": "Gold"}


def test_an_empty_or_malformed_profile_reference_is_refused_before_any_call():
    with pytest.raises(ValueError):
        ProfileRef.parse("emailAddress=")
    with pytest.raises(ValueError):
        ProfileRef.parse("john")


def test_scenario_search_sends_the_filters_and_strips_the_uuid_suffix():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(
            200,
            json={
                "workflows": [
                    {
                        "name": "DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170",
                        "id": 11160,
                        "isStartEventTriggered": True,
                        "isActive": True,
                    }
                ]
            },
        )

    found = make_client(token_or(handler)).search_scenarios(
        table="demodoc", name="Doc*", start_event_triggered=True, active=True
    )
    assert seen[0].path == "/v4/entity/actito/table/demodoc/scenario"
    assert dict(seen[0].params) == {
        "name": "Doc*",
        "isStartEventTriggered": "true",
        "isActive": "true",
    }
    assert found[0].id == "11160" and found[0].label == "DocScenarioAPI"
    assert found[0].triggerable


def test_a_trigger_returns_the_interaction_business_key():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/v4/entity/actito/table/demodoc/scenario/11160/profile/147471"
        return httpx.Response(200, json={"interactionBusinessKey": "df98b314"})

    result = make_client(token_or(handler)).trigger_scenario(
        table="demodoc", scenario=11160, profile=147471
    )
    assert result.interaction_business_key == "df98b314"


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError]
)
def test_a_trigger_is_never_retried_once_sent_and_its_outcome_is_unknown(failure):
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        raise failure("boom", request=request)

    with pytest.raises(ActitoError) as caught:
        make_client(token_or(handler)).trigger_scenario(
            table="demodoc", scenario=11160, profile=147471
        )
    assert len(attempts) == 1, "a sent trigger must never be sent again automatically"
    assert caught.value.outcome_known is False, "ACTITO may have started the scenario"
    assert "may or may not" in caught.value.user_message


def test_a_post_is_retried_when_the_connection_failed_before_sending():
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"interactionBusinessKey": "k"})

    make_client(token_or(handler)).trigger_scenario(table="t", scenario="s", profile="1")
    assert len(attempts) == 2


def test_a_post_is_retried_on_429_but_not_on_500():
    statuses = iter([429, 200])
    client = make_client(token_or(lambda r: httpx.Response(next(statuses), json={})))
    client.trigger_scenario(table="t", scenario="s", profile="1")

    attempts = []

    def failing(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(500, text="oops")

    with pytest.raises(ActitoError) as caught:
        make_client(token_or(failing)).trigger_scenario(table="t", scenario="s", profile="1")
    assert len(attempts) == 1, "a POST answered 500 may have acted: no automatic retry"
    assert caught.value.outcome_known is False and caught.value.status == 500


def test_gets_back_off_on_5xx_429_and_network_errors_then_succeed():
    outcomes = iter(["503", "429", "connect", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = next(outcomes)
        if outcome == "connect":
            raise httpx.ReadTimeout("slow", request=request)
        if outcome == "ok":
            return httpx.Response(200, json={"entities": []})
        return httpx.Response(int(outcome))

    backend = MemoryBackend()
    assert make_client(token_or(handler), backend=backend, max_attempts=4).list_entities() == []
    assert backend.acquired == 5, "the token call and every attempt must pass the governor"
    assert backend.in_flight == 0, "every slot must be given back"


def test_an_error_keeps_status_flags_and_a_truncated_raw_body():
    body = {"status": 404, "error": "NOT_FOUND", "message": "Scenario 'X' not found"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text=json.dumps(body) + " " * 5000)

    with pytest.raises(ActitoError) as caught:
        make_client(token_or(handler)).search_scenarios(table="demodoc")
    error = caught.value
    assert error.status == 404 and not error.retryable and error.outcome_known
    assert "Scenario 'X' not found" in error.user_message, "ACTITO's own message is quoted"
    assert len(error.response_text) == 2000, "raw text is truncated for the audit log"


def test_the_unprefixed_path_style_uses_v4_and_v5_roots():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"id": "5", "status": "IN_PROGRESS"})

    client = make_client(token_or(handler), path_style="unprefixed")
    client.get_execution("5")
    client.list_tables()
    assert seen == [
        "/v5/entities/actito/etl-executions/5/integration-results",
        "/v5/entities/actito/profile-tables",
    ]


def test_a_oneshot_upload_streams_the_file_in_chunks_with_both_parts(tmp_path: Path):
    csv = tmp_path / "big.csv"
    csv.write_bytes(b"emailAddress\n" + b"someone@example.com\n" * 60000)  # ~1.2 MB
    chunk_sizes: list[int] = []
    parts: dict[str, bytes] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        body = b""
        for chunk in request.stream:
            chunk_sizes.append(len(chunk))
            body += chunk
        boundary = request.headers["Content-Type"].split("boundary=")[1].encode()
        for part in body.split(b"--" + boundary)[1:-1]:
            head, _, content = part.partition(b"\r\n\r\n")
            name = head.split(b'name="')[1].split(b'"')[0].decode()
            parts[name] = content[:-2]
        return httpx.Response(200, json={"id": 123654987})

    class StreamingTransport(httpx.BaseTransport):
        # MockTransport buffers the body first; this one sees the chunks as httpx sends them.
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/auth/token":
                return httpx.Response(200, json=TOKEN_BODY)
            return handler(request)

    backend = MemoryBackend()
    definition = {
        "type": "ONESHOT",
        "dataLoading": {"destination": {"type": "PROFILE_TABLE", "id": "16"}},
    }
    client = make_client(handler, backend=backend, transport=StreamingTransport())
    started = client.create_oneshot_execution(definition=definition, input_file=csv)
    assert started.execution_id == "123654987"
    assert max(chunk_sizes) <= 64 * 1024, "the file must be streamed, not read whole"
    assert parts["inputFile"] == csv.read_bytes()
    assert json.loads(parts["oneshotEtl"]) == definition
    assert backend.imports == {"1": "16"}, "the import is counted on table id 16"
    assert backend.released_imports == []


def test_a_400_on_an_import_gives_the_quota_slot_back(tmp_path: Path):
    csv = tmp_path / "a.csv"
    csv.write_text("emailAddress\n")
    backend = MemoryBackend()
    client = make_client(token_or(lambda r: httpx.Response(400, json={})), backend=backend)
    with pytest.raises(ActitoError):
        client.create_oneshot_execution(
            definition={"dataLoading": {"destination": {"id": "16"}}}, input_file=csv
        )
    assert backend.released_imports == ["1"], "ACTITO refused: the slot must be given back"


def test_an_import_whose_answer_was_lost_keeps_its_quota_slot(tmp_path: Path):
    csv = tmp_path / "a.csv"
    csv.write_text("emailAddress\n")
    backend = MemoryBackend()

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ActitoError) as caught:
        make_client(token_or(handler), backend=backend).create_oneshot_execution(
            definition={"dataLoading": {"destination": {"id": "16"}}}, input_file=csv
        )
    assert caught.value.outcome_known is False
    assert backend.released_imports == [], "ACTITO may have counted it: keep the slot"


@pytest.mark.parametrize(
    "payload",
    [
        {
            "status": "FINISHED",
            "error": None,
            "integrationResults": [
                {
                    "destination": {"type": "PROFILE_TABLE", "id": "16"},
                    "readLines": 10,
                    "errorLines": 1,
                    "insertedLines": 7,
                    "updatedLines": 2,
                    "deletedLines": 0,
                }
            ],
        },
        {
            "status": "FINISHED",
            "integrationResults": {
                "nbRead": "10",
                "nbErrors": 1,
                "insertedCount": 7,
                "updatedCount": 2,
            },
        },
    ],
)
def test_integration_results_are_read_tolerantly(payload):
    results = IntegrationResults.from_json(payload)
    assert (
        results.total("read"),
        results.total("errors"),
        results.total("inserted"),
        results.total("updated"),
    ) == (10, 1, 7, 2)
    assert not results.failed


def test_a_failed_integration_keeps_its_error_reason():
    results = IntegrationResults.from_json(
        {"status": "FAILED", "error": "DUPLICATE_HEADERS", "integrationResults": []}
    )
    assert results.failed and results.error == "DUPLICATE_HEADERS" and results.results == ()


def test_output_files_are_streamed_to_disk_and_missing_ones_are_none(tmp_path: Path):
    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("errors.csv", "email,errorCode\nx,INVALID_VALUE\n")

    def handler(request: httpx.Request) -> httpx.Response:
        if "/99/" in request.url.path:
            return httpx.Response(404)
        return httpx.Response(
            200,
            content=archive.read_bytes(),
            headers={
                "Content-Type": "application/zip",
                "Content-Disposition": 'attachment; filename="output-files-5.zip"',
            },
        )

    client = make_client(token_or(handler))
    saved = client.download_output_files("5", dest=tmp_path / "out" / "5.zip")
    assert saved.filename == "output-files-5.zip" and not saved.is_listing
    assert zipfile.ZipFile(saved.path).namelist() == ["errors.csv"]
    assert client.download_output_files("99", dest=tmp_path / "99.zip") is None
    assert not (tmp_path / "99.zip").exists()


def test_logs_name_the_call_but_never_the_key_the_token_or_an_e_mail(caplog):
    caplog.set_level("INFO", logger="actito_admin.actito.client")
    body = {"attributes": [{"name": "profileId", "value": "7"}]}
    client = make_client(token_or(lambda r: httpx.Response(200, json=body)))
    client.get_profile(table="demodoc", ref="emailAddress=jane@example.com")
    assert "GET profile" in caplog.text, "each call is logged with its outcome"
    for secret in ("secret-api-key-1234", "tok-1", "jane@example.com"):
        assert secret not in caplog.text, f"{secret} leaked into the logs"


def test_a_429_on_an_import_spends_the_day_s_quota_and_says_so_plainly(tmp_path: Path):
    csv = tmp_path / "a.csv"
    csv.write_text("email\na@b.be\n")
    backend = MemoryBackend()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"message": "quota"})

    client = make_client(token_or(handler), backend=backend, max_attempts=1)
    definition = {"dataLoading": {"destination": {"type": "PROFILE_TABLE", "id": "17"}}}
    with pytest.raises(ActitoError) as caught:
        client.create_oneshot_execution(
            definition=definition, input_file=csv, table_name="customers"
        )
    assert "today's imports on customers are used up" in caught.value.user_message
    assert "midnight UTC" in caught.value.user_message
    assert backend.released_imports == [], "the slot ACTITO refused stays counted"
    assert len(backend.imports) == 12, "our count now says what ACTITO says: all 12 used"
