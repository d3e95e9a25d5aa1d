"""Auth (spec §2), content negotiation (§3), entities and table structures (§4)."""

from __future__ import annotations

import base64

import httpx
import pytest

from actito_admin.sandbox.config import DEMO_API_KEY, DEMO_ENTITY

from .helpers import FakeClock, token_for


def test_token_is_issued_for_the_demo_key_with_a_900s_string_ttl(anon: httpx.Client) -> None:
    response = anon.get(
        "/auth/token", headers={"Authorization": DEMO_API_KEY, "Accept": "application/json"}
    )
    body = response.json()
    assert response.status_code == 200, f"token refused: {response.text}"
    assert body["expiresIn"] == "900s", "expiresIn must be a string with an s suffix (spec §2.1)"
    assert body["tokenType"] == "bearer" and body["scope"] == "read write", body
    assert body["accessToken"] and body["jti"], "token and jti must be present"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "wrong-key"}])
def test_token_is_refused_without_a_known_key(anon: httpx.Client, headers: dict) -> None:
    response = anon.get("/auth/token", headers=headers)
    assert response.status_code == 401, f"expected 401 for {headers}, got {response.status_code}"
    assert response.json()["error"] == "UNAUTHORIZED", "error body should follow spec §3"


def test_data_routes_need_a_bearer_token(anon: httpx.Client) -> None:
    assert anon.get("/entities/v5/entities").status_code == 401, "no token must give 401"
    response = anon.get("/entities/v5/entities", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401, "an unknown token must give 401"


def test_an_expired_token_gives_401(anon: httpx.Client, clock: FakeClock) -> None:
    token = token_for(anon)
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/v4/entity", headers=headers).status_code == 200, "fresh token refused"
    clock.advance(901)
    assert anon.get("/v4/entity", headers=headers).status_code == 401, "token outlived its TTL"


def test_xml_accept_header_gives_406(api: httpx.Client) -> None:
    response = api.get("/entities/v5/entities", headers={"Accept": "application/xml"})
    assert response.status_code == 406, f"XML must be refused, got {response.status_code}"


@pytest.mark.parametrize("path", ["/entities/v5/entities", "/v5/entities", "/v4/entity"])
def test_entities_are_listed_on_every_path_style(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    names = [e["name"] for e in response.json()["entities"]]
    assert response.status_code == 200 and DEMO_ENTITY in names, f"{path}: {response.text}"


@pytest.mark.parametrize(
    "path",
    [
        "/profile-table-structure/v5/entities/actito/profile-tables",
        "/v5/entities/actito/profile-tables",
    ],
)
def test_profile_tables_carry_id_name_attributes_subscriptions(api: httpx.Client, path: str):
    tables = {t["name"]: t for t in api.get(path).json()["profileTables"]}
    assert set(tables) >= {"demodoc", "customers", "prospects"}, f"tables: {list(tables)}"
    customers = tables["customers"]
    assert customers["id"] == "17", "v5 table ids are digit strings"
    keys = {a["name"] for a in customers["attributes"] if a["unique"]}
    assert {"emailAddress", "customerId", "profileId"} <= keys, f"key attributes: {keys}"
    expected = {"STRING", "INTEGER", "DECIMAL", "BOOLEAN", "DATE", "TIMESTAMP", "EMAIL_ADDRESS"}
    expected |= {"PHONE_NUMBER", "SEX", "MOTHER_LANGUAGE", "COUNTRY", "BIRTHDATE", "TITLE"}
    for name in ("customers", "prospects"):
        kinds = {a.get("valueType") or a["type"] for a in tables[name]["attributes"]}
        assert expected <= kinds, f"{name} lacks value types {expected - kinds}"
    assert {"name": "Newsletter"} in customers["subscriptions"], "subscriptions missing"
    assert customers["segmentations"][0]["categories"], "segmentation categories missing"


def test_one_profile_table_is_found_by_its_v5_id_not_its_name(api: httpx.Client) -> None:
    base = "/profile-table-structure/v5/entities/actito/profile-tables"
    assert api.get(f"{base}/16").json()["name"] == "demodoc", "table 16 should be demodoc"
    assert api.get(f"{base}/demodoc").status_code == 404, "v5 routes take the id, not the name"


def test_unknown_entity_gives_404(api: httpx.Client) -> None:
    response = api.get("/v5/entities/nope/profile-tables")
    assert response.status_code == 404, response.text
    assert response.json()["status"] == 404 and "nope" in response.json()["message"]


def test_unknown_route_gives_404_and_wrong_method_405(api: httpx.Client) -> None:
    assert api.get("/v9/whatever").status_code == 404, "unknown route should be 404"
    response = api.delete("/entities/v5/entities")
    assert response.status_code == 405 and "GET" in response.headers["Allow"], response.text


def test_legacy_basic_auth_root_serves_v4_routes(anon: httpx.Client) -> None:
    good = base64.b64encode(f"actito/WebServices_sandbox:{DEMO_API_KEY}".encode()).decode()
    bad = base64.b64encode(b"actito/WebServices_sandbox:nope").decode()
    path = "/ActitoWebServices/ws/v4/entity/actito/table/demodoc/profile/147471"
    ok = anon.get(path, headers={"Authorization": f"Basic {good}"})
    assert ok.status_code == 200, f"Basic auth with the API key as password failed: {ok.text}"
    assert anon.get(path, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    unprefixed = anon.get(
        path.removeprefix("/ActitoWebServices/ws"), headers={"Authorization": f"Basic {good}"}
    )
    assert unprefixed.status_code == 401, "Basic auth is only for the /ActitoWebServices root"
