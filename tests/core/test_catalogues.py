"""The French and Dutch catalogues are complete, keep every placeholder, and the compiled .mo
files (committed, so a fresh machine needs no GNU gettext) say what the .po files say."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ("fr", "nl")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _po(lang: str) -> polib.POFile:
    path = LOCALE / lang / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"no catalogue for {lang} at {path}"
    return polib.pofile(str(path))


def _where(entry: polib.POEntry) -> str:
    places = ", ".join(f"{f}" for f, _ in entry.occurrences[:2])
    return f"{entry.msgid[:70]!r} ({places})"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_entry_is_untranslated_or_fuzzy(lang):
    po = _po(lang)
    live = [e for e in po if not e.obsolete]
    assert len(live) > 500, f"the {lang} catalogue holds only {len(live)} entries"
    untranslated = [_where(e) for e in po.untranslated_entries()]
    fuzzy = [_where(e) for e in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated in {lang}:\n" + "\n".join(
        untranslated[:30]
    )
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {lang}:\n" + "\n".join(fuzzy[:30])


@pytest.mark.parametrize(
    ("lang", "rule"),
    [("fr", "nplurals=2; plural=(n > 1);"), ("nl", "nplurals=2; plural=(n != 1);")],
)
def test_plurals_follow_the_language(lang, rule):
    # French says "0 lancement" (singular), Dutch "0 starts" (plural): the header decides.
    po = _po(lang)
    assert po.metadata.get("Plural-Forms") == rule, po.metadata.get("Plural-Forms")
    assert not po.metadata_is_fuzzy, f"the {lang} header is fuzzy: msgfmt would drop it"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_every_placeholder(lang):
    broken = []
    for entry in _po(lang):
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, text in pairs:
            # A plural's singular may say "one" instead of %(count)s; names must all be known.
            wanted = set(PLACEHOLDER.findall(source))
            got = set(PLACEHOLDER.findall(text))
            if got - set(PLACEHOLDER.findall(entry.msgid)) - wanted or (
                not entry.msgid_plural and got != wanted
            ):
                broken.append(f"{_where(entry)}: {sorted(wanted)} → {sorted(got)}")
    assert not broken, f"placeholders changed in {lang}:\n" + "\n".join(broken[:30])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(lang):
    mo_path = LOCALE / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `make messages`"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _po(lang):
        if entry.obsolete or entry.msgid_plural or not entry.msgstr:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if compiled._catalog.get(key) != entry.msgstr:  # type: ignore[attr-defined]
            stale.append(_where(entry))
    assert not stale, f"{mo_path} is older than its .po (run `make messages`):\n" + "\n".join(
        stale[:20]
    )
