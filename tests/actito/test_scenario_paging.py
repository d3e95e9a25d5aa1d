"""The scenario list is read to its end whatever paging ACTITO shows, and a partial read never
makes scenarios vanish from the search."""

from __future__ import annotations

import httpx
import pytest
from django.utils import timezone

from actito_admin.scenarios import services
from actito_admin.scenarios.models import Catalog, Scenario
from tests.actito.helpers import make_client, token_or


def _workflow(n: int) -> dict:
    return {"id": n, "name": f"S{n}", "isActive": True, "isStartEventTriggered": True}


def _paged(total: int, size: int, *, spelling: str = "totalPages", fail_page: int | None = None):
    asked: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        asked.append(params)
        page = int(params.get("page", 0))
        if page == fail_page:
            return httpx.Response(500)
        size_asked = int(params.get("pageSize", size))
        items = [_workflow(n) for n in range(total)][page * size_asked : (page + 1) * size_asked]
        body: dict = {"workflows": items}
        if spelling == "totalPages":
            body |= {"page": page, "pageSize": size, "totalPages": -(-total // size)}
        elif spelling == "hasNext":
            body |= {"hasNext": (page + 1) * size < total}
        elif spelling == "totalElements":
            body |= {"totalElements": total}
        return httpx.Response(200, json=body)

    return handler, asked


@pytest.mark.parametrize("spelling", ["totalPages", "hasNext", "totalElements"])
def test_every_page_is_read_whatever_the_paging_looks_like(spelling):
    handler, asked = _paged(250, 100, spelling=spelling)
    with make_client(token_or(handler), max_attempts=1) as client:
        found, complete = client.all_scenarios(table="demodoc")
    assert [s.id for s in found] == [str(n) for n in range(250)] and complete
    assert asked[0] == {}, "the first call asks for no page, as the documents show"
    assert asked[1] == {"page": "1", "pageSize": "100"}


def test_an_answer_without_paging_is_the_whole_list():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"workflows": [_workflow(1), _workflow(2)]})

    with make_client(token_or(handler)) as client:
        found, complete = client.all_scenarios(table="demodoc")
    assert len(found) == 2 and complete


@pytest.mark.django_db
def test_a_refresh_that_could_not_read_every_page_removes_nothing(settings, monkeypatch):
    scope = "test-scope"
    now = timezone.now()
    for n in (1, 2, 240):
        Scenario.objects.create(
            scope=scope, table="demodoc", actito_id=str(n), name=f"S{n}", is_active=True,
            is_start_event_triggered=True, seen_at=now,
        )  # fmt: skip
    catalog = Catalog.objects.create(scope=scope, kind="scenarios", table="demodoc")

    class Partial:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def all_scenarios(self, *, table):
            return [services_scenario(1), services_scenario(2)], False

    from actito_admin.actito.schemas import Scenario as ActitoScenario

    def services_scenario(n):
        return ActitoScenario.from_json(_workflow(n))

    monkeypatch.setattr(services, "build_client", lambda *a, **k: Partial())
    monkeypatch.setattr(services, "get_connection", lambda *a, **k: None)
    services.catalog_refresh_perform(catalog=catalog)
    kept = set(Scenario.objects.filter(scope=scope).values_list("actito_id", flat=True))
    assert kept == {"1", "2", "240"}, "scenario 240 was on a page we could not read: kept"


def test_the_sandbox_can_page_its_scenario_lists(sandbox_server):
    from actito_admin.sandbox.config import SandboxConfig

    app = sandbox_server.app
    old = app.config
    app.config = SandboxConfig(**{**old.__dict__, "scenario_page_size": 5})
    try:
        with make_client(
            lambda r: httpx.Response(500), transport=None, base_url=sandbox_server.url,
            api_key="sandbox-demo-key",
        ) as client:  # fmt: skip
            found, complete = client.all_scenarios(table="customers")
    finally:
        app.config = old
    assert complete and len(found) > 5, "more than one page, all read"
    assert len({s.id for s in found}) == len(found)
