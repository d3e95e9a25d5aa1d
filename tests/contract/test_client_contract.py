"""Every ActitoClient operation and error path against the sandbox, over real HTTP."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from actito_admin.actito.errors import ActitoError
from actito_admin.actito.schemas import ProfileRef

DEFINITION = {
    "type": "ONESHOT",
    "inputFileProperties": {"csvFormat": {"separator": ",", "enclosing": '"', "encoding": "UTF-8"}},
    "dataLoading": {
        "destination": {
            "type": "PROFILE_TABLE",
            "id": "16",
            "attributesMapping": [
                {"header": "email", "attributeName": "emailAddress"},
                {"header": "last_name", "attributeName": "lastName"},
            ],
        },
        "parameters": {
            "mode": "CREATE_OR_UPDATE",
            "generateErrorFiles": True,
            "generateResultFiles": True,
        },
    },
}


def _csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_token_entities_and_tables_of_the_demo_licence(client):
    token = client.fetch_token()
    assert token.expires_in == 900.0, "expiresIn '900s' is read as 900 seconds"
    assert "actito" in [e.name for e in client.list_entities()]
    tables = {t.name: t for t in client.list_tables()}
    assert {"demodoc", "customers", "prospects"} <= set(tables)
    demodoc = tables["demodoc"]
    assert demodoc.id == "16", "the v5 id is kept next to the name"
    assert {a.name for a in demodoc.key_attributes} == {"profileId", "emailAddress"}
    assert demodoc.subscriptions and demodoc.segmentations
    assert client.get_table("16").name == "demodoc"
    assert client.find_table("demodoc").id == "16"


def test_an_unknown_table_id_is_a_404(client):
    with pytest.raises(ActitoError) as caught:
        client.get_table("999")
    assert caught.value.status == 404 and not caught.value.retryable


def test_the_unprefixed_path_style_reaches_the_same_data(make_client):
    client = make_client(path_style="unprefixed")
    assert "demodoc" in [t.name for t in client.list_tables()]
    assert client.list_entities(), "/v4/entity lists entities too"


def test_a_profile_by_id_and_by_key_attribute_is_the_same_profile(client):
    by_id = client.get_profile(table="demodoc", ref=147471)
    by_email = client.get_profile(table="demodoc", ref="emailAddress=sophie.dubois@example.com")
    assert by_id.profile_id == by_email.profile_id == "147471"
    assert by_id.attributes["lastName"] == "Dubois"


def test_the_documentation_profile_example_works_on_myentity(make_client):
    client = make_client(entity="MyEntity")
    profile = client.get_profile(table="MyWebsiteProfiles", ref="customerId=34567")
    assert profile.attributes["emailAddress"] == "john.smith@actito.com"
    assert profile.subscriptions["Newsletter"] is True
    assert profile.segmentations["ClientType"] == "Gold"


def test_an_unknown_profile_is_a_404_and_a_non_unique_attribute_a_400(client):
    with pytest.raises(ActitoError) as unknown:
        client.get_profile(table="demodoc", ref="emailAddress=nobody@example.com")
    assert unknown.value.status == 404
    with pytest.raises(ActitoError) as not_unique:
        client.get_profile(table="demodoc", ref=ProfileRef(attribute="firstName", value="Sophie"))
    assert not_unique.value.status == 400
    assert "not a valid way to find a profile" in not_unique.value.user_message


def test_the_documentation_scenario_search_finds_scenario_11160(client):
    found = client.search_scenarios(
        table="demodoc", name="Doc*", start_event_triggered=True, active=True
    )
    assert [(s.id, s.label) for s in found] == [("11160", "DocScenarioAPI")]
    everything = client.search_scenarios(table="demodoc")
    assert {"11160", "11161", "11162"} <= {s.id for s in everything}


def test_triggering_the_documentation_scenario_returns_a_key_the_sandbox_recorded(
    client, fresh_sandbox
):
    by_id = client.trigger_scenario(table="demodoc", scenario=11160, profile=147471)
    by_name = client.trigger_scenario(
        table="demodoc",
        scenario="DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170",
        profile="emailAddress=sophie.dubois@example.com",
    )
    keys = [t["interactionBusinessKey"] for t in fresh_sandbox.app.stats()["triggers"]]
    assert keys == [by_id.interaction_business_key, by_name.interaction_business_key]


@pytest.mark.parametrize(
    ("scenario", "profile", "status"),
    [
        ("99999", "147471", 404),  # unknown scenario
        ("11160", "1", 404),  # unknown profile
        ("11161", "147471", 409),  # inactive
        ("11162", "147471", 409),  # no API start event
        ("11160", "firstName=Sophie", 400),  # attribute not unique
    ],
)
def test_trigger_errors_carry_actitos_status(client, fresh_sandbox, scenario, profile, status):
    with pytest.raises(ActitoError) as caught:
        client.trigger_scenario(table="demodoc", scenario=scenario, profile=profile)
    assert caught.value.status == status
    assert caught.value.outcome_known, "a refused trigger certainly did not run"
    assert fresh_sandbox.app.stats()["triggers"] == []


def test_a_wrong_key_is_a_401(make_client):
    with pytest.raises(ActitoError) as caught:
        make_client(api_key="not-the-key").list_tables()
    assert caught.value.status == 401
    assert "did not accept the API key" in caught.value.user_message


def test_an_expired_token_is_refreshed_once(client, fresh_sandbox):
    client._remember_token("expired-or-revoked", 900)
    assert client.list_tables(), "the 401 must lead to a new token and one repeat"
    assert fresh_sandbox.app.stats()["responses_by_status"]["401"] == 1


def test_429s_from_concurrency_are_retried_then_reported(client, fresh_sandbox):
    client.fetch_token()
    fresh_sandbox.app.update_config({"max_concurrent": 0})  # every request is "one too many"
    with pytest.raises(ActitoError) as caught:
        client.trigger_scenario(table="demodoc", scenario=11160, profile=147471)
    assert caught.value.status == 429 and caught.value.retryable
    stats = fresh_sandbox.app.stats()
    assert stats["responses_by_status"]["429"] == client.max_attempts
    assert stats["triggers"] == []


def test_gets_are_retried_on_5xx_and_the_error_is_retryable(client, fresh_sandbox):
    client.fetch_token()
    fresh_sandbox.app.set_faults(error_rate=1.0, paths="profile-tables")
    with pytest.raises(ActitoError) as caught:
        client.list_tables()
    assert caught.value.status == 500 and caught.value.retryable
    assert fresh_sandbox.app.stats()["responses_by_status"]["500"] == client.max_attempts


def test_a_trigger_that_times_out_is_not_retried_and_its_outcome_is_unknown(
    make_client, fresh_sandbox
):
    client = make_client(timeout_seconds=0.5)
    client.fetch_token()
    fresh_sandbox.app.set_faults(hang_rate=1.0, hang_seconds=10, paths="scenario")
    before = fresh_sandbox.app.stats()["requests"]
    with pytest.raises(ActitoError) as caught:
        client.trigger_scenario(table="demodoc", scenario=11160, profile=147471)
    fresh_sandbox.app.wake()
    assert caught.value.outcome_known is False
    assert fresh_sandbox.app.stats()["requests"] - before == 1, "sent once, never again"


def test_a_oneshot_import_runs_to_its_results_and_output_files(client, tmp_path, governor):
    path = _csv(tmp_path, "email,last_name\nnew.person@example.com,Newman\nbad-email,Oops\n")
    started = client.create_oneshot_execution(
        definition=DEFINITION, input_file=path, table_name="demodoc"
    )
    assert started.execution_id
    execution = client.get_execution(started.execution_id)
    assert execution.is_terminal and execution.status == "FINISHED", execution.raw
    results = client.get_integration_results(started.execution_id)
    assert (results.total("read"), results.total("inserted"), results.total("errors")) == (2, 1, 1)
    saved = client.download_output_files(started.execution_id, dest=tmp_path / "out.zip")
    assert saved is not None and saved.content_type == "application/zip"
    assert "errors.csv" in zipfile.ZipFile(saved.path).namelist()
    assert governor.usage(table="16").imports_today == 1
    assert client.get_profile(table="demodoc", ref="emailAddress=new.person@example.com")


def test_a_file_with_duplicate_headers_fails_with_that_reason(client, tmp_path):
    path = _csv(tmp_path, "email,email\na@example.com,b@example.com\n")
    started = client.create_oneshot_execution(definition=DEFINITION, input_file=path)
    assert client.get_execution(started.execution_id).status == "FAILED"
    results = client.get_integration_results(started.execution_id)
    assert results.failed and results.error == "DUPLICATE_HEADERS"


def test_a_refused_definition_is_a_400_and_gives_the_quota_slot_back(client, tmp_path, governor):
    path = _csv(tmp_path, "email,last_name\na@example.com,A\n")
    bad = {
        **DEFINITION,
        "dataLoading": {**DEFINITION["dataLoading"], "parameters": {"mode": "CREATE_UPDATE"}},
    }
    with pytest.raises(ActitoError) as caught:
        client.create_oneshot_execution(definition=bad, input_file=path)
    assert caught.value.status == 400 and caught.value.outcome_known
    assert governor.usage(table="16").imports_today == 0


def test_actitos_daily_import_limit_is_a_429_and_spends_our_count_too(
    client, tmp_path, fresh_sandbox, governor
):
    # ACTITO counts imports made elsewhere too: its 429 wins over our own count (issue: limits).
    fresh_sandbox.app.update_config({"daily_imports_per_table": 1})
    path = _csv(tmp_path, "email,last_name\na@example.com,A\n")
    client.create_oneshot_execution(definition=DEFINITION, input_file=path)
    with pytest.raises(ActitoError) as caught:
        client.create_oneshot_execution(definition=DEFINITION, input_file=path)
    assert caught.value.status == 429 and "used up" in caught.value.user_message
    usage = governor.usage(table="16")
    assert usage.imports_today == usage.daily_imports_per_table, "the day is spent for us too"


def test_an_unknown_execution_is_a_404(client):
    with pytest.raises(ActitoError) as caught:
        client.get_execution("1")
    assert caught.value.status == 404


def test_output_files_of_an_import_without_files_are_none(client, tmp_path):
    quiet = {
        **DEFINITION,
        "dataLoading": {
            **DEFINITION["dataLoading"],
            "parameters": {
                "mode": "CREATE_OR_UPDATE",
                "generateErrorFiles": False,
                "generateResultFiles": False,
            },
        },
    }
    path = _csv(tmp_path, "email,last_name\nq@example.com,Q\n")
    started = client.create_oneshot_execution(definition=quiet, input_file=path)
    client.get_execution(started.execution_id)
    assert client.download_output_files(started.execution_id, dest=tmp_path / "x.zip") is None


def test_the_connection_check_task_reports_the_sandbox_in_plain_words(fresh_sandbox, db):
    from actito_admin.actito import services, tasks
    from actito_admin.actito.models import Connection, ConnectionCheck

    settings = {
        "ACTITO_BASE_URL": "",
        "ACTITO_API_KEY": "",
        "ACTITO_ENTITY": "",
        "SANDBOX_URL": fresh_sandbox.url,
        "REDIS_URL": "",
    }
    with override_settings(**settings):
        check = ConnectionCheck.objects.create(connection=Connection.objects.create())
        tasks.connection_check_run(check.pk)
    check.refresh_from_db()
    assert check.status == "ok", check.summary
    assert check.summary.startswith(
        "Token received · entity actito found · 3 profile tables: demodoc, customers, prospects"
    ), check.summary
    assert services  # the task went through services.connection_check_perform
