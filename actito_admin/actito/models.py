"""The ACTITO connection settings, connection checks and the governor's shared state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Known ACTITO hosts (spec §1.1). Values are what the form stores; labels are what people read.
ENVIRONMENT_URLS: dict[str, str] = {
    "api": "https://api.actito.com",
    "api1": "https://api1.actito.com",
    "api3": "https://api3.actito.com",
    "api-pre1": "https://api-pre1.actito.com",
    "apitest": "https://apitest.actito.com",
}


class Environment(models.TextChoices):
    UNSET = "", _("Not set (use the environment variable or the sandbox)")
    API = "api", _("Production ENV-0 (api.actito.com)")
    API1 = "api1", _("Production ENV-1 (api1.actito.com)")
    API3 = "api3", _("Production ENV-3 (api3.actito.com)")
    PREPROD = "api-pre1", _("Pre-production (api-pre1.actito.com)")
    TEST = "apitest", _("Test (apitest.actito.com)")
    CUSTOM = "custom", _("Custom URL")


class PathStyle(models.TextChoices):
    # §1.2: service-prefixed v5 routes plus unprefixed v4 profile/scenario routes is the default.
    SERVICE = "service", _("Service-prefixed (/entities/v5/…, /mass-imports/v5/…) — recommended")
    UNPREFIXED = "unprefixed", _("Unprefixed (/v4/…, /v5/…)")


class Connection(models.Model):
    """One ACTITO licence connection. Blank fields fall back to ACTITO_* environment settings.

    Only a "default" row exists today; the name makes room for more later.
    """

    name = models.SlugField(max_length=50, unique=True, default="default")
    environment = models.CharField(
        max_length=16, choices=Environment.choices, blank=True, default=""
    )
    custom_base_url = models.URLField(blank=True, default="")
    entity = models.CharField(max_length=100, blank=True, default="")
    # Fernet token of the API key; never shown, never logged. Only the last 4 characters are kept
    # in clear so that people can tell which key is in use.
    api_key_encrypted = models.TextField(blank=True, default="")
    api_key_last4 = models.CharField(max_length=4, blank=True, default="")
    calls_per_minute = models.PositiveIntegerField(null=True, blank=True)
    max_in_flight = models.PositiveIntegerField(null=True, blank=True)
    daily_imports_per_table = models.PositiveIntegerField(null=True, blank=True)
    path_style = models.CharField(
        max_length=16, choices=PathStyle.choices, default=PathStyle.SERVICE
    )
    timeout_seconds = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ACTITO connection {self.name}"


class ConnectionCheck(models.Model):
    """One press of "Test connection": queued, run by a worker, read by the page's poll."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        OK = "ok", _("Worked")
        FAILED = "failed", _("Failed")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="checks")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    summary = models.TextField(blank=True, default="")
    # Each step as {"step", "ok", "message"}; never any secret.
    steps = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"connection check {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.OK, self.Status.FAILED}


class GovernorCall(models.Model):
    """One admitted ACTITO request, kept for one window to enforce calls per minute."""

    scope = models.CharField(max_length=64)
    at = models.FloatField()  # seconds since the epoch, from the database's clock where possible

    class Meta:
        indexes = [models.Index(fields=["scope", "at"], name="actito_gov_call_idx")]

    def __str__(self) -> str:
        return f"call {self.scope} at {self.at:.3f}"


class GovernorLease(models.Model):
    """One request in flight. It expires on its own so that a killed process frees its slot."""

    scope = models.CharField(max_length=64)
    token = models.CharField(max_length=32, unique=True)
    expires_at = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["scope", "expires_at"], name="actito_gov_lease_idx")]

    def __str__(self) -> str:
        return f"lease {self.scope} until {self.expires_at:.3f}"


class ImportReservation(models.Model):
    """One one-shot ETL execution counted against a table's daily quota (UTC day)."""

    scope = models.CharField(max_length=64)
    table_id = models.CharField(max_length=64)
    table_name = models.CharField(max_length=200, blank=True, default="")
    day = models.DateField()
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "table_id", "day"], name="actito_gov_import_idx")]

    def __str__(self) -> str:
        return f"import slot {self.table_id} {self.day}"
