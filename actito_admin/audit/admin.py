from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_username", "action", "target_type", "target_id", "outcome"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_username", "action", "target_id", "request_id"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # Read-only in the admin: the log is append-only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
