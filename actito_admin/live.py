"""Live-status fragments that cost almost nothing while nothing changes.

A page polls its status fragment every second. The view first reads a small "version" of what the
fragment shows (one query); when the browser already has that version (`If-None-Match`), it
answers 304 without rendering, and static/js/app.js leaves the page as it is and slows its polling.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.translation import get_language


def etag_for(*parts: Any) -> str:
    """A weak ETag over everything the fragment depends on (who asks included: buttons differ)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
    return f'W/"{digest}"'


# Even an unchanged fragment is rendered anew this often: it shows times ("about 40 s left",
# "for 3 min") that move on while nothing else does.
FRESH_SECONDS = 15


def reader_and_moment(request: HttpRequest) -> tuple[Any, ...]:
    """What besides the data changes a fragment: who reads it (buttons follow the role), in
    which language (a switch must not get the old language back as "not modified"), and a time
    bucket."""
    user = request.user
    perms = tuple(sorted(user.get_all_permissions())) if user.is_authenticated else ()
    return (user.pk, perms, get_language(), int(time.time() // FRESH_SECONDS))


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A 304 when the browser already shows this version, else None."""
    sent = request.headers.get("If-None-Match", "")
    if etag not in {tag.strip() for tag in sent.split(",")}:
        return None
    return tagged(HttpResponseNotModified(), etag)


def tagged(response: HttpResponse, etag: str, version: Any = None) -> HttpResponse:
    """Tag a rendered fragment. `version` (the data alone, without the reader or the time
    bucket) tells the page whether something really changed, so that a fragment rendered
    anew only to move its times on does not bring polling back to every second."""
    response["ETag"] = etag
    if version is not None:
        response["X-Live-Version"] = etag_for(version)
    # Revalidate every time: the browser must never show a cached status as current.
    response["Cache-Control"] = "no-cache, private"
    return response
