"""One-shot ETL executions (spec §7): create, poll, results, output files, file failures."""

from __future__ import annotations

import json

import httpx
import pytest

from actito_admin.sandbox.app import SandboxApp
from actito_admin.sandbox.config import SandboxConfig

from .helpers import (
    FakeClock,
    client_for,
    definition,
    execution_url,
    gzipped,
    token_for,
    unzip,
    upload,
    zipped,
)

GOOD_CSV = (
    b"email,last_name,first_name\r\n"
    b"new.one@example.com,One,Nieuw\r\n"  # inserted
    b"cedric.claessens@example.com,Claessens,Cedric\r\n"  # updated (customer 5)
    b"broken-address,Broken,Row\r\n"  # INVALID_VALUE
    b"no.lastname@example.com,,Empty\r\n"  # MISSING_MANDATORY_VALUE
)


def run(api: httpx.Client, content: bytes, oneshot: dict | None = None, **kw) -> str:
    response = upload(api, content, oneshot, **kw)
    assert response.status_code == 200, f"create refused: {response.status_code} {response.text}"
    execution_id = response.json()["id"]
    assert execution_id.isdigit(), f"execution id should be a digit string: {execution_id!r}"
    return execution_id


def results(api: httpx.Client, execution_id: str) -> dict:
    return api.get(execution_url(execution_id, "/integration-results")).json()


def test_a_csv_is_loaded_with_counters_per_spec(api: httpx.Client) -> None:
    execution_id = run(api, GOOD_CSV)
    execution = api.get(execution_url(execution_id)).json()
    assert execution["status"] == "FINISHED" and execution["type"] == "ONESHOT", execution
    assert execution["endMoment"], "a terminal execution has an endMoment"
    body = results(api, execution_id)
    assert body["status"] == "FINISHED" and body["error"] is None, body
    (counters,) = body["integrationResults"]
    assert counters == {
        "destination": {"type": "PROFILE_TABLE", "id": "17"},
        "readLines": 4,
        "errorLines": 2,
        "insertedLines": 1,
        "updatedLines": 1,
        "deletedLines": 0,
    }, counters
    profile = api.get("/v4/entity/actito/table/customers/profile/emailAddress=new.one@example.com")
    assert profile.status_code == 200, "the inserted row must be readable as a profile"
    names = {
        a["name"]: a["value"]
        for a in api.get("/v4/entity/actito/table/customers/profile/5").json()["attributes"]
    }
    assert names["firstName"] == "Cedric", "the update must be applied to profile 5"


def test_output_files_hold_result_and_error_csvs(api: httpx.Client) -> None:
    execution_id = run(api, GOOD_CSV)
    response = api.get(execution_url(execution_id, "/output-files"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f"output-files-{execution_id}.zip" in response.headers["content-disposition"]
    files = unzip(response.content)
    result_lines = files["result.csv"].splitlines()
    assert result_lines[0] == "email,last_name,first_name,profileId,action", result_lines[0]
    assert result_lines[1].endswith(",INSERTED") and result_lines[2] == (
        "cedric.claessens@example.com,Claessens,Cedric,5,UPDATED"
    ), result_lines
    errors = files["errors.csv"].splitlines()
    assert errors[0].endswith("errorCode,errorMessage"), errors[0]
    codes = [line.split(",")[3] for line in errors[1:]]
    assert codes == ["INVALID_VALUE", "MISSING_MANDATORY_VALUE"], errors


def test_output_files_are_404_when_flags_are_false(api: httpx.Client) -> None:
    oneshot = definition(error_files=False, result_files=False)
    execution_id = run(api, GOOD_CSV, oneshot)
    assert api.get(execution_url(execution_id, "/output-files")).status_code == 404


def test_execution_stays_in_progress_for_the_configured_delay(clock: FakeClock) -> None:
    app = SandboxApp(
        SandboxConfig(execution_seconds=5, execution_ms_per_1000_rows=1000), clock=clock
    )
    with client_for(app) as api:
        api.headers["Authorization"] = "Bearer " + token_for(api)
        execution_id = run(api, GOOD_CSV)  # 4 rows → 5.004 s
        assert api.get(execution_url(execution_id)).json()["status"] == "IN_PROGRESS"
        assert results(api, execution_id) == {
            "status": "IN_PROGRESS",
            "error": None,
            "integrationResults": [],
        }
        assert api.get(execution_url(execution_id, "/output-files")).status_code == 404
        new = "/v4/entity/actito/table/customers/profile/emailAddress=new.one@example.com"
        assert api.get(new).status_code == 404, "rows must not apply before the execution ends"
        clock.advance(5.01)
        assert api.get(execution_url(execution_id)).json()["status"] == "FINISHED"
        assert api.get(new).status_code == 200, "rows apply when the execution ends"
    app.close()


def test_gzip_input_is_read(api: httpx.Client) -> None:
    execution_id = run(api, gzipped(GOOD_CSV), definition(compression="GZIP"))
    assert results(api, execution_id)["integrationResults"][0]["readLines"] == 4


def test_zip_with_one_file_is_read_even_when_compression_is_not_declared(api: httpx.Client):
    execution_id = run(api, zipped(("customers.csv", GOOD_CSV)))
    assert results(api, execution_id)["integrationResults"][0]["insertedLines"] == 1


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (zipped(("a.csv", GOOD_CSV), ("b.csv", GOOD_CSV)), "INVALID_FILE"),
        (b"\xef\xbb\xbf" + GOOD_CSV, "INVALID_FILE"),
        (b"email,last_name,email\r\na@example.com,A,b@example.com\r\n", "DUPLICATE_HEADERS"),
        (b"email,last_name,first_name\r\na@example.com,A\r\n", "INVALID_FILE"),
        (b'email,last_name,first_name\r\na@example.com,"A,B\r\n', "INVALID_FILE"),
        (b"", "INVALID_FILE"),
        (b"mail,name\r\na@example.com,A\r\n", "INVALID_FILE"),  # mapped headers absent
    ],
    ids=[
        "zip-with-two-files",
        "bom",
        "duplicate-headers",
        "column-count",
        "open-quote",
        "empty",
        "unmapped",
    ],
)
def test_bad_files_fail_the_whole_execution(api: httpx.Client, content: bytes, error: str):
    execution_id = run(api, content)
    assert api.get(execution_url(execution_id)).json()["status"] == "FAILED"
    body = results(api, execution_id)
    assert body == {"status": "FAILED", "error": error, "integrationResults": []}, body
    assert api.get(execution_url(execution_id, "/output-files")).status_code == 404


def test_declared_separator_enclosing_and_latin1_encoding_are_used(api: httpx.Client) -> None:
    content = 'email;last_name;first_name\r\n"zoe.leroy@example.com";"Leroy; née Dupont";"Zoé"\r\n'
    oneshot = definition(csv_format={"separator": ";", "enclosing": '"', "encoding": "ISO-8859-1"})
    execution_id = run(api, content.encode("latin-1"), oneshot)
    assert results(api, execution_id)["integrationResults"][0]["insertedLines"] == 1
    profile = api.get(
        "/v4/entity/actito/table/customers/profile/emailAddress=zoe.leroy@example.com"
    )
    names = {a["name"]: a["value"] for a in profile.json()["attributes"]}
    assert names["lastName"] == "Leroy; née Dupont" and names["firstName"] == "Zoé", names


def test_utf8_bytes_declared_as_utf8_with_wrong_bytes_fail(api: httpx.Client) -> None:
    execution_id = run(
        api, "email,last_name,first_name\r\na@example.com,Zoé,Z\r\n".encode("latin-1")
    )
    assert results(api, execution_id)["error"] == "INVALID_FILE", "latin-1 bytes are not UTF-8"


def test_modes_update_only_create_only_and_delete(api: httpx.Client) -> None:
    csv = b"email,last_name\r\ncedric.claessens@example.com,X\r\nunknown@example.com,Y\r\n"
    mapping = [("email", "emailAddress"), ("last_name", "lastName")]
    expectations = {
        "UPDATE_ONLY": (0, 1, 0, "UNKNOWN_RECORD"),
        "CREATE_ONLY": (1, 0, 0, "RECORD_ALREADY_EXISTS"),
        "DELETE": (0, 0, 2, None),  # the CREATE_ONLY run created the unknown one
    }
    for mode, (inserted, updated, deleted, code) in expectations.items():
        execution_id = run(api, csv, definition(mode=mode, mapping=mapping))
        (counters,) = results(api, execution_id)["integrationResults"]
        got = (counters["insertedLines"], counters["updatedLines"], counters["deletedLines"])
        assert got == (inserted, updated, deleted), f"{mode}: {counters}"
        if code:
            errors = unzip(api.get(execution_url(execution_id, "/output-files")).content)
            assert code in errors["errors.csv"], f"{mode}: {errors}"
    assert api.get("/v4/entity/actito/table/customers/profile/5").status_code == 404


def test_subscriptions_and_segmentations_are_mappable(api: httpx.Client) -> None:
    csv = (
        b"customer,news,tier\r\n"
        b"C000005,0,Gold\r\n"
        b"C000006,maybe,Gold\r\n"  # INVALID_VALUE
        b"C000007,1,Platinum\r\n"  # UNKNOWN_SEGMENTATION
    )
    mapping = [
        ("customer", "customerId"),
        ("news", "subscriptions#Newsletter"),
        ("tier", "S_ClientType"),
    ]
    execution_id = run(api, csv, definition(mode="UPDATE_ONLY", mapping=mapping))
    (counters,) = results(api, execution_id)["integrationResults"]
    assert (counters["updatedLines"], counters["errorLines"]) == (1, 2), counters
    errors = unzip(api.get(execution_url(execution_id, "/output-files")).content)["errors.csv"]
    assert "UNKNOWN_SEGMENTATION" in errors and "INVALID_VALUE" in errors, errors
    profile = api.get("/v4/entity/actito/table/customers/profile/5").json()
    assert {"name": "Newsletter", "subscribe": "false"} in profile["subscriptions"], profile
    assert profile["segmentations"][0]["segmentation"]["category"] == "Gold", profile


def test_every_value_type_is_validated(api: httpx.Client) -> None:
    header = "email,last,points,value,vip,bought,login,gsm,country,sex,lang,title\r\n"
    good = "typed@example.com,T,12,12.50,Y,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,F,NL,Ms"
    bad = [
        "bad1@example.com,T,1.5,1,Y,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,F,NL,Ms",
        "bad2@example.com,T,1,1,1,31/01/2025,2025-01-31 10:11:12,+32475123456,BE,F,NL,Ms",
        "bad3@example.com,T,1,1,1,2025-01-31,2025-01-31,+32475123456,BE,F,NL,Ms",
        "bad4@example.com,T,1,1,1,2025-01-31,2025-01-31 10:11:12,call me,BE,F,NL,Ms",
        "bad5@example.com,T,1,1,1,2025-01-31,2025-01-31 10:11:12,+32475123456,XX,F,NL,Ms",
        "bad6@example.com,T,1,1,1,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,X,NL,Ms",
        "bad7@example.com,T,1,1,1,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,F,XQ,Ms",
        "bad8@example.com,T,1,1,maybe,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,F,NL,Ms",
        "bad9@example.com,T,1,1,1,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,F,NL,Dr",
        "bad10@example.com,T,1,1.2.3,1,2025-01-31,2025-01-31 10:11:12,+32475123456,BE,F,NL,Ms",
    ]
    mapping = [
        ("email", "emailAddress"),
        ("last", "lastName"),
        ("points", "loyaltyPoints"),
        ("value", "lifetimeValue"),
        ("vip", "isVip"),
        ("bought", "lastPurchaseDate"),
        ("login", "lastLoginMoment"),
        ("gsm", "gsmNumber"),
        ("country", "addressCountry"),
        ("sex", "sex"),
        ("lang", "motherLanguage"),
        ("title", "title"),
    ]
    content = (header + "\r\n".join([good, *bad]) + "\r\n").encode()
    execution_id = run(api, content, definition(mapping=mapping))
    (counters,) = results(api, execution_id)["integrationResults"]
    assert (counters["insertedLines"], counters["errorLines"]) == (1, len(bad)), counters


def test_ignore_flags_skip_empty_and_invalid_values(api: httpx.Client) -> None:
    oneshot = definition(
        mapping=[("email", "emailAddress"), ("last_name", "lastName"), ("first_name", "firstName")]
    )
    for item in oneshot["dataLoading"]["destination"]["attributesMapping"][1:]:
        item |= {"ignoreEmptyValues": True, "ignoreInvalidValues": True}
    csv = b"email,last_name,first_name\r\ncedric.claessens@example.com,," + b"x" * 300 + b"\r\n"
    execution_id = run(api, csv, oneshot)
    (counters,) = results(api, execution_id)["integrationResults"]
    assert counters["updatedLines"] == 1 and counters["errorLines"] == 0, counters


@pytest.mark.parametrize(
    ("oneshot", "reason"),
    [
        (definition(mode="CREATE_UPDATE"), "v4 mode name"),
        (definition(mode="UPSERT"), "unknown mode"),
        (definition(table_id="999"), "unknown destination"),
        (definition(mapping=[("email", "emailAdress")]), "unknown attributeName"),
        (definition(mapping=[("e", "emailAddress"), ("e", "lastName")]), "duplicate header"),
        (definition(mapping=[("s", "subscriptions#Nope")]), "unknown subscription"),
        (definition(mapping=[("t", "lastMailClickMoment")]), "technical attr outside CREATE_ONLY"),
        (definition(csv_format={"encoding": "UTF-16"}), "unsupported encoding"),
        (definition(compression="RAR"), "unknown compression"),
        ({"type": "ONESHOT"}, "no dataLoading"),
        ("{not json", "malformed JSON"),
    ],
)
def test_invalid_definitions_are_refused_with_400(api: httpx.Client, oneshot, reason: str) -> None:
    response = upload(api, GOOD_CSV, oneshot)
    assert response.status_code == 400, f"{reason}: got {response.status_code} {response.text}"


def test_technical_attributes_are_accepted_in_create_only(api: httpx.Client) -> None:
    oneshot = definition(
        mode="CREATE_ONLY",
        mapping=[("email", "emailAddress"), ("last", "lastName"), ("click", "lastMailClickMoment")],
    )
    csv = b"email,last,click\r\nfresh@example.com,F,2024-03-01 08:00:00\r\n"
    execution_id = run(api, csv, oneshot)
    assert results(api, execution_id)["integrationResults"][0]["insertedLines"] == 1


def test_missing_parts_unknown_entity_and_bad_content_type(api: httpx.Client) -> None:
    url = "/mass-imports/v5/entities/actito/etl-executions"
    only_file = api.post(url, files={"inputFile": ("a.csv", GOOD_CSV, "text/csv")})
    assert only_file.status_code == 400, "oneshotEtl is required"
    only_definition = api.post(url, files={"oneshotEtl": ("o.json", b"{}", "application/json")})
    assert only_definition.status_code == 400, "inputFile is required"
    assert upload(api, GOOD_CSV, entity="nope").status_code == 404, "unknown entity"
    assert api.post(url, content=b"x", headers={"Content-Type": "text/csv"}).status_code == 400


def test_oneshot_definition_may_be_a_plain_text_field(api: httpx.Client) -> None:
    response = api.post(
        "/v5/entities/actito/etl-executions",
        files={"inputFile": ("in.csv", GOOD_CSV, "text/csv")},
        data={"oneshotEtl": json.dumps(definition())},
    )
    assert response.status_code == 200, response.text


def test_a_file_over_the_size_limit_gives_400(clock: FakeClock) -> None:
    app = SandboxApp(SandboxConfig(max_file_bytes=100, execution_seconds=0), clock=clock)
    with client_for(app) as api:
        api.headers["Authorization"] = "Bearer " + token_for(api)
        response = upload(api, GOOD_CSV + b"x" * 200)
        assert response.status_code == 400, f"oversized file accepted: {response.text}"
        assert app.stats()["imports_today"] == {}, "a refused upload must not count"
    app.close()


def test_the_13th_import_of_a_table_in_a_utc_day_gives_429(
    api: httpx.Client, sandbox: SandboxApp, clock: FakeClock
) -> None:
    for number in range(12):
        assert upload(api, GOOD_CSV).status_code == 200, f"import {number + 1} refused"
    response = upload(api, GOOD_CSV)
    assert response.status_code == 429, f"13th import: {response.status_code}"
    assert sandbox.stats()["imports_today"] == {"17": 12}, sandbox.stats()["imports_today"]
    other_table = definition(table_id="18", mapping=[("email", "emailAddress")])
    assert upload(api, GOOD_CSV, other_table).status_code == 200, "the limit is per table"
    clock.advance(24 * 3600)
    api.headers["Authorization"] = "Bearer " + token_for(api)  # the old token has expired
    assert upload(api, GOOD_CSV).status_code == 200, "the counter resets the next UTC day"


def test_a_json_body_execution_fails_with_missing_file(api: httpx.Client) -> None:
    response = api.post("/mass-imports/v5/entities/actito/etl-executions", json=definition())
    assert response.status_code == 200, response.text
    body = results(api, response.json()["id"])
    assert body["status"] == "FAILED" and body["error"] == "MISSING_FILE", body


def test_unknown_execution_gives_404(api: httpx.Client) -> None:
    for suffix in ("", "/integration-results", "/output-files"):
        assert api.get(execution_url("1", suffix)).status_code == 404, suffix
    execution_id = run(api, GOOD_CSV)
    assert api.get(execution_url(execution_id, entity="MyEntity")).status_code == 404, (
        "an execution belongs to its entity"
    )
