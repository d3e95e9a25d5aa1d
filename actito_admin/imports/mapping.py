"""What an import writes to, and which CSV column goes where.

`ImportTable` describes a profile table the way the import needs it (`ImportTable.from_structure`
converts ACTITO's table structure as `actito.schemas` parsed it). `match_headers` proposes a
target for each CSV header: exact name, then the same name ignoring case/accents/punctuation,
then English, French and Dutch synonyms, then a fuzzy comparison (difflib). Each target is
proposed for one header at most.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

from actito_admin.actito.schemas import TableStructure

ImportMode = Literal["CREATE_OR_UPDATE", "CREATE_ONLY", "UPDATE_ONLY", "DELETE"]
IMPORT_MODES: tuple[ImportMode, ...] = ("CREATE_OR_UPDATE", "CREATE_ONLY", "UPDATE_ONLY", "DELETE")
TargetKind = Literal["attribute", "subscription", "segmentation"]

SUBSCRIPTION_PREFIX = "subscriptions#"
SEGMENTATION_PREFIX = "S_"


@dataclass(frozen=True)
class Attribute:
    """One profile-table attribute, as an import needs it (spec §4.2).

    `predefined_type` is ACTITO's `type` (EMAIL_ADDRESS, FIRSTNAME, LASTNAME, BIRTHDATE, SEX,
    MOTHER_LANGUAGE, …) or "CUSTOM"; `value_type` is ACTITO's `valueType` (STRING, INTEGER,
    TIMESTAMP, …) and may be empty for predefined attributes.
    """

    name: str
    value_type: str = "STRING"
    predefined_type: str = "CUSTOM"
    unique: bool = False
    mandatory: bool = False
    max_length: int | None = None
    multi_valued: bool = False
    label: str = ""


# What marketers call ACTITO's predefined attributes (its technical names come second).
PREDEFINED_WORDS: dict[str, Any] = {
    "EMAIL_ADDRESS": _("E-mail address"),
    "FIRSTNAME": _("First name"),
    "LASTNAME": _("Last name"),
    "BIRTHDATE": _("Date of birth"),
    "SEX": _("Sex"),
    "MOTHER_LANGUAGE": _("Language"),
    "PHONE_NUMBER": _("Mobile phone"),
    "COUNTRY": _("Country"),
    "TITLE": _("Title (Mr, Mrs, Ms)"),
}


def plain_label(attribute: Attribute) -> str:
    """The name a marketer reads first: the table's own description, the usual word for a
    predefined attribute, or the technical name in words ("loyaltyPoints" → "Loyalty points")."""
    if attribute.label and attribute.label != attribute.name:
        return attribute.label
    if attribute.predefined_type in PREDEFINED_WORDS:
        return str(PREDEFINED_WORDS[attribute.predefined_type])
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", attribute.name).replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else attribute.name


@dataclass(frozen=True)
class Segmentation:
    name: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """Something a column can be mapped to; `name` is the `attributeName` ACTITO expects."""

    name: str
    kind: TargetKind
    label: str
    attribute: Attribute | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportTable:
    """A profile table: its v5 `id` (ETL destination, §7.3), attributes, subscriptions and
    segmentations."""

    id: str
    name: str
    attributes: tuple[Attribute, ...]
    subscriptions: tuple[str, ...] = ()
    segmentations: tuple[Segmentation, ...] = ()

    def targets(self) -> list[Target]:
        found = [
            Target(a.name, "attribute", a.label or a.name, attribute=a) for a in self.attributes
        ]
        found += [Target(SUBSCRIPTION_PREFIX + s, "subscription", s) for s in self.subscriptions]
        found += [
            Target(SEGMENTATION_PREFIX + s.name, "segmentation", s.name, categories=s.categories)
            for s in self.segmentations
        ]
        return found

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets() if t.name == name), None)

    @property
    def key_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.unique)

    @classmethod
    def from_structure(cls, structure: TableStructure | Mapping[str, Any]) -> ImportTable:
        """Build from ACTITO's table structure, parsed by the client (`actito.schemas`); a job's
        stored copy (the raw JSON, §4.2) is parsed there too, so it is read one way only."""
        if isinstance(structure, Mapping):
            structure = TableStructure.from_json(dict(structure))
        attributes = tuple(
            Attribute(
                name=a.name,
                value_type=a.value_type or "",
                predefined_type=a.type or "CUSTOM",
                unique=a.unique,
                mandatory=a.mandatory,
                max_length=a.max_length,
                multi_valued=a.multi_valued,
                label=a.label,
            )
            for a in structure.attributes
        )
        return cls(
            id=structure.id,
            name=structure.name,
            attributes=attributes,
            subscriptions=tuple(s.name for s in structure.subscriptions),
            segmentations=tuple(
                Segmentation(s.name, tuple(s.categories)) for s in structure.segmentations
            ),
        )


@dataclass(frozen=True)
class ColumnMapping:
    """One CSV column sent to one target, with ACTITO's per-column options (§7.3)."""

    header: str
    target: str  # attributeName: "emailAddress", "subscriptions#Newsletter", "S_ClientType"
    ignore_empty_values: bool = False
    ignore_invalid_values: bool = False
    ignore_values_when_already_known: bool = False
    merge_values_when_multivalued: bool = False
    # How the values are written in the file (conversions.FORMAT_CHOICES); "auto" recognises it.
    value_format: str = "auto"


# ACTITO's per-column options, as stored in a job's or a saved mapping's JSON.
OPTION_FIELDS = (
    "ignore_empty_values",
    "ignore_invalid_values",
    "ignore_values_when_already_known",
    "merge_values_when_multivalued",
)

# Each mode in plain words: the choice's label, then what it does to the table (lazy: shown in
# the reader's language).
MODE_HELP: dict[str, tuple[Any, Any]] = {
    "CREATE_OR_UPDATE": (
        _("Add new profiles and update existing ones"),
        _(
            "Rows whose key matches a profile update it; the others create a new profile. "
            "Needs a key column."
        ),
    ),
    "CREATE_ONLY": (
        _("Only add new profiles"),
        _("Rows for profiles that already exist are refused and listed in the error file."),
    ),
    "UPDATE_ONLY": (
        _("Only update existing profiles"),
        _("Rows that match no profile are refused; nobody new is added. Needs a key column."),
    ),
    "DELETE": (
        _("Delete the profiles in the file"),
        _(
            "Every profile whose key is in the file is removed from the table, with its "
            "subscriptions. This cannot be undone. Needs a key column."
        ),
    ),
}


def job_mapping_from(mapping: Sequence[Mapping[str, Any]]) -> list[ColumnMapping]:
    """The stored JSON mapping ([{header, target, ignore_…}]) as ColumnMappings."""
    return [
        ColumnMapping(
            header=m["header"],
            target=m["target"],
            value_format=str(m.get("value_format") or "auto"),
            **{k: bool(m.get(k)) for k in OPTION_FIELDS},
        )
        for m in mapping
    ]


# --- Auto-matching ---------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, no accents, letters and digits only: "E-mail adres" -> "emailadres"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", plain.casefold())


@dataclass(frozen=True)
class _Concept:
    """A kind of data with its usual headers, and how to recognise its attribute in a table."""

    predefined_types: tuple[str, ...]
    names: tuple[str, ...]  # attribute names this concept usually has in a table
    headers: tuple[str, ...]  # EN, FR, NL headers people write


# fmt: off
_CONCEPTS: tuple[_Concept, ...] = (
    _Concept(
        ("EMAIL_ADDRESS",),
        ("emailAddress", "email", "mail"),
        (
            "email", "e-mail", "mail", "email address", "e-mail address", "courriel",
            "adresse email", "adresse e-mail", "adresse mail", "adresse électronique", "mél",
            "e-mailadres", "emailadres", "mailadres", "e-mail adres",
        ),
    ),
    _Concept(
        ("MOBILE_PHONE", "MOBILE_PHONE_NUMBER", "GSM", "MOBILE"),
        ("gsm", "gsmNumber", "mobile", "mobilePhone", "mobileNumber", "mobilePhoneNumber",
         "cellPhone", "phoneNumber", "phone"),
        (
            "gsm", "mobile", "mobile phone", "mobile number", "cell", "cell phone", "cellphone",
            "portable", "téléphone portable", "tel portable", "numéro de portable", "mobiel",
            "mobiele telefoon", "mobiel nummer", "gsm nummer", "gsmnummer",
        ),
    ),
    _Concept(
        ("PHONE", "PHONE_NUMBER"),
        ("phone", "phoneNumber", "telephone", "phoneNumber1", "gsm", "mobilePhone"),
        (
            "phone", "phone number", "telephone", "tel", "téléphone", "numéro de téléphone",
            "telefoon", "telefoonnummer", "tel nr", "telnr",
        ),
    ),
    _Concept(
        ("FIRSTNAME",),
        ("firstName", "firstname", "givenName"),
        ("first name", "firstname", "given name", "forename", "prénom", "voornaam"),
    ),
    _Concept(
        ("LASTNAME",),
        ("lastName", "lastname", "surname", "familyName", "name"),
        (
            "last name", "lastname", "surname", "family name", "name", "nom", "nom de famille",
            "achternaam", "familienaam", "naam",
        ),
    ),
    _Concept(
        ("BIRTHDATE",),
        ("birthDate", "birthdate", "dateOfBirth"),
        (
            "birthdate", "birth date", "date of birth", "dob", "birthday", "date de naissance",
            "naissance", "geboortedatum", "geboortedag", "verjaardag",
        ),
    ),
    _Concept(
        ("MOTHER_LANGUAGE",),
        ("motherLanguage", "language", "lang"),
        (
            "language", "lang", "mother language", "mother tongue", "langue",
            "langue maternelle", "taal", "moedertaal",
        ),
    ),
    _Concept(
        ("COUNTRY", "ADDRESS_COUNTRY"),
        ("country", "addressCountry", "countryCode"),
        ("country", "country code", "pays", "code pays", "land", "landcode"),
    ),
    _Concept(
        ("SEX", "GENDER"),
        ("sex", "gender"),
        ("sex", "gender", "sexe", "genre", "geslacht"),
    ),
    _Concept(
        ("POSTAL_CODE", "ZIP_CODE", "ADDRESS_POSTAL_CODE"),
        ("postalCode", "zipCode", "addressPostalCode", "zip", "postcode"),
        ("postal code", "zip", "zip code", "postcode", "code postal", "cp"),
    ),
    _Concept(
        ("CITY", "ADDRESS_LOCALITY", "LOCALITY"),
        ("city", "addressLocality", "locality", "town"),
        (
            "city", "town", "locality", "ville", "localité", "commune", "stad", "gemeente",
            "plaats", "woonplaats",
        ),
    ),
    _Concept(
        ("STREET", "ADDRESS_STREET"),
        ("street", "addressStreet"),
        ("street", "address", "rue", "adresse", "straat", "adres"),
    ),
    _Concept(
        ("TITLE",),
        ("title", "civility"),
        ("title", "civility", "civilité", "titre", "aanspreking", "aanhef"),
    ),
    _Concept(
        (),
        ("customerId", "clientId", "customerNumber", "clientNumber"),
        (
            "customer id", "customerid", "client id", "customer number", "numéro client",
            "numero de client", "numéro de client", "n° client", "no client", "nr client",
            "num client", "id client", "code client", "klantnummer", "klant id", "klantid",
            "klantnr", "klant nr", "klantcode", "customer no", "customer code",
        ),
    ),
    _Concept(
        (),
        ("loyaltyPoints", "fidelityPoints", "points", "loyaltyBalance"),
        (
            "loyalty points", "points", "points fidélité", "points de fidélité", "fidélité",
            "spaarpunten", "punten", "getrouwheidspunten", "klantenpunten",
        ),
    ),
    _Concept(
        (),
        ("lifetimeValue", "customerValue", "clv", "totalSpent", "turnover"),
        (
            "lifetime value", "customer value", "clv", "valeur client", "valeur vie client",
            "chiffre d'affaires", "ca client", "total achats", "klantwaarde", "omzet",
            "totaal besteed",
        ),
    ),
    _Concept(
        (),
        ("lastPurchaseDate", "lastOrderDate", "lastPurchase"),
        (
            "last purchase", "last purchase date", "last order date", "date dernier achat",
            "dernier achat", "date du dernier achat", "laatste aankoop",
            "datum laatste aankoop", "laatste bestelling",
        ),
    ),
    _Concept(
        (),
        ("isVip", "vip", "vipCustomer"),
        ("vip", "client vip", "vip client", "vip customer", "klant vip", "vip klant"),
    ),
    _Concept(
        (),
        ("subscriptions#Newsletter",),
        (
            "newsletter", "nieuwsbrief", "lettre d'information", "lettre d'info",
            "inscription newsletter", "abonné newsletter", "optin newsletter", "opt-in",
            "inschrijving nieuwsbrief",
        ),
    ),
    _Concept(
        ("COMPANY",),
        ("company", "companyName"),
        ("company", "company name", "société", "entreprise", "bedrijf", "firma"),
    ),
)
# fmt: on


@dataclass(frozen=True)
class HeaderMatch:
    """The suggestion for one CSV header. `target` is None when nothing fits well enough."""

    header: str
    target: str | None
    confidence: float  # 0–1
    weak: bool  # below the caller's threshold: show it, but ask the user to confirm
    # Why, in the reader's language: "exact name", "same name", "synonym", "similar name" (with
    # ", values do not fit" when the values say otherwise), or "" for no match.
    reason: str


# Why a header was matched, in words (the keys are what the matching compares and sorts on).
_REASON_WORDS: dict[str, Any] = {
    "exact name": _("exact name"),
    "same name": _("same name"),
    "synonym": _("synonym"),
    "similar name": _("similar name"),
    "exact name, values do not fit": _("exact name, values do not fit"),
    "same name, values do not fit": _("same name, values do not fit"),
    "synonym, values do not fit": _("synonym, values do not fit"),
    "similar name, values do not fit": _("similar name, values do not fit"),
}


def _concept_target(concept: _Concept, targets: Sequence[Target]) -> Target | None:
    attributes = [t for t in targets if t.attribute is not None]
    for t in attributes:
        if t.attribute and t.attribute.predefined_type in concept.predefined_types:
            return t
    wanted = [normalise(n) for n in concept.names]
    by_name = {normalise(t.name): t for t in targets}
    return next((by_name[n] for n in wanted if n in by_name), None)


# How well a column's values fit a target: None (no opinion), FIT_REFUSED (never: e.g. a yes/no
# column onto a key), else the share of values that fit, 0 to 1. Given by imports.matching,
# which knows the formats.
ValueFit = Callable[[str, Target], float | None]
FIT_REFUSED = -1.0
FIT_POOR = 0.5  # fewer values than this fit: a name match is only a suggestion


def _candidates(
    header: str, targets: Sequence[Target], synonyms: Mapping[str, Target], min_similarity: float
) -> Iterable[tuple[float, str, Target]]:
    key = normalise(header)
    for t in targets:
        names = {t.name, t.label}
        if header in names or header.strip() in names:
            yield 1.0, "exact name", t
        elif key and key in {normalise(t.name), normalise(t.label)}:
            yield 0.95, "same name", t
    if key in synonyms:
        yield 0.9, "synonym", synonyms[key]
    if not key:
        return
    # Fuzzy: against names, labels and synonym spellings; scaled so it never beats a sure match.
    spellings = [(normalise(t.name), t) for t in targets]
    spellings += [(normalise(t.label), t) for t in targets]
    spellings += list(synonyms.items())
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    for spelling, t in spellings:
        if not spelling:
            continue
        matcher.set_seq1(spelling)
        if matcher.real_quick_ratio() < min_similarity or matcher.quick_ratio() < min_similarity:
            continue
        ratio = matcher.ratio()
        if ratio >= min_similarity:
            yield round(0.85 * ratio, 3), "similar name", t


def match_headers(
    headers: Sequence[str],
    table: ImportTable,
    *,
    weak_below: float = 0.8,
    min_similarity: float = 0.7,
    fit: ValueFit | None = None,
) -> list[HeaderMatch]:
    """Suggest a target for each header, in the order of `headers`.

    Confidence: 1.0 exact name, 0.95 same name ignoring case/accents/punctuation, 0.9 a known
    synonym, at most 0.85 for a fuzzy match (0.85 × difflib ratio, kept only when the ratio is at
    least `min_similarity`). Matches under `weak_below` are flagged `weak`.

    `fit(header, target)`, when given, judges the column's values: a refused pair is never
    proposed (a yes/no column onto a key field), a poor fit is halved into a weak suggestion.
    """
    targets = table.targets()
    synonyms: dict[str, Target] = {}
    for concept in _CONCEPTS:
        target = _concept_target(concept, targets)
        if target is not None:
            for spelling in concept.headers:
                synonyms.setdefault(normalise(spelling), target)
    # Bare subscription/segmentation names are synonyms of their prefixed form.
    for t in targets:
        if t.kind != "attribute":
            synonyms.setdefault(normalise(t.label), t)

    scored = []
    for index, header in enumerate(headers):
        for confidence, reason, target in _candidates(header, targets, synonyms, min_similarity):
            judged = fit(header, target) if fit is not None else None
            if judged == FIT_REFUSED:
                continue
            if judged is not None and judged < FIT_POOR:
                confidence, reason = round(confidence / 2, 3), f"{reason}, values do not fit"
            scored.append((confidence, -index, reason, target.name, header))
    # Greedy by confidence, then by column order: the best pair claims the target first. The
    # untranslated reason is compared: the choice never depends on the language.
    scored.sort(reverse=True)
    chosen: dict[int, HeaderMatch] = {}
    used: set[str] = set()
    for confidence, negative_index, reason, target_name, header in scored:
        index = -negative_index
        if index in chosen or target_name in used:
            continue
        used.add(target_name)
        weak = confidence < weak_below
        words = str(_REASON_WORDS[reason])
        chosen[index] = HeaderMatch(header, target_name, confidence, weak, words)
    return [
        chosen.get(index) or HeaderMatch(header, None, 0.0, False, "")
        for index, header in enumerate(headers)
    ]
