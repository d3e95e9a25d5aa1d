"""A word by e-mail to the person who started long work, when it ends (imports, list runs).

Each app says what ended in its own words; this module decides whether to write (the person
has an address, asked for it, and the work took longer than NOTIFY_AFTER_SECONDS) and sends.
A mail server that does not answer must never change the work's outcome: failures are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from .models import Preferences

logger = logging.getLogger(__name__)


def work_ended(
    *,
    user: AbstractBaseUser | None,
    subject: str,
    lines: Sequence[str],
    path: str,
    started_at: datetime | None,
    ended_at: datetime | None,
) -> bool:
    """E-mail `user` that their work ended; True when a message was sent."""
    address = getattr(user, "email", "") if user is not None else ""
    if not address or started_at is None or ended_at is None:
        return False
    if (ended_at - started_at).total_seconds() < settings.NOTIFY_AFTER_SECONDS:
        return False
    if not Preferences.of(user).email_when_done:
        return False
    body = "\n".join(
        [
            *lines,
            "",
            f"{settings.SITE_URL}{path}",
            "",
            _(
                "You get this e-mail because you started this work in Actito Admin. You can turn "
                "these e-mails off in your settings: %(url)s"
            )
            % {"url": f"{settings.SITE_URL}/accounts/settings/"},
        ]
    )
    try:
        send_mail(subject, body, None, [address])
    except Exception:
        logger.exception("could not e-mail %s that their work ended", address)
        return False
    return True
