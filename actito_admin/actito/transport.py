"""How every ACTITO request is sent: token, governor lease, retries and error wording.

The endpoint methods live in client.py; this base class is the one place that talks HTTP.

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
import logging
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import quote

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ActitoError, in_english
from .governor import Governor, Lease, longest_attempt_seconds
from .schemas import (
    Token,
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


class ActitoTransport:
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
        return f"{type(self).__name__}({self.base_url!r}, entity={self.entity!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- paths (§1.2) --------------------------------------------------------------------------

    def fetch_token(self) -> Token:
        """Exchange the API key for a bearer token (one governed call) and cache it."""
        response = self._send(
            "GET",
            "/auth/token",
            what=gettext_lazy("an access token"),
            auth=self._api_key,  # the raw key, no "Bearer"/"Basic" prefix
            refresh_on_401=False,
        )
        data = _json_or_none(response) or {}
        access_token = data.get("accessToken") if isinstance(data, dict) else None
        if not access_token:
            raise ActitoError(
                "token response without accessToken",
                status=response.status_code,
                user_message=_("ACTITO answered the token request without a token."),
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
        what: Any,
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

        `what` names the call's object for people, in their language (usually a lazy
        translation, so that the logs get it in English). `headers` are those the documents show
        for this call (seed 000: a trigger sends `Content-Type: application/json`; seed 002:
        mass-import calls send `Accept: */*`)."""
        is_get = method == "GET"
        # Profile references are personal data (e-mail addresses): keep them out of the logs.
        log_what = _PROFILE_REF.sub("profile …", in_english(what))
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
        self, exc: httpx.TransportError, *, method: str, what: Any, sent: bool
    ) -> ActitoError:
        timed_out = isinstance(exc, httpx.TimeoutException)
        logged = in_english(what)
        if not sent:
            user = _("Could not reach ACTITO (network problem or wrong address). Nothing was sent.")
            return ActitoError(
                f"{method} {logged}: {type(exc).__name__}", retryable=True, user_message=user
            )
        if method == "GET":
            user = (
                _("ACTITO did not answer within %(seconds)s s.")
                % {"seconds": f"{self.timeout_seconds:g}"}
                if timed_out
                else _("The connection to ACTITO broke before it answered.")
            )
            return ActitoError(
                f"{method} {logged}: {type(exc).__name__}", retryable=True, user_message=user
            )
        if timed_out:
            user = _(
                "ACTITO did not answer in time after the request for %(what)s was sent, so it "
                "may or may not have been carried out. Check in ACTITO before trying again."
            ) % {"what": what}
        else:
            user = _(
                "ACTITO did not answer (the connection broke) after the request for %(what)s was "
                "sent, so it may or may not have been carried out. Check in ACTITO before trying "
                "again."
            ) % {"what": what}
        return ActitoError(
            f"{method} {logged}: {type(exc).__name__} after sending",
            retryable=True,
            outcome_known=False,
            user_message=user,
        )

    def _http_error(
        self, response: httpx.Response, *, method: str, what: Any, messages: dict[int, str]
    ) -> ActitoError:
        status = response.status_code
        words = actito_words(response)
        # Translators: ACTITO's own words (in its language) follow, quoted.
        said = " " + _("ACTITO said: “%(words)s”") % {"words": words} if words else ""
        values = {"what": what, "status": status}
        if status in messages:
            user = messages[status]
        elif status == 400:
            user = _("ACTITO refused the request for %(what)s as invalid.") % values
        elif status == 401:
            user = _(
                "ACTITO did not accept the API key: it is wrong, revoked or for another "
                "environment. An administrator can check it on the Settings page."
            )
        elif status == 403:
            user = (
                _(
                    "The API key is not allowed to access %(what)s (an access right is missing in "
                    "ACTITO's “Manage API users”)."
                )
                % values
            )
        elif status == 404:
            user = _("ACTITO could not find %(what)s.") % values
        elif status == 409:
            user = _("ACTITO refused %(what)s because of a conflicting state.") % values
        elif status == 429:
            user = _(
                "ACTITO is receiving too many requests from this licence right now (or a daily "
                "quota is used up). Try again in a moment."
            )
        elif status >= 500:
            # Only a read is safe to repeat blindly; after a POST the caller explains what to
            # check first (ACTITO may have acted).
            user = (
                _("ACTITO had a problem on its side (HTTP %(status)s). Try again later.") % values
                if method == "GET"
                else _("ACTITO had a problem on its side (HTTP %(status)s).") % values
            )
        else:
            user = _("ACTITO answered HTTP %(status)s for %(what)s.") % values
        # A 5xx after a POST may hide work ACTITO already did; other statuses mean it refused.
        outcome_known = not (method != "GET" and status >= 500)
        return ActitoError(
            f"{method} {in_english(what)}: HTTP {status}",
            status=status,
            retryable=status == 429 or status >= 500,
            outcome_known=outcome_known,
            user_message=user + said,
            response_text=response.text,
            server_words=said,
        )

    # --- entities and tables (§4) --------------------------------------------------------------

    def _shape_error(self, response: httpx.Response, expected: Any) -> ActitoError:
        """`expected`: what the answer should have been, for people (a lazy translation)."""
        return ActitoError(
            f"unexpected response shape, expected {in_english(expected)}",
            status=response.status_code,
            user_message=_("ACTITO answered with something that is not %(expected)s.")
            % {"expected": expected},
            response_text=response.text,
        )


def _close_files(files: dict[str, Any]) -> None:
    for value in files.values():
        if isinstance(value, tuple) and hasattr(value[1], "close"):
            value[1].close()
