"""The seam between the run machinery and the marketing platforms.

Runs, lists, pacing, pause/resume/cancel, recovery, the outcome CSV and the status fragments are
written once (services.py, views.py); what differs per platform – how to open a governed client,
how to send one item, what to advise when the outcome is unknown – is an adapter here. A third
platform is one more adapter in PLATFORMS.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from actito_admin.actito.client import MAX_BACKOFF_SECONDS, ActitoClient
from actito_admin.actito.connection import build_client, get_connection
from actito_admin.actito.governor import longest_attempt_seconds
from actito_admin.actito.schemas import ProfileRef
from actito_admin.ecdp.client import EcdpClient, EcdpError
from actito_admin.ecdp.connection import build_client as build_ecdp_client
from actito_admin.ecdp.connection import effective
from actito_admin.ecdp.fields import CustomerRef
from actito_admin.ecdp.models import BusinessUnit, CustomEvent

from .models import Platform as PlatformKey

if TYPE_CHECKING:
    from .models import TriggerItem, TriggerRun

# A trigger is tried this often; a worker must not look dead while it tries (recovery).
SEND_ATTEMPTS = 3
CAPACITY_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Sent:
    receipt: str  # ACTITO's interactionBusinessKey, or our own correlation id
    status: int


# The governed client a platform opens for a run and sends items through.
ClientT = TypeVar("ClientT", ActitoClient, EcdpClient)
PlatformClient = ActitoClient | EcdpClient


class Platform(Protocol[ClientT]):
    key: str
    name: str
    receipt_header: str  # the outcome CSV's column for the receipt

    def open(self, run: TriggerRun) -> AbstractContextManager[ClientT]:
        """A governed client for the run's account; raises ActitoError when none can be made."""
        ...

    def send(self, client: ClientT, run: TriggerRun, item: TriggerItem) -> Sent: ...

    def unknown_advice(self) -> str: ...

    def calls_per_minute(self, run: TriggerRun) -> int: ...

    def timeout_seconds(self) -> float:
        """The longest a single attempt may take (recovery waits for the longest send)."""
        ...

    def audit_data(self, run: TriggerRun) -> dict[str, Any]: ...

    def list_url(self, run: TriggerRun) -> str:
        """Where a marketer changes a list before confirming it ("" when nowhere)."""
        ...


def stale_after_seconds(platform: Platform) -> float:
    """How long a worker may stay silent: one send's longest path plus a margin.

    Every try with its governor wait and its longest attempt (the client's lease), and the
    back-offs in between (a Retry-After can ask for 30 s). A live worker must never look dead:
    recovery would then report its item as outcome unknown while it is still being sent."""
    attempt = longest_attempt_seconds(platform.timeout_seconds()) + CAPACITY_WAIT_SECONDS
    backoffs = (SEND_ATTEMPTS - 1) * MAX_BACKOFF_SECONDS
    return SEND_ATTEMPTS * attempt + backoffs + 60


class Actito:
    key: str = PlatformKey.ACTITO
    name = "ACTITO"
    receipt_header = "interactionBusinessKey"

    def open(self, run: TriggerRun) -> AbstractContextManager[ActitoClient]:
        return build_client(max_wait_seconds=CAPACITY_WAIT_SECONDS, max_attempts=SEND_ATTEMPTS)

    def send(self, client: ActitoClient, run: TriggerRun, item: TriggerItem) -> Sent:
        result = client.trigger_scenario(
            table=run.table,
            scenario=run.scenario_actito_id,
            profile=ProfileRef.parse(item.reference),
        )
        return Sent(result.interaction_business_key or "", 200)

    def unknown_advice(self) -> str:
        return _(
            "ACTITO may or may not have started the scenario. Check in ACTITO before trying "
            "again: the profile's interactions or the scenario's statistics show whether it "
            "started."
        )

    def calls_per_minute(self, run: TriggerRun) -> int:
        return get_connection().calls_per_minute

    def timeout_seconds(self) -> float:
        return get_connection().timeout_seconds

    def audit_data(self, run: TriggerRun) -> dict[str, Any]:
        return {}

    def list_url(self, run: TriggerRun) -> str:
        return reverse("scenarios:list", args=[run.scenario_id]) if run.scenario_id else ""


class Ecdp:
    key: str = PlatformKey.ECDP
    name = "ExpertSender CDP"
    receipt_header = "correlationId"

    def _unit(self, run: TriggerRun) -> Any:
        unit = BusinessUnit.objects.filter(pk=run.business_unit_id or 0).first()
        if unit is None:
            raise EcdpError(
                "business unit gone",
                user_message=_("The ECDP business unit “%(unit)s” no longer exists here.")
                % {"unit": run.table},
            )
        return effective(unit)

    def open(self, run: TriggerRun) -> AbstractContextManager[EcdpClient]:
        return build_ecdp_client(
            self._unit(run), max_wait_seconds=CAPACITY_WAIT_SECONDS, max_attempts=SEND_ATTEMPTS
        )

    def send(self, client: EcdpClient, run: TriggerRun, item: TriggerItem) -> Sent:
        event_id = int(run.scenario_actito_id)
        if run.kind == run.Kind.SEGMENTS:
            segments = [int(s) for s in item.reference.removeprefix("segments=").split(",")]
            receipt = client.send_event_to_segments(
                event_id=event_id, segments=segments, data_fields=item.data
            )
        else:
            receipt = client.send_event(
                event_id=event_id,
                customer=CustomerRef.parse(item.reference),
                data_fields=item.data,
            )
        return Sent(receipt.correlation_id, receipt.status)

    def unknown_advice(self) -> str:
        return _(
            "ExpertSender CDP may or may not have accepted the event. Check in ECDP before "
            "trying again: the customer's activity or the scenario's statistics show whether the "
            "scenario started."
        )

    def calls_per_minute(self, run: TriggerRun) -> int:
        unit = BusinessUnit.objects.filter(pk=run.business_unit_id or 0).first()
        if unit is None:
            return settings.ECDP_CALLS_PER_MINUTE
        return effective(unit).calls_per_minute

    def timeout_seconds(self) -> float:
        # The longest any business unit allows (recovery is per platform, not per unit).
        values = BusinessUnit.objects.exclude(timeout_seconds=None).values_list(
            "timeout_seconds", flat=True
        )
        return max([settings.ECDP_TIMEOUT_SECONDS, *(v for v in values if v is not None)])

    def audit_data(self, run: TriggerRun) -> dict[str, Any]:
        return {"platform": "ecdp", "business_unit": run.table, "event_id": run.scenario_actito_id}

    def list_url(self, run: TriggerRun) -> str:
        event = CustomEvent.objects.filter(
            business_unit_id=run.business_unit_id, event_id=run.scenario_actito_id
        ).first()
        return reverse("ecdp_scenarios:list", args=[event.pk]) if event else ""


PLATFORMS: dict[str, Platform[Any]] = {Actito.key: Actito(), Ecdp.key: Ecdp()}


def platform_of(run: TriggerRun) -> Platform[Any]:
    return PLATFORMS[run.platform]
