"""Scenario names, search terms and profile references: pure functions, no ORM, no HTTP."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from actito_admin.actito.schemas import ProfileRef

# ACTITO's technical name is the display name plus a generated suffix, e.g.
# "DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170" (a UUID glued on, with or without "-").
_UUID_SUFFIX = re.compile(
    r"[-_ ]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

PROFILE_ID = "profileId"
MAX_LIST_REFERENCES = 10_000


def display_name(technical_name: str) -> str:
    """The name a marketer gave the scenario: the technical name without its generated suffix."""
    stripped = _UUID_SUFFIX.sub("", technical_name).strip()
    return stripped or technical_name


def search_pattern(words: str) -> str:
    """What to send as ACTITO's `name` filter for what the marketer typed.

    Plain words search anywhere in the display name (`*word*`); a marketer who types `*` is
    taken at their word. Empty input means every scenario.
    """
    text = " ".join(words.split())
    if not text:
        return "*"
    if "*" in text:
        return text
    return f"*{text}*"


def matches(pattern: str, name: str) -> bool:
    """ACTITO's wildcard semantics (ASSUMPTION in the spec): `*` only, case-insensitive (and,
    here, accent-insensitive too)."""
    regex = ".*".join(re.escape(part) for part in fold(pattern).split("*"))
    return re.fullmatch(regex, fold(name), flags=re.DOTALL) is not None


def fold(text: str) -> str:
    """Lower case without accents: «Relance panier abandonné» → «relance panier abandonne»."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _compact(text: str) -> str:
    # Spaces, hyphens, underscores and dots do not count: "email" finds "E-mail", "e mail".
    return re.sub(r"[\s\-_.]+", "", fold(text))


def name_matches(words: str, name: str) -> bool:
    """What a marketer expects of a search box: every word typed appears in the name, in any
    order, whatever the accents, capitals, hyphens or spaces. A `*` asks for ACTITO's wildcard
    semantics instead."""
    if "*" in words:
        return matches(search_pattern(words), name)
    compact = _compact(name)
    return all(_compact(word) in compact for word in words.split())


class InvalidReference(ValueError):
    """A reference a marketer typed that cannot identify a profile; the message says why."""


def parse_reference(attribute: str, value: str) -> ProfileRef:
    """Check what a marketer typed and return the client's ProfileRef (one concept, one type)."""
    value = value.strip()
    if not value:
        raise InvalidReference(_("Enter a value to identify the profile."))
    if attribute == PROFILE_ID:
        if not value.isdigit():
            raise InvalidReference(
                _("A profile id is a number; “%(value)s” is not.") % {"value": value}
            )
        return ProfileRef(profile_id=str(int(value)))
    if not _ATTRIBUTE_NAME.match(attribute):
        raise InvalidReference(_("“%(name)s” is not an attribute name.") % {"name": attribute})
    if attribute == "emailAddress":
        # ACTITO stores addresses as given; comparing them lower-cased avoids a miss on case.
        value = value.lower()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise InvalidReference(_("“%(value)s” is not an e-mail address.") % {"value": value})
    return ProfileRef(attribute=attribute, value=value)


@dataclass
class ParsedList:
    """A pasted or uploaded list of references, checked before anything is triggered."""

    references: list[ProfileRef] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, value)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, value, why)
    too_many: bool = False


def parse_reference_list(
    text: str, attribute: str, *, limit: int = MAX_LIST_REFERENCES
) -> ParsedList:
    """One reference per line, or a one-column CSV (a header naming the attribute is skipped).

    Duplicates are kept once (a profile is triggered once); invalid lines are reported with the
    reason. More than `limit` distinct references sets `too_many` and keeps the first `limit`.
    """
    parsed = ParsedList()
    seen: set[ProfileRef] = set()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line_no, row in enumerate(reader, start=1):
        cells = [c.strip() for c in row if c.strip()]
        if not cells:
            continue
        value = cells[0]
        if line_no == 1 and value.lower() in {attribute.lower(), "profileid", "id", "email"}:
            continue  # a header line
        if len(cells) > 1:
            parsed.invalid.append(
                (line_no, ",".join(cells), _("More than one value on this line."))
            )
            continue
        try:
            ref = parse_reference(attribute, value)
        except InvalidReference as exc:
            parsed.invalid.append((line_no, value, str(exc)))
            continue
        if ref in seen:
            parsed.duplicates.append((line_no, value))
            continue
        if len(parsed.references) >= limit:
            parsed.too_many = True
            continue
        seen.add(ref)
        parsed.references.append(ref)
    return parsed
