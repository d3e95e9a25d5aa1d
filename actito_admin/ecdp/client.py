"""EcdpClient: the only code that knows ExpertSender CDP's HTTP (docs/reference/ecdp-api.md).

Same rules as the ACTITO client, so the shared run machinery treats both alike:
* every request, each retry included, passes the cross-process governor of its business unit;
* GET is retried on 429, 5xx and network errors; POST only on 429 or when the request never
  left (connect errors). A POST that timed out raises EcdpError(outcome_known=False): ECDP may
  have started the scenario, and a custom event has no idempotency key;
* errors are ECDP's problem details (type, title, status, substatus, detail, instance, errors[])
  turned into plain words.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from django.utils.translation import gettext as _

from actito_admin.actito.errors import ActitoError
from actito_admin.actito.governor import Governor, longest_attempt_seconds

from .fields import CustomerRef

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class EcdpError(ActitoError):
    """The console's one error type for a platform (flags `retryable`, `outcome_known`), with
    ECDP's problem details kept for the status page."""

    def __init__(self, message: str, *, problem: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.problem = problem or {}


@dataclass(frozen=True)
class Customer:
    id: str
    email: str = ""
    phone: str = ""
    crm_id: str = ""
    first_name: str = ""
    last_name: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Customer:
        def text(name: str) -> str:
            value = data.get(name)
            return "" if value is None else str(value)

        return cls(
            id=text("id"),
            email=text("email"),
            phone=text("phone"),
            crm_id=text("crmId"),
            first_name=text("firstName"),
            last_name=text("lastName"),
            raw=data,
        )

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def label(self) -> str:
        """How confirmations and the history name this customer."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or self.phone or _("customer %(id)s") % {"id": self.id}


@dataclass(frozen=True)
class EventReceipt:
    """ECDP answers 201 without a body: the correlation id is ours (ecdp-api.md §3.1)."""

    correlation_id: str
    status: int


def problem_words(problem: dict[str, Any], status: int) -> str:
    """A problem detail in plain words for a marketer."""
    defaults = {
        400: _("ECDP refused the request as invalid."),
        401: _(
            "ECDP refused the API key of this business unit (missing, wrong or without "
            "permission). An administrator can check it on the ECDP settings page."
        ),
        403: _("ECDP refused: this API key may not do that."),
        404: _("ECDP does not know this custom event or customer."),
        429: _("ECDP is busy (too many requests); it will be tried again."),
    }
    parts = [
        defaults.get(status)
        or _("ECDP answered with an error (HTTP %(status)s).") % {"status": status}
    ]
    detail = str(problem.get("detail") or problem.get("title") or "").strip()
    if detail and status != 401:
        parts.append(detail.rstrip(".") + ".")
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        parts.append(" ".join(str(e).rstrip(".") + "." for e in errors[:5]))
    elif isinstance(errors, dict) and errors:
        # ASP.NET's own validation shape: {"field": ["message", …]}.
        parts.append(" ".join(f"{k}: {'; '.join(map(str, v))}." for k, v in errors.items()))
    return " ".join(parts)


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


class EcdpClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        governor: Governor,
        timeout_seconds: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 3,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.governor = governor
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"x-api-key": api_key, "Accept": "application/json"},
            timeout=timeout_seconds,
            transport=transport,
        )

    def __repr__(self) -> str:  # never the key
        return f"EcdpClient({self._http.base_url})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EcdpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- operations ----------------------------------------------------------------------------

    def send_event(
        self, *, event_id: int, customer: CustomerRef, data_fields: list[dict[str, str]]
    ) -> EventReceipt:
        """POST /scenariocustomevents for one customer (exactly one identifier)."""
        body: dict[str, Any] = {"customEventId": int(event_id), customer.body_field: customer.value}
        if data_fields:
            body["dataFields"] = data_fields
        response = self._send("POST", "/scenariocustomevents", what="a custom event", json=body)
        return EventReceipt(uuid.uuid4().hex, response.status_code)

    def send_event_to_segments(
        self, *, event_id: int, segments: list[int], data_fields: list[dict[str, str]]
    ) -> EventReceipt:
        """POST /scenariocustomevents/withsegments: every customer of the segments, one call."""
        body: dict[str, Any] = {
            "customEventId": int(event_id),
            "segments": [int(s) for s in segments],
        }
        if data_fields:
            body["dataFields"] = data_fields
        response = self._send(
            "POST", "/scenariocustomevents/withsegments", what="a segment event", json=body
        )
        return EventReceipt(uuid.uuid4().hex, response.status_code)

    def get_customer(self, customer: CustomerRef) -> Customer:
        """GET /customers/{id|email|phone|crmId}/{value}; 404 raises EcdpError(status=404)."""
        path = f"/customers/{customer.kind}/{quote(customer.value, safe='')}"
        response = self._send("GET", path, what="a customer")
        data = _problem_of(response)
        inner = data.get("data") if isinstance(data.get("data"), dict) else data
        if not isinstance(inner, dict) or "id" not in inner:
            raise EcdpError(
                "customer answer without id",
                status=response.status_code,
                user_message=_(
                    "ECDP answered the customer look-up in a shape the console does not understand."
                ),
                response_text=response.text,
            )
        return Customer.from_json(inner)

    # --- the one way to send -------------------------------------------------------------------

    def _lease_seconds(self) -> float:
        return longest_attempt_seconds(self.timeout_seconds)

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        delay *= random.uniform(0.5, 1.0)
        announced = _retry_after(response) if response is not None else None
        if announced is not None:
            delay = max(delay, min(announced, self.max_backoff_seconds))
        return delay

    def _send(self, method: str, path: str, *, what: str, json: Any = None) -> httpx.Response:
        is_get = method == "GET"
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                with self.governor.slot(lease_seconds=self._lease_seconds()):
                    response = self._http.request(method, path, json=json)
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                logger.info("ECDP %s %s: %s", method, what, type(exc).__name__)
                if (is_get or not sent) and attempt < self.max_attempts:
                    self._sleep(self._backoff(attempt, None))
                    continue
                raise self._transport_error(exc, is_get=is_get, sent=sent, what=what) from exc
            status = response.status_code
            # Paths hold customers' e-mail addresses: log what, never where.
            logger.info("ECDP %s %s: %s in %.2fs", method, what, status, time.monotonic() - started)
            if 200 <= status < 300:
                return response
            if (status == 429 or (is_get and status >= 500)) and attempt < self.max_attempts:
                self._sleep(self._backoff(attempt, response))
                continue
            raise self._http_error(response, what=what, is_get=is_get)

    def _transport_error(
        self, exc: httpx.TransportError, *, is_get: bool, sent: bool, what: str
    ) -> EcdpError:
        if not sent:
            return EcdpError(
                f"ECDP unreachable: {type(exc).__name__}",
                retryable=True,
                user_message=_("ECDP could not be reached; nothing was sent. Try again later."),
            )
        timed_out = isinstance(exc, httpx.TimeoutException)
        words = "did not answer in time" if timed_out else "broke the connection"
        if is_get:
            if timed_out:
                told = _("ECDP did not answer in time. Try again in a moment.")
            else:
                told = _("ECDP broke the connection. Try again in a moment.")
            return EcdpError(
                f"ECDP {words} ({type(exc).__name__})",
                retryable=True,
                user_message=told,
            )
        if timed_out:
            told = _(
                "ECDP did not answer in time after the request was sent, so it may or may not "
                "have been accepted."
            )
        else:
            told = _(
                "ECDP broke the connection after the request was sent, so it may or may not "
                "have been accepted."
            )
        return EcdpError(
            f"ECDP {words} after {what} was sent ({type(exc).__name__})",
            retryable=False,
            outcome_known=False,
            user_message=told,
        )

    def _http_error(self, response: httpx.Response, *, what: str, is_get: bool) -> EcdpError:
        status = response.status_code
        problem = _problem_of(response)
        words = problem_words(problem, status)
        # As with ACTITO: a 5xx after a POST may hide work ECDP already did.
        outcome_known = is_get or status < 500
        if not outcome_known:
            words += " " + _("ECDP may or may not have accepted it.")
        return EcdpError(
            f"ECDP answered {status} to {what}",
            status=status,
            retryable=status == 429 or status >= 500,
            outcome_known=outcome_known,
            user_message=words,
            response_text=response.text,
            retry_after=_retry_after(response),
            problem=problem,
        )
