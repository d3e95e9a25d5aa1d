"""The governor in one process: limits, waiting, leases, import quota, usage."""

from __future__ import annotations

import time
import uuid

import pytest

from actito_admin.actito.errors import GovernorBusy, ImportQuotaExceeded
from actito_admin.actito.governor import DatabaseBackend, Governor, Limits


def make_governor(**limits) -> Governor:
    return Governor(
        scope=f"t-{uuid.uuid4().hex[:8]}",
        limits=Limits(**{"margin_seconds": 0.0, **limits}),
        backend=DatabaseBackend(),
        max_wait_seconds=0.0,
        poll_seconds=0.01,
    )


def test_calls_beyond_the_per_minute_limit_are_refused_with_a_retry_delay(db):
    governor = make_governor(calls_per_minute=3, max_in_flight=10)
    for _ in range(3):
        governor.release(governor.acquire(lease_seconds=5))
    with pytest.raises(GovernorBusy) as caught:
        governor.acquire(lease_seconds=5)
    assert 55 < caught.value.retry_after <= 60, "the oldest call frees a slot in about 60 s"
    assert caught.value.retryable and caught.value.outcome_known


def test_a_call_waits_for_a_slot_that_frees_within_the_bound(db):
    governor = make_governor(calls_per_minute=2, max_in_flight=10, window_seconds=0.3)
    governor.release(governor.acquire(lease_seconds=5))
    governor.release(governor.acquire(lease_seconds=5))
    started = time.monotonic()
    governor.release(governor.acquire(lease_seconds=5, max_wait=2))
    waited = time.monotonic() - started
    assert 0.15 < waited < 1.5, f"expected to wait for the window to slide, waited {waited:.2f}s"


def test_requests_in_flight_are_capped_until_a_slot_is_given_back(db):
    governor = make_governor(calls_per_minute=100, max_in_flight=2)
    first = governor.acquire(lease_seconds=30)
    governor.acquire(lease_seconds=30)
    with pytest.raises(GovernorBusy):
        governor.acquire(lease_seconds=30, max_wait=0.05)
    governor.release(first)
    governor.acquire(lease_seconds=30)  # must not raise


def test_an_expired_lease_frees_its_slot_without_being_released(db):
    governor = make_governor(calls_per_minute=100, max_in_flight=1)
    governor.acquire(lease_seconds=0.2)  # never released, like a crashed process
    governor.acquire(lease_seconds=5, max_wait=2)  # must succeed once the lease expires


def test_extending_a_lease_keeps_a_long_call_counted_in_flight(db):
    governor = make_governor(calls_per_minute=100, max_in_flight=1)
    lease = governor.acquire(lease_seconds=0.3)
    time.sleep(0.2)
    governor.extend(lease)
    time.sleep(0.2)
    with pytest.raises(GovernorBusy):
        governor.acquire(lease_seconds=5, max_wait=0.0)


def test_the_13th_import_of_the_day_on_a_table_is_refused_and_a_given_back_one_reopens(db):
    governor = make_governor(daily_imports_per_table=12)
    slots = [governor.reserve_import("16", table_name="demodoc") for _ in range(12)]
    assert slots[-1].used == 12
    with pytest.raises(ImportQuotaExceeded) as caught:
        governor.reserve_import("16", table_name="demodoc")
    assert "All 12 imports allowed today on table demodoc" in caught.value.user_message
    assert not caught.value.retryable
    governor.reserve_import("17")  # another table has its own quota
    governor.release_import(slots[0])
    assert governor.reserve_import("16").used == 12, "a given-back slot can be used again"


def test_usage_reads_like_the_settings_page_shows_it(db):
    governor = make_governor(calls_per_minute=60, max_in_flight=5, daily_imports_per_table=12)
    governor.acquire(lease_seconds=30)
    governor.release(governor.acquire(lease_seconds=30))
    for _ in range(3):
        governor.reserve_import("16", table_name="demodoc")
    usage = governor.usage(table="16")
    assert usage.summary() == (
        "2/60 calls this minute · 1/5 in flight · 3/12 imports today on demodoc"
    )
    assert governor.tables_today() == ["16"]
    assert governor.usage().summary() == "2/60 calls this minute · 1/5 in flight"


@pytest.mark.django_db
def test_a_429_from_actito_makes_every_process_of_the_licence_wait():
    from actito_admin.actito.governor import CacheHolds

    slept: list[float] = []
    common = {"scope": "licence-429", "limits": Limits(), "backend": DatabaseBackend()}
    first = Governor(**common, holds=CacheHolds())

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    other = Governor(**common, holds=CacheHolds(), sleep=sleep)
    first.hold(0.5)  # as the client does when ACTITO answers 429
    lease = other.acquire(lease_seconds=10, max_wait=30)
    assert slept and 0.3 < slept[0] <= 0.5, f"the other process should have waited: {slept}"
    other.release(lease)
    with pytest.raises(GovernorBusy):
        first.hold(60.0)
        other.acquire(lease_seconds=10, max_wait=5)
