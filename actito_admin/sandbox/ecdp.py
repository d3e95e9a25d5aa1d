"""The sandbox's ExpertSender CDP side, served under /ecdp (docs/reference: seed 004, ecdp-api.md).

Validates as seed 004 says: `x-api-key`; `customEventId` (int32) required; exactly one customer
identifier within its length limit; `dataFields` items {name, type, value} with a known type, a
string value in that type's format, declared on the event (required ones present); unknown event,
customer or segment → 404. Errors are problem details. Every accepted event is recorded, per
customer, for tests and demos (`/_sandbox/ecdp/events`).

ASSUMPTIONS (the seed is silent): several identifiers in one call → 400; data fields must be
declared on the event with the same type; Date is YYYY-MM-DD, DateTime ISO-8601 with a time,
Boolean true/false, Number a decimal, Money a decimal with at most 2 decimals, URL http(s).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote, urlparse

from .ecdp_seed import EVENTS, CustomEvent, build_customers, build_segments

DEMO_API_KEY = "sandbox-ecdp-key"
PREFIX = "/ecdp"
INT32_MAX = 2**31 - 1
# Body field → (max length, how a customer is matched).
IDENTIFIERS: dict[str, int] = {
    "customerId": 20,
    "customerEmail": 320,
    "customerEmailMd5": 32,
    "customerEmailSha256": 64,
    "customerPhone": 20,
    "customerCrmId": 128,
}
TYPES = ("String", "Text", "Number", "Money", "Date", "DateTime", "Boolean", "URL")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_MONEY = re.compile(r"-?\d+(\.\d{1,2})?")

Answer = tuple[int, dict[str, Any] | None, list[tuple[str, str]]]


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, errors: list[str] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


def problem_body(
    status: int, title: str, detail: str, errors: list[str] | None = None, instance: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://httpstatuses.io/{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if status == 400:
        body["substatus"] = "CustomerInvalidModelState"
        body["errors"] = errors or [detail]
    return body


def is_ecdp_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _value_problem(field_type: str, value: str) -> str:
    """Why `value` is not a `field_type` value ("" when it is)."""
    if field_type in ("String", "Text"):
        return ""
    if field_type == "Number":
        return "" if _NUMBER.fullmatch(value) else "is not a number"
    if field_type == "Money":
        return "" if _MONEY.fullmatch(value) else "is not an amount (at most 2 decimals)"
    if field_type == "Date":
        try:
            date.fromisoformat(value)
            return "" if len(value) == 10 else "is not a date (YYYY-MM-DD)"
        except ValueError:
            return "is not a date (YYYY-MM-DD)"
    if field_type == "DateTime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "" if "T" in value else "is not an ISO-8601 date-time"
        except ValueError:
            return "is not an ISO-8601 date-time"
    if field_type == "Boolean":
        return "" if value.lower() in ("true", "false") else "is not true or false"
    if field_type == "URL":
        parsed = urlparse(value)
        ok = parsed.scheme in ("http", "https") and bool(parsed.netloc)
        return "" if ok else "is not an absolute http(s) URL"
    return "has an unknown type"


class EcdpSandbox:
    def __init__(self, *, seed: int, clock: Callable[[], float]) -> None:
        self.seed = seed
        self.api_keys = (DEMO_API_KEY,)
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.customers = build_customers(random.Random(self.seed))
            self.events = {e.id: e for e in EVENTS}
            self.segments = {s.id: s for s in build_segments(self.customers)}
            self._by = {
                "id": {str(c.id): c for c in self.customers},
                "email": {c.email: c for c in self.customers},
                "phone": {c.phone: c for c in self.customers},
                "crmId": {c.crm_id: c for c in self.customers},
                "md5": {hashlib.md5(c.email.encode()).hexdigest(): c for c in self.customers},
                "sha256": {hashlib.sha256(c.email.encode()).hexdigest(): c for c in self.customers},
            }
            self.accepted: list[dict[str, Any]] = []

    # --- control (/_sandbox/ecdp/…) -------------------------------------------------------------

    def catalogue(self) -> dict[str, Any]:
        return {
            "events": [e.as_json() for e in self.events.values()],
            "segments": [s.as_json() for s in self.segments.values()],
            "customers": len(self.customers),
        }

    def recorded(self, *, event_id: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows = list(self.accepted)
        return [r for r in rows if event_id is None or r["customEventId"] == event_id]

    def control(self, method: str, path: str, query: dict[str, str]) -> Answer | None:
        if method != "GET":
            return None
        if path == "/_sandbox/ecdp/catalogue":
            return 200, self.catalogue(), []
        if path == "/_sandbox/ecdp/events":
            event = query.get("customEventId", "")
            rows = self.recorded(event_id=int(event) if event.isdigit() else None)
            return 200, {"count": len(rows), "events": rows}, []
        if path == "/_sandbox/ecdp/customers":
            return 200, {"customers": [c.as_json() for c in self.customers[:50]]}, []
        return None

    # --- the API --------------------------------------------------------------------------------

    def dispatch(self, environ: dict[str, Any], path: str, body: bytes) -> Answer:
        """Answer one request to `path` (under /ecdp); every error is a problem detail."""
        route = path.removeprefix(PREFIX).rstrip("/") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            handler, args = self._route(method, route)
            key = environ.get("HTTP_X_API_KEY", "")
            if key not in self.api_keys:
                raise Problem(401, "Unauthorized", "The x-api-key header is missing or invalid.")
            return handler(body, *args)
        except Problem as exc:
            answer = problem_body(exc.status, exc.title, exc.detail, exc.errors, instance=route)
            headers = [("Allow", "GET, POST")] if exc.status == 405 else []
            return exc.status, answer, headers

    def _route(self, method: str, route: str) -> tuple[Callable[..., Answer], tuple[str, ...]]:
        posts = {
            "/scenariocustomevents": self._event,
            "/scenariocustomevents/withsegments": self._with_segments,
        }
        if route in posts:
            if method != "POST":
                raise Problem(405, "Method Not Allowed", f"{method} is not allowed here.")
            return posts[route], ()
        match = re.fullmatch(r"/customers/(id|email|phone|crmId)/([^/]+)", route)
        if match:
            if method != "GET":
                raise Problem(405, "Method Not Allowed", f"{method} is not allowed here.")
            return self._customer, (match.group(1), unquote(match.group(2)))
        raise Problem(404, "Not Found", f"No ECDP resource {route}.")

    def _customer(self, body: bytes, kind: str, value: str) -> Answer:
        if kind == "email":
            value = value.lower()
        customer = self._by[kind].get(value)
        if customer is None:
            raise Problem(404, "Not Found", f"Customer with {kind} {value} was not found.")
        return 200, {"data": customer.as_json()}, []

    def _parse(self, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, "Bad Request", "The body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise Problem(400, "Bad Request", "The body must be a JSON object.")
        return data

    def _event_of(self, data: dict[str, Any]) -> CustomEvent:
        event_id = data.get("customEventId")
        if event_id is None:
            raise Problem(400, "Bad Request", "customEventId is required.")
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise Problem(400, "Bad Request", "customEventId must be an integer (int32).")
        if not -INT32_MAX - 1 <= event_id <= INT32_MAX:
            raise Problem(400, "Bad Request", "customEventId is out of the int32 range.")
        return self._known_event(event_id, data)

    def _known_event(self, event_id: int, data: dict[str, Any]) -> CustomEvent:
        fields = data.get("dataFields")
        errors = self._shape_errors(fields)
        if errors:
            raise Problem(400, "Bad Request", "One or more data fields are invalid.", errors)
        event = self.events.get(event_id)
        if event is None:
            raise Problem(404, "Not Found", f"Custom event {event_id} was not found.")
        errors = self._declared_errors(event, fields or [])
        if errors:
            raise Problem(400, "Bad Request", "The data fields do not match the event.", errors)
        return event

    def _shape_errors(self, fields: Any) -> list[str]:
        if fields is None:
            return []
        if not isinstance(fields, list):
            return ["dataFields must be an array."]
        errors = []
        for n, item in enumerate(fields):
            where = f"dataFields[{n}]"
            if not isinstance(item, dict):
                errors.append(f"{where} must be an object with name, type and value.")
                continue
            name, kind, value = item.get("name"), item.get("type"), item.get("value")
            if not isinstance(name, str) or not name:
                errors.append(f"{where}.name is required.")
            if kind not in TYPES:
                errors.append(f"{where}.type must be one of {', '.join(TYPES)}.")
            if not isinstance(value, str):
                errors.append(f"{where}.value must be a string.")
            elif kind in TYPES and (why := _value_problem(kind, value)):
                errors.append(f"{where}.value “{value}” {why}.")
        return errors

    def _declared_errors(self, event: CustomEvent, fields: list[dict[str, Any]]) -> list[str]:
        declared = {name: (kind, required) for name, kind, required in event.fields}
        errors, seen = [], set()
        for item in fields:
            name = item["name"]
            if name in seen:
                errors.append(f"Data field {name} is given twice.")
            seen.add(name)
            if name not in declared:
                errors.append(f"Data field {name} is not declared on custom event {event.id}.")
            elif declared[name][0] != item["type"]:
                errors.append(f"Data field {name} is of type {declared[name][0]}.")
        for name, (_, required) in declared.items():
            if required and name not in seen:
                errors.append(f"Data field {name} is required by custom event {event.id}.")
        return errors

    def _identifier(self, data: dict[str, Any]) -> tuple[str, str]:
        given = [(k, data[k]) for k in IDENTIFIERS if data.get(k) not in (None, "")]
        if not given:
            raise Problem(400, "Bad Request", "One customer identifier is required.")
        if len(given) > 1:
            names = ", ".join(k for k, _ in given)
            raise Problem(400, "Bad Request", f"Give exactly one customer identifier, not {names}.")
        name, value = given[0]
        if name == "customerId" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # the seed's sample sends a number, its table says string
        if not isinstance(value, str):
            raise Problem(400, "Bad Request", f"{name} must be a string.")
        if len(value) > IDENTIFIERS[name]:
            raise Problem(
                400, "Bad Request", f"{name} is longer than {IDENTIFIERS[name]} characters."
            )
        return name, value

    def _find(self, name: str, value: str):  # -> Customer
        index = {
            "customerId": "id",
            "customerEmail": "email",
            "customerEmailMd5": "md5",
            "customerEmailSha256": "sha256",
            "customerPhone": "phone",
            "customerCrmId": "crmId",
        }[name]
        key = value.lower() if index in ("email", "md5", "sha256") else value
        customer = self._by[index].get(key)
        if customer is None:
            raise Problem(404, "Not Found", f"Customer with {name} {value} was not found.")
        return customer

    def _record(self, event: CustomEvent, customer_ids: list[int], data: dict, via: str) -> None:
        at = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields = {f["name"]: f["value"] for f in data.get("dataFields") or []}
        with self._lock:
            for customer_id in customer_ids:
                self.accepted.append(
                    {
                        "customEventId": event.id,
                        "customerId": customer_id,
                        "dataFields": fields,
                        "via": via,
                        "at": at,
                    }
                )

    def _event(self, body: bytes) -> Answer:
        data = self._parse(body)
        name, value = self._identifier(data)
        event = self._event_of(data)
        customer = self._find(name, value)
        self._record(event, [customer.id], data, via=name)
        return 201, None, []

    def _with_segments(self, body: bytes) -> Answer:
        data = self._parse(body)
        segments = data.get("segments")
        if not isinstance(segments, list) or not segments:
            raise Problem(400, "Bad Request", "segments must be a non-empty array of ids.")
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in segments):
            raise Problem(400, "Bad Request", "Every segment id must be an integer (int32).")
        event = self._event_of(data)
        unknown = [s for s in segments if s not in self.segments]
        if unknown:
            raise Problem(404, "Not Found", f"Segment {unknown[0]} was not found.")
        members: set[int] = set()
        for segment_id in segments:
            members |= self.segments[segment_id].members
        # A customer in two of the segments gets the event once.
        via = "segments " + ",".join(str(s) for s in segments)
        self._record(event, sorted(members), data, via=via)
        return 201, None, []
