"""One gate for every ACTITO call from every process on every machine.

Three limits per connection ("scope"):
* calls per minute – a sliding log of admission times: a call is admitted only if fewer than
  `calls_per_minute` calls were admitted in the last `window + margin` seconds, so no 60-s window
  ever holds more than the limit, while a backlog still runs at the limit's full pace;
* requests in flight – leases that the caller gives back when the response is read, and that
  expire on their own so a killed process cannot hold a slot forever;
* one-shot ETL executions per profile table per UTC day – reservations counted atomically.

State lives in the database (SQLite: the IMMEDIATE transaction mode in settings serialises writers
on the busy timeout; PostgreSQL: a transaction-scoped advisory lock per scope) or in Redis (Lua
scripts, Redis's clock) when settings.REDIS_URL is set.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import GovernorBusy, ImportQuotaExceeded
from .history import count_call
from .models import GovernorCall, GovernorLease, ImportReservation

RATE = "rate"
IN_FLIGHT = "in_flight"


@dataclass(frozen=True)
class Limits:
    calls_per_minute: int = 60
    max_in_flight: int = 5
    daily_imports_per_table: int = 12
    window_seconds: float = 60.0
    # Admission is recorded just before the request leaves; network jitter could bring two calls
    # admitted exactly one window apart closer together at ACTITO. The margin absorbs that.
    margin_seconds: float = 0.5

    @property
    def effective_window(self) -> float:
        return self.window_seconds + self.margin_seconds


@dataclass
class Lease:
    token: str
    lease_seconds: float
    # When the governor admitted the call, on the clock the processes share (Redis's or
    # PostgreSQL's): what the calls-per-window rule is kept on, whatever the caller's own timing.
    admitted_at: float = 0.0


@dataclass(frozen=True)
class ImportSlot:
    """A reservation against a table's daily quota; give it back with `release_import`."""

    id: str
    table_id: str
    table_name: str
    day: date
    used: int
    limit: int


@dataclass(frozen=True)
class GovernorUsage:
    calls_this_minute: int
    calls_per_minute: int
    in_flight: int
    max_in_flight: int
    table: str | None = None
    imports_today: int | None = None
    daily_imports_per_table: int | None = None

    def summary(self) -> str:
        parts = [
            _("%(used)s/%(limit)s calls this minute")
            % {"used": self.calls_this_minute, "limit": self.calls_per_minute},
            _("%(used)s/%(limit)s in flight")
            % {"used": self.in_flight, "limit": self.max_in_flight},
        ]
        if self.table is not None and self.imports_today is not None:
            parts.append(
                _("%(used)s/%(limit)s imports today on %(table)s")
                % {
                    "used": self.imports_today,
                    "limit": self.daily_imports_per_table,
                    "table": self.table,
                }
            )
        return " · ".join(parts)


@dataclass(frozen=True)
class _Attempt:
    admitted: bool
    wait: float = 0.0
    reason: str = ""
    at: float = 0.0


def longest_attempt_seconds(timeout_seconds: float) -> float:
    """How long one HTTP attempt can take, the one figure for leases and for recovery.

    httpx's timeout applies per phase (connect, write, read), so an attempt may last three
    timeouts; 5 s covers the rest. A governor lease must outlive it (or a slow but healthy call
    would free its slot while still in flight), and a worker is only presumed dead after it."""
    return timeout_seconds * 3 + 5


class GovernorBackend(Protocol):
    def try_acquire(
        self, scope: str, limits: Limits, token: str, lease_seconds: float
    ) -> _Attempt: ...
    def release(self, scope: str, token: str) -> None: ...
    def extend(self, scope: str, token: str, lease_seconds: float) -> None: ...
    def reserve_import(
        self, scope: str, table_id: str, table_name: str, note: str, limit: int
    ) -> ImportSlot: ...
    def release_import(self, scope: str, slot_id: str) -> None: ...
    def usage(
        self, scope: str, limits: Limits, table: str | None
    ) -> tuple[int, int, int | None, str | None]: ...
    def tables_today(self, scope: str) -> list[str]: ...


def _quota_message(limit: int, table_label: str, now: float) -> tuple[str, str]:
    midnight = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    left = midnight + timedelta(days=1) - datetime.fromtimestamp(now, UTC)
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    return (
        f"daily import quota reached: {limit}/{limit} on table {table_label}",
        _(
            "All %(limit)s imports allowed today on table %(table)s are used. ACTITO refuses more "
            "until the quota resets at 00:00 UTC (in %(hours)s h %(minutes)s min)."
        )
        % {"limit": limit, "table": table_label, "hours": hours, "minutes": f"{minutes:02d}"},
    )


def _utc_day(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


class DatabaseBackend:
    """Governor state in our own database (SQLite or PostgreSQL)."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @contextmanager
    def _locked(self, scope: str) -> Iterator[float]:
        """A transaction that is the only writer for `scope`; yields the shared clock's time.

        Callers must not wrap ACTITO calls in their own transaction.atomic (GUIDE: call ACTITO
        outside transactions): our rows would stay invisible to other processes until commit.
        """
        conn = connections[self.using]
        if conn.vendor != "postgresql":
            # SQLite: settings make atomic() BEGIN IMMEDIATE, which is the write lock; every
            # process is on this machine, so the local clock is shared.
            with transaction.atomic(using=self.using):
                yield time.time()
            return
        key = int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)
        # A session lock released right after our own block, not a transaction lock: inside a
        # caller's open transaction the latter would block every process until that commit.
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            with transaction.atomic(using=self.using), conn.cursor() as cursor:
                # Several machines share PostgreSQL: its clock is the one they all agree on.
                cursor.execute("SELECT extract(epoch from clock_timestamp())")
                yield float(cursor.fetchone()[0])
        finally:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

    def try_acquire(self, scope: str, limits: Limits, token: str, lease_seconds: float) -> _Attempt:
        with self._locked(scope) as now:
            since = now - limits.effective_window
            calls = GovernorCall.objects.using(self.using).filter(scope=scope)
            leases = GovernorLease.objects.using(self.using).filter(scope=scope)
            calls.filter(at__lte=since).delete()
            leases.filter(expires_at__lte=now).delete()
            n_calls = calls.count()
            n_leases = leases.count()
            if n_calls < limits.calls_per_minute and n_leases < limits.max_in_flight:
                GovernorCall.objects.using(self.using).create(scope=scope, at=now)
                GovernorLease.objects.using(self.using).create(
                    scope=scope, token=token, expires_at=now + lease_seconds
                )
                return _Attempt(True, at=now)
            if n_calls >= limits.calls_per_minute:
                # The call that must age out before one more fits.
                index = n_calls - limits.calls_per_minute
                oldest = calls.order_by("at").values_list("at", flat=True)[index]
                return _Attempt(False, oldest + limits.effective_window - now, RATE)
            soonest = leases.order_by("expires_at").values_list("expires_at", flat=True)[0]
            return _Attempt(False, soonest - now, IN_FLIGHT)

    def release(self, scope: str, token: str) -> None:
        GovernorLease.objects.using(self.using).filter(scope=scope, token=token).delete()

    def extend(self, scope: str, token: str, lease_seconds: float) -> None:
        with self._locked(scope) as now:
            GovernorLease.objects.using(self.using).filter(scope=scope, token=token).update(
                expires_at=now + lease_seconds
            )

    def reserve_import(
        self, scope: str, table_id: str, table_name: str, note: str, limit: int
    ) -> ImportSlot:
        with self._locked(scope) as now:
            day = _utc_day(now)
            used = (
                ImportReservation.objects.using(self.using)
                .filter(scope=scope, table_id=table_id, day=day, released_at__isnull=True)
                .count()
            )
            if used >= limit:
                message, user_message = _quota_message(limit, table_name or table_id, now)
                raise ImportQuotaExceeded(message, user_message=user_message)
            row = ImportReservation.objects.using(self.using).create(
                scope=scope, table_id=table_id, table_name=table_name, day=day, note=note[:200]
            )
        return ImportSlot(str(row.pk), table_id, table_name, day, used + 1, limit)

    def release_import(self, scope: str, slot_id: str) -> None:
        ImportReservation.objects.using(self.using).filter(
            scope=scope, pk=int(slot_id), released_at__isnull=True
        ).update(released_at=timezone.now())

    def usage(
        self, scope: str, limits: Limits, table: str | None
    ) -> tuple[int, int, int | None, str | None]:
        # Read-only and approximate by nature (it is for people): no lock.
        now = time.time()
        if connections[self.using].vendor == "postgresql":
            with connections[self.using].cursor() as cursor:
                cursor.execute("SELECT extract(epoch from clock_timestamp())")
                now = float(cursor.fetchone()[0])
        calls = (
            GovernorCall.objects.using(self.using)
            .filter(scope=scope, at__gt=now - limits.window_seconds)
            .count()
        )
        in_flight = (
            GovernorLease.objects.using(self.using).filter(scope=scope, expires_at__gt=now).count()
        )
        if table is None:
            return calls, in_flight, None, None
        rows = ImportReservation.objects.using(self.using).filter(
            scope=scope, table_id=table, day=_utc_day(now)
        )
        name = rows.exclude(table_name="").values_list("table_name", flat=True).first()
        return calls, in_flight, rows.filter(released_at__isnull=True).count(), name

    def tables_today(self, scope: str) -> list[str]:
        rows = ImportReservation.objects.using(self.using).filter(
            scope=scope, day=_utc_day(time.time()), released_at__isnull=True
        )
        return sorted(set(rows.values_list("table_id", flat=True)))


_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, max_flight = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, lease = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local n_calls = redis.call('ZCARD', KEYS[1])
local n_leases = redis.call('ZCARD', KEYS[2])
if n_calls < limit and n_leases < max_flight then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('ZADD', KEYS[2], now + lease, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  local ttl = math.ceil(lease * 1000) + 1000
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
  return {1, '0', '', tostring(now)}
end
if n_calls >= limit then
  local r = redis.call('ZRANGE', KEYS[1], n_calls - limit, n_calls - limit, 'WITHSCORES')
  return {0, tostring(tonumber(r[2]) + window - now), 'rate'}
end
local r = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(r[2]) - now), 'in_flight'}
"""

_EXTEND_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[1])
local ttl = math.ceil(lease * 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

_RESERVE_LUA = """
local used = redis.call('HLEN', KEYS[1])
if used >= tonumber(ARGV[1]) then return {0, used} end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], 3 * 86400)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[5], ARGV[4]) end
return {1, used + 1}
"""

_redis_clients: dict[str, object] = {}


def _redis(url: str):  # -> redis.Redis; untyped to keep redis an optional import
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url)
        _redis_clients[url] = client
    return client


class RedisBackend:
    """Governor state in Redis; Redis's own clock decides, so machines' clocks may differ."""

    def __init__(self, url: str, *, prefix: str = "actito:gov") -> None:
        self.redis = _redis(url)
        self.prefix = prefix
        self._acquire = self.redis.register_script(_ACQUIRE_LUA)
        self._extend = self.redis.register_script(_EXTEND_LUA)
        self._reserve = self.redis.register_script(_RESERVE_LUA)

    def _keys(self, scope: str) -> tuple[str, str]:
        return f"{self.prefix}:{scope}:calls", f"{self.prefix}:{scope}:leases"

    def _imports_key(self, scope: str, table_id: str, day: date) -> str:
        return f"{self.prefix}:{scope}:imports:{table_id}:{day.isoformat()}"

    def _now(self) -> float:
        seconds, micros = self.redis.time()
        return seconds + micros / 1_000_000

    def try_acquire(self, scope: str, limits: Limits, token: str, lease_seconds: float) -> _Attempt:
        admitted, wait, reason, *at = self._acquire(
            keys=list(self._keys(scope)),
            args=[
                limits.calls_per_minute,
                limits.max_in_flight,
                limits.effective_window,
                lease_seconds,
                token,
            ],
        )
        reason = reason.decode() if isinstance(reason, bytes) else str(reason)
        return _Attempt(bool(int(admitted)), float(wait), reason, float(at[0]) if at else 0.0)

    def release(self, scope: str, token: str) -> None:
        self.redis.zrem(self._keys(scope)[1], token)

    def extend(self, scope: str, token: str, lease_seconds: float) -> None:
        self._extend(keys=[self._keys(scope)[1]], args=[token, lease_seconds])

    def reserve_import(
        self, scope: str, table_id: str, table_name: str, note: str, limit: int
    ) -> ImportSlot:
        now = self._now()
        day = _utc_day(now)
        slot_id = f"{day.isoformat()}:{table_id}:{uuid.uuid4().hex}"
        ok, used = self._reserve(
            keys=[self._imports_key(scope, table_id, day), f"{self.prefix}:{scope}:table-names"],
            args=[limit, slot_id, note[:200] or "-", table_name, table_id],
        )
        if not int(ok):
            message, user_message = _quota_message(limit, table_name or table_id, now)
            raise ImportQuotaExceeded(message, user_message=user_message)
        return ImportSlot(slot_id, table_id, table_name, day, int(used), limit)

    def release_import(self, scope: str, slot_id: str) -> None:
        day, table_id, _token = slot_id.split(":", 2)
        self.redis.hdel(self._imports_key(scope, table_id, date.fromisoformat(day)), slot_id)

    def usage(
        self, scope: str, limits: Limits, table: str | None
    ) -> tuple[int, int, int | None, str | None]:
        now = self._now()
        calls_key, leases_key = self._keys(scope)
        calls = int(self.redis.zcount(calls_key, now - limits.window_seconds, "+inf"))
        in_flight = int(self.redis.zcount(leases_key, now, "+inf"))
        if table is None:
            return calls, in_flight, None, None
        used = int(self.redis.hlen(self._imports_key(scope, table, _utc_day(now))))
        name = self.redis.hget(f"{self.prefix}:{scope}:table-names", table)
        return calls, in_flight, used, name.decode() if name else None

    def tables_today(self, scope: str) -> list[str]:
        day = _utc_day(self._now()).isoformat()
        pattern = f"{self.prefix}:{scope}:imports:*:{day}"
        tables = set()
        for key in self.redis.scan_iter(match=pattern, count=200):
            key = key.decode() if isinstance(key, bytes) else key
            if self.redis.hlen(key):
                tables.add(key[len(f"{self.prefix}:{scope}:imports:") : -len(day) - 1])
        return sorted(tables)


class CacheHolds:
    """Where a licence's pause lives, shared by every process (Django's cache: Redis or the
    database in production): ACTITO answered 429, so nobody calls it before `until`."""

    def _key(self, scope: str) -> str:
        return f"actito:gov-hold:{scope}"

    def until(self, scope: str) -> float:
        from django.core.cache import cache

        value = cache.get(self._key(scope))
        return float(value) if value else 0.0

    def hold(self, scope: str, until: float) -> None:
        from django.core.cache import cache

        if until > self.until(scope):
            cache.set(self._key(scope), until, timeout=max(1, int(until - time.time()) + 1))


class Governor:
    """The gate. `with governor.slot(): send()` around every HTTP request (each retry too)."""

    def __init__(
        self,
        *,
        scope: str,
        limits: Limits,
        backend: GovernorBackend,
        max_wait_seconds: float = 30.0,
        poll_seconds: float = 0.02,
        sleep: Callable[[float], None] = time.sleep,
        holds: CacheHolds | None = None,
    ) -> None:
        self.scope = scope
        self.limits = limits
        self.backend = backend
        self.max_wait_seconds = max_wait_seconds
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._holds = holds

    def hold(self, seconds: float) -> None:
        """ACTITO answered 429 whatever we counted (other tools use the licence too): every
        process of this licence waits `seconds` before its next call."""
        if self._holds is not None and seconds > 0:
            self._holds.hold(self.scope, time.time() + seconds)

    def _held_for(self) -> float:
        return max(0.0, self._holds.until(self.scope) - time.time()) if self._holds else 0.0

    def acquire(self, *, lease_seconds: float, max_wait: float | None = None) -> Lease:
        """Wait for a call slot and an in-flight slot, or raise GovernorBusy past the bound."""
        bound = self.max_wait_seconds if max_wait is None else max_wait
        deadline = time.monotonic() + bound
        token = uuid.uuid4().hex
        while True:
            held = self._held_for()
            if held > 0:
                if held > deadline - time.monotonic():
                    raise GovernorBusy(f"ACTITO asked {self.scope} to wait", retry_after=held)
                self._sleep(held)
                continue
            attempt = self.backend.try_acquire(self.scope, self.limits, token, lease_seconds)
            if attempt.admitted:
                count_call(self.scope)  # for the calls-per-minute chart
                return Lease(token=token, lease_seconds=lease_seconds, admitted_at=attempt.at)
            remaining = deadline - time.monotonic()
            wait = max(attempt.wait, 0.0)
            if attempt.reason == RATE:
                if wait > remaining:
                    # Waiting cannot help within the bound: say so now rather than at the bound.
                    raise GovernorBusy(
                        f"{self.limits.calls_per_minute} calls/min reached on {self.scope}",
                        retry_after=wait,
                    )
                # Small jitter so that waiting processes do not all retry on the same instant.
                self._sleep(wait + random.uniform(0, self.poll_seconds / 2))
                continue
            if remaining <= 0:
                raise GovernorBusy(
                    f"{self.limits.max_in_flight} requests in flight on {self.scope}",
                    retry_after=max(self.poll_seconds, min(wait, 5.0)),
                )
            # A lease is usually given back long before it expires: poll rather than wait for it.
            poll = random.uniform(self.poll_seconds / 2, self.poll_seconds * 2)
            self._sleep(min(remaining, poll))

    def release(self, lease: Lease) -> None:
        self.backend.release(self.scope, lease.token)

    def extend(self, lease: Lease) -> None:
        """Keep a long upload or download's slot alive (its lease would otherwise expire)."""
        self.backend.extend(self.scope, lease.token, lease.lease_seconds)

    @contextmanager
    def slot(self, *, lease_seconds: float, max_wait: float | None = None) -> Iterator[Lease]:
        lease = self.acquire(lease_seconds=lease_seconds, max_wait=max_wait)
        try:
            yield lease
        finally:
            self.release(lease)

    def reserve_import(self, table_id: str, *, table_name: str = "", note: str = "") -> ImportSlot:
        """Count one one-shot execution on `table_id` today (UTC); raise ImportQuotaExceeded."""
        return self.backend.reserve_import(
            self.scope, str(table_id), table_name, note, self.limits.daily_imports_per_table
        )

    def release_import(self, slot: ImportSlot | str) -> None:
        """Give a reservation back – only when sure ACTITO did not accept the import."""
        self.backend.release_import(self.scope, slot.id if isinstance(slot, ImportSlot) else slot)

    def usage(self, *, table: str | None = None, table_label: str | None = None) -> GovernorUsage:
        """Current usage for people; `table` is the table id the import quota is counted on."""
        calls, in_flight, imports, name = self.backend.usage(self.scope, self.limits, table)
        return GovernorUsage(
            calls_this_minute=calls,
            calls_per_minute=self.limits.calls_per_minute,
            in_flight=in_flight,
            max_in_flight=self.limits.max_in_flight,
            table=(table_label or name or table) if table is not None else None,
            imports_today=imports,
            daily_imports_per_table=self.limits.daily_imports_per_table,
        )

    def tables_today(self) -> list[str]:
        """Ids of the tables with at least one import counted today (UTC)."""
        return self.backend.tables_today(self.scope)


def default_backend() -> GovernorBackend:
    if settings.REDIS_URL:
        return RedisBackend(settings.REDIS_URL)
    return DatabaseBackend()
