"""The effective settings of an ECDP business unit, and clients wired to the governor.

Limits are per API key (ECDP documents none: defaults are settings). The governor is the one
ACTITO uses, with its own scope per business unit key, so every process shares the limits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import httpx
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.utils.translation import gettext as _

from actito_admin.actito.connection import decrypt_secret
from actito_admin.actito.governor import Governor, Limits, default_backend

from .client import EcdpClient, EcdpError
from .models import BusinessUnit

# Same value as actito_admin.sandbox.ecdp.DEMO_API_KEY (not imported: the sandbox is optional).
SANDBOX_API_KEY = "sandbox-ecdp-key"
SANDBOX_PATH = "/ecdp"


@dataclass(frozen=True)
class EffectiveBusinessUnit:
    pk: int
    label: str
    base_url: str
    api_key: str = field(repr=False)
    calls_per_minute: int
    max_in_flight: int
    timeout_seconds: float
    is_sandbox: bool = False
    problems: tuple[str, ...] = ()

    @property
    def is_configured(self) -> bool:
        return bool(self.base_url and self.api_key)

    @property
    def problem(self) -> str:
        """Plain words when nothing can be sent, else ""."""
        if self.problems:
            return " ".join(self.problems)
        if not self.is_configured:
            return _(
                "The ECDP business unit “%(unit)s” has no API key yet. An administrator "
                "can set it on the ECDP settings page."
            ) % {"unit": self.label}
        return ""

    @property
    def scope(self) -> str:
        """The governor's scope: ECDP limits hold per API key."""
        key = hashlib.sha256(self.api_key.encode()).hexdigest()
        raw = f"ecdp|{self.base_url.rstrip('/').lower()}|{key}"
        return "ecdp:" + hashlib.sha256(raw.encode()).hexdigest()[:32]

    def limits(self) -> Limits:
        return Limits(calls_per_minute=self.calls_per_minute, max_in_flight=self.max_in_flight)


def effective(unit: BusinessUnit) -> EffectiveBusinessUnit:
    problems: list[str] = []
    api_key = ""
    if unit.api_key_encrypted:
        try:
            api_key = decrypt_secret(unit.api_key_encrypted)
        except InvalidToken:
            problems.append(
                _(
                    "The stored API key of “%(unit)s” cannot be decrypted (the encryption key "
                    "changed). Enter the key again."
                )
                % {"unit": unit.label}
            )
    base_url = unit.base_url.strip().rstrip("/")
    is_sandbox = False
    if not base_url and not unit.api_key_encrypted and settings.SANDBOX_URL:
        is_sandbox = True
        base_url = settings.SANDBOX_URL.rstrip("/") + SANDBOX_PATH
        api_key = SANDBOX_API_KEY
    elif not base_url:
        base_url = settings.ECDP_BASE_URL
    return EffectiveBusinessUnit(
        pk=unit.pk,
        label=unit.label,
        base_url=base_url,
        api_key=api_key,
        calls_per_minute=unit.calls_per_minute or settings.ECDP_CALLS_PER_MINUTE,
        max_in_flight=unit.max_in_flight or settings.ECDP_MAX_IN_FLIGHT,
        timeout_seconds=unit.timeout_seconds or settings.ECDP_TIMEOUT_SECONDS,
        is_sandbox=is_sandbox,
        problems=tuple(problems),
    )


def get_governor(unit: EffectiveBusinessUnit, *, max_wait_seconds: float = 30.0) -> Governor:
    return Governor(
        scope=unit.scope,
        limits=unit.limits(),
        backend=default_backend(),
        max_wait_seconds=max_wait_seconds,
    )


def build_client(
    unit: EffectiveBusinessUnit,
    *,
    transport: httpx.BaseTransport | None = None,
    max_wait_seconds: float = 30.0,
    max_attempts: int = 3,
) -> EcdpClient:
    if unit.problem:
        raise EcdpError(f"ECDP business unit {unit.pk} not usable", user_message=unit.problem)
    return EcdpClient(
        base_url=unit.base_url,
        api_key=unit.api_key,
        governor=get_governor(unit, max_wait_seconds=max_wait_seconds),
        timeout_seconds=unit.timeout_seconds,
        transport=transport,
        max_attempts=max_attempts,
    )
