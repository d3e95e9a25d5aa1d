"""The console in French and Dutch: every page and live fragment, read in each language, holds no
English sentence; the language choice is remembered; dates and numbers follow the language."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db(transaction=True)

# Words that mark a sentence as English and are not words of French or Dutch ("in", "is", "of",
# "was", "on", "a" are, so they do not count).
ENGLISH = {
    "the",
    "and",
    "your",
    "you",
    "this",
    "that",
    "these",
    "with",
    "from",
    "will",
    "have",
    "has",
    "been",
    "are",
    "not",
    "yet",
    "into",
    "for",
    "to",
    "which",
    "what",
    "when",
    "here",
    "there",
    "its",
    "by",
    "only",
    "any",
    "it",
    "be",
    "can",
    "our",
    "could",
    "should",
    "would",
    "their",
    "they",
    "them",
    "than",
    "then",
    "were",
    "who",
    "whose",
    "while",
    "does",
    "did",
    "done",
    "please",
    "after",
    "before",
    "about",
}
# Text that is data rather than console wording: names the sandbox and the test files give.
DATA = re.compile(
    r"Doc scenario|demodoc|Zoë|not-an-email|zoe@example\.com|mapping\.csv|checked\.csv|ended\.csv"
    r"|ExpertSender|ACTITO|Actito Admin|@|https?://",
    re.I,
)


@cache
def _platform_data() -> frozenset[str]:
    """What the ExpertSender CDP sandbox holds: event names and descriptions are the client's
    own words in the platform, shown as they are."""
    from actito_admin.sandbox import ecdp_seed

    return frozenset(text for event in ecdp_seed.EVENTS for text in (event.name, event.description))


SKIP_TAGS = {"script", "style", "code", "pre", "kbd", "samp", "option", "time"}
# Attributes a browser reads as numbers: "630,38" there breaks a chart or a progress bar.
NUMERIC = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "viewbox", "max"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm", "aria-description"}


class _Text(HTMLParser):
    """The words a reader meets: text nodes outside code, and the attributes read aloud."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.fragments: list[str] = []
        self.numbers: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.found.append(value)
            if name in NUMERIC and value and re.search(r"\d,\d", value):
                self.numbers.append(f"<{tag} {name}={value!r}>")
            if name == "hx-get" and value and value.startswith("/"):
                self.fragments.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append(" ".join(data.split()))


def _english(texts: list[str], catalogue: dict[str, str]) -> list[str]:
    problems = []
    data = _platform_data()
    for text in texts:
        if text in data:
            continue
        words = set(re.findall(r"[a-z']+", DATA.sub(" ", text).lower()))
        english = words & ENGLISH
        if len(english) >= 2:
            problems.append(f"{text[:90]!r} (English: {', '.join(sorted(english))})")
        elif text in catalogue and catalogue[text] != text:
            problems.append(f"{text[:90]!r} (in the catalogue, shown untranslated)")
    return sorted(set(problems))


def _catalogue(lang: str) -> dict[str, str]:
    po = polib.pofile(str(django_settings.LOCALE_PATHS[0] / lang / "LC_MESSAGES" / "django.po"))
    return {e.msgid: e.msgstr for e in po if e.msgstr and not e.msgid_plural}


def _read(client, url: str, **headers) -> tuple[int, list[str], list[str]]:
    response = client.get(url, **headers)
    parser = _Text()
    parser.feed(response.content.decode())
    # Written in the reader's language: an error of its own, whatever the wording.
    assert not parser.numbers, f"{url}: numbers in the reader's format: {parser.numbers[:3]}"
    return response.status_code, parser.found, parser.fragments


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_every_page_and_fragment_reads_in_the_chosen_language(client_as_admin, states, language):
    catalogue = _catalogue(language)
    problems: list[str] = []
    seen: set[str] = set()
    for name, url in states.items():
        status, texts, fragments = _read(client_as_admin, url)
        assert status in (200, 404), f"{name} ({url}) answered {status}"
        for problem in _english(texts, catalogue):
            problems.append(f"{name}: {problem}")
        for fragment in fragments:
            if fragment in seen:
                continue
            seen.add(fragment)
            _, texts, _ = _read(client_as_admin, fragment, HTTP_HX_REQUEST="true")
            for problem in _english(texts, catalogue):
                problems.append(f"{name} › fragment {fragment}: {problem}")
    assert not problems, f"English left on {language} pages:\n" + "\n".join(problems)


def test_the_first_visit_follows_the_browser_and_the_choice_is_remembered(
    client, admin_user, settings
):
    from actito_admin.accounts.models import Preferences
    from tests.conftest import PASSWORD

    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9,en;q=0.5")
    assert 'lang="nl"' in page.content.decode(), "a Dutch browser gets the login page in Dutch"
    chosen = client.post("/language/", {"language": "fr", "next": "/accounts/login/?next=/"})
    assert chosen.status_code == 302 and chosen["Location"] == "/accounts/login/?next=/", (
        "switching keeps the person on the same page"
    )
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9")
    assert 'lang="fr"' in page.content.decode(), "the choice on the login page beats the browser"
    client.post("/accounts/login/", {"username": admin_user.username, "password": PASSWORD})
    client.post("/language/", {"language": "nl", "next": "/imports/"})
    assert Preferences.of(admin_user).language == "nl", "the choice is saved for the person"

    other = type(client)()
    other.post("/accounts/login/", {"username": admin_user.username, "password": PASSWORD})
    home = other.get("/", HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9")
    assert 'lang="nl"' in home.content.decode(), "a saved choice follows the person to any browser"


def test_a_switch_never_sends_the_person_to_another_site(client_as_admin):
    response = client_as_admin.post(
        "/language/", {"language": "fr", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/", "an outside address in `next` is ignored"
    unknown = client_as_admin.post("/language/", {"language": "de", "next": "/imports/"})
    assert unknown.status_code == 302
    assert "django_language" not in unknown.cookies, "a language we do not speak is not set"


@pytest.mark.parametrize(
    ("code", "date", "number"),
    [
        ("en-gb", "3 Dec 2026, 07:14", "1,234,567"),
        ("fr", "3 déc. 2026 07:14", "1\u202f234\u202f567"),
        ("nl", "3 dec 2026 07:14", "1.234.567"),
    ],
)
def test_dates_and_numbers_follow_the_language(code, date, number):
    import datetime as dt

    from django.utils import formats, translation

    moment = dt.datetime(2026, 12, 3, 7, 14)
    with translation.override(code):
        assert formats.date_format(moment, "DATETIME_FORMAT") == date
        assert formats.number_format(1234567, force_grouping=True) == number
