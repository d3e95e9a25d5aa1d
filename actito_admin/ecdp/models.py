"""ECDP business units and the console's own catalogue of their custom events and segments.

ECDP has no endpoint that lists custom events or segments (ecdp-api.md §3.1): admins keep the
catalogue here, and marketers choose from it.
"""

from __future__ import annotations

from django.db import models

from .fields import TYPES


class BusinessUnit(models.Model):
    """One ECDP business unit: one API key, its own limits (ECDP documents none)."""

    label = models.CharField(max_length=100, unique=True)
    # Blank with no key: the built-in sandbox's ECDP side (when SANDBOX_URL is set).
    base_url = models.URLField(blank=True, default="")
    # Fernet token, as for the ACTITO connection; only the last 4 characters are kept in clear.
    api_key_encrypted = models.TextField(blank=True, default="")
    api_key_last4 = models.CharField(max_length=4, blank=True, default="")
    calls_per_minute = models.PositiveIntegerField(null=True, blank=True)
    max_in_flight = models.PositiveIntegerField(null=True, blank=True)
    timeout_seconds = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class CustomEvent(models.Model):
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="events")
    event_id = models.PositiveIntegerField()  # ECDP's customEventId (int32)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # [{"name": "voucherCode", "type": "String", "required": true}, …]
    data_fields = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "event_id"], name="ecdp_event_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def declared(self) -> list[dict]:
        """The declared fields, each with a known type (a bad row never reaches a form)."""
        return [f for f in self.data_fields if isinstance(f, dict) and f.get("type") in TYPES]


class Segment(models.Model):
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, related_name="segments"
    )
    segment_id = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    note = models.CharField(max_length=200, blank=True, default="")  # e.g. "about 12,000"

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit", "segment_id"], name="ecdp_segment_unique"
            )
        ]

    def __str__(self) -> str:
        return self.label
