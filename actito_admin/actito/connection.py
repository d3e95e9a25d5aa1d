"""The effective ACTITO connection: database settings, then environment, then the sandbox.

Everything that talks to ACTITO gets its client from `build_client()`, so every call is wired to
the governor of that connection.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import httpx
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _

from .client import ActitoClient, connection_fingerprint
from .errors import ActitoError
from .governor import CacheHolds, Governor, Limits, default_backend
from .models import ENVIRONMENT_URLS, Connection, Environment, PathStyle

DEFAULT_NAME = "default"
# Same values as actito_admin.sandbox.config (DEMO_API_KEY, DEMO_ENTITY); not imported so that
# this module works whether or not the sandbox app is installed.
SANDBOX_API_KEY = "sandbox-demo-key"
SANDBOX_ENTITY = "actito"

DATABASE = "settings page"
ENVIRONMENT = "environment"
SANDBOX = "built-in sandbox"


# --- secrets at rest ---------------------------------------------------------------------------


def _as_fernet_key(material: str, *, purpose: str) -> bytes:
    try:
        Fernet(material.encode())
        return material.encode()
    except ValueError:
        # Not a Fernet key: derive one, so any long random string works as FIELD_ENCRYPTION_KEY.
        digest = hashlib.sha256(f"actito-admin:{purpose}:{material}".encode()).digest()
        return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    keys = []
    if settings.FIELD_ENCRYPTION_KEY:
        keys.append(Fernet(_as_fernet_key(settings.FIELD_ENCRYPTION_KEY, purpose="field")))
    # Always able to read what was stored before FIELD_ENCRYPTION_KEY was set.
    keys.append(Fernet(_as_fernet_key(settings.SECRET_KEY, purpose="secret-key")))
    return MultiFernet(keys)


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def rotate_secret(token: str) -> str:
    """The same secret, encrypted with the first (current) key."""
    return _fernet().rotate(token.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The clear text, or raise InvalidToken (e.g. the encryption key changed)."""
    return _fernet().decrypt(token.encode()).decode()


# --- the effective connection ------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveConnection:
    name: str
    base_url: str
    entity: str
    api_key: str = field(repr=False)
    calls_per_minute: int
    max_in_flight: int
    daily_imports_per_table: int
    path_style: str
    timeout_seconds: float
    # For each of base_url, entity, api_key: where its value came from (shown on the page).
    sources: dict[str, str] = field(default_factory=dict)
    is_sandbox: bool = False
    problems: tuple[str, ...] = ()

    @property
    def is_configured(self) -> bool:
        return bool(self.base_url and self.entity and self.api_key)

    @property
    def missing_names(self) -> list[str]:
        """The settings still missing, by name (for logs)."""
        return [name for name in ("base_url", "entity", "api_key") if not getattr(self, name)]

    @property
    def missing(self) -> list[str]:
        """The settings still missing, as people read them."""
        labels = {
            "base_url": _("environment / base URL"),
            "entity": _("entity"),
            "api_key": _("API key"),
        }
        return [labels[name] for name in self.missing_names]

    @property
    def not_set_up(self) -> str:
        """What a marketer reads when the connection is incomplete ("" when it is complete)."""
        if self.is_configured:
            return ""
        return _(
            "The ACTITO connection is not set up yet (missing: %(missing)s). "
            "An administrator can complete it on the Settings page."
        ) % {"missing": ", ".join(self.missing)}

    @property
    def api_key_hint(self) -> str:
        # Short keys are shown as "set" only: their last 4 would give most of them away.
        if len(self.api_key) >= 8:
            return f"…{self.api_key[-4:]}"
        # Translators: an API key is stored (too short to show its end).
        return _("set") if self.api_key else ""

    @property
    def scope(self) -> str:
        """The governor's scope: limits are per licence, whichever key is in use."""
        return connection_fingerprint(self.base_url, self.entity)

    def limits(self) -> Limits:
        return Limits(
            calls_per_minute=self.calls_per_minute,
            max_in_flight=self.max_in_flight,
            daily_imports_per_table=self.daily_imports_per_table,
        )


def _base_url_of(row: Connection | None) -> str:
    if row is None or not row.environment:
        return ""
    if row.environment == Environment.CUSTOM:
        return row.custom_base_url.strip().rstrip("/")
    return ENVIRONMENT_URLS.get(row.environment, "")


def get_connection(name: str = DEFAULT_NAME) -> EffectiveConnection:
    row = Connection.objects.filter(name=name).first()
    problems: list[str] = []
    sources: dict[str, str] = {}

    base_url = _base_url_of(row)
    sources["base_url"] = DATABASE if base_url else ""
    if not base_url and settings.ACTITO_BASE_URL:
        base_url, sources["base_url"] = settings.ACTITO_BASE_URL.rstrip("/"), ENVIRONMENT

    entity = row.entity.strip() if row else ""
    sources["entity"] = DATABASE if entity else ""
    if not entity and settings.ACTITO_ENTITY:
        entity, sources["entity"] = settings.ACTITO_ENTITY, ENVIRONMENT

    api_key = ""
    if row and row.api_key_encrypted:
        try:
            api_key, sources["api_key"] = decrypt_secret(row.api_key_encrypted), DATABASE
        except InvalidToken:
            problems.append(
                _(
                    "The stored API key cannot be decrypted (the encryption key changed). "
                    "Enter the key again."
                )
            )
    if not api_key and settings.ACTITO_API_KEY:
        api_key, sources["api_key"] = settings.ACTITO_API_KEY, ENVIRONMENT
    sources.setdefault("api_key", "")

    is_sandbox = False
    if not base_url and not api_key and settings.SANDBOX_URL:
        # Nothing configured: the demo runs against the built-in sandbox.
        is_sandbox = True
        base_url, api_key = settings.SANDBOX_URL.rstrip("/"), SANDBOX_API_KEY
        sources["base_url"] = sources["api_key"] = SANDBOX
        if not entity:
            entity, sources["entity"] = SANDBOX_ENTITY, SANDBOX

    def limit(value: int | None, default: int) -> int:
        return value if value else default

    return EffectiveConnection(
        name=name,
        base_url=base_url,
        entity=entity,
        api_key=api_key,
        calls_per_minute=limit(
            row.calls_per_minute if row else None, settings.ACTITO_CALLS_PER_MINUTE
        ),
        max_in_flight=limit(row.max_in_flight if row else None, settings.ACTITO_MAX_IN_FLIGHT),
        daily_imports_per_table=limit(
            row.daily_imports_per_table if row else None, settings.ACTITO_DAILY_IMPORTS_PER_TABLE
        ),
        path_style=(row.path_style if row and row.path_style else PathStyle.SERVICE),
        timeout_seconds=(row.timeout_seconds if row and row.timeout_seconds else None)
        or settings.ACTITO_TIMEOUT_SECONDS,
        sources=sources,
        is_sandbox=is_sandbox,
        problems=tuple(problems),
    )


def is_sandbox() -> bool:
    """True when the console talks to the built-in sandbox (the header shows a badge)."""
    return get_connection().is_sandbox


def get_governor(
    connection: EffectiveConnection | None = None, *, max_wait_seconds: float = 30.0
) -> Governor:
    connection = connection or get_connection()
    return Governor(
        scope=connection.scope,
        limits=connection.limits(),
        backend=default_backend(),
        max_wait_seconds=max_wait_seconds,
        holds=CacheHolds(),
    )


def build_client(
    connection: EffectiveConnection | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    max_wait_seconds: float = 30.0,
    max_attempts: int = 3,
) -> ActitoClient:
    """A client for the effective connection, every call gated by its governor.

    `max_wait_seconds` bounds how long a call waits for a governor slot: keep it short in web
    requests, longer in background tasks.
    """
    connection = connection or get_connection()
    if not connection.is_configured:
        missing = ", ".join(connection.missing_names)
        raise ActitoError(
            f"ACTITO connection {connection.name} incomplete: missing {missing}",
            user_message=connection.not_set_up,
        )
    return ActitoClient(
        base_url=connection.base_url,
        api_key=connection.api_key,
        entity=connection.entity,
        governor=get_governor(connection, max_wait_seconds=max_wait_seconds),
        path_style=connection.path_style,
        timeout_seconds=connection.timeout_seconds,
        transport=transport,
        max_attempts=max_attempts,
    )
