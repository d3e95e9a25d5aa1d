"""The ACTITO sandbox: a plain WSGI application that behaves like ACTITO (spec §10).

It keeps its own in-memory state (not the console's database), guarded by one lock, so it can
run in the threaded server of `server.py` or in-process behind `httpx.WSGITransport`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import IO, Any
from urllib.parse import parse_qs

from . import etl
from .config import SandboxConfig
from .data import InvalidValue, ProfileChange, RowRejected, Table, TableData, normalize_value
from .ecdp import EcdpSandbox, is_ecdp_path, problem_body
from .seed import ENTITIES, Scenario, build_profiles, build_scenarios, build_tables

logger = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
_SEGMENT = r"([^/]+)"
_JSON_TYPES = ("*/*", "application/*", "application/json")
_FILE_TYPES = (*_JSON_TYPES, "application/zip", "application/octet-stream")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Reply:
    status: int
    body: bytes | Iterable[bytes] = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode())


def ecdp_error_reply(status: int, message: str) -> Reply:
    body = problem_body(status, HTTPStatus(status).phrase, message)
    return Reply(status, json.dumps(body).encode(), "application/problem+json")


def error_reply(status: int, message: str, shape: str = "message") -> Reply:
    # ASSUMPTION (spec §3): ACTITO's error body shape is not public; tests can choose another.
    if shape == "plain":
        return Reply(status, message.encode(), content_type="text/plain; charset=utf-8")
    if shape == "errors":
        return json_reply(
            {"errors": [{"code": HTTPStatus(status).name, "message": message}]}, status
        )
    return json_reply(
        {"status": status, "error": HTTPStatus(status).name, "message": message}, status
    )


@dataclass
class Request:
    method: str
    path: str  # decoded, with the legacy /ActitoWebServices/ws root rewritten to /v4
    query: dict[str, str]
    environ: dict[str, Any]
    legacy: bool  # reached through the Basic-auth root /ActitoWebServices/ws/v4

    def header(self, name: str) -> str:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"), "")


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    force_status: int | None = None
    hang_rate: float = 0.0
    hang_seconds: float = 60.0
    storm_429_seconds: float = 0.0
    paths: str | None = None
    storm_until: float = 0.0  # clock time the current 429 storm ends

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("storm_until")
        return data


@dataclass
class Execution:
    id: str
    entity: str
    definition: etl.Definition
    table_id: str
    created_at: float
    due_at: float
    input_path: str | None
    rows: int = 0
    problem: etl.FileProblem | None = None
    status: str = "IN_PROGRESS"
    error: str | None = None
    result: etl.LoadResult | None = None


@dataclass
class Webhook:
    id: int
    entity: str
    body: dict[str, Any]


def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    s = _SEGMENT
    table_v4 = rf"/v4/entity/{s}/table/{s}"
    executions = rf"(?:/mass-imports)?/v5/entities/{s}/etl-executions"
    webhooks = rf"(?:/webhooks)?/v4/entity/{s}/webhookSubscription"
    rows = [
        ("GET", r"/auth/token", "token"),
        ("GET", r"(?:/entities)?/v5/entities|/v4/entity", "entities"),
        ("GET", rf"(?:/profile-table-structure)?/v5/entities/{s}/profile-tables", "tables"),
        ("GET", rf"(?:/profile-table-structure)?/v5/entities/{s}/profile-tables/{s}", "table"),
        ("GET", rf"(?:/profiles)?{table_v4}/profile", "profile_search"),
        ("POST", rf"(?:/profiles)?{table_v4}/profile", "profile_create"),
        ("GET", rf"(?:/profiles)?{table_v4}/profile/{s}", "profile_get"),
        ("PUT", rf"(?:/profiles)?{table_v4}/profile/{s}", "profile_update"),
        ("DELETE", rf"(?:/profiles)?{table_v4}/profile/{s}", "profile_delete"),
        ("POST", rf"(?:/profiles)?{table_v4}/profile/{s}/subscription/{s}", "subscribe"),
        ("DELETE", rf"(?:/profiles)?{table_v4}/profile/{s}/subscription/{s}", "unsubscribe"),
        # ASSUMPTION: /scenarios/v4 prefix (spec §11 q6) served as an alias of the documented /v4.
        ("GET", rf"(?:/scenarios)?{table_v4}/scenario", "scenario_search"),
        ("POST", rf"(?:/scenarios)?{table_v4}/scenario/{s}/profile/{s}", "scenario_trigger"),
        ("POST", executions, "execution_create"),
        ("GET", rf"{executions}/{s}", "execution_get"),
        ("GET", rf"{executions}/{s}/integration-results", "execution_results"),
        ("GET", rf"{executions}/{s}/output-files", "execution_files"),
        ("POST", webhooks, "webhook_create"),
        ("GET", webhooks, "webhook_list"),
        ("GET", rf"{webhooks}/{s}", "webhook_get"),
        ("DELETE", rf"{webhooks}/{s}", "webhook_delete"),
    ]
    return [(method, re.compile(f"^(?:{pattern})$"), name) for method, pattern, name in rows]


ROUTES = _routes()
FIRST_EXECUTION_ID = 123654987  # WHTRIG's example execution id


class SandboxApp:
    """WSGI callable. `clock` is injectable so tests can move time (tokens, executions, days)."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        verbose: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self.verbose = verbose
        self._clock = clock
        self._lock = threading.RLock()  # all ACTITO data below
        self._stats_lock = threading.Lock()  # counters, faults, tokens
        self._work_dir = tempfile.mkdtemp(prefix="actito-sandbox-")
        self._tokens: dict[str, tuple[float, str]] = {}
        self._faults = Faults()
        self._wake = threading.Event()
        self._in_flight = 0
        self._load_seed()
        self._reset_counters()
        self.ecdp = EcdpSandbox(seed=self.config.seed, clock=clock)

    # --- Python-side control ------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            today = self._today()
            return {
                "requests": self._requests,
                "in_flight": self._in_flight,
                "max_in_flight_seen": self._max_in_flight,
                "responses_by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                "calls_per_minute_max": self._calls_per_minute_max,
                "triggers": [dict(t) for t in self._triggers],
                "imports_today": {
                    table: count for (day, table), count in self._imports.items() if day == today
                },
            }

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Merge `changes` into the current faults (fields of `Faults`); returns the result."""
        allowed = set(Faults().public())
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        if changes.get("paths"):
            re.compile(changes["paths"])  # fail now, not on every request
        with self._stats_lock:
            current = self._faults.public() | changes
            faults = Faults(**current)
            if "storm_429_seconds" in changes:
                faults.storm_until = self._clock() + float(changes["storm_429_seconds"] or 0)
            else:
                faults.storm_until = self._faults.storm_until
            self._faults = faults
            return faults.public()

    def clear_faults(self) -> None:
        with self._stats_lock:
            self._faults = Faults()
        self.wake()

    def wake(self) -> None:
        """Release every request hanging on an injected fault (they answer 504 at once)."""
        with self._stats_lock:
            self._wake.set()
            self._wake = threading.Event()

    def reset(self) -> None:
        """Data, executions, triggers, counters and faults back to the seed. Tokens and the
        config survive, so connected clients keep working."""
        self.clear_faults()
        with self._lock:
            self._load_seed()
        self.ecdp.reset()
        with self._stats_lock:
            self._reset_counters()

    def update_config(self, changes: dict[str, Any]) -> SandboxConfig:
        self.config = self.config.updated(changes)
        return self.config

    def close(self) -> None:
        self.wake()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    # --- State --------------------------------------------------------------------------------

    def _load_seed(self) -> None:
        rng = random.Random(self.config.seed)
        tables = build_tables()
        self._tables: dict[str, list[Table]] = {}
        for table in tables:
            self._tables.setdefault(table.entity, []).append(table)
        self._scenarios: list[Scenario] = build_scenarios(rng)
        self._data: dict[tuple[str, str], TableData] = build_profiles(tables, rng)
        self._rng = random.Random(self.config.seed + 1)
        old = getattr(self, "_executions", {})
        for execution in old.values():
            self._forget_files(execution)
        self._executions: dict[str, Execution] = {}
        self._next_execution = FIRST_EXECUTION_ID
        self._webhooks: dict[int, Webhook] = {}
        self._next_webhook = 1

    def _reset_counters(self) -> None:
        self._requests = 0
        self._max_in_flight = self._in_flight
        self._by_status: dict[int, int] = {}
        self._recent_calls: deque[float] = deque()
        self._calls_per_minute_max = 0
        self._triggers: list[dict[str, Any]] = []
        self._imports: dict[tuple[str, str], int] = {}
        self._fault_rng = random.Random(self.config.seed)

    def _today(self) -> str:
        # ASSUMPTION (spec §9): the daily bulk counter resets at 00:00 UTC.
        return datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%d")

    def _iso(self, moment: float) -> str:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = _decode_path(environ.get("PATH_INFO", "") or "/")
        # One bounded reader per request: wsgiref's socket input blocks if read past the body.
        environ["sandbox.input"] = _LimitedStream(environ["wsgi.input"], _content_length(environ))
        if path.startswith("/_sandbox/") or path == "/_sandbox":
            reply = self._control(environ, path)
        else:
            reply = self._api(environ, path)
        _drain(environ)  # answered early: read what the client still sends, or it sees a reset
        headers = [("Content-Type", reply.content_type), *reply.headers]
        if isinstance(reply.body, bytes):
            headers.append(("Content-Length", str(len(reply.body))))
        status = HTTPStatus(reply.status)
        start_response(f"{status.value} {status.phrase}", headers)
        return [reply.body] if isinstance(reply.body, bytes) else reply.body

    def _api(self, environ: dict[str, Any], path: str) -> Reply:
        now = self._clock()
        with self._stats_lock:
            self._requests += 1
            self._in_flight += 1
            in_flight = self._in_flight
            self._max_in_flight = max(self._max_in_flight, in_flight)
            self._recent_calls.append(now)
            while self._recent_calls and self._recent_calls[0] <= now - 60:
                self._recent_calls.popleft()
            calls_last_minute = len(self._recent_calls)
            self._calls_per_minute_max = max(self._calls_per_minute_max, calls_last_minute)
            faults = self._faults
            wake = self._wake
        reply: Reply | None = None
        # The ECDP side shares the counters and the faults; its errors are problem details.
        ecdp = is_ecdp_path(path)
        error = ecdp_error_reply if ecdp else error_reply
        try:
            if in_flight > self.config.max_concurrent:
                # LIMITS: more than 5 concurrent requests per licence → 429.
                reply = error(429, f"more than {self.config.max_concurrent} requests at once")
            else:
                reply = self._faulted(faults, wake, path, now, error)
            if reply is None:
                self._throttle(calls_last_minute)
                reply = self._ecdp(environ, path) if ecdp else self._dispatch(environ, path)
        except ApiError as exc:
            reply = error_reply(exc.status, exc.message, self.config.error_shape)
        except Exception:
            # A sandbox bug must look like an ACTITO 500, not kill the server thread.
            logger.exception("sandbox failed on %s", path)
            reply = error_reply(500, "sandbox internal error")
        finally:
            with self._stats_lock:
                self._in_flight -= 1
                status = reply.status if reply else 500
                self._by_status[status] = self._by_status.get(status, 0) + 1
        if reply.status == 429 and self.config.retry_after_seconds is not None:
            reply.headers.append(("Retry-After", str(self.config.retry_after_seconds)))
        return reply

    def _faulted(
        self,
        faults: Faults,
        wake: threading.Event,
        path: str,
        now: float,
        error: Callable[[int, str], Reply] = error_reply,
    ) -> Reply | None:
        if faults.paths and not re.search(faults.paths, path):
            return None
        if faults.storm_until > now:
            return error(429, "sandbox 429 storm in progress")
        if faults.force_status:
            return error(int(faults.force_status), "sandbox forced status")
        with self._stats_lock:
            hang = self._fault_rng.random() < faults.hang_rate
            fail = self._fault_rng.random() < faults.error_rate
        if hang:
            wake.wait(faults.hang_seconds)
            return error(504, "sandbox hanging request gave up")
        if faults.latency_ms:
            wake.wait(faults.latency_ms / 1000)
        if fail:
            return error(500, "sandbox injected error")
        return None

    def _ecdp(self, environ: dict[str, Any], path: str) -> Reply:
        status, body, headers = self.ecdp.dispatch(environ, path, _read_body(environ))
        if body is None:
            return Reply(status, b"", headers=headers)
        content_type = "application/problem+json" if status >= 400 else "application/json"
        return Reply(status, json.dumps(body).encode(), content_type, headers)

    def _throttle(self, calls_last_minute: int) -> None:
        # Spec §9: over the per-minute budget ACTITO slows calls down instead of refusing them.
        # ASSUMPTION: each call over the budget adds 250 ms more (capped at 10 s).
        limit = self.config.calls_per_minute_throttle
        if limit is not None and calls_last_minute > limit:
            time.sleep(min(10.0, (calls_last_minute - limit) * 0.25))

    def _dispatch(self, environ: dict[str, Any], path: str) -> Reply:
        legacy = False
        if path.startswith("/ActitoWebServices/ws/v4/") or path == "/ActitoWebServices/ws/v4":
            path = "/v4" + path.removeprefix("/ActitoWebServices/ws/v4")
            legacy = True
        path = path.rstrip("/") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        allowed: list[str] = []
        for route_method, pattern, name in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            request = Request(method, path, query, environ, legacy)
            if name != "token":
                self._authenticate(request)
            accepted = _FILE_TYPES if name == "execution_files" else _JSON_TYPES
            if not _accepts(request.header("Accept"), accepted):
                raise ApiError(406, "only application/json responses are available")
            with self._lock:
                self._settle()
            handler: Callable[..., Reply] = getattr(self, "_h_" + name)
            return handler(request, *match.groups())
        if allowed:
            reply = error_reply(405, f"{method} is not allowed here")
            reply.headers.append(("Allow", ", ".join(sorted(set(allowed)))))
            return reply
        raise ApiError(404, f"no ACTITO route for {path}")

    def _authenticate(self, request: Request) -> None:
        header = request.header("Authorization")
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
            with self._stats_lock:
                expires_at, _ = self._tokens.get(token, (0.0, ""))
            if expires_at > self._clock():
                return
            raise ApiError(401, "the access token is unknown or expired")
        if request.legacy and header[:6].lower() == "basic ":
            # ASSUMPTION: Basic "{licence}/{wsAccount}:{password}" where the password is an API key.
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            if "/" in user and password in self.config.api_keys:
                return
        raise ApiError(401, "missing or invalid credentials")

    # --- Control endpoints (/_sandbox/) --------------------------------------------------------

    def _control(self, environ: dict[str, Any], path: str) -> Reply:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            body = _read_json(environ) if method in ("POST", "PUT") else {}
            if path.startswith("/_sandbox/ecdp/"):
                query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
                answer = self.ecdp.control(method, path, query)
                if answer is not None:
                    return json_reply(answer[1], answer[0])
            if path == "/_sandbox/stats" and method == "GET":
                return json_reply(self.stats())
            if path == "/_sandbox/faults":
                if method == "GET":
                    return json_reply(self._faults.public())
                if method == "POST":
                    return json_reply(self.set_faults(**body))
                if method == "DELETE":
                    self.clear_faults()
                    return json_reply(self._faults.public())
            if path == "/_sandbox/reset" and method == "POST":
                self.reset()
                return json_reply({"reset": True})
            if path == "/_sandbox/config":
                if method == "POST":
                    self.update_config(body)
                if method in ("GET", "POST"):
                    return json_reply(asdict(self.config))
        except (ValueError, TypeError, re.error) as exc:
            return error_reply(400, str(exc))
        except ApiError as exc:
            return error_reply(exc.status, exc.message)
        return error_reply(404, f"no sandbox control route {method} {path}")

    # --- Auth and structure -------------------------------------------------------------------

    def _h_token(self, request: Request) -> Reply:
        key = request.header("Authorization").strip()
        if not key or key not in self.config.api_keys:
            raise ApiError(401, "unknown API key")
        now = int(self._clock())
        ttl = self.config.token_ttl_seconds
        jti = str(uuid.uuid4())
        payload = {"jti": jti, "iat": now, "exp": now + ttl, "iss": "actito", "licenceId": 1}
        # A JWT-looking opaque string (spec §2.1 allows opaque tokens).
        token = ".".join(
            base64.urlsafe_b64encode(part).decode().rstrip("=")
            for part in (
                json.dumps({"typ": "JWT", "alg": "RS256"}).encode(),
                json.dumps(payload).encode(),
                os.urandom(32),
            )
        )
        with self._stats_lock:
            self._tokens = {t: v for t, v in self._tokens.items() if v[0] > now}
            self._tokens[token] = (now + ttl, key)
        return json_reply(
            {
                "accessToken": token,
                "tokenType": "bearer",
                "expiresIn": f"{ttl}s",
                "scope": "read write",
                "jti": jti,
            }
        )

    def _h_entities(self, request: Request) -> Reply:
        return json_reply({"entities": [dict(e) for e in ENTITIES]})

    def _entity_tables(self, entity: str) -> list[Table]:
        if entity not in self._tables:
            raise ApiError(404, f"entity {entity!r} not found")
        return self._tables[entity]

    def _table_by_name(self, entity: str, name: str) -> TableData:
        self._entity_tables(entity)
        data = self._data.get((entity, name))
        if data is None:
            raise ApiError(404, f"profile table {name!r} not found in entity {entity!r}")
        return data

    def _h_tables(self, request: Request, entity: str) -> Reply:
        # ASSUMPTION (spec §4.2): list wrapper `profileTables`.
        tables = self._entity_tables(entity)
        return json_reply({"profileTables": [t.structure_json() for t in tables]})

    def _h_table(self, request: Request, entity: str, table_id: str) -> Reply:
        for table in self._entity_tables(entity):
            if table.id == table_id:
                return json_reply(table.structure_json())
        raise ApiError(404, f"profile table id {table_id!r} not found (v5 routes take the id)")

    # --- Profiles (spec §5) -------------------------------------------------------------------

    def _find_profile(self, data: TableData, ref: str):  # -> Profile
        if ref.isdigit():
            profile = data.find("profileId", ref)
        elif "=" in ref:
            name, _, value = ref.partition("=")
            attribute = data.table.attribute(name)
            if attribute is None or not attribute.unique:
                raise ApiError(400, f"{name!r} is not a key attribute of {data.table.name}")
            if value == "":
                raise ApiError(400, f"empty value for key attribute {name!r}")
            try:
                profile = data.find(name, normalize_value(attribute.kind, value, v4=True))
            except InvalidValue:
                profile = None
        else:
            raise ApiError(400, f"profile reference {ref!r} is neither an id nor key=value")
        if profile is None:
            raise ApiError(404, f"profile {ref!r} not found in table {data.table.name!r}")
        return profile

    def _h_profile_get(self, request: Request, entity: str, table: str, ref: str) -> Reply:
        with self._lock:
            data = self._table_by_name(entity, table)
            return json_reply(self._find_profile(data, ref).as_json())

    def _h_profile_search(self, request: Request, entity: str, table: str) -> Reply:
        number = _int_param(request.query, "number", 10)
        search = request.query.get("search", "")
        with self._lock:
            data = self._table_by_name(entity, table)
            if search:
                name, _, value = search.partition("=")
                attribute = data.table.attribute(name)
                if attribute is None:
                    raise ApiError(400, f"unknown attribute {name!r} in search")
                try:
                    value = normalize_value(attribute.kind, value, v4=True)
                except InvalidValue:
                    return json_reply({"profiles": []})
                found = data.search(name, value)
            else:
                found = list(data.profiles.values())
            return json_reply({"profiles": [p.as_json() for p in found[:number]]})

    def _h_profile_create(self, request: Request, entity: str, table: str) -> Reply:
        body = _read_json(request.environ)
        mode = "CREATE_OR_UPDATE" if request.query.get("allowUpdate") == "true" else "CREATE_ONLY"
        with self._lock:
            data = self._table_by_name(entity, table)
            change = _change_from_json(data.table, body)
            try:
                _, profile = data.apply(change, mode=mode, moment=self._moment())
            except RowRejected as exc:
                status = 409 if exc.code in ("KEY_CONFLICT", "RECORD_ALREADY_EXISTS") else 400
                raise ApiError(status, exc.message) from None
            return json_reply({"profileId": profile.id})

    def _h_profile_update(self, request: Request, entity: str, table: str, ref: str) -> Reply:
        body = _read_json(request.environ)
        with self._lock:
            data = self._table_by_name(entity, table)
            profile = self._find_profile(data, ref)
            change = _change_from_json(data.table, body)
            change.attributes.pop("profileId", None)
            try:
                data.update(profile, change)
            except RowRejected as exc:
                raise ApiError(409 if exc.code == "KEY_CONFLICT" else 400, exc.message) from None
            return json_reply({"profileId": profile.id})

    def _h_profile_delete(self, request: Request, entity: str, table: str, ref: str) -> Reply:
        with self._lock:
            data = self._table_by_name(entity, table)
            profile = self._find_profile(data, ref)
            data.delete(profile)
            return json_reply({"profileId": profile.id})  # ASSUMPTION: body of the 200

    def _h_subscribe(self, request: Request, *args: str) -> Reply:
        return self._set_subscription(*args, subscribed=True)

    def _h_unsubscribe(self, request: Request, *args: str) -> Reply:
        return self._set_subscription(*args, subscribed=False)

    def _set_subscription(
        self, entity: str, table: str, ref: str, subscription: str, *, subscribed: bool
    ) -> Reply:
        with self._lock:
            data = self._table_by_name(entity, table)
            profile = self._find_profile(data, ref)
            if subscription not in data.table.subscriptions:
                raise ApiError(404, f"subscription {subscription!r} not found")
            profile.subscriptions[subscription] = subscribed
            return json_reply({"profileId": profile.id})

    def _moment(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%d %H:%M:%S")

    # --- Scenarios (spec §6) ------------------------------------------------------------------

    def _h_scenario_search(self, request: Request, entity: str, table: str) -> Reply:
        query = request.query
        start = _bool_param(query, "isStartEventTriggered")
        active = _bool_param(query, "isActive")
        pattern = None
        if query.get("name"):
            # ASSUMPTION (spec §6.1): glob on the display name, `*` only, case-insensitive.
            glob = ".*".join(re.escape(piece) for piece in query["name"].split("*"))
            pattern = re.compile(glob, re.IGNORECASE | re.DOTALL)
        with self._lock:
            self._table_by_name(entity, table)
            found = [
                s
                for s in self._scenarios
                if s.table == table
                and (pattern is None or pattern.fullmatch(s.display_name))
                and (start is None or s.is_start_event_triggered == start)
                and (active is None or s.is_active == active)
            ]
        forced = self.config.scenario_page_size
        if forced or "pageSize" in query or "page" in query:
            size = max(1, _int_param(query, "pageSize", forced or 100))
            page = _int_param(query, "page", 0)
            total = len(found)
            found = found[page * size : (page + 1) * size]
            if forced:
                return json_reply(
                    {
                        "workflows": [s.as_json() for s in found],
                        "page": page,
                        "pageSize": size,
                        "totalElements": total,
                        "totalPages": (total + size - 1) // size,
                    }
                )
        return json_reply({"workflows": [s.as_json() for s in found]})

    def _h_scenario_trigger(
        self, request: Request, entity: str, table: str, scenario_ref: str, profile_ref: str
    ) -> Reply:
        content_type = request.environ.get("CONTENT_TYPE", "")
        if self.config.strict and not content_type.startswith("application/json"):
            # Seed 000 sends Content-Type: application/json on the trigger call.
            raise ApiError(415, f"unsupported media type {content_type or '(none)'!r}")
        with self._lock:
            data = self._table_by_name(entity, table)
            scenario = next(
                (
                    s
                    for s in self._scenarios
                    if s.table == table and (str(s.id) == scenario_ref or s.name == scenario_ref)
                ),
                None,
            )
            if scenario is None:
                raise ApiError(404, f"scenario {scenario_ref!r} not found in table {table!r}")
            profile = self._find_profile(data, profile_ref)
            if not scenario.is_active:
                raise ApiError(409, f"scenario {scenario.name} is not active")
            if not scenario.is_start_event_triggered:
                raise ApiError(409, f"scenario {scenario.name} has no API 'Start' event")
            key = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        with self._stats_lock:
            self._triggers.append(
                {
                    "entity": entity,
                    "table": table,
                    "scenario_id": scenario.id,
                    "profile_id": profile.id,
                    "interactionBusinessKey": key,
                    "at": self._iso(self._clock()),
                }
            )
        return json_reply({"interactionBusinessKey": key})

    # --- Mass imports (spec §7) ---------------------------------------------------------------

    def _h_execution_create(self, request: Request, entity: str) -> Reply:
        tables = {t.id: t for t in self._entity_tables(entity)}
        environ = request.environ
        length = _content_length(environ)
        if length > self.config.max_file_bytes + 1024 * 1024:
            raise ApiError(400, f"the upload exceeds {self.config.max_file_bytes} bytes")
        content_type = environ.get("CONTENT_TYPE", "")
        upload: str | None = None
        try:
            if content_type.lower().startswith("multipart/form-data"):
                definition, upload = self._read_upload(environ, content_type, tables)
            elif content_type.lower().startswith("application/json"):
                # The file would come from a file-transfer location the sandbox does not have.
                definition = self._parse_definition(_read_body(environ), tables)
            else:
                raise ApiError(400, "send multipart/form-data (inputFile + oneshotEtl) or JSON")
            rows, problem = etl.scan_file(upload, definition) if upload else (0, None)
            if upload is None:
                problem = etl.FileProblem("MISSING_FILE", "no file-transfer location in sandbox")
            return self._accept_execution(entity, definition, upload, rows, problem)
        except BaseException:
            if upload:
                os.unlink(upload)
            raise

    def _parse_definition(self, raw: bytes, tables: dict[str, Table]) -> etl.Definition:
        try:
            if self.config.strict:
                etl.check_documented_shape(raw)
            return etl.parse_definition(raw, tables)
        except etl.DefinitionError as exc:
            raise ApiError(400, str(exc)) from None

    def _read_upload(
        self, environ: dict[str, Any], content_type: str, tables: dict[str, Table]
    ) -> tuple[etl.Definition, str]:
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if not boundary:
            raise ApiError(400, "multipart body without boundary")
        try:
            parts = etl.parse_multipart(
                environ["sandbox.input"],
                boundary.group(1).encode("latin-1"),
                work_dir=self._work_dir,
                file_fields=("inputFile",),
            )
        except etl.MultipartError as exc:
            raise ApiError(400, f"malformed multipart body: {exc}") from None
        upload = parts.get("inputFile")
        try:
            if upload is None or upload.path is None:
                raise ApiError(400, "multipart part 'inputFile' is missing")
            if upload.size > self.config.max_file_bytes:
                raise ApiError(400, f"inputFile exceeds {self.config.max_file_bytes} bytes")
            if "oneshotEtl" not in parts:
                raise ApiError(400, "multipart part 'oneshotEtl' is missing")
            return self._parse_definition(parts["oneshotEtl"].data, tables), upload.path
        except ApiError:
            if upload is not None and upload.path:
                os.unlink(upload.path)
            raise

    def _accept_execution(
        self,
        entity: str,
        definition: etl.Definition,
        upload: str | None,
        rows: int,
        problem: etl.FileProblem | None,
    ) -> Reply:
        now = self._clock()
        table_id = definition.table.id
        config = self.config
        with self._stats_lock:
            key = (self._today(), table_id)
            if self._imports.get(key, 0) >= config.daily_imports_per_table:
                limit = config.daily_imports_per_table
                raise ApiError(429, f"{limit} imports already made today in table {table_id}")
            self._imports[key] = self._imports.get(key, 0) + 1
        duration = config.execution_seconds + rows * config.execution_ms_per_1000_rows / 1e6
        with self._lock:
            execution_id = str(self._next_execution)
            self._next_execution += 1
            self._executions[execution_id] = Execution(
                id=execution_id,
                entity=entity,
                definition=definition,
                table_id=table_id,
                created_at=now,
                due_at=now + duration,
                input_path=upload,
                rows=rows,
                problem=problem,
            )
            self._settle()
        return json_reply({"id": execution_id})

    def _settle(self) -> None:
        """Finish every execution whose time has come, in due order (caller holds the lock).
        Rows are applied at that moment, so profiles change when the execution turns terminal."""
        now = self._clock()
        due = sorted(
            (e for e in self._executions.values() if e.status == "IN_PROGRESS" and e.due_at <= now),
            key=lambda e: (e.due_at, int(e.id)),
        )
        for execution in due:
            if execution.problem is not None:
                execution.status, execution.error = "FAILED", execution.problem.code
            else:
                assert execution.input_path, "only executions with a file reach loading"
                data = self._data[(execution.entity, execution.definition.table.name)]
                try:
                    execution.result = etl.load_rows(
                        execution.input_path,
                        execution.definition,
                        data,
                        moment=datetime.fromtimestamp(execution.due_at, UTC).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                        work_dir=self._work_dir,
                    )
                    execution.status = "FINISHED"
                except etl.FileProblem as problem:  # cannot happen after a clean scan; be safe
                    execution.status, execution.error = "FAILED", problem.code
            if execution.input_path:
                os.unlink(execution.input_path)
                execution.input_path = None

    def _execution(self, entity: str, execution_id: str) -> Execution:
        self._entity_tables(entity)
        execution = self._executions.get(execution_id)
        if execution is None or execution.entity != entity:
            raise ApiError(404, f"etl execution {execution_id!r} not found")
        return execution

    def _h_execution_get(self, request: Request, entity: str, execution_id: str) -> Reply:
        with self._lock:
            execution = self._execution(entity, execution_id)
            done = execution.status != "IN_PROGRESS"
            # ASSUMPTION (spec §7.4): response shape.
            return json_reply(
                {
                    "id": execution.id,
                    "type": "ONESHOT",
                    "status": self._reported(execution.status),
                    "startMoment": self._iso(execution.created_at),
                    "endMoment": self._iso(execution.due_at) if done else None,
                }
            )

    def _h_execution_results(self, request: Request, entity: str, execution_id: str) -> Reply:
        with self._lock:
            execution = self._execution(entity, execution_id)
            results = []
            if execution.result is not None:
                r = execution.result
                results.append(
                    {
                        "destination": {"type": "PROFILE_TABLE", "id": execution.table_id},
                        "readLines": r.read_lines,
                        "errorLines": r.error_lines,
                        "insertedLines": r.inserted_lines,
                        "updatedLines": r.updated_lines,
                        "deletedLines": r.deleted_lines,
                    }
                )
            body = {"status": self._reported(execution.status), "error": execution.error}
            return json_reply(body | {"integrationResults": results})

    def _reported(self, status: str) -> str:
        """The status word a client sees (tests may make "running" an unfamiliar word)."""
        return self.config.in_progress_word if status == "IN_PROGRESS" else status

    def _h_execution_files(self, request: Request, entity: str, execution_id: str) -> Reply:
        if self.config.strict and request.header("Accept").strip() == "application/json":
            # A zip is not JSON: seed 002's calls send Accept: */*.
            raise ApiError(406, "this route returns a file; Accept must allow it (e.g. */*)")
        with self._lock:
            execution = self._execution(entity, execution_id)
            if execution.status == "IN_PROGRESS":
                raise ApiError(404, "no output files while the execution is IN_PROGRESS")
            path = execution.result.output_zip if execution.result else None
            if path is None:
                raise ApiError(404, "this execution produced no output files")
            stream = open(path, "rb")  # noqa: SIM115 - closed by _file_chunks
        return Reply(
            200,
            _file_chunks(stream),
            content_type="application/zip",
            headers=[
                ("Content-Disposition", f'attachment; filename="output-files-{execution_id}.zip"'),
                ("Content-Length", str(os.fstat(stream.fileno()).st_size)),
            ],
        )

    def _forget_files(self, execution: Execution) -> None:
        for path in (execution.input_path, execution.result and execution.result.output_zip):
            if path and os.path.exists(path):
                os.unlink(path)

    # --- Webhooks (spec §8.1) -----------------------------------------------------------------

    def _h_webhook_create(self, request: Request, entity: str) -> Reply:
        body = _read_json(request.environ)
        self._entity_tables(entity)
        for name in ("on", "eventType", "targetUrl"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise ApiError(400, f"{name} is required")
        if not body["targetUrl"].lower().startswith("https://"):
            raise ApiError(400, "targetUrl must be an HTTPS URL")
        if body.get("webhookPushType", "ONE_BY_ONE") not in ("ONE_BY_ONE", "BULK"):
            raise ApiError(400, "webhookPushType must be ONE_BY_ONE or BULK")
        with self._lock:
            webhook = Webhook(self._next_webhook, entity, body)
            self._next_webhook += 1
            self._webhooks[webhook.id] = webhook
        return json_reply({"id": webhook.id})

    def _h_webhook_list(self, request: Request, entity: str) -> Reply:
        self._entity_tables(entity)
        with self._lock:
            items = [{"id": w.id, **w.body} for w in self._webhooks.values() if w.entity == entity]
        # ASSUMPTION: list wrapper name.
        return json_reply({"webhookSubscriptions": items})

    def _webhook(self, entity: str, webhook_id: str) -> Webhook:
        self._entity_tables(entity)
        webhook = self._webhooks.get(int(webhook_id)) if webhook_id.isdigit() else None
        if webhook is None or webhook.entity != entity:
            raise ApiError(404, f"webhook subscription {webhook_id!r} not found")
        return webhook

    def _h_webhook_get(self, request: Request, entity: str, webhook_id: str) -> Reply:
        with self._lock:
            webhook = self._webhook(entity, webhook_id)
            return json_reply({"id": webhook.id, **webhook.body})

    def _h_webhook_delete(self, request: Request, entity: str, webhook_id: str) -> Reply:
        with self._lock:
            webhook = self._webhook(entity, webhook_id)
            del self._webhooks[webhook.id]
        return Reply(204, b"")


# --- Helpers --------------------------------------------------------------------------------------


def _decode_path(path: str) -> str:
    # PEP 3333 servers hand over UTF-8 bytes as latin-1 text; httpx's WSGITransport hands over
    # real text. Undo the former without breaking the latter.
    try:
        return path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return path


def _accepts(header: str, offered: tuple[str, ...]) -> bool:
    if not header.strip():
        return True
    for item in header.split(","):
        media = item.split(";")[0].strip().lower()
        if media in offered:
            return True
    return False


def _content_length(environ: dict[str, Any]) -> int:
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class _LimitedStream:
    """wsgi.input must not be read past CONTENT_LENGTH (wsgiref would block on the socket)."""

    def __init__(self, stream: IO[bytes], length: int) -> None:
        self.stream = stream
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.stream.read(size)
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
        return data


def _read_body(environ: dict[str, Any], limit: int = 1024 * 1024) -> bytes:
    length = _content_length(environ)
    if length > limit:
        raise ApiError(400, f"request body larger than {limit} bytes")
    return environ["sandbox.input"].read()


def _drain(environ: dict[str, Any]) -> None:
    stream = environ.get("sandbox.input")
    while stream is not None and stream.read(64 * 1024):
        pass


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    raw = _read_body(environ)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def _file_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(64 * 1024):
            yield chunk


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    value = query.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise ApiError(400, f"{name} must be a non-negative integer")
    return int(value)


def _bool_param(query: dict[str, str], name: str) -> bool | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    if value.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return value.lower() == "true"


def _change_from_json(table: Table, body: dict[str, Any]) -> ProfileChange:
    """A v4 profile body (S002 step 1) as a ProfileChange; bad input → ApiError(400)."""
    change = ProfileChange()
    for item in body.get("attributes") or []:
        name = item.get("name") if isinstance(item, dict) else None
        attribute = table.attribute(name) if isinstance(name, str) else None
        if attribute is None or not isinstance(name, str) or name == "creationMoment":
            raise ApiError(400, f"unknown or read-only attribute {name!r}")
        value = item.get("value")
        raw = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        try:
            change.attributes[name] = (
                normalize_value(attribute.kind, raw, max_length=attribute.max_length, v4=True)
                if raw != ""
                else ""
            )
        except InvalidValue as exc:
            raise ApiError(400, f"{name}: {exc.message}") from None
    for item in body.get("subscriptions") or []:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in table.subscriptions:
            raise ApiError(400, f"unknown subscription {name!r}")
        change.subscriptions[name] = str(item.get("subscribe")).lower() == "true"
    for item in body.get("segmentations") or []:
        segmentation = (item.get("segmentation") if isinstance(item, dict) else None) or {}
        name, category = segmentation.get("name"), segmentation.get("category")
        if not isinstance(name, str) or category not in (table.categories(name) or ()):
            raise ApiError(400, f"unknown segmentation {name!r} or category {category!r}")
        if str(item.get("belongs", "true")).lower() == "true":
            change.segmentations[name] = category
        else:
            change.segmentations[name] = ""
    return change
