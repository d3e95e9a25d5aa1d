"""Typed results of ACTITO calls, parsed tolerantly.

The spec (docs/reference/actito-api.md) marks many response shapes as ASSUMPTION. Parsers here
accept the documented shape and the plausible variants (object or list, numbers or strings), keep
every id as a string (§3) and always keep the raw JSON so that callers can log what ACTITO really
sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _

# A trailing "-<uuid>" or "<uuid>" that ACTITO appends to a scenario's display name (§6.1).
_UUID_SUFFIX = re.compile(
    r"-?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _bool(value: Any) -> bool:
    # ACTITO writes booleans as JSON booleans in v5 and as "true"/"false" strings in v4 bodies.
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y"}
    return bool(value)


def _list_under(data: Any, *keys: str) -> list[Any]:
    """The list at the first present key, or `data` itself when it already is a list."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, list):
                return value
    return []


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    expires_in: float


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    comment: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entity:
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            comment=_str_or_none(data.get("comment")),
        )


def parse_entities(data: Any) -> list[Entity]:
    items = _list_under(data, "entities")
    return [Entity.from_json(item) for item in items if isinstance(item, dict)]


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    value_type: str | None
    unique: bool
    mandatory: bool
    multi_valued: bool = False
    max_length: int | None = None
    label: str = ""  # the display name marketers know it by (§4.2 displayOptions), if any

    @classmethod
    def from_json(cls, data: dict[str, Any], *, label: str = "") -> Attribute:
        restriction = data.get("valueRestriction") or {}
        max_length = restriction.get("maxLength") if isinstance(restriction, dict) else None
        return cls(
            name=str(data.get("name", "")),
            type=str(data.get("type") or "CUSTOM"),
            value_type=_str_or_none(data.get("valueType")),
            unique=_bool(data.get("unique", False)),
            mandatory=_bool(data.get("mandatory", False)),
            multi_valued=_bool(data.get("multiValued", False)),
            max_length=int(str(max_length)) if str(max_length).isdigit() else None,
            label=label,
        )


@dataclass(frozen=True)
class Subscription:
    name: str


@dataclass(frozen=True)
class Segmentation:
    name: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableStructure:
    """A profile table. `id` is what ETL destinations need (§7.3); `name` is what v4 routes need."""

    id: str
    name: str
    attributes: tuple[Attribute, ...]
    subscriptions: tuple[Subscription, ...] = ()
    segmentations: tuple[Segmentation, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key_attributes(self) -> tuple[Attribute, ...]:
        """Attributes usable as `key=value` profile references and for matching (unique ones)."""
        return tuple(a for a in self.attributes if a.unique)

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableStructure:
        display = data.get("displayOptions") or {}
        labels = {
            d.get("name"): str(d.get("description") or "")
            for d in (display.get("forAttributes") if isinstance(display, dict) else None) or []
            if isinstance(d, dict)
        }
        subscriptions = []
        for item in data.get("subscriptions") or []:
            name = item.get("name") if isinstance(item, dict) else item
            if name:
                subscriptions.append(Subscription(name=str(name)))
        segmentations = []
        for item in data.get("segmentations") or []:
            if isinstance(item, dict) and item.get("name"):
                categories = item.get("categories") or []
                names = tuple(
                    str(c.get("name", "")) if isinstance(c, dict) else str(c) for c in categories
                )
                segmentations.append(Segmentation(name=str(item["name"]), categories=names))
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            attributes=tuple(
                Attribute.from_json(a, label=labels.get(a.get("name"), ""))
                for a in data.get("attributes") or []
                if isinstance(a, dict)
            ),
            subscriptions=tuple(subscriptions),
            segmentations=tuple(segmentations),
            raw=data,
        )


def parse_tables(data: Any) -> list[TableStructure]:
    items = _list_under(data, "profileTables", "profileTableStructures", "tables", "items")
    return [TableStructure.from_json(item) for item in items if isinstance(item, dict)]


@dataclass(frozen=True)
class ProfileRef:
    """How to address one profile: its numeric profileId or a unique `attribute=value` (§5.1)."""

    profile_id: str | None = None
    attribute: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if self.profile_id is not None:
            if not str(self.profile_id).strip().isdigit():
                raise ValueError(_("A profileId is a whole number."))
        elif not self.attribute or self.value is None or self.value == "":
            raise ValueError(_("Give a profileId or a key attribute with a value."))

    @classmethod
    def parse(cls, text: str) -> ProfileRef:
        """'147471' or 'emailAddress=john@x.com' (split on the first '=', as ACTITO does)."""
        text = text.strip()
        if "=" in text:
            attribute, value = text.split("=", 1)
            return cls(attribute=attribute.strip(), value=value.strip())
        return cls(profile_id=text)

    def path_segment(self) -> str:
        # '=' stays literal; the value is percent-encoded as a path segment (§5.1 ASSUMPTION), so
        # '/', '?', '#', '+' and spaces inside an e-mail or customer id cannot change the route.
        if self.profile_id is not None:
            return str(self.profile_id).strip()
        return f"{quote(str(self.attribute), safe='')}={quote(str(self.value), safe='')}"

    def __str__(self) -> str:
        if self.profile_id is not None:
            return str(self.profile_id)
        return f"{self.attribute}={self.value}"


@dataclass(frozen=True)
class Profile:
    attributes: dict[str, str | None]
    subscriptions: dict[str, bool]
    segmentations: dict[str, str | None]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def profile_id(self) -> str | None:
        return self.attributes.get("profileId")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        attributes: dict[str, str | None] = {}
        raw_attributes = data.get("attributes") or []
        if isinstance(raw_attributes, dict):  # tolerate {"name": value}
            raw_attributes = [{"name": k, "value": v} for k, v in raw_attributes.items()]
        for item in raw_attributes:
            if isinstance(item, dict) and "name" in item:
                attributes[str(item["name"])] = _str_or_none(item.get("value"))
        subscriptions = {
            str(item["name"]): _bool(item.get("subscribe", item.get("subscribed", False)))
            for item in data.get("subscriptions") or []
            if isinstance(item, dict) and "name" in item
        }
        segmentations: dict[str, str | None] = {}
        for item in data.get("segmentations") or []:
            if not isinstance(item, dict):
                continue
            seg: dict[str, Any] = (
                item["segmentation"] if isinstance(item.get("segmentation"), dict) else item
            )
            if seg.get("name") and _bool(item.get("belongs", True)):
                segmentations[str(seg["name"])] = _str_or_none(seg.get("category"))
        return cls(attributes, subscriptions, segmentations, raw=data)


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    is_start_event_triggered: bool
    is_active: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        """The technical name without ACTITO's generated UUID suffix (a heuristic, §6.1)."""
        return _UUID_SUFFIX.sub("", self.name) or self.name

    @property
    def triggerable(self) -> bool:
        return self.is_active and self.is_start_event_triggered

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scenario:
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            is_start_event_triggered=_bool(data.get("isStartEventTriggered", False)),
            is_active=_bool(data.get("isActive", False)),
            raw=data,
        )


def parse_scenarios(data: Any) -> list[Scenario]:
    items = _list_under(data, "workflows", "scenarios", "items")
    return [Scenario.from_json(item) for item in items if isinstance(item, dict)]


def more_pages(data: Any, *, page: int, seen: int) -> bool | None:
    """Whether a list answer says there is more after this page (0-based `page`, `seen` items
    so far); None when it shows no paging at all (ACTITO's paging is undocumented: we read the
    usual spellings and follow whichever is there)."""
    if not isinstance(data, dict):
        return None
    for key in ("hasNext", "hasMore"):
        if isinstance(data.get(key), bool):
            return bool(data[key])
    if isinstance(data.get("last"), bool):
        return not data["last"]
    links = data.get("_links")
    if isinstance(data.get("next"), str) or (isinstance(links, dict) and "next" in links):
        return True
    if isinstance(data.get("totalPages"), int):
        return page + 1 < data["totalPages"]
    for key in ("totalElements", "total", "totalCount", "count"):
        if isinstance(data.get(key), int) and not isinstance(data.get(key), bool):
            return seen < data[key]
    return None


def expected_total(data: Any) -> int | None:
    if isinstance(data, dict):
        for key in ("totalElements", "total", "totalCount"):
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


@dataclass(frozen=True)
class TriggerResult:
    interaction_business_key: str | None
    raw: Any = field(default=None, repr=False, compare=False)


TERMINAL_EXECUTION_STATUSES = frozenset({"FINISHED", "FAILED", "SUCCESS", "WITH_ERROR"})


@dataclass(frozen=True)
class Execution:
    id: str
    status: str
    type: str | None = None
    start_moment: str | None = None
    end_moment: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        """Only a word the documents give for an end ends the import (seed 002: "IN_PROGRESS
        until it is FINISHED or FAILED"; webhooks say SUCCESS / WITH_ERROR). Anything else is
        shown as it is and followed further."""
        return self.status.upper() in TERMINAL_EXECUTION_STATUSES

    @classmethod
    def from_json(cls, data: dict[str, Any], *, fallback_id: str = "") -> Execution:
        return cls(
            id=str(data.get("id", fallback_id) or fallback_id),
            status=str(data.get("status") or data.get("executionStatus") or ""),
            type=_str_or_none(data.get("type")),
            start_moment=_str_or_none(data.get("startMoment")),
            end_moment=_str_or_none(data.get("endMoment")),
            raw=data,
        )


@dataclass(frozen=True)
class ExecutionStarted:
    execution_id: str
    raw: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class IntegrationCounters:
    destination_type: str | None
    destination_id: str | None
    read: int | None = None
    errors: int | None = None
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None


# Counter names are not public (§7.5): pick them by key substring, most specific first.
_COUNTER_SUBSTRINGS = (
    ("inserted", "insert"),
    ("updated", "update"),
    ("deleted", "delete"),
    ("errors", "error"),
    ("read", "read"),
)


def _counters_from(item: dict[str, Any]) -> IntegrationCounters:
    found: dict[str, int] = {}
    for key, value in item.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            continue
        if isinstance(value, str) and not value.strip().isdigit():
            continue
        lowered = key.lower()
        for field_name, needle in _COUNTER_SUBSTRINGS:
            if needle in lowered and field_name not in found:
                found[field_name] = int(value)
                break
    destination: dict[str, Any] = (
        item["destination"] if isinstance(item.get("destination"), dict) else {}
    )
    return IntegrationCounters(
        destination_type=_str_or_none(destination.get("type")),
        destination_id=_str_or_none(destination.get("id")),
        **found,
    )


@dataclass(frozen=True)
class IntegrationResults:
    status: str
    error: str | None
    results: tuple[IntegrationCounters, ...]
    raw: Any = field(default=None, repr=False, compare=False)

    def total(self, counter: str) -> int | None:
        values = [getattr(r, counter) for r in self.results if getattr(r, counter) is not None]
        return sum(values) if values else None

    @property
    def failed(self) -> bool:
        return self.status.upper() == "FAILED"

    @classmethod
    def from_json(cls, data: Any) -> IntegrationResults:
        if not isinstance(data, dict):
            data = {"integrationResults": data}
        raw_results = data.get("integrationResults")
        if isinstance(raw_results, dict):
            items = [raw_results]
        elif isinstance(raw_results, list):
            items = [i for i in raw_results if isinstance(i, dict)]
        elif any(k.lower().endswith("lines") for k in data):  # counters at the top level
            items = [data]
        else:
            items = []
        error = data.get("error")
        if isinstance(error, dict):  # tolerate {"error": {"code": …, "message": …}}
            error = error.get("code") or error.get("message")
        return cls(
            status=str(data.get("status") or ""),
            error=_str_or_none(error),
            results=tuple(_counters_from(i) for i in items),
            raw=data,
        )


@dataclass(frozen=True)
class OutputFiles:
    """Where the output files of an execution were saved, and what ACTITO sent."""

    path: Path
    content_type: str
    filename: str | None
    size: int

    @property
    def is_listing(self) -> bool:
        # §7.6: a JSON answer is a file listing, shown raw.
        return "json" in self.content_type
