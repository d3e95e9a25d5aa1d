"""Profiles (spec §5): read by id or key, search, writes."""

from __future__ import annotations

import httpx

from actito_admin.sandbox.app import SandboxApp

BASE = "/v4/entity/actito/table/customers/profile"


def values(profile: dict) -> dict[str, str]:
    return {a["name"]: a["value"] for a in profile["attributes"]}


def test_the_seed_holds_over_1000_profiles_with_plausible_emails(sandbox: SandboxApp) -> None:
    total = sum(len(d.profiles) for d in sandbox._data.values())
    assert total >= 1000, f"only {total} profiles"
    emails = [
        p.attributes["emailAddress"]
        for p in sandbox._data[("actito", "customers")].profiles.values()
    ]
    assert all(e.endswith("@example.com") and "." in e.split("@")[0] for e in emails[:50]), emails[
        :5
    ]
    assert len(set(emails)) == len(emails), "e-mail addresses must be unique"


def test_the_seed_is_deterministic() -> None:
    first, second = SandboxApp(), SandboxApp()
    assert (
        first._data[("actito", "prospects")].profiles
        == second._data[("actito", "prospects")].profiles
    )


def test_profile_by_id_has_the_spec_shape(api: httpx.Client) -> None:
    body = api.get(f"{BASE}/5").json()
    assert set(body) == {"attributes", "subscriptions", "segmentations"}, body
    assert values(body)["profileId"] == "5", "values are strings"
    assert body["subscriptions"][0].keys() == {"name", "subscribe"}
    assert body["segmentations"][0]["segmentation"].keys() == {"name", "category"}


def test_profile_by_key_equals_value_on_both_path_styles(api: httpx.Client) -> None:
    a = api.get(f"{BASE}/customerId=C000005").json()
    b = api.get(f"/profiles{BASE}/emailAddress=CEDRIC.CLAESSENS%40example.com").json()
    assert values(a)["profileId"] == values(b)["profileId"] == "5", (a, b)


def test_profile_errors(api: httpx.Client) -> None:
    assert api.get(f"{BASE}/424242").status_code == 404, "unknown id"
    assert api.get(f"{BASE}/lastName=Maes").status_code == 400, "non-unique attribute"
    assert api.get(f"{BASE}/customerId=").status_code == 400, "empty value"
    assert api.get("/v4/entity/actito/table/nope/profile/1").status_code == 404, "unknown table"


def test_search_by_attribute(api: httpx.Client) -> None:
    found = api.get(BASE, params={"search": "customerId=C000007", "number": "10"}).json()
    assert [values(p)["customerId"] for p in found["profiles"]] == ["C000007"], found
    some = api.get(BASE, params={"number": "3"}).json()["profiles"]
    assert len(some) == 3, "number limits the result"


def test_create_update_delete_round_trip(api: httpx.Client) -> None:
    body = {
        "attributes": [
            {"name": "emailAddress", "value": "new.person@example.com"},
            {"name": "lastName", "value": "Person"},
            {"name": "loyaltyPoints", "value": 12},
        ],
        "subscriptions": [{"name": "Newsletter", "subscribe": "true"}],
    }
    created = api.post(BASE, json=body)
    assert created.status_code == 200, created.text
    pid = created.json()["profileId"]
    again = api.post(BASE, json=body)
    assert again.status_code == 409, "without allowUpdate an existing profile is a conflict"
    updated = api.post(BASE, params={"allowUpdate": "true"}, json=body)
    assert updated.json() == {"profileId": pid}, "allowUpdate must match the same profile"
    put = api.put(f"{BASE}/{pid}", json={"attributes": [{"name": "isVip", "value": True}]})
    assert put.status_code == 200 and values(api.get(f"{BASE}/{pid}").json())["isVip"] == "true"
    assert api.delete(f"{BASE}/{pid}").status_code == 200
    assert api.get(f"{BASE}/{pid}").status_code == 404, "deleted profile still readable"
    assert api.delete(f"{BASE}/{pid}").status_code == 404, "second delete should be 404"


def test_upsert_with_keys_of_two_profiles_is_a_conflict(api: httpx.Client) -> None:
    body = {
        "attributes": [
            {"name": "customerId", "value": "C000001"},
            {"name": "emailAddress", "value": values(api.get(f"{BASE}/2").json())["emailAddress"]},
        ]
    }
    response = api.post(BASE, params={"allowUpdate": "true"}, json=body)
    assert response.status_code == 409, f"keys of profiles 1 and 2 must conflict: {response.text}"


def test_invalid_values_are_refused(api: httpx.Client) -> None:
    for name, value in [("addressCountry", "XX"), ("sex", "X"), ("loyaltyPoints", "many")]:
        body = {"attributes": [{"name": name, "value": value}]}
        response = api.put(f"{BASE}/5", json=body)
        assert response.status_code == 400, f"{name}={value} accepted: {response.text}"


def test_subscribe_and_unsubscribe(api: httpx.Client) -> None:
    url = f"{BASE}/5/subscription/PartnerOffers"
    assert api.delete(url).status_code == 200
    subs = {s["name"]: s["subscribe"] for s in api.get(f"{BASE}/5").json()["subscriptions"]}
    assert subs["PartnerOffers"] == "false", subs
    assert api.post(url).status_code == 200
    assert api.post(f"{BASE}/5/subscription/Nope").status_code == 404, "unknown subscription"
