"""ActitoClient: the only code that knows ACTITO's HTTP (spec: docs/reference/actito-api.md).

Every HTTP request – token fetches and each retry attempt included – passes the governor. Retries:
* GET: on 429, 5xx and network errors, with exponential back-off and jitter;
* POST: only on 429 or when the connection failed before the request left (ConnectError,
  ConnectTimeout, PoolTimeout). A POST that timed out or lost its connection after being sent
  raises ActitoError(outcome_known=False): ACTITO may have acted (a scenario trigger has no
  idempotency key, §6.2).
A 401 on a data route refreshes the token once and repeats the call once (§2.1 ASSUMPTION).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from .errors import ActitoError, ImportQuotaExceeded
from .governor import Governor, ImportSlot, Lease, longest_attempt_seconds
from .schemas import (
    Entity,
    Execution,
    ExecutionStarted,
    IntegrationResults,
    OutputFiles,
    Profile,
    ProfileRef,
    Scenario,
    TableStructure,
    Token,
    TriggerResult,
    expected_total,
    more_pages,
    parse_entities,
    parse_scenarios,
    parse_tables,
)

logger = logging.getLogger(__name__)

SERVICE = "service"
UNPREFIXED = "unprefixed"
TOKEN_SAFETY_SECONDS = 60  # refresh this long before ACTITO says the token expires (§2.1)
DEFAULT_TOKEN_TTL = 900.0
MAX_BACKOFF_SECONDS = 30.0  # the longest pause between two tries, whatever Retry-After says
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_CHUNK = 64 * 1024
_PROFILE_REF = re.compile(r"profile \S+")


def _seg(value: object) -> str:
    """One path segment, percent-encoded so that no value can change the route."""
    return quote(str(value), safe="")


def _parse_expires_in(value: Any) -> float:
    # ACTITO sends "900s" (a string with a unit); tolerate plain numbers too.
    if isinstance(value, int | float):
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*s?\s*", str(value or ""))
    return float(match.group(1)) if match else DEFAULT_TOKEN_TTL


def connection_fingerprint(base_url: str, entity: str, api_key: str = "") -> str:
    """A stable, non-secret name for a connection (cache keys, governor scopes)."""
    key_part = hashlib.sha256(api_key.encode()).hexdigest() if api_key else ""
    raw = f"{base_url.rstrip('/').lower()}|{entity}|{key_part}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _LeaseKeepingFile:
    """A file wrapper for long uploads: keeps the governor lease alive while httpx reads it."""

    def __init__(self, file: IO[bytes], renew: Callable[[], None], every: float) -> None:
        self._file = file
        self._renew = renew
        self._every = every
        self._last = time.monotonic()

    def read(self, size: int = -1) -> bytes:
        if time.monotonic() - self._last > self._every:
            self._renew()
            self._last = time.monotonic()
        # httpx reads in chunks; never let an unbounded read pull the whole file into memory.
        return self._file.read(_CHUNK if size is None or size < 0 else size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


SCENARIO_PAGE_SIZE = 100
MAX_SCENARIO_PAGES = 200  # 20,000 scenarios: past that something is wrong with the paging

# Seed 002's examples send `Accept: */*` to the mass-import API (output-files returns a file, and
# ACTITO documents 406 for an Accept it does not like).
MASS_IMPORT_HEADERS = {"Accept": "*/*"}


_WORD_KEYS = ("message", "errorMessage", "error_description", "detail", "description", "title")


def actito_words(response: httpx.Response) -> str:
    """ACTITO's own words about an error, whatever field they come in (error bodies are not
    documented): a known message field, the first of a list of errors, a plain `error` string,
    or a short plain-text body. Never an HTML page."""

    def from_json(body: Any) -> str:
        if isinstance(body, str):
            return body
        if isinstance(body, list):
            return next((w for w in map(from_json, body) if w), "")
        if not isinstance(body, dict):
            return ""
        for key in _WORD_KEYS:
            if isinstance(body.get(key), str) and body[key].strip():
                return body[key]
        for key in ("errors", "violations", "fieldErrors", "error"):
            if body.get(key):
                found = from_json(body[key])
                if found:
                    return found
        return ""

    body = _json_or_none(response)
    if body is not None:
        text = from_json(body)
    else:
        text = response.text if "html" not in response.headers.get("Content-Type", "") else ""
        text = "" if text.lstrip().startswith("<") else text
    return " ".join(text.split())[:300]


class ActitoClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        entity: str,
        governor: Governor,
        path_style: str = SERVICE,
        timeout_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 3,
        backoff_seconds: float = 2.0,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        token_cache: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if path_style not in (SERVICE, UNPREFIXED):
            raise ValueError(f"unknown path style {path_style!r}")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.entity = entity
        self.governor = governor
        self.path_style = path_style
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._sleep = sleep
        if token_cache is None:
            from django.core.cache import cache

            token_cache = cache
        self._cache = token_cache
        self.fingerprint = connection_fingerprint(self.base_url, entity, api_key)
        self._token_key = f"actito:token:{self.fingerprint}"
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
            headers={"Accept": "application/json", "User-Agent": "actito-admin"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:  # never the key
        return f"ActitoClient({self.base_url!r}, entity={self.entity!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ActitoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- paths (§1.2) --------------------------------------------------------------------------

    def _entities_path(self) -> str:
        return "/entities/v5/entities" if self.path_style == SERVICE else "/v4/entity"

    def _tables_path(self) -> str:
        prefix = "/profile-table-structure" if self.path_style == SERVICE else ""
        return f"{prefix}/v5/entities/{_seg(self.entity)}/profile-tables"

    def _executions_path(self) -> str:
        prefix = "/mass-imports" if self.path_style == SERVICE else ""
        return f"{prefix}/v5/entities/{_seg(self.entity)}/etl-executions"

    def _table_v4_path(self, table: str) -> str:
        # Profiles and scenarios are documented unprefixed under v4 only (§1.2, §6).
        return f"/v4/entity/{_seg(self.entity)}/table/{_seg(table)}"

    # --- token (§2.1) --------------------------------------------------------------------------

    def fetch_token(self) -> Token:
        """Exchange the API key for a bearer token (one governed call) and cache it."""
        response = self._send(
            "GET",
            "/auth/token",
            what="an access token",
            auth=self._api_key,  # the raw key, no "Bearer"/"Basic" prefix
            refresh_on_401=False,
        )
        data = _json_or_none(response) or {}
        access_token = data.get("accessToken") if isinstance(data, dict) else None
        if not access_token:
            raise ActitoError(
                "token response without accessToken",
                status=response.status_code,
                user_message="ACTITO answered the token request without a token.",
                response_text=response.text,
            )
        expires_in = _parse_expires_in(data.get("expiresIn"))
        self._remember_token(str(access_token), expires_in)
        return Token(access_token=str(access_token), expires_in=expires_in)

    def _remember_token(self, token: str, expires_in: float) -> None:
        lifetime = max(1.0, expires_in - TOKEN_SAFETY_SECONDS)
        self._token = token
        self._token_expires_at = time.time() + lifetime
        try:
            self._cache.set(
                self._token_key, {"token": token, "expires_at": self._token_expires_at}, lifetime
            )
        except Exception:  # a broken cache costs a token request per process, nothing more
            logger.warning("ACTITO token cache unavailable; keeping the token in this process")

    def _bearer(self) -> str:
        if self._token and self._token_expires_at > time.time():
            return self._token
        try:
            cached = self._cache.get(self._token_key)
        except Exception:
            cached = None
        if isinstance(cached, dict) and cached.get("expires_at", 0) > time.time():
            self._token, self._token_expires_at = cached["token"], cached["expires_at"]
            return self._token
        return self.fetch_token().access_token

    def _forget_token(self, token: str) -> None:
        self._token = None
        self._token_expires_at = 0.0
        with contextlib.suppress(Exception):
            cached = self._cache.get(self._token_key)
            # Only drop the shared entry if it is the token that failed, not a fresher one.
            if isinstance(cached, dict) and cached.get("token") == token:
                self._cache.delete(self._token_key)

    # --- the one way to send -------------------------------------------------------------------

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        delay *= random.uniform(0.5, 1.0)
        if response is not None:
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.strip().isdigit():
                delay = max(delay, min(float(retry_after), self.max_backoff_seconds))
        return delay

    def _lease_seconds(self, extra: float = 0.0) -> float:
        return longest_attempt_seconds(self.timeout_seconds) + extra

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        files: Callable[[Lease], dict[str, Any]] | None = None,
        auth: str | None = None,
        refresh_on_401: bool = True,
        messages: dict[int, str] | None = None,
        accept_statuses: tuple[int, ...] = (),
        stream_to: Path | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one logical call: governed attempts, retries, token refresh, error mapping.

        `headers` are those the documents show for this call (seed 000: a trigger sends
        `Content-Type: application/json`; seed 002: mass-import calls send `Accept: */*`)."""
        is_get = method == "GET"
        # Profile references are personal data (e-mail addresses): keep them out of the logs.
        log_what = _PROFILE_REF.sub("profile …", what)
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            token = auth if auth is not None else self._bearer()
            sent_headers = {
                **(headers or {}),
                "Authorization": token if auth is not None else f"Bearer {token}",
            }
            started = time.monotonic()
            try:
                with self.governor.slot(lease_seconds=self._lease_seconds()) as lease:
                    response = self._one_attempt(
                        method, path, sent_headers, params, files, lease, stream_to
                    )
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                logger.info(
                    "ACTITO %s %s: %s after %.2fs",
                    method,
                    log_what,
                    type(exc).__name__,
                    time.monotonic() - started,
                )
                if (is_get or not sent) and attempt < self.max_attempts:
                    self._sleep(self._backoff(attempt, None))
                    continue
                raise self._transport_error(exc, method=method, what=what, sent=sent) from exc
            logger.info(
                "ACTITO %s %s: %s in %.2fs",
                method,
                log_what,
                response.status_code,
                time.monotonic() - started,
            )
            status = response.status_code
            if 200 <= status < 300 or status in accept_statuses:
                return response
            if status == 401 and refresh_on_401 and not refreshed:
                refreshed = True
                attempt -= 1  # a refresh is not a retry
                self._forget_token(token)
                continue
            if status == 429:
                # The licence's real budget is spent, whatever we counted: every process waits.
                self.governor.hold(self._backoff(attempt, response))
            if (status == 429 or (is_get and status >= 500)) and attempt < self.max_attempts:
                self._sleep(self._backoff(attempt, response))
                continue
            raise self._http_error(response, method=method, what=what, messages=messages or {})

    def _one_attempt(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: dict[str, str] | None,
        files: Callable[[Lease], dict[str, Any]] | None,
        lease: Lease,
        stream_to: Path | None,
    ) -> httpx.Response:
        with contextlib.ExitStack() as stack:
            opened = files(lease) if files else None
            if opened:
                # Close the files opened for this attempt (a retry reopens them from disk).
                stack.callback(_close_files, opened)
            request = self._http.build_request(
                method, path, params=params, headers=headers, files=opened
            )
            response = self._http.send(request, stream=True)
            stack.callback(response.close)
            if stream_to is not None and 200 <= response.status_code < 300:
                self._save_stream(response, stream_to, lease)
            else:
                response.read()
            return response

    def _save_stream(self, response: httpx.Response, dest: Path, lease: Lease) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        last_renewal = time.monotonic()
        with open(partial, "wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                out.write(chunk)
                if time.monotonic() - last_renewal > lease.lease_seconds / 3:
                    self.governor.extend(lease)
                    last_renewal = time.monotonic()
        # Only a complete download gets the final name.
        os.replace(partial, dest)

    # --- errors --------------------------------------------------------------------------------

    def _transport_error(
        self, exc: httpx.TransportError, *, method: str, what: str, sent: bool
    ) -> ActitoError:
        timed_out = isinstance(exc, httpx.TimeoutException)
        if not sent:
            user = "Could not reach ACTITO (network problem or wrong address). Nothing was sent."
            return ActitoError(
                f"{method} {what}: {type(exc).__name__}", retryable=True, user_message=user
            )
        if method == "GET":
            user = (
                f"ACTITO did not answer within {self.timeout_seconds:g} s."
                if timed_out
                else "The connection to ACTITO broke before it answered."
            )
            return ActitoError(
                f"{method} {what}: {type(exc).__name__}", retryable=True, user_message=user
            )
        user = (
            f"ACTITO did not answer {'in time' if timed_out else '(the connection broke)'} after "
            f"the request for {what} was sent, so it may or may not have been carried out. "
            "Check in ACTITO before trying again."
        )
        return ActitoError(
            f"{method} {what}: {type(exc).__name__} after sending",
            retryable=True,
            outcome_known=False,
            user_message=user,
        )

    def _http_error(
        self, response: httpx.Response, *, method: str, what: str, messages: dict[int, str]
    ) -> ActitoError:
        status = response.status_code
        words = actito_words(response)
        said = f" ACTITO said: “{words}”" if words else ""
        if status in messages:
            user = messages[status]
        elif status == 400:
            user = f"ACTITO refused the request for {what} as invalid."
        elif status == 401:
            user = (
                "ACTITO did not accept the API key: it is wrong, revoked or for another "
                "environment. An administrator can check it on the Settings page."
            )
        elif status == 403:
            user = (
                f"The API key is not allowed to access {what} (an access right is missing in "
                "ACTITO's “Manage API users”)."
            )
        elif status == 404:
            user = f"ACTITO could not find {what}."
        elif status == 409:
            user = f"ACTITO refused {what} because of a conflicting state."
        elif status == 429:
            user = (
                "ACTITO is receiving too many requests from this licence right now (or a daily "
                "quota is used up). Try again in a moment."
            )
        elif status >= 500:
            user = f"ACTITO had a problem on its side (HTTP {status})."
            if method == "GET":
                # Only a read is safe to repeat blindly; after a POST the caller explains what
                # to check first (ACTITO may have acted).
                user += " Try again later."
        else:
            user = f"ACTITO answered HTTP {status} for {what}."
        # A 5xx after a POST may hide work ACTITO already did; other statuses mean it refused.
        outcome_known = not (method != "GET" and status >= 500)
        return ActitoError(
            f"{method} {what}: HTTP {status}",
            status=status,
            retryable=status == 429 or status >= 500,
            outcome_known=outcome_known,
            user_message=user + said,
            response_text=response.text,
            server_words=said,
        )

    # --- entities and tables (§4) --------------------------------------------------------------

    def list_entities(self) -> list[Entity]:
        response = self._send("GET", self._entities_path(), what="the list of entities")
        return parse_entities(_json_or_none(response))

    def list_tables(self) -> list[TableStructure]:
        response = self._send(
            "GET", self._tables_path(), what=f"the profile tables of entity {self.entity}"
        )
        return parse_tables(_json_or_none(response))

    def get_table(self, table_id: str) -> TableStructure:
        response = self._send(
            "GET", f"{self._tables_path()}/{_seg(table_id)}", what=f"profile table {table_id}"
        )
        data = _json_or_none(response)
        if not isinstance(data, dict):
            raise self._shape_error(response, "a profile table structure")
        return TableStructure.from_json(data)

    def find_table(self, name_or_id: str) -> TableStructure:
        """A table by its name or its id (v4 routes use the name, ETLs the id: keep both)."""
        for table in self.list_tables():
            if name_or_id in (table.name, table.id):
                return table
        raise ActitoError(
            f"no profile table {name_or_id!r}",
            status=404,
            user_message=f"Entity {self.entity} has no profile table called {name_or_id}.",
        )

    # --- profiles (§5) -------------------------------------------------------------------------

    def get_profile(self, *, table: str, ref: ProfileRef | str | int) -> Profile:
        """One profile by profileId or by a unique `attribute=value` (value percent-encoded)."""
        if not isinstance(ref, ProfileRef):
            ref = ProfileRef.parse(str(ref))
        response = self._send(
            "GET",
            f"{self._table_v4_path(table)}/profile/{ref.path_segment()}",
            what=f"profile {ref} in table {table}",
            messages={
                400: f"“{ref}” is not a valid way to find a profile in table {table} (the "
                "attribute must be unique, and the value must not be empty)."
            },
        )
        data = _json_or_none(response)
        if not isinstance(data, dict):
            raise self._shape_error(response, "a profile")
        return Profile.from_json(data)

    # --- scenarios (§6) ------------------------------------------------------------------------

    def search_scenarios(
        self,
        *,
        table: str,
        name: str | None = None,
        start_event_triggered: bool | None = None,
        active: bool | None = None,
    ) -> list[Scenario]:
        """Scenarios of a table; `name` filters on the display name with `*` wildcards."""
        params: dict[str, str] = {}
        if name:
            params["name"] = name
        if start_event_triggered is not None:
            params["isStartEventTriggered"] = "true" if start_event_triggered else "false"
        if active is not None:
            params["isActive"] = "true" if active else "false"
        response = self._send(
            "GET",
            f"{self._table_v4_path(table)}/scenario",
            params=params,
            what=f"the scenarios of table {table}",
        )
        return parse_scenarios(_json_or_none(response))

    def all_scenarios(self, *, table: str) -> tuple[list[Scenario], bool]:
        """Every scenario of a table, following whatever paging the answers show. The flag says
        whether the list is known to be complete: a caller must never treat a partial read as
        "the others are gone"."""
        found: list[Scenario] = []
        page, size = 0, SCENARIO_PAGE_SIZE
        while True:
            # The first call asks for no page (as the documents show); later ones ask for the
            # next page at the size the first answer used.
            params = {"page": str(page), "pageSize": str(size)} if page else {}
            response = self._send(
                "GET",
                f"{self._table_v4_path(table)}/scenario",
                params=params,
                what=f"the scenarios of table {table}",
            )
            data = _json_or_none(response)
            batch = parse_scenarios(data)
            found.extend(batch)
            more = more_pages(data, page=page, seen=len(found))
            if page == 0 and batch:
                reported = data.get("pageSize") if isinstance(data, dict) else None
                size = reported if isinstance(reported, int) and reported > 0 else len(batch)
            if not more or not batch:
                total = expected_total(data)
                complete = more is None or (not more and (total is None or len(found) >= total))
                return found, complete
            page += 1
            if page >= MAX_SCENARIO_PAGES:
                return found, False

    def trigger_scenario(
        self, *, table: str, scenario: str | int, profile: ProfileRef | str | int
    ) -> TriggerResult:
        """Start a scenario for one profile. Never retried once sent (not idempotent, §6.2)."""
        if not isinstance(profile, ProfileRef):
            profile = ProfileRef.parse(str(profile))
        response = self._send(
            "POST",
            f"{self._table_v4_path(table)}/scenario/{_seg(scenario)}/profile/"
            f"{profile.path_segment()}",
            what=f"scenario {scenario} for profile {profile}",
            headers={"Content-Type": "application/json"},
            messages={
                400: f"“{profile}” is not a valid way to find a profile in table {table} (the "
                "attribute must be unique, and the value must not be empty).",
                404: f"ACTITO could not find scenario {scenario} or profile {profile} in table "
                f"{table}.",
                409: f"Scenario {scenario} cannot be started by API right now: it must be active "
                "and begin with a “Start” block.",
            },
        )
        data = _json_or_none(response)
        key = data.get("interactionBusinessKey") if isinstance(data, dict) else None
        return TriggerResult(interaction_business_key=str(key) if key else None, raw=data)

    # --- one-shot ETL executions (§7) ----------------------------------------------------------

    def create_oneshot_execution(
        self,
        *,
        definition: dict[str, Any],
        input_file: Path,
        filename: str | None = None,
        content_type: str = "text/csv",
        slot: ImportSlot | None = None,
        table_name: str = "",
    ) -> ExecutionStarted:
        """Upload `input_file` (streamed from disk) with its one-shot definition.

        Counts against the destination table's daily quota: pass the `slot` reserved earlier
        (e.g. before our own pre-flight checks) or one is reserved here (ImportQuotaExceeded
        when used up). The slot is given back when ACTITO surely did not create the import
        (a 4xx answer, or the request never sent) and kept when it may have (timeout, 5xx).
        """
        destination = definition.get("dataLoading", {}).get("destination", {})
        table_id = str(destination.get("id", ""))
        size = input_file.stat().st_size  # a missing file fails here, before any reservation
        if slot is None:
            slot = self.governor.reserve_import(
                table_id, table_name=table_name, note=f"one-shot upload {input_file.name}"
            )
        definition_bytes = json.dumps(definition).encode()

        def files(lease: Lease) -> dict[str, Any]:
            handle = _LeaseKeepingFile(
                open(input_file, "rb"),  # noqa: SIM115 - closed after the attempt
                lambda: self.governor.extend(lease),
                every=lease.lease_seconds / 3,
            )
            return {
                "inputFile": (filename or input_file.name, handle, content_type),
                "oneshotEtl": ("oneshotEtl.json", definition_bytes, "application/json"),
            }

        try:
            response = self._send(
                "POST",
                self._executions_path(),
                files=files,
                headers=MASS_IMPORT_HEADERS,
                what=f"the import of {filename or input_file.name} ({size} bytes)",
                messages={
                    400: "ACTITO rejected the import definition or the file (HTTP 400).",
                    429: "ACTITO refused the import: too many requests, or the table's daily "
                    "import quota is used up.",
                },
            )
        except ActitoError as exc:
            if exc.status == 429:
                # ACTITO counts the table's imports of the day, ours and everyone else's: when
                # it says they are used up, our count says so too until the day ends (UTC).
                self._exhaust_imports(slot)
                name = slot.table_name or slot.table_id
                raise ActitoError(
                    exc.message,
                    status=429,
                    user_message=f"ACTITO says today's imports on {name} are used up (it also "
                    "counts imports made outside this console). Nothing was imported; the next "
                    "import on this table is possible after midnight UTC.",
                    response_text=exc.response_text,
                ) from exc
            # outcome_known: ACTITO refused (4xx), or the request never left (connection
            # refused, governor busy). Either way no import was created, so the slot comes back.
            if exc.outcome_known:
                self.governor.release_import(slot)
            raise
        data = _json_or_none(response)
        if isinstance(data, dict):
            execution_id = data.get("id") or data.get("executionId")
        elif isinstance(data, int | str):
            execution_id = data
        else:
            execution_id = response.text.strip()
        return ExecutionStarted(execution_id=str(execution_id or ""), raw=data)

    def _exhaust_imports(self, slot: ImportSlot) -> None:
        """Reserve what is left of today's quota for `slot`'s table (its own slot stays used)."""
        for _ in range(max(0, slot.limit - slot.used)):
            try:
                self.governor.reserve_import(
                    slot.table_id, table_name=slot.table_name, note="ACTITO said: used up (429)"
                )
            except ImportQuotaExceeded:
                return

    def get_execution(self, execution_id: str) -> Execution:
        """Where an execution stands, followed as seed 002 documents it: through its integration
        results, whose `status` "remains IN_PROGRESS until it is FINISHED or FAILED". An answer
        without a status is an error that quotes what ACTITO answered (never "finished")."""
        response = self._send(
            "GET",
            f"{self._executions_path()}/{_seg(execution_id)}/integration-results",
            what=f"import execution {execution_id}",
            headers=MASS_IMPORT_HEADERS,
        )
        data = _json_or_none(response)
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, str) or not status.strip():
            shown = " ".join(response.text.split())[:300] or "(an empty answer)"
            raise ActitoError(
                f"GET import execution {execution_id}: no status",
                status=response.status_code,
                retryable=True,
                user_message=f"ACTITO's answer about import execution {execution_id} gives no "
                f"status, so we keep following it. It answered: “{shown}”",
                response_text=response.text,
            )
        return Execution.from_json(data, fallback_id=str(execution_id))

    def get_integration_results(self, execution_id: str) -> IntegrationResults:
        response = self._send(
            "GET",
            f"{self._executions_path()}/{_seg(execution_id)}/integration-results",
            what=f"the results of import execution {execution_id}",
            headers=MASS_IMPORT_HEADERS,
        )
        return IntegrationResults.from_json(_json_or_none(response))

    def download_output_files(self, execution_id: str, *, dest: Path) -> OutputFiles | None:
        """Stream the execution's output files to `dest`; None when ACTITO has none (404)."""
        response = self._send(
            "GET",
            f"{self._executions_path()}/{_seg(execution_id)}/output-files",
            what=f"the output files of import execution {execution_id}",
            headers=MASS_IMPORT_HEADERS,
            accept_statuses=(404,),
            stream_to=dest,
        )
        if response.status_code == 404:
            return None
        disposition = response.headers.get("Content-Disposition", "")
        match = re.search(r'filename="?([^";]+)"?', disposition)
        return OutputFiles(
            path=dest,
            content_type=response.headers.get("Content-Type", "application/octet-stream"),
            filename=match.group(1) if match else None,
            size=dest.stat().st_size,
        )

    def _shape_error(self, response: httpx.Response, expected: str) -> ActitoError:
        return ActitoError(
            f"unexpected response shape, expected {expected}",
            status=response.status_code,
            user_message=f"ACTITO answered with something that is not {expected}.",
            response_text=response.text,
        )


def _close_files(files: dict[str, Any]) -> None:
    for value in files.values():
        if isinstance(value, tuple) and hasattr(value[1], "close"):
            value[1].close()
