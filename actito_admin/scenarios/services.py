"""Scenario lists, profile look-ups and trigger runs: every state change and ACTITO call.

Browser requests only read our database, except `profile_lookup` (a short read-through call a
form needs, through the governor and a cache). Everything else that talks to ACTITO runs in a
django-q2 task enqueued after commit.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_q.tasks import async_task

from actito_admin.actito.connection import (
    EffectiveConnection,
    build_client,
    get_connection,
    get_governor,
)
from actito_admin.actito.errors import ActitoError, GovernorBusy
from actito_admin.actito.schemas import Profile, ProfileRef
from actito_admin.audit.actions import Action
from actito_admin.audit.services import record_event

from .models import (
    Catalog,
    Platform,
    ProfileTable,
    Scenario,
    SearchPreference,
    TriggerItem,
    TriggerRun,
)
from .notices import tell_requester
from .platforms import PLATFORMS, PlatformClient, platform_of
from .platforms import stale_after_seconds as platform_stale_after
from .references import PROFILE_ID, ParsedList, name_matches

logger = logging.getLogger(__name__)

LIST_MAX_AGE = timedelta(minutes=15)  # an older scenario list is refreshed when someone looks
CATALOG_LOST_AFTER = timedelta(minutes=5)  # a refresh queued this long ago lost its task
FORCED_REFRESH_EVERY = timedelta(seconds=30)
PROFILE_CACHE_SECONDS = 60
CHUNK_SECONDS = 60.0  # a run task works this long, then re-enqueues itself (Q timeout is 900 s)
# CAPACITY_WAIT_SECONDS: longer governor waits are shown as "waiting for capacity";
# SEND_ATTEMPTS: tries of one trigger (only a refusal or an unsent request is tried again).
MAX_BUSY_REFUSALS = 30  # 429s for one item before it is failed (each after the client's retries)
INVALID_KEPT = 100

TASKS = "actito_admin.scenarios.tasks"

WORKER_LOST = gettext_lazy("The background worker stopped while this was being sent.")


# --- connection ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionState:
    connection: EffectiveConnection
    problem: str  # plain words when ACTITO cannot be used at all, else ""

    @property
    def scope(self) -> str:
        return self.connection.scope


def connection_state() -> ConnectionState:
    connection = get_connection()
    problem = ""
    if not connection.is_configured:
        problem = connection.not_set_up
    elif connection.problems:
        problem = " ".join(connection.problems)
    return ConnectionState(connection=connection, problem=problem)


# --- lists copied from ACTITO --------------------------------------------------------------------


def catalog_request(*, scope: str, kind: str, table: str = "", force: bool = False) -> Catalog:
    """Make sure a refresh of the list is queued when it is missing, stale or `force`d."""
    catalog, _ = Catalog.objects.get_or_create(scope=scope, kind=kind, table=table)
    now = timezone.now()
    # "Refresh" is open to every role but may not spend the licence's calls faster than once
    # per FORCED_REFRESH_EVERY per list, however often it is pressed.
    recent = catalog.refreshed_at is not None and now - catalog.refreshed_at < FORCED_REFRESH_EVERY
    wanted = (force and not recent) or catalog.is_stale(LIST_MAX_AGE)
    lost = catalog.is_refreshing and (
        catalog.requested_at is None or now - catalog.requested_at > CATALOG_LOST_AFTER
    )
    if (wanted and not catalog.is_refreshing) or lost:
        # Conditional, so two people opening the page at once queue one refresh.
        claimed = Catalog.objects.filter(pk=catalog.pk, status=catalog.status).update(
            status=Catalog.Status.QUEUED, requested_at=now
        )
        if claimed:
            transaction.on_commit(lambda: async_task(f"{TASKS}.catalog_refresh_run", catalog.pk))
        catalog.refresh_from_db()
    return catalog


def catalog_refresh_perform(*, catalog: Catalog) -> None:
    """Copy ACTITO's tables, or one table's scenarios, into our database (one governed call)."""
    started = timezone.now()
    try:
        connection = get_connection()
        with build_client(connection, max_wait_seconds=30) as client:
            if catalog.kind == Catalog.Kind.TABLES:
                _store_tables(scope=catalog.scope, tables=client.list_tables())
            else:
                scenarios, complete = client.all_scenarios(table=catalog.table)
                _store_scenarios(
                    scope=catalog.scope,
                    table=catalog.table,
                    scenarios=scenarios,
                    at=started,
                    complete=complete,
                )
    except ActitoError as exc:
        Catalog.objects.filter(pk=catalog.pk).update(
            status=Catalog.Status.IDLE, error=exc.user_message, error_at=timezone.now()
        )
        return
    Catalog.objects.filter(pk=catalog.pk).update(
        status=Catalog.Status.IDLE, refreshed_at=timezone.now(), error="", error_at=None
    )


def _store_tables(*, scope: str, tables: list[Any]) -> None:
    names = []
    for table in tables:
        names.append(table.name)
        ProfileTable.objects.update_or_create(
            scope=scope,
            name=table.name,
            defaults={
                "actito_id": table.id,
                "key_attributes": [a.name for a in table.key_attributes if a.name != PROFILE_ID],
                "subscriptions": [s.name for s in table.subscriptions],
            },
        )
    ProfileTable.objects.filter(scope=scope).exclude(name__in=names).delete()


def _store_scenarios(
    *, scope: str, table: str, scenarios: list[Any], at: Any, complete: bool = True
) -> None:
    with transaction.atomic():
        for scenario in scenarios:
            Scenario.objects.update_or_create(
                scope=scope,
                table=table,
                actito_id=scenario.id,
                defaults={
                    "name": scenario.name,
                    "is_active": scenario.is_active,
                    "is_start_event_triggered": scenario.is_start_event_triggered,
                    "seen_at": at,
                },
            )
        # Gone from ACTITO: gone from the search (runs keep their copied name). Only after a
        # complete read: a list ACTITO paged and we could not read to its end proves nothing.
        if complete:
            Scenario.objects.filter(scope=scope, table=table, seen_at__lt=at).delete()


def scenario_search(
    *, scope: str, table: str, words: str, only_triggerable: bool = True, only_active: bool = True
) -> list[Scenario]:
    """A forgiving search (see `name_matches`) over our copy of the list: no call per keystroke."""
    found = Scenario.objects.filter(scope=scope, table=table)
    if only_triggerable:
        found = found.filter(is_start_event_triggered=True)
    if only_active:
        found = found.filter(is_active=True)
    return [s for s in found if name_matches(words, s.label)]


def scenario_search_hidden(*, scope: str, table: str, words: str, shown: int) -> int:
    """How many more scenarios match when the default filters are off (inactive ones, or ones
    that cannot be started by API)."""
    everything = Scenario.objects.filter(scope=scope, table=table)
    return sum(1 for s in everything if name_matches(words, s.label)) - shown


def search_table_remember(*, user: User, table: str) -> None:
    SearchPreference.objects.update_or_create(user=user, defaults={"table": table})


def search_table_of(user: User) -> str:
    preference = SearchPreference.objects.filter(user=user).first()
    return preference.table if preference else ""


def platform_remember(*, user: User, platform: str) -> None:
    SearchPreference.objects.update_or_create(user=user, defaults={"platform": platform})


def platform_of_user(user: User) -> str:
    preference = SearchPreference.objects.filter(user=user).first()
    return preference.platform if preference else Platform.ACTITO


# --- profile look-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfilePreview:
    ref: ProfileRef
    profile: Profile
    key_values: list[tuple[str, str]]

    @property
    def name(self) -> str:
        first = self.profile.attributes.get("firstName") or ""
        last = self.profile.attributes.get("lastName") or ""
        return f"{first} {last}".strip()

    @property
    def email(self) -> str:
        return self.profile.attributes.get("emailAddress") or ""

    @property
    def label(self) -> str:
        """How the confirmation and the history name this person."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or f"profile {self.profile.profile_id or self.ref}"

    @property
    def subscriptions(self) -> list[tuple[str, bool]]:
        return sorted(self.profile.subscriptions.items())


def profile_lookup(*, scope: str, table: ProfileTable, ref: ProfileRef) -> ProfilePreview:
    """Who a reference is. Raises ActitoError (status 404 when there is no such profile)."""
    key = f"scenarios:profile:{scope}:{table.name}:{ref}"
    data = cache.get(key)
    if data is None:
        # A form waits on this: a short governor wait and no retries.
        with build_client(max_wait_seconds=5, max_attempts=1) as client:
            profile = client.get_profile(table=table.name, ref=ref)
        cache.set(key, profile.raw, PROFILE_CACHE_SECONDS)
    else:
        profile = Profile.from_json(data)
    keys = [PROFILE_ID, *table.key_attributes]
    key_values = [(name, profile.attributes.get(name) or "—") for name in keys]
    return ProfilePreview(ref=ref, profile=profile, key_values=key_values)


def started_lately(
    *,
    scenario: Scenario,
    ref: ProfileRef,
    profile_label: str,
    within: timedelta = timedelta(days=1),
) -> TriggerRun | None:
    """The latest start of this scenario for this profile in the last day, if any (whether it
    was asked for by profileId or by a key), so the confirmation can warn before a second one."""
    return (
        TriggerRun.objects.filter(
            scenario=scenario,
            kind=TriggerRun.Kind.SINGLE,
            created_at__gte=timezone.now() - within,
        )
        .filter(Q(items__reference=str(ref)) | Q(profile_label=profile_label))
        .exclude(status__in=(TriggerRun.Status.DRAFT, TriggerRun.Status.FAILED))
        .order_by("-created_at")
        .first()
    )


# --- trigger runs ---------------------------------------------------------------------------------


def _audit_data(run: TriggerRun, **extra: Any) -> dict[str, Any]:
    single = run.is_one_call
    data = {
        "run_id": run.pk,
        "scenario_id": run.scenario_actito_id,
        "scenario_name": run.scenario_label,
        "table": run.table,
        "profile_label": run.profile_label if single else f"a list of {run.total} profiles",
    }
    if single:
        item = run.item
        data["profile_ref"] = item.reference if item else ""
    return data | platform_of(run).audit_data(run) | extra


def _enqueue(run: TriggerRun) -> None:
    transaction.on_commit(lambda: async_task(f"{TASKS}.trigger_run_task", run.pk))


def _run_identity(*, actor: User, scenario: Scenario, idempotency_key: uuid.UUID) -> dict[str, Any]:
    """What every run records about who asked, which scenario and where (single or list)."""
    return {
        "idempotency_key": idempotency_key,
        "entity": get_connection().entity,
        "table": scenario.table,
        "scenario": scenario,
        "scenario_actito_id": scenario.actito_id,
        "scenario_name": scenario.name,
        "requested_by": actor,
    }


def trigger_run_request(
    *,
    actor: User,
    scenario: Scenario,
    ref: ProfileRef,
    profile_label: str,
    idempotency_key: uuid.UUID,
    request: HttpRequest | None = None,
    retry_of: TriggerRun | None = None,
) -> TriggerRun:
    """Queue one trigger. The same idempotency key always gives back the same run."""
    return run_queue_one(
        actor=actor,
        identity=_run_identity(actor=actor, scenario=scenario, idempotency_key=idempotency_key),
        kind=TriggerRun.Kind.SINGLE,
        reference_kind=ref.attribute or PROFILE_ID,
        reference=str(ref),
        profile_label=profile_label or str(ref),
        request=request,
        retry_of=retry_of,
    )


def run_queue_one(
    *,
    actor: User,
    identity: dict[str, Any],
    kind: str,
    reference_kind: str,
    reference: str,
    profile_label: str,
    data: list[dict[str, str]] | None = None,
    request: HttpRequest | None = None,
    retry_of: TriggerRun | None = None,
) -> TriggerRun:
    """Queue a run of one item on any platform; `identity` says which platform, account and
    scenario (with the idempotency key: the same key always gives back the same run)."""
    idempotency_key = identity["idempotency_key"]
    existing = TriggerRun.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            run = TriggerRun.objects.create(
                kind=kind,
                status=TriggerRun.Status.QUEUED,
                **identity,
                reference_kind=reference_kind,
                profile_label=profile_label[:300],
                retry_of=retry_of,
                total=1,
                queued_at=timezone.now(),
            )
            TriggerItem.objects.create(run=run, position=1, reference=reference, data=data or [])
            action = Action.TRIGGER_RETRIED if retry_of else Action.TRIGGER_REQUESTED
            extra = {"retry_of": retry_of.pk} if retry_of else {}
            record_event(
                actor=actor,
                action=action,
                target=run,
                data=_audit_data(run, **extra),
                outcome="pending",
                request=request,
            )
            _enqueue(run)
    except IntegrityError:
        # Two submissions of the same form raced past the first check: the other one won.
        return TriggerRun.objects.get(idempotency_key=idempotency_key)
    return run


def trigger_run_retry(
    *,
    actor: User,
    run: TriggerRun,
    request: HttpRequest | None = None,
) -> TriggerRun:
    """A new run for the same profile, after a person confirmed (never automatic).

    A run is tried again once: asking again (a second tab, a reload, a double click) gives
    back the same retry run, whose idempotency key is derived from this run's."""
    if run.retried_as is not None:
        return run.retried_as
    if not run.can_retry:
        raise ValueError("Only a failed run or one whose outcome is unknown can be tried again.")
    if run.platform != Platform.ACTITO:
        item = run.item
        return run_queue_one(
            actor=actor,
            identity=_identity_of(run, actor=actor, idempotency_key=run.retry_key),
            kind=run.kind,
            reference_kind=run.reference_kind,
            reference=item.reference if item else "",
            profile_label=run.profile_label,
            data=item.data if item else [],
            request=request,
            retry_of=run,
        )
    scenario = run.scenario
    if scenario is None:
        raise ValueError("This scenario no longer exists in ACTITO.")
    item = run.item
    return trigger_run_request(
        actor=actor,
        scenario=scenario,
        ref=ProfileRef.parse(item.reference if item else ""),
        profile_label=run.profile_label,
        idempotency_key=run.retry_key,
        request=request,
        retry_of=run,
    )


def _identity_of(run: TriggerRun, *, actor: User, idempotency_key: uuid.UUID) -> dict[str, Any]:
    """The identity of a new run for the same platform, account and scenario as `run`."""
    return {
        "idempotency_key": idempotency_key,
        "platform": run.platform,
        "business_unit": run.business_unit,
        "entity": run.entity,
        "table": run.table,
        "scenario": run.scenario,
        "scenario_actito_id": run.scenario_actito_id,
        "scenario_name": run.scenario_name,
        "requested_by": actor,
    }


def trigger_list_prepare(
    *,
    actor: User,
    scenario: Scenario,
    reference_kind: str,
    parsed: ParsedList,
    idempotency_key: uuid.UUID,
) -> TriggerRun:
    """Store a checked list as a draft run; nothing is sent until `trigger_list_confirm`."""
    return list_prepare(
        identity=_run_identity(actor=actor, scenario=scenario, idempotency_key=idempotency_key),
        reference_kind=reference_kind,
        items=[(str(ref), []) for ref in parsed.references],
        duplicates=len(parsed.duplicates),
        invalid=parsed.invalid,
    )


def list_prepare(
    *,
    identity: dict[str, Any],
    reference_kind: str,
    items: list[tuple[str, list[dict[str, str]]]],
    duplicates: int,
    invalid: list[tuple[int, str, str]],
) -> TriggerRun:
    """Store a checked list (references with their own data fields) as a draft run, on any
    platform. The same form submitted again gives back the same run. If the marketer went back
    and changed the list before confirming, the draft takes the new list (nothing was sent)."""
    idempotency_key = identity["idempotency_key"]
    counts = {
        "reference_kind": reference_kind,
        "total": len(items),
        "duplicates": duplicates,
        "invalid": [list(row) for row in invalid[:INVALID_KEPT]],
    }
    existing = TriggerRun.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        owner = identity["requested_by"]
        if existing.requested_by_id != getattr(owner, "pk", None):
            # The form's key is only a guard against double submits, not a secret: knowing
            # someone else's must not let anyone rewrite their draft.
            raise PermissionDenied("This list was checked by someone else.")
        if existing.status == TriggerRun.Status.DRAFT and (
            existing.reference_kind != reference_kind
            or [
                (reference, data)
                for reference, data in existing.items.order_by("position").values_list(
                    "reference", "data"
                )
            ]
            != items
        ):
            with transaction.atomic():
                # Only while still a draft: a confirmed list is never rewritten.
                if TriggerRun.objects.filter(pk=existing.pk, status=TriggerRun.Status.DRAFT).update(
                    **counts
                ):
                    existing.items.all().delete()
                    _create_items(existing, items)
            existing.refresh_from_db()
        return existing
    try:
        with transaction.atomic():
            run = TriggerRun.objects.create(
                kind=TriggerRun.Kind.LIST, status=TriggerRun.Status.DRAFT, **identity, **counts
            )
            _create_items(run, items)
    except IntegrityError:
        return TriggerRun.objects.get(idempotency_key=idempotency_key)
    return run


def _create_items(run: TriggerRun, items: list[tuple[str, list[dict[str, str]]]]) -> None:
    TriggerItem.objects.bulk_create(
        (
            TriggerItem(run=run, position=n, reference=reference, data=data)
            for n, (reference, data) in enumerate(items, start=1)
        ),
        batch_size=1000,
    )


def trigger_list_confirm(
    *, actor: User, run: TriggerRun, request: HttpRequest | None = None
) -> TriggerRun:
    """Draft → queued, once: confirming twice (double click, back button) queues one run."""
    with transaction.atomic():
        claimed = TriggerRun.objects.filter(pk=run.pk, status=TriggerRun.Status.DRAFT).update(
            status=TriggerRun.Status.QUEUED, queued_at=timezone.now()
        )
        run.refresh_from_db()
        if claimed:
            record_event(
                actor=actor,
                action=Action.TRIGGER_REQUESTED,
                target=run,
                data=_audit_data(run, count=run.total),
                outcome="pending",
                request=request,
            )
            _enqueue(run)
    return run


def trigger_run_pause(
    *, actor: User, run: TriggerRun, request: HttpRequest | None = None
) -> TriggerRun:
    # The worker sees the new status before its next item and stops without re-enqueueing.
    # Lists only: a single start is one call, already on its way.
    with transaction.atomic():
        paused = TriggerRun.objects.filter(
            pk=run.pk, kind=TriggerRun.Kind.LIST, status__in=TriggerRun.ACTIVE
        ).update(status=TriggerRun.Status.PAUSED)
        run.refresh_from_db()
        if paused:
            record_event(
                actor=actor,
                action=Action.TRIGGER_PAUSED,
                target=run,
                data=_audit_data(run, not_sent=_not_sent(run)),
                request=request,
            )
    return run


def trigger_run_resume(
    *, actor: User, run: TriggerRun, request: HttpRequest | None = None
) -> TriggerRun:
    with transaction.atomic():
        resumed = TriggerRun.objects.filter(
            pk=run.pk, kind=TriggerRun.Kind.LIST, status=TriggerRun.Status.PAUSED
        ).update(status=TriggerRun.Status.QUEUED)
        run.refresh_from_db()
        if resumed:
            record_event(
                actor=actor,
                action=Action.TRIGGER_RESUMED,
                target=run,
                data=_audit_data(run, not_sent=_not_sent(run)),
                request=request,
            )
            _enqueue(run)
    return run


def _not_sent(run: TriggerRun) -> int:
    return run.items.filter(status=TriggerItem.Status.PENDING).count()


def trigger_run_cancel(
    *, actor: User, run: TriggerRun, request: HttpRequest | None = None
) -> TriggerRun:
    """Stop a list: items not sent yet are cancelled; an item being sent finishes normally."""
    with transaction.atomic():
        claimed = TriggerRun.objects.filter(
            pk=run.pk,
            kind=TriggerRun.Kind.LIST,
            status__in=(*TriggerRun.ACTIVE, TriggerRun.Status.PAUSED),
        ).update(status=TriggerRun.Status.CANCELLED, finished_at=timezone.now())
        if not claimed:
            run.refresh_from_db()
            return run
        cancelled = run.items.filter(status=TriggerItem.Status.PENDING).update(
            status=TriggerItem.Status.CANCELLED,
            message=_("Cancelled before it was sent."),
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
        record_event(
            actor=actor,
            action=Action.TRIGGER_CANCELLED,
            target=run,
            data=_audit_data(run, not_sent=cancelled),
            request=request,
        )
    return run


# --- the worker side ------------------------------------------------------------------------------


def trigger_run_claim(*, run_id: int) -> bool:
    """queued → running, for exactly one task (a redelivered task finds nothing to claim)."""
    now = timezone.now()
    claimed = TriggerRun.objects.filter(pk=run_id, status=TriggerRun.Status.QUEUED).update(
        status=TriggerRun.Status.RUNNING, heartbeat_at=now
    )
    if claimed:
        TriggerRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
    return claimed == 1


def trigger_runs_recover(*, stale_after: float | None = None, run_id: int | None = None) -> int:
    """Runs whose worker died: items caught mid-send become "outcome unknown", never re-sent;
    the rest is queued again. Also re-queues runs whose task was lost before it started.

    Each platform has its own silence limit (its longest send), unless `stale_after` is given."""
    working = (TriggerRun.Status.RUNNING, TriggerRun.Status.WAITING)
    stale = Q(pk__in=[])
    for key, platform in PLATFORMS.items():
        seconds = platform_stale_after(platform) if stale_after is None else stale_after
        cutoff = timezone.now() - timedelta(seconds=seconds)
        stale |= Q(platform=key) & (
            Q(status__in=working, heartbeat_at__lt=cutoff)
            | Q(status=TriggerRun.Status.QUEUED, queued_at__lt=cutoff)
        )
    runs = TriggerRun.objects.filter(stale)
    if run_id is not None:
        runs = runs.filter(pk=run_id)
    recovered = 0
    for run in runs:
        with transaction.atomic():
            # Conditional on what we read, so a worker that is alive after all keeps its run.
            if not TriggerRun.objects.filter(
                pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at
            ).update(status=TriggerRun.Status.QUEUED, queued_at=timezone.now()):
                continue
            lost = run.items.filter(status=TriggerItem.Status.SENDING).update(
                status=TriggerItem.Status.UNKNOWN,
                message=f"{WORKER_LOST} {platform_of(run).unknown_advice()}",
                finished_at=timezone.now(),
            )
            if lost:
                logger.warning("trigger run %s: %s item(s) caught mid-send", run.pk, lost)
            _enqueue(run)
            recovered += 1
    return recovered


def trigger_run_process(*, run_id: int, budget_seconds: float = CHUNK_SECONDS) -> None:
    """Send the pending items of a claimed run, one at a time, through the governor.

    Stops when a person pauses or cancels (checked before every item), when the list is done,
    or after `budget_seconds` (then re-enqueues itself, so no task outlives the Q timeout).
    """
    run = TriggerRun.objects.get(pk=run_id)
    deadline = time.monotonic() + budget_seconds
    platform = platform_of(run)
    try:
        opened = platform.open(run)
    except ActitoError as exc:  # not configured: nothing can be sent
        _fail_pending(run, exc)
        _finish(run)
        return
    # Evenly over the minute: at 60 calls/min one call a second, not 60 in 3 s and then nothing
    # for 57 s (progress and time left then move steadily). Starts are spaced, not ends, so the
    # time a call takes does not slow the pace; the governor still has the last word.
    interval = 60.0 / max(1, platform.calls_per_minute(run))
    next_start = time.monotonic()
    with opened as client:
        while True:
            if not _beat(run):
                return  # paused or cancelled by a person
            item = run.items.filter(status=TriggerItem.Status.PENDING).first()
            if item is None:
                _finish(run)
                return
            if time.monotonic() > deadline:
                with transaction.atomic():
                    if TriggerRun.objects.filter(
                        pk=run.pk, status__in=(TriggerRun.Status.RUNNING, TriggerRun.Status.WAITING)
                    ).update(status=TriggerRun.Status.QUEUED, queued_at=timezone.now()):
                        _enqueue(run)
                return
            if (early := next_start - time.monotonic()) > 0:
                time.sleep(min(early, max(0.0, deadline - time.monotonic())))
                continue  # look again: a person may have paused meanwhile
            # Claimed before sending: once "sending", nobody will ever send this item again.
            if not TriggerItem.objects.filter(pk=item.pk, status=TriggerItem.Status.PENDING).update(
                status=TriggerItem.Status.SENDING, sent_at=timezone.now()
            ):
                continue
            next_start = max(next_start + interval, time.monotonic() - interval)
            wait = _send_one(client, run, item)
            if wait:
                _set_run_status(run, TriggerRun.Status.RUNNING, TriggerRun.Status.WAITING)
                time.sleep(max(0.05, min(wait, 5.0, deadline - time.monotonic())))
            else:
                _set_run_status(run, TriggerRun.Status.WAITING, TriggerRun.Status.RUNNING)
                if run.is_one_call:
                    _finish(run)
                    return


def _beat(run: TriggerRun) -> bool:
    return (
        TriggerRun.objects.filter(
            pk=run.pk, status__in=(TriggerRun.Status.RUNNING, TriggerRun.Status.WAITING)
        ).update(heartbeat_at=timezone.now())
        == 1
    )


def _set_run_status(run: TriggerRun, old: str, new: str) -> None:
    TriggerRun.objects.filter(pk=run.pk, status=old).update(status=new)


def _item_done(item: TriggerItem, status: str, **fields: Any) -> None:
    # Conditional: a recovery that already called this item "unknown" keeps its word.
    TriggerItem.objects.filter(pk=item.pk, status=TriggerItem.Status.SENDING).update(
        status=status, finished_at=timezone.now(), **fields
    )


def _why_unknown(exc: ActitoError) -> str:
    """One plain sentence on why we cannot know; the advice that follows says what to do (the
    technical cause stays in the details)."""
    if exc.status is not None:
        return _(
            "The platform answered with an error (HTTP %(status)s) after the start was sent."
        ) % {"status": exc.status}
    if "Timeout" in exc.message:
        return _("No answer came in time after the start was sent.")
    return _("The connection broke after the start was sent.")


def _send_one(client: PlatformClient, run: TriggerRun, item: TriggerItem) -> float:
    """Send one claimed item; returns seconds to wait when the platform had no capacity (the
    item was not sent)."""
    platform = platform_of(run)
    advice = platform.unknown_advice()
    try:
        sent = platform.send(client, run, item)
    except GovernorBusy as exc:
        # Our own limits: nothing left this process, so the item simply goes back in line.
        TriggerItem.objects.filter(pk=item.pk, status=TriggerItem.Status.SENDING).update(
            status=TriggerItem.Status.PENDING, sent_at=None
        )
        return max(exc.retry_after or 0.5, 0.2)
    except ActitoError as exc:
        if exc.status == 429 and exc.outcome_known and item.attempts < MAX_BUSY_REFUSALS:
            # ACTITO refused (too busy), so it did not act: safe to send again later.
            TriggerItem.objects.filter(pk=item.pk, status=TriggerItem.Status.SENDING).update(
                status=TriggerItem.Status.PENDING, sent_at=None, attempts=item.attempts + 1
            )
            return exc.retry_after or 2.0
        status = TriggerItem.Status.FAILED if exc.outcome_known else TriggerItem.Status.UNKNOWN
        message = exc.user_message if exc.outcome_known else f"{_why_unknown(exc)} {advice}"
        _item_done(
            item,
            status,
            actito_status=exc.status,
            message=message,
            detail=exc.response_text or exc.message,
        )
        return 0.0
    except Exception as exc:  # a bug or a broken database after sending: we cannot know
        logger.exception("trigger run %s item %s", run.pk, item.pk)
        _item_done(
            item,
            TriggerItem.Status.UNKNOWN,
            message=_("Something went wrong in the console while sending.") + f" {advice}",
            detail=repr(exc)[:2000],
        )
        return 0.0
    _item_done(
        item,
        TriggerItem.Status.SUCCEEDED,
        interaction_business_key=sent.receipt,
        actito_status=sent.status,
        message="",
    )
    return 0.0


def _fail_pending(run: TriggerRun, exc: ActitoError) -> None:
    run.items.filter(status=TriggerItem.Status.PENDING).update(
        status=TriggerItem.Status.FAILED, message=exc.user_message, finished_at=timezone.now()
    )


def _finish(run: TriggerRun) -> None:
    """The final status and the "performed" audit event, once."""
    counts = run.counts()
    if counts["pending"] or counts["sending"]:
        return
    if run.is_one_call:
        item = run.items.first()
        final = item.status if item else TriggerRun.Status.FAILED
    else:
        final = TriggerRun.Status.FINISHED
    with transaction.atomic():
        if not TriggerRun.objects.filter(
            pk=run.pk, status__in=(TriggerRun.Status.RUNNING, TriggerRun.Status.WAITING)
        ).update(status=final, finished_at=timezone.now()):
            return
        run.refresh_from_db()
        if run.is_one_call:
            item = run.items.get()
            outcome = {"succeeded": "success", "failed": "failure"}.get(final, "unknown")
            data = _audit_data(
                run,
                interaction_business_key=item.interaction_business_key,
                actito_status=item.actito_status,
                error=item.message,
            )
        else:
            if counts["succeeded"] and (counts["failed"] or counts["unknown"]):
                outcome = "partial"  # 100 of 101 started is partly done, not "failed"
            elif counts["unknown"]:
                outcome = "unknown"
            elif counts["failed"]:
                outcome = "failure"
            else:
                outcome = "success"
            data = _audit_data(
                run,
                succeeded=counts["succeeded"],
                failed=counts["failed"],
                unknown=counts["unknown"],
                cancelled=counts["cancelled"],
            )
        record_event(
            actor=run.requested_by,
            action=Action.TRIGGER_PERFORMED,
            target=run,
            data=data,
            outcome=outcome,
        )
    if not run.is_one_call:
        tell_requester(run, counts, outcome)


# --- the home page --------------------------------------------------------------------------------


def home_card_context() -> dict[str, Any]:
    """Recent runs and the governor's current usage (our database or Redis only)."""
    try:
        usage = get_governor().usage().summary()
    except Exception:  # a card must never break the home page
        usage = ""
    runs = list(TriggerRun.objects.visible().select_related("requested_by")[:5])
    return {"scenario_runs": runs, "governor_usage": usage}
