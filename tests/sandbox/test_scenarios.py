"""Scenario search and trigger (spec §6)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from actito_admin.sandbox.app import SandboxApp

SEARCH = "/v4/entity/actito/table/{table}/scenario"
TRIGGER = "/v4/entity/actito/table/{table}/scenario/{scenario}/profile/{profile}"


def search(api: httpx.Client, table: str = "customers", **params: str) -> list[dict]:
    response = api.get(SEARCH.format(table=table), params=params)
    assert response.status_code == 200, f"search failed: {response.status_code} {response.text}"
    return response.json()["workflows"]


def trigger(api: httpx.Client, scenario: str, profile: str, table: str = "customers"):
    return api.post(TRIGGER.format(table=table, scenario=scenario, profile=profile))


def test_the_seed_holds_at_least_15_scenarios_in_mixed_states(api: httpx.Client) -> None:
    found = [w for t in ("demodoc", "customers", "prospects") for w in search(api, t)]
    assert len(found) >= 15, f"only {len(found)} scenarios"
    states = {(w["isActive"], w["isStartEventTriggered"]) for w in found}
    assert len(states) == 4, f"every active/triggerable combination should exist: {states}"


def test_search_returns_only_the_spec_fields(api: httpx.Client) -> None:
    for workflow in search(api):
        assert set(workflow) == {"name", "id", "isStartEventTriggered", "isActive"}, workflow


def test_name_glob_matches_display_name_case_insensitively(api: httpx.Client) -> None:
    names = [w["name"] for w in search(api, name="*BIENVENUE*")]
    assert len(names) == 1 and names[0].startswith("E-mail de bienvenue"), names
    assert search(api, name="bienvenue") == [], "without * the whole display name must match"
    technical = names[0]
    assert search(api, name=technical) == [], "the glob is on the display name, not technical"


def test_technical_name_is_display_name_plus_a_uuid(api: httpx.Client) -> None:
    (workflow,) = search(api, name="Welcome e-mail")
    suffix = workflow["name"].removeprefix("Welcome e-mail")
    assert str(uuid.UUID(suffix)) == suffix, f"suffix {suffix!r} is not a UUID"


def test_filters_keep_only_active_api_triggerable_scenarios(api: httpx.Client) -> None:
    found = search(api, isActive="true", isStartEventTriggered="true")
    assert found and all(w["isActive"] and w["isStartEventTriggered"] for w in found), found
    inactive = search(api, isActive="false")
    assert inactive and not any(w["isActive"] for w in inactive), inactive


def test_paging_is_optional_and_zero_based(api: httpx.Client) -> None:
    everything = search(api)
    page = search(api, page="1", pageSize="5")
    assert page == everything[5:10], "page 1 of size 5 should be items 5..9"


def test_search_on_an_unknown_table_gives_404(api: httpx.Client) -> None:
    assert api.get(SEARCH.format(table="nope")).status_code == 404


def test_trigger_by_id_records_the_interaction(api: httpx.Client, sandbox: SandboxApp) -> None:
    response = trigger(api, "12001", "5")
    key = response.json()["interactionBusinessKey"]
    assert response.status_code == 200 and uuid.UUID(key), response.text
    (recorded,) = sandbox.stats()["triggers"]
    assert recorded["scenario_id"] == 12001 and recorded["profile_id"] == 5, recorded
    assert recorded["interactionBusinessKey"] == key and recorded["table"] == "customers"


def test_trigger_by_technical_name_and_key_value_reference(api: httpx.Client) -> None:
    (workflow,) = search(api, name="Relance panier*")
    response = api.post(
        f"/v4/entity/actito/table/customers/scenario/{workflow['name']}"
        "/profile/emailAddress=cedric.claessens%40example.com"
    )
    assert response.status_code == 200, f"trigger with accents and key=value: {response.text}"
    response = trigger(api, workflow["name"], "customerId=C000005")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("scenario", "profile", "status"),
    [
        ("12009", "5", 409),  # inactive
        ("12007", "5", 409),  # no API Start block
        ("99999", "5", 404),
        ("11160", "5", 404),  # exists, but in another table
        ("12001", "999999", 404),
        ("12001", "emailAddress=nobody%40example.com", 404),
        ("12001", "firstName=Emma", 400),  # not a key attribute
        ("12001", "emailAddress=", 400),
        ("12001", "garbage", 400),
    ],
)
def test_trigger_errors(api: httpx.Client, scenario: str, profile: str, status: int) -> None:
    response = trigger(api, scenario, profile)
    assert response.status_code == status, f"{scenario}/{profile}: {response.text}"


def test_failed_triggers_are_not_recorded(api: httpx.Client, sandbox: SandboxApp) -> None:
    trigger(api, "12009", "5")
    assert sandbox.stats()["triggers"] == [], "a 409 must not count as a trigger"


def test_scenario_routes_also_answer_under_a_scenarios_prefix(api: httpx.Client) -> None:
    response = api.get("/scenarios/v4/entity/actito/table/demodoc/scenario")
    assert response.status_code == 200, response.text
