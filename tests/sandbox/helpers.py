"""Helpers shared by the sandbox tests (requests, ETL definitions, archives)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from typing import Any

import httpx

from actito_admin.sandbox.app import SandboxApp
from actito_admin.sandbox.config import DEMO_API_KEY


class FakeClock:
    def __init__(self, start: float = 1_767_261_600.0) -> None:  # 2026-01-01 10:00 UTC
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client_for(app: SandboxApp) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox")


def token_for(client: httpx.Client, key: str = DEMO_API_KEY) -> str:
    response = client.get("/auth/token", headers={"Authorization": key})
    assert response.status_code == 200, f"token call failed: {response.status_code} {response.text}"
    return response.json()["accessToken"]


def definition(
    *,
    table_id: str = "17",
    mapping: list[tuple[str, str]] | None = None,
    mode: str = "CREATE_OR_UPDATE",
    csv_format: dict[str, str] | None = None,
    compression: str | None = None,
    error_files: bool = True,
    result_files: bool = True,
) -> dict[str, Any]:
    mapping = mapping or [
        ("email", "emailAddress"),
        ("last_name", "lastName"),
        ("first_name", "firstName"),
    ]
    doc: dict[str, Any] = {
        "type": "ONESHOT",
        "inputFileProperties": {"csvFormat": csv_format or {"separator": ","}},
        "dataLoading": {
            "destination": {
                "type": "PROFILE_TABLE",
                "id": table_id,
                "attributesMapping": [{"header": h, "attributeName": a} for h, a in mapping],
            },
            "parameters": {
                "mode": mode,
                "generateErrorFiles": error_files,
                "generateResultFiles": result_files,
            },
        },
    }
    if compression:
        doc["fileTransfer"] = {"input": {"file": {"compressionType": compression}}}
    return doc


def upload(
    client: httpx.Client,
    content: bytes,
    oneshot: dict[str, Any] | str | None = None,
    *,
    entity: str = "actito",
    prefix: str = "/mass-imports",
) -> httpx.Response:
    raw = oneshot if isinstance(oneshot, str) else json.dumps(oneshot or definition())
    return client.post(
        f"{prefix}/v5/entities/{entity}/etl-executions",
        files={
            "inputFile": ("inputFile.csv", content, "text/csv"),
            "oneshotEtl": ("oneshotEtl.json", raw.encode(), "application/json"),
        },
    )


def execution_url(execution_id: str, suffix: str = "", entity: str = "actito") -> str:
    return f"/mass-imports/v5/entities/{entity}/etl-executions/{execution_id}{suffix}"


def gzipped(content: bytes) -> bytes:
    return gzip.compress(content)


def zipped(*files: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def unzip(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
