"""Filtering the log by scenario and by profile table: "who started this scenario for that
customer?" and "who imported into that table?". No event has a scenario or a table as its target;
record_event copies them from `data` into indexed columns, and the two target types search those.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import DatabaseError, connection, transaction

from actito_admin.audit.chain import verify_chain
from actito_admin.audit.models import AuditEvent
from actito_admin.imports.events import audit_basics
from actito_admin.imports.models import ImportJob
from actito_admin.scenarios.models import ProfileTable, Scenario

from .conftest import tamper

SCENARIO = "target_type=scenarios.scenario&target_id="
TABLE = "target_type=actito.table&target_id="


def _ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/audit/(\d+)/"', response.content.decode())}


def _trigger(make_event, actor, *, run: int, scenario_id: str, name: str, table: str, **kw):
    """A trigger event with the `data` scenarios.services._audit_data records."""
    return make_event(
        actor=actor,
        action=kw.pop("action", "scenario.trigger.requested"),
        target=("scenarios.triggerrun", str(run)),
        data={
            "run_id": run,
            "scenario_id": scenario_id,
            "scenario_name": name,
            "table": table,
            "profile_label": "john.smith@example.com",
            "profile_ref": "147471",
        },
        **kw,
    )


def _import(make_event, actor, *, job: int, table: str, table_id: str, action="import.submitted"):
    """An import event with the `data` imports.events.audit_basics records."""
    data = {"file_name": f"file-{job}.csv", "table_name": table, "table": table}
    return make_event(
        actor=actor,
        action=action,
        target=("imports.importjob", str(job)),
        data={**data, "table_id": table_id, "row_count": 10},
    )


@pytest.fixture
def log(make_event, marketer, admin_user):
    return {
        "welcome_asked": _trigger(
            make_event, marketer, run=1, scenario_id="11160", name="Welcome", table="demodoc"
        ),
        "welcome_done": _trigger(
            make_event,
            marketer,
            run=1,
            scenario_id="11160",
            name="Welcome",
            table="demodoc",
            action="scenario.trigger.performed",
        ),
        "birthday": _trigger(
            make_event, admin_user, run=2, scenario_id="22222", name="Birthday", table="demodoc"
        ),
        "other_table_trigger": _trigger(
            make_event, marketer, run=3, scenario_id="33333", name="Promo", table="Customers"
        ),
        "import_demodoc": _import(make_event, marketer, job=5, table="demodoc", table_id="7"),
        "import_customers": _import(make_event, admin_user, job=6, table="Customers", table_id="8"),
        "login": make_event(actor=marketer, action="auth.login"),
    }


def _expect(log, *names: str) -> set[int]:
    return {log[name].pk for name in names}


def test_filtering_by_a_scenario_finds_its_trigger_events(client_as_viewer, log):
    found = _ids(client_as_viewer.get(f"/audit/?{SCENARIO}11160"))
    missing = _expect(log, "welcome_asked", "welcome_done") - found
    assert not missing, f"trigger events of scenario 11160 not listed: {missing}"


def test_filtering_by_a_scenario_leaves_out_other_scenarios_and_imports(client_as_viewer, log):
    found = _ids(client_as_viewer.get(f"/audit/?{SCENARIO}11160"))
    extra = found - _expect(log, "welcome_asked", "welcome_done")
    assert not extra, f"events not about scenario 11160 listed: {extra}"


def test_filtering_by_a_table_finds_its_trigger_and_import_events(client_as_viewer, log):
    found = _ids(client_as_viewer.get(f"/audit/?{TABLE}demodoc"))
    missing = _expect(log, "welcome_asked", "welcome_done", "birthday", "import_demodoc") - found
    assert not missing, f"trigger or import events on table demodoc not listed: {missing}"


def test_filtering_by_a_table_leaves_out_other_tables(client_as_viewer, log):
    found = _ids(client_as_viewer.get(f"/audit/?{TABLE}demodoc"))
    extra = found - _expect(log, "welcome_asked", "welcome_done", "birthday", "import_demodoc")
    assert not extra, f"events not about table demodoc listed: {extra}"


def test_a_table_name_matches_whatever_its_case(client_as_viewer, log):
    found = _ids(client_as_viewer.get(f"/audit/?{TABLE}customers"))
    assert found == _expect(log, "other_table_trigger", "import_customers"), (
        "table 'customers' should match events recorded for 'Customers'"
    )


def test_a_table_can_be_given_by_its_actito_id(client_as_viewer, log):
    ProfileTable.objects.create(scope="entity", name="demodoc", actito_id="7")
    found = _ids(client_as_viewer.get(f"/audit/?{TABLE}7"))
    assert found == _expect(log, "welcome_asked", "welcome_done", "birthday", "import_demodoc"), (
        "ACTITO table id 7 (demodoc in the catalog) should find the events on demodoc"
    )


def test_the_scenario_type_without_an_id_lists_every_event_about_a_scenario(client_as_viewer, log):
    found = _ids(client_as_viewer.get("/audit/?target_type=scenarios.scenario"))
    triggers = _expect(log, "welcome_asked", "welcome_done", "birthday", "other_table_trigger")
    assert found == triggers, "only trigger events name a scenario"


def test_a_table_filter_combines_with_the_user_filter(client_as_viewer, log, admin_user):
    found = _ids(client_as_viewer.get(f"/audit/?{TABLE}demodoc&user={admin_user.username}"))
    assert found == _expect(log, "birthday"), "table and user filters should both apply"


def test_the_export_of_a_scenario_holds_only_its_events(client_as_admin, log):
    response = client_as_admin.get(f"/audit/export.csv?{SCENARIO}11160")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    exported = {int(row["id"]) for row in csv.DictReader(io.StringIO(body))}
    assert exported == _expect(log, "welcome_asked", "welcome_done"), (
        "the export should hold exactly the events the scenario filter lists"
    )


def test_the_detail_page_links_to_all_events_of_its_scenario_and_table(client_as_viewer, log):
    html = client_as_viewer.get(f"/audit/{log['welcome_done'].pk}/").content.decode()
    assert "«Welcome» (ACTITO id 11160)" in html, "the scenario is named on the detail page"
    assert 'href="/audit/?target_type=scenarios.scenario&amp;target_id=11160"' in html, (
        "the detail page should link to every event of the scenario"
    )
    assert 'href="/audit/?target_type=actito.table&amp;target_id=demodoc"' in html, (
        "the detail page should link to every event of the table"
    )


def test_a_trigger_requested_through_the_scenarios_service_is_found_by_scenario_and_table(
    client_as_viewer, marketer
):
    from actito_admin.actito.schemas import ProfileRef
    from actito_admin.scenarios import services

    scenario = Scenario.objects.create(
        scope="entity", table="demodoc", actito_id="11160", name="Welcome", is_active=True
    )
    run = services.trigger_run_request(
        actor=marketer,
        scenario=scenario,
        ref=ProfileRef.parse("147471"),
        profile_label="john.smith@example.com",
        idempotency_key=uuid.uuid4(),
    )
    event = AuditEvent.objects.get(target_type="scenarios.triggerrun", target_id=str(run.pk))
    assert (event.scenario_ref, event.table_ref) == ("11160", "demodoc"), (
        "the data the scenarios service records no longer names the scenario id and table"
    )
    assert event.pk in _ids(client_as_viewer.get(f"/audit/?{SCENARIO}11160"))
    assert event.pk in _ids(client_as_viewer.get(f"/audit/?{TABLE}demodoc"))


def test_the_data_the_imports_service_records_names_its_table(make_event):
    job = ImportJob(original_name="customers.csv", table_name="demodoc", table_id="7")
    event = make_event(action="import.finished", data=audit_basics(job))
    assert event.table_ref == "demodoc", (
        "imports.events.audit_basics no longer records the table name under table_name"
    )


@pytest.fixture
def backfilled(client_as_viewer, log):
    """The log as an older version wrote it (no derived columns), then migration 0005's fill."""
    tamper("UPDATE audit_auditevent SET scenario_ref = '', table_ref = ''", [])
    assert not _ids(client_as_viewer.get(f"/audit/?{SCENARIO}11160")), "set-up: refs emptied"
    migration = import_module("actito_admin.audit.migrations.0005_scenario_and_table_refs")
    migration.fill_refs_of_earlier_events(django_apps, _CursorEditor())
    return log


def test_events_recorded_before_the_columns_existed_are_found_after_the_migration(
    client_as_viewer, backfilled
):
    found = _ids(client_as_viewer.get(f"/audit/?{TABLE}demodoc"))
    expected = _expect(backfilled, "welcome_asked", "welcome_done", "birthday", "import_demodoc")
    assert found == expected, "the migration did not fill table_ref of the earlier events"


def test_filling_the_derived_columns_keeps_the_hash_chain_valid(backfilled):
    result = verify_chain()
    assert result.ok, f"the migration's fill broke the chain: {result.broken}"


def test_the_migration_puts_the_append_only_guard_back(backfilled):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET table_ref = 'x'")


class _CursorEditor:
    """Enough of a schema editor for the migration's SQL inside the test's transaction."""

    connection = connection

    def execute(self, sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
