"""ACTITO's documented example calls (seeds S000, S002) answer as documented, host changed.

The documentation's curl calls omit credentials; we add them (Basic on the legacy root,
a bearer token elsewhere) and change nothing else."""

from __future__ import annotations

import base64
import json

import httpx

from actito_admin.sandbox.config import DEMO_API_KEY

from .helpers import execution_url

BASIC = "Basic " + base64.b64encode(f"actito/WebServices_test:{DEMO_API_KEY}".encode()).decode()
LEGACY = "/ActitoWebServices/ws/v4"


def test_s000_scenario_search_answers_the_documented_workflow(anon: httpx.Client) -> None:
    response = anon.get(
        f"{LEGACY}/entity/actito/table/demodoc/scenario?name=Doc*"
        "&isStartEventTriggered=true&isActive=true",
        headers={"Accept": "application/json", "Authorization": BASIC},
    )
    assert response.json() == {
        "workflows": [
            {
                "name": "DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170",
                "id": 11160,
                "isStartEventTriggered": True,
                "isActive": True,
            }
        ]
    }, response.text


def test_s000_trigger_answers_an_interaction_business_key(anon: httpx.Client) -> None:
    response = anon.post(
        f"{LEGACY}/entity/actito/table/demodoc/scenario/11160/profile/147471",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": BASIC,
        },
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"interactionBusinessKey"}, response.json()


def test_s002_create_or_update_matches_john_smith(api: httpx.Client) -> None:
    body = {
        "attributes": [
            {"name": "lastName", "value": "Smith"},
            {"name": "firstName", "value": "John"},
            {"name": "birthDate", "value": "26/05/1967"},
            {"name": "sex", "value": "M"},
            {"name": "motherLanguage", "value": "EN"},
            {"name": "emailAddress", "value": "john.smith@actito.com"},
            {"name": "addressLocality", "value": "Los Angeles"},
            {"name": "addressCountry", "value": "US"},
            {"name": "gsmNumber", "value": "1223344556"},
            {"name": "customerId", "value": 34567},
            {"name": "nbChildren", "value": 2},
        ],
        "dataCollectionInformation": {
            "date": "10/09/2019",
            "source": "TEST",
            "way": "website registering",
        },
        "subscriptions": [
            {"name": "Newsletter", "subscribe": "true"},
            {"name": "Promotions", "subscribe": "false"},
        ],
        "segmentations": [
            {"belongs": "true", "segmentation": {"name": "ClientType", "category": "Gold"}},
            {"belongs": "true", "segmentation": {"name": "isActive", "category": "Member"}},
        ],
    }
    response = api.post(
        "/profiles/v4/entity/MyEntity/table/MyWebsiteProfiles/profile?allowUpdate=true", json=body
    )
    assert response.status_code == 200 and response.json() == {"profileId": 1147690}, response.text


def test_s002_subscription_update_and_delete(api: httpx.Client) -> None:
    base = "/profiles/v4/entity/MyEntity/table/MyWebsiteProfiles/profile/1147690"
    body = {
        "subscriptions": [
            {"name": "Newsletter", "subscribe": "false"},
            {"name": "Promotions", "subscribe": "true"},
        ],
        "dataCollectionInformation": {
            "source": "WebsitePersonalSpace",
            "date": "2019-09-10 10:10:00",
            "way": "A way",
        },
    }
    assert api.put(base, json=body).json() == {"profileId": 1147690}
    gdpr = body["dataCollectionInformation"]
    assert api.post(f"{base}/subscription/Newsletter", json=gdpr).status_code == 200
    assert api.request("DELETE", f"{base}/subscription/Newsletter", json=gdpr).status_code == 200
    assert api.delete(base).status_code == 200, "documented: 200 OK on deletion"
    assert api.delete(base).status_code == 404, "documented: 404 when no profile is found"


def test_s002_one_shot_upload_then_results_and_output_files(api: httpx.Client) -> None:
    oneshot = {
        "type": "ONESHOT",
        "inputFileProperties": {"csvFormat": {"separator": ","}},
        "dataLoading": {
            "destination": {
                "type": "PROFILE_TABLE",
                "id": "123",
                "attributesMapping": [
                    {"header": "email", "attributeName": "emailAddress"},
                    {"header": "last_name", "attributeName": "lastName"},
                    {"header": "first_name", "attributeName": "firstName"},
                ],
            },
            "parameters": {
                "mode": "CREATE_OR_UPDATE",
                "generateErrorFiles": True,
                "generateResultFiles": True,
            },
        },
        "reportRecipients": ["john.smith@actito.com"],
    }
    response = api.post(
        "/mass-imports/v5/entities/MyEntity/etl-executions",
        headers={"Accept": "*/*"},
        files={
            "inputFile": ("inputFile.csv", b"email,last_name,first_name\nann@example.com,Ann,A\n"),
            "oneshotEtl": ("oneshotEtl.json", json.dumps(oneshot).encode()),
        },
    )
    assert response.status_code == 200, response.text
    execution_id = response.json()["id"]
    results = api.get(execution_url(execution_id, "/integration-results", entity="MyEntity"))
    assert results.json()["integrationResults"][0]["insertedLines"] == 1, results.text
    files = api.get(execution_url(execution_id, "/output-files", entity="MyEntity"))
    assert files.status_code == 200 and files.content[:2] == b"PK", "output-files should be a zip"


def test_s002_webhook_subscription_answers_an_id(api: httpx.Client) -> None:
    body = {
        "on": "ETL_EXECUTION",
        "onElementId": "123456",
        "eventType": "FINISHED",
        "targetUrl": "https://myactitowebhookendpoint.com/etlExecution",
        "headers": {"X-Authorization": "Lkjvlknqdjd54DOJF$"},
        "webhookPushType": "ONE_BY_ONE",
        "isActive": True,
    }
    response = api.post("/webhooks/v4/entity/MyEntity/webhookSubscription", json=body)
    assert response.status_code == 200 and isinstance(response.json()["id"], int), response.text
    webhook_id = response.json()["id"]
    listed = api.get("/v4/entity/MyEntity/webhookSubscription").json()["webhookSubscriptions"]
    assert [w["id"] for w in listed] == [webhook_id], listed
    assert api.get(f"/v4/entity/MyEntity/webhookSubscription/{webhook_id}").status_code == 200
    assert api.delete(f"/v4/entity/MyEntity/webhookSubscription/{webhook_id}").status_code == 204
    bad = api.post("/v4/entity/MyEntity/webhookSubscription", json=body | {"targetUrl": "http://x"})
    assert bad.status_code == 400, "an HTTP (not HTTPS) target must be refused"
    assert api.post("/v4/entity/MyEntity/webhookSubscription", json={}).status_code == 400
