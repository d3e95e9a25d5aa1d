"""Builders shared by the scenario tests (fixtures stay in each module: they differ in what
ACTITO they point at)."""

from __future__ import annotations

import uuid

from actito_admin.actito.connection import get_connection
from actito_admin.scenarios import services
from actito_admin.scenarios.models import Scenario, TriggerRun
from actito_admin.scenarios.references import parse_reference_list

DOC_SCENARIO_NAME = "DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170"


def doc_scenario() -> Scenario:
    """Scenario 11160 of demodoc (the documentation's example), active and API-triggerable."""
    return Scenario.objects.create(
        scope=get_connection().scope,
        table="demodoc",
        actito_id="11160",
        name=DOC_SCENARIO_NAME,
        is_active=True,
        is_start_event_triggered=True,
    )


def confirmed_list(marketer, scenario: Scenario, refs: str) -> TriggerRun:
    """A list of profileIds, checked and confirmed as the pages do."""
    run = services.trigger_list_prepare(
        actor=marketer,
        scenario=scenario,
        reference_kind="profileId",
        parsed=parse_reference_list(refs, "profileId"),
        idempotency_key=uuid.uuid4(),
    )
    return services.trigger_list_confirm(actor=marketer, run=run)
