"""Configuration of the ACTITO sandbox (the simulator of docs/reference/actito-api.md §10)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

DEMO_API_KEY = "sandbox-demo-key"
DEMO_ENTITY = "actito"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything an operator may tune. Defaults follow the ACTITO limits of spec §9."""

    api_keys: tuple[str, ...] = (DEMO_API_KEY,)
    token_ttl_seconds: int = 900
    max_concurrent: int = 5
    daily_imports_per_table: int = 12
    max_file_bytes: int = 100 * 1024 * 1024
    # An execution stays IN_PROGRESS for execution_seconds + rows * ms_per_1000 / 1000 / 1000;
    # both at 0 make it terminal on the first read.
    execution_seconds: float = 5.0
    execution_ms_per_1000_rows: float = 500.0
    # Spec §9: calls over the per-minute budget are slowed down, not rejected. None = off.
    calls_per_minute_throttle: int | None = None
    seed: int = 1234
    # ASSUMPTION (spec §9 "optional Retry-After header, default off"): seconds to announce on 429.
    retry_after_seconds: int | None = None
    # Strict: refuse requests that stray from what ACTITO's documents show, with the status ACTITO
    # documents (a trigger without `Content-Type: application/json` → 415, a JSON-only `Accept`
    # on a file route → 406). On in the tests, so our client can never drift unseen; the demo
    # may stay lenient.
    strict: bool = False
    # Pages scenario lists even when the caller asks for no page (ACTITO's paging is undocumented;
    # tests choose it): {"workflows": [...], "page", "pageSize", "totalElements", "totalPages"}.
    scenario_page_size: int | None = None
    # Tests choose how a real licence might differ where the documents are silent: the word an
    # execution reports while it runs, and the shape of error bodies ("message": {"status",
    # "error", "message"}; "errors": {"errors": [{"message"}]}; "plain": text/plain).
    in_progress_word: str = "IN_PROGRESS"
    error_shape: str = "message"

    def updated(self, changes: dict[str, Any]) -> SandboxConfig:
        """A copy with `changes` applied; raises ValueError on unknown fields or wrong types."""
        fields = {field.name: field for field in dataclasses.fields(self)}
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in fields:
                raise ValueError(f"unknown config field {name!r}")
            clean[name] = _coerce(name, value)
        return dataclasses.replace(self, **clean)


_OPTIONAL_INTS = {"calls_per_minute_throttle", "retry_after_seconds", "scenario_page_size"}
_INTS = {"token_ttl_seconds", "max_concurrent", "daily_imports_per_table", "max_file_bytes", "seed"}
_FLOATS = {"execution_seconds", "execution_ms_per_1000_rows"}


def _coerce(name: str, value: Any) -> Any:
    if name == "in_progress_word":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("in_progress_word must be a non-empty string")
        return value
    if name == "error_shape":
        if value not in ("message", "errors", "plain"):
            raise ValueError("error_shape must be message, errors or plain")
        return value
    if name == "strict":
        if not isinstance(value, bool):
            raise ValueError("strict must be true or false")
        return value
    # JSON gives us ints/floats/lists; refuse booleans so `true` never becomes 1 silently.
    if name == "api_keys":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise ValueError("api_keys must be a list of non-empty strings")
        return tuple(value)
    if name in _OPTIONAL_INTS and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    if name in _FLOATS:
        return float(value)
    if name in _INTS | _OPTIONAL_INTS:
        if int(value) != value:
            raise ValueError(f"{name} must be an integer")
        return int(value)
    raise ValueError(f"unknown config field {name!r}")
