"""The one exception type for anything that goes wrong between us and ACTITO.

Callers decide with two flags instead of a class hierarchy:
* `retryable` – trying the same call again later can help (429, 5xx, a network failure);
* `outcome_known` – False when ACTITO may have acted although we got no answer (a POST that timed
  out or whose connection broke after it was sent). Such a call must never be repeated blindly.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

RAW_TEXT_LIMIT = 2000


def in_english(text: object) -> str:
    """`text` as the logs and exception messages read it: a lazy translation (such as the `what`
    of a call) rendered in English, whatever the language of the person the work is for."""
    with translation.override("en"):
        return str(text)


class ActitoError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        outcome_known: bool = True,
        user_message: str | None = None,
        response_text: str = "",
        retry_after: float | None = None,
        server_words: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.outcome_known = outcome_known
        self.user_message = user_message or message
        # Raw body for the audit log; truncated so that an HTML error page cannot bloat a row.
        self.response_text = (response_text or "")[:RAW_TEXT_LIMIT]
        self.retry_after = retry_after
        # The part of user_message quoting the server's own words, if any.
        self.server_words = server_words

    @property
    def message_without_server_words(self) -> str:
        """For a server not yet known to be ACTITO (a connection test): never echo its body."""
        return self.user_message.replace(self.server_words, "").strip()

    def __repr__(self) -> str:
        return (
            f"ActitoError({self.message!r}, status={self.status}, retryable={self.retryable}, "
            f"outcome_known={self.outcome_known})"
        )


class GovernorBusy(ActitoError):
    """Our own limits (calls/min, in flight) did not free a slot within the wait bound."""

    def __init__(self, message: str, *, retry_after: float, user_message: str | None = None):
        super().__init__(
            message,
            retryable=True,
            outcome_known=True,
            user_message=user_message
            or _("ACTITO is busy with other work from this console; try again in %(seconds)s s.")
            % {"seconds": max(1, round(retry_after))},
            retry_after=retry_after,
        )


class ImportQuotaExceeded(ActitoError):
    """The daily one-shot import quota of a profile table is used up (our count)."""

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        # Not retryable: only the next UTC day (or a bigger licence) helps.
        super().__init__(message, status=None, retryable=False, user_message=user_message)
