"""The sandbox's ExpertSender CDP side validates exactly as seed 004 says, answers problem
details, records what it accepted, and shares the ACTITO side's fault injection."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from actito_admin.sandbox.app import SandboxApp
from actito_admin.sandbox.ecdp import DEMO_API_KEY

from .helpers import FakeClock, client_for

KEY = {"x-api-key": DEMO_API_KEY}
JANE = {
    "customEventId": 12,
    "customerId": "100001",
    "dataFields": [{"name": "voucherCode", "type": "String", "value": "WELCOME10"}],
}


@pytest.fixture
def app() -> SandboxApp:
    return SandboxApp(clock=FakeClock())


@pytest.fixture
def http(app: SandboxApp) -> httpx.Client:
    return client_for(app)


def post(http: httpx.Client, body: Any, path: str = "/ecdp/scenariocustomevents", **kw):
    return http.post(path, json=body, headers=kw.get("headers", KEY))


def recorded(http: httpx.Client) -> list[dict]:
    return http.get("/_sandbox/ecdp/events").json()["events"]


def assert_problem(response: httpx.Response, status: int, words: str = "") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    if status == 400:
        assert body["substatus"] == "CustomerInvalidModelState" and body["errors"]
    text = " ".join([body["detail"], *body.get("errors", [])])
    assert words.lower() in text.lower(), text
    return body


def test_the_seed_has_enough_customers_events_and_segments(http):
    catalogue = http.get("/_sandbox/ecdp/catalogue").json()
    assert catalogue["customers"] >= 1000
    assert len(catalogue["events"]) >= 8 and len(catalogue["segments"]) >= 4
    assert all("dataFields" in e for e in catalogue["events"])


def test_an_accepted_event_is_201_without_body_and_recorded(http):
    response = post(http, JANE)
    assert response.status_code == 201 and response.content == b""
    assert recorded(http) == [
        {
            "customEventId": 12,
            "customerId": 100001,
            "dataFields": {"voucherCode": "WELCOME10"},
            "via": "customerId",
            "at": recorded(http)[0]["at"],
        }
    ]


def test_a_numeric_customer_id_as_in_the_seed_sample_is_accepted(http):
    assert post(http, JANE | {"customerId": 100001}).status_code == 201


@pytest.mark.parametrize(
    "identifier",
    ["customerEmail", "customerEmailMd5", "customerEmailSha256", "customerPhone", "customerCrmId"],
)
def test_every_identifier_finds_the_customer(http, identifier):
    jane = http.get("/ecdp/customers/id/100001", headers=KEY).json()["data"]
    value = {
        "customerEmail": jane["email"].upper(),
        "customerEmailMd5": hashlib.md5(jane["email"].encode()).hexdigest(),
        "customerEmailSha256": hashlib.sha256(jane["email"].encode()).hexdigest(),
        "customerPhone": jane["phone"],
        "customerCrmId": jane["crmId"],
    }[identifier]
    body = {k: v for k, v in JANE.items() if k != "customerId"} | {identifier: value}
    assert post(http, body).status_code == 201
    assert recorded(http)[0]["customerId"] == 100001


def test_a_missing_or_wrong_key_is_401(http):
    assert_problem(post(http, JANE, headers={}), 401)
    assert_problem(post(http, JANE, headers={"x-api-key": "nope"}), 401)
    assert_problem(http.get("/ecdp/customers/id/100001"), 401)


def test_custom_event_id_is_required_and_an_int32(http):
    body = {k: v for k, v in JANE.items() if k != "customEventId"}
    assert_problem(post(http, body), 400, "customEventId is required")
    assert_problem(post(http, JANE | {"customEventId": "12"}), 400, "integer")
    assert_problem(post(http, JANE | {"customEventId": 2**31}), 400, "int32")


def test_exactly_one_customer_identifier(http):
    body = {k: v for k, v in JANE.items() if k != "customerId"}
    assert_problem(post(http, body), 400, "one customer identifier is required")
    assert_problem(post(http, JANE | {"customerEmail": "a@b.c"}), 400, "exactly one")


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("customerEmail", 320),
        ("customerEmailMd5", 32),
        ("customerEmailSha256", 64),
        ("customerPhone", 20),
        ("customerCrmId", 128),
    ],
)
def test_identifiers_longer_than_their_limit_are_refused(http, field, limit):
    body = {k: v for k, v in JANE.items() if k != "customerId"} | {field: "x" * (limit + 1)}
    assert_problem(post(http, body), 400, f"longer than {limit}")
    # At the limit it is valid, just nobody: 404.
    assert_problem(post(http, body | {field: "x" * limit}), 404, "not found")


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        ("Number", "ten"),
        ("Money", "1.999"),
        ("Date", "24/12/2026"),
        ("DateTime", "2026-12-24"),
        ("Boolean", "yes"),
        ("URL", "example.com"),
    ],
)
def test_data_field_values_must_match_their_type(http, field_type, value):
    body = JANE | {"dataFields": [{"name": "x", "type": field_type, "value": value}]}
    assert_problem(post(http, body), 400, value)


def test_data_field_shape_type_and_string_value(http):
    assert_problem(post(http, JANE | {"dataFields": {"a": 1}}), 400, "must be an array")
    bad_type = [{"name": "voucherCode", "type": "Currency", "value": "1"}]
    assert_problem(post(http, JANE | {"dataFields": bad_type}), 400, "type must be one of")
    not_string = [{"name": "points", "type": "Number", "value": 5}]
    assert_problem(post(http, JANE | {"dataFields": not_string}), 400, "must be a string")


def test_data_fields_must_be_declared_with_their_type_and_required_ones_given(http):
    undeclared = JANE["dataFields"] + [{"name": "colour", "type": "String", "value": "red"}]
    assert_problem(post(http, JANE | {"dataFields": undeclared}), 400, "not declared")
    wrong = [{"name": "voucherCode", "type": "Text", "value": "W"}]
    assert_problem(post(http, JANE | {"dataFields": wrong}), 400, "of type String")
    assert_problem(post(http, JANE | {"dataFields": []}), 400, "voucherCode is required")


def test_unknown_event_and_unknown_customer_are_404_problem_details(http):
    assert_problem(post(http, JANE | {"customEventId": 999}), 404, "Custom event 999")
    assert_problem(post(http, JANE | {"customerId": "5"}), 404, "Customer")
    assert recorded(http) == []


def test_segments_reach_every_member_once(http, app):
    body = {"customEventId": 20, "segments": [1, 5]}
    response = post(http, body, "/ecdp/scenariocustomevents/withsegments")
    assert response.status_code == 201
    members = app.ecdp.segments[1].members | app.ecdp.segments[5].members
    ids = [r["customerId"] for r in recorded(http)]
    assert sorted(ids) == sorted(members) and len(ids) == len(set(ids))


def test_segments_are_required_known_and_integers(http):
    path = "/ecdp/scenariocustomevents/withsegments"
    assert_problem(post(http, {"customEventId": 20}, path), 400, "segments")
    assert_problem(post(http, {"customEventId": 20, "segments": ["1"]}, path), 400, "integer")
    assert_problem(post(http, {"customEventId": 20, "segments": [999]}, path), 404, "Segment 999")
    assert_problem(post(http, {"customEventId": 14, "segments": [1]}, path), 400, "birthday")


@pytest.mark.parametrize("kind", ["id", "email", "phone", "crmId"])
def test_customer_lookups(http, kind):
    jane = http.get("/ecdp/customers/id/100001", headers=KEY).json()["data"]
    value = {
        "id": "100001",
        "email": jane["email"],
        "phone": jane["phone"],
        "crmId": jane["crmId"],
    }[kind]
    response = http.get(f"/ecdp/customers/{kind}/{value}", headers=KEY)
    assert response.status_code == 200 and response.json()["data"]["id"] == 100001
    assert_problem(http.get(f"/ecdp/customers/{kind}/0000", headers=KEY), 404)


def test_bad_json_and_wrong_methods(http):
    raw = http.post("/ecdp/scenariocustomevents", content=b"{", headers=KEY)
    assert_problem(raw, 400, "not valid JSON")
    assert_problem(http.get("/ecdp/scenariocustomevents", headers=KEY), 405)
    assert_problem(http.get("/ecdp/nothing", headers=KEY), 404)


def test_faults_apply_to_the_ecdp_side_as_problem_details(http, app):
    app.set_faults(force_status=500, paths="^/ecdp/")
    assert_problem(post(http, JANE), 500)
    app.set_faults(force_status=None, storm_429_seconds=30)
    assert_problem(post(http, JANE), 429)
    assert recorded(http) == []
    # The ACTITO side is untouched by a fault limited to ECDP paths.
    app.clear_faults()
    app.set_faults(force_status=503, paths="^/ecdp/")
    assert http.get("/auth/token", headers={"Authorization": "x"}).status_code == 401


def test_reset_forgets_recorded_events(http, app):
    post(http, JANE)
    app.reset()
    assert recorded(http) == []
