"""EcdpClient against httpx.MockTransport: both endpoints, look-ups, every error shape,
time-outs (outcome unknown, never resent) and 429 with Retry-After."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from actito_admin.actito.governor import Governor, Limits
from actito_admin.ecdp.client import EcdpClient, EcdpError
from actito_admin.ecdp.fields import CustomerRef
from tests.actito.helpers import MemoryBackend

BASE = "https://ecdp.test"
KEY = "ecdp-secret-key-9876"


def make_client(handler, *, backend=None, sleeps=None, **kwargs) -> EcdpClient:
    backend = backend or MemoryBackend()
    sleeps = sleeps if sleeps is not None else []
    governor = Governor(scope="t", limits=Limits(), backend=backend, sleep=lambda s: None)
    return EcdpClient(
        base_url=BASE,
        api_key=KEY,
        governor=governor,
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        backoff_seconds=0.0,
        **kwargs,
    )


def problem(status: int, detail: str = "", **extra) -> httpx.Response:
    body = {
        "type": "about:blank",
        "title": "t",
        "status": status,
        "detail": detail,
        "instance": "/x",
    } | extra
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def test_one_customer_event_posts_id_identifier_and_typed_fields_with_the_key_header():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    fields = [{"name": "voucherCode", "type": "String", "value": "WELCOME10"}]
    receipt = make_client(handler).send_event(
        event_id=12, customer=CustomerRef("email", "jane@example.com"), data_fields=fields
    )
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/scenariocustomevents"
    assert request.headers["x-api-key"] == KEY
    assert json.loads(request.content) == {
        "customEventId": 12,
        "customerEmail": "jane@example.com",
        "dataFields": fields,
    }
    assert receipt.status == 201 and len(receipt.correlation_id) == 32


def test_a_hashed_email_is_sent_as_the_digest_only():
    seen = []
    client = make_client(lambda r: seen.append(json.loads(r.content)) or httpx.Response(201))
    ref = CustomerRef("email", "jane@example.com").hashed("emailSha256")
    client.send_event(event_id=1, customer=ref, data_fields=[])
    assert seen == [
        {"customEventId": 1, "customerEmailSha256": hashlib.sha256(b"jane@example.com").hexdigest()}
    ]


def test_segments_event_posts_every_segment_id_in_one_call():
    seen = []
    client = make_client(lambda r: seen.append(r) or httpx.Response(201))
    client.send_event_to_segments(event_id=7, segments=[1, 5, 15], data_fields=[])
    assert len(seen) == 1
    assert seen[0].url.path == "/scenariocustomevents/withsegments"
    assert json.loads(seen[0].content) == {"customEventId": 7, "segments": [1, 5, 15]}


@pytest.mark.parametrize(
    ("kind", "value", "path"),
    [
        ("id", "42", "/customers/id/42"),
        ("email", "a+b@example.com", "/customers/email/a%2Bb%40example.com"),
        ("phone", "+32470000000", "/customers/phone/%2B32470000000"),
        ("crmId", "CRM/7", "/customers/crmId/CRM%2F7"),
    ],
)
def test_customer_lookups_use_the_documented_paths_encoded(kind, value, path):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"data": {"id": 42, "email": "a@b.c", "firstName": "A"}})

    customer = make_client(handler).get_customer(CustomerRef(kind, value))
    assert seen == [path]
    assert customer.id == "42" and customer.label == "A <a@b.c>"


def test_a_400_problem_detail_reads_in_plain_words_with_its_errors():
    client = make_client(
        lambda r: problem(
            400,
            "Invalid data fields",
            substatus="CustomerInvalidModelState",
            errors=["dataFields[0].value: not a number"],
        )
    )
    with pytest.raises(EcdpError) as caught:
        client.send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    error = caught.value
    assert error.status == 400 and error.outcome_known and not error.retryable
    assert "invalid" in error.user_message and "not a number" in error.user_message
    assert error.problem["substatus"] == "CustomerInvalidModelState"


def test_a_401_says_the_key_was_refused_and_never_shows_it():
    client = make_client(lambda r: problem(401, "Unauthorized"))
    with pytest.raises(EcdpError) as caught:
        client.send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    assert caught.value.status == 401
    assert "API key" in caught.value.user_message and KEY not in caught.value.user_message
    assert KEY not in repr(client)


def test_a_404_names_the_unknown_event_or_customer():
    client = make_client(lambda r: problem(404, "Custom event 99 not found"))
    with pytest.raises(EcdpError) as caught:
        client.send_event(event_id=99, customer=CustomerRef("id", "1"), data_fields=[])
    assert caught.value.status == 404 and "Custom event 99 not found" in caught.value.user_message


def test_a_non_json_error_body_still_gives_a_message():
    client = make_client(lambda r: httpx.Response(403, text="<html>nope</html>"))
    with pytest.raises(EcdpError) as caught:
        client.send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    assert caught.value.status == 403 and "may not" in caught.value.user_message


def test_a_timed_out_event_is_outcome_unknown_and_sent_only_once():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(EcdpError) as caught:
        make_client(handler).send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    assert len(calls) == 1
    assert caught.value.outcome_known is False and not caught.value.retryable


def test_a_500_after_an_event_is_outcome_unknown_and_not_resent():
    calls = []
    client = make_client(lambda r: calls.append(1) or problem(500, "boom"))
    with pytest.raises(EcdpError) as caught:
        client.send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    assert len(calls) == 1 and caught.value.outcome_known is False


def test_a_connect_error_is_tried_again_because_nothing_left():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201)

    make_client(handler).send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    assert len(calls) == 2


def test_a_429_is_honoured_with_retry_after_then_sent():
    calls, sleeps = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"status": 429})
        return httpx.Response(201)

    make_client(handler, sleeps=sleeps).send_event(
        event_id=1, customer=CustomerRef("id", "1"), data_fields=[]
    )
    assert len(calls) == 2 and sleeps and sleeps[0] >= 7


def test_429s_past_the_attempts_raise_a_known_refusal_with_its_retry_after():
    client = make_client(
        lambda r: httpx.Response(429, headers={"Retry-After": "3"}), max_attempts=2
    )
    with pytest.raises(EcdpError) as caught:
        client.send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    error = caught.value
    assert error.status == 429 and error.outcome_known and error.retry_after == 3


def test_lookups_are_retried_on_5xx():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 2:
            return problem(503, "later")
        return httpx.Response(200, json={"data": {"id": 1}})

    assert make_client(handler).get_customer(CustomerRef("id", "1")).id == "1"


def test_every_request_passes_the_governor():
    backend = MemoryBackend()
    client = make_client(lambda r: httpx.Response(201), backend=backend)
    for _ in range(3):
        client.send_event(event_id=1, customer=CustomerRef("id", "1"), data_fields=[])
    assert backend.acquired == 3 and backend.in_flight == 0
