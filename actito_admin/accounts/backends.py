"""Authentication backend: Django's ModelBackend with a short per-process permission cache."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

# (user pk, is_superuser) -> (monotonic expiry, permission names)
_PERMISSIONS: dict[tuple[Any, bool], tuple[float, set[str]]] = {}


def forget_permissions(**kwargs: Any) -> None:
    """Drop every cached permission set in this process (a role or permission changed)."""
    _PERMISSIONS.clear()


class RoleBackend(ModelBackend):
    """Why: every open run or import page polls its status once a second, and each poll checks
    the user's role. ModelBackend answers that with two queries per request; keeping the set for
    a few seconds per process makes a poll cost only the queries of the status itself.

    A role change made in this process applies at once (signals clear the cache); other web
    processes see it within PERMISSION_CACHE_SECONDS.
    """

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = (user_obj.pk, bool(user_obj.is_superuser))
            now = time.monotonic()
            hit = _PERMISSIONS.get(key)
            if hit is not None and hit[0] > now:
                perms = hit[1]
            else:
                perms = super().get_all_permissions(user_obj, obj)
                _PERMISSIONS[key] = (now + settings.PERMISSION_CACHE_SECONDS, perms)
            user_obj._perm_cache = perms
        return user_obj._perm_cache
