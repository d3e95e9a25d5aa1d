"""Values as marketers write them, turned into what ACTITO's files must hold (ETLF, spec §7.2).

Benelux files say `26/05/1967`, `12,50`, `oui`, `Mme`, `0498 79 21 85` and ` Sophie@Mail.BE`;
ACTITO wants `1967-05-26`, `12.50`, `TRUE`, `Mrs`, `+32498792185` and `sophie@mail.be`. Each
mapped column gets a `ValueFormat`: chosen by the marketer in the mapping, or recognised from
the first rows ("auto"). The pipeline converts a whole column of a batch at once, before the
checks, so the dry run checks exactly what ACTITO will receive.

We convert here rather than ask ACTITO to (seed 002 shows a `DATE_FORMAT` data transformation,
but only in a triggered ETL's example, its one-shot semantics are not documented, and it covers
dates only): converting ourselves lets the dry run refuse what ACTITO would refuse, and treats
numbers, yes/no words, civilities and phone numbers the same way.

A value that cannot be converted is left as it is, so the column's check reports it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from django.utils.translation import gettext_lazy as _

from .refdata import COUNTRY_CODES, LANGUAGE_CODES
from .validation import PATTERNS

Converter = Callable[[list[str]], list[str]]

AUTO = "auto"
AS_IS = "as_is"
PHONE_REGIONS = ("BE", "FR", "NL", "LU", "DE")

# The choices offered per column, in plain words. One list for every column: which of them
# applies depends on the field the column goes to (a date format on a number column is ignored).
FORMAT_CHOICES: list[tuple[Any, Any]] = [
    (AUTO, _("Recognise from the values (recommended)")),
    (
        _("Dates"),
        [
            ("dmy", _("Day/month/year: 26/05/1967, 26-05-1967, 26.05.1967")),
            ("mdy", _("Month/day/year (US tools): 05/26/1967")),
            ("ymd", _("Year-month-day: 1967-05-26")),
        ],
    ),
    (
        _("Numbers"),
        [
            ("comma", _("Decimal comma: 1.234,56 or 12,50")),
            ("point", _("Decimal point: 1,234.56 or 12.50")),
        ],
    ),
    (
        _("Phone numbers written without +country code"),
        [
            ("phone:BE", _("are Belgian (+32)")),
            ("phone:FR", _("are French (+33)")),
            ("phone:NL", _("are Dutch (+31)")),
            ("phone:LU", _("are from Luxembourg (+352)")),
            ("phone:DE", _("are German (+49)")),
        ],
    ),
    (AS_IS, _("Send the values exactly as they are")),
]
FORMAT_KEYS = frozenset(
    inner
    for key, label in FORMAT_CHOICES
    for inner in ([k for k, _label in label] if isinstance(label, list) else [key])
)


@dataclass(frozen=True)
class ValueFormat:
    """How one column's values are read. `convert` is None when they go as they are."""

    key: str
    label: Any  # plain words, translatable: "day/month/year (26/05/1967)"
    convert: Converter | None = None
    note: Any = ""  # said to the marketer, e.g. when the values fit two formats
    # False: only values not yet in ACTITO's format are converted (found by the column's check,
    # at C speed). True where a valid-looking value still means something else: "1.234" in a
    # decimal-comma column is 1234, and e-mail addresses are lower-cased.
    every_value: bool = False


AS_THEY_ARE = ValueFormat(AS_IS, _("as they are"))


def resolve(kind: str, chosen: str, samples: Sequence[str]) -> ValueFormat:
    """The format for a column of `kind` (validation.VALUE_KINDS): `chosen` by the marketer,
    or recognised from `samples` (its first non-empty values) when it is "auto"."""
    if chosen == AS_IS:
        return AS_THEY_ARE
    if kind in ("date", "datetime"):
        return _date_format(kind, chosen, samples)
    if kind in ("decimal", "integer"):
        return _number_format(kind, chosen, samples)
    if kind == "phone":
        return _phone_format(chosen, samples)
    fixed = _FIXED.get(kind)
    return fixed if fixed is not None else AS_THEY_ARE


# --- Dates ---------------------------------------------------------------------------------------

_DATE_PARTS = re.compile(
    r"\s*(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})"
    r"(?:(?:\s+|T)(\d{1,2})[:hH.](\d{2})(?:[:.](\d{2}))?(?:\.\d+)?)?\s*"
)
_DATE_LABELS = {
    "dmy": _("day/month/year (26/05/1967)"),
    "mdy": _("month/day/year (05/26/1967)"),
    "ymd": _("year-month-day (1967-05-26)"),
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _full_year(text: str) -> int:
    """Two-digit years: the latest year ending so that is not in the future (67 → 1967,
    24 → 2024), which suits birth dates and purchase dates alike."""
    year = int(text)
    if len(text) > 2:
        return year
    this_year = date.today().year
    century = this_year - this_year % 100
    return century + year if century + year <= this_year else century - 100 + year


def _date_converter(order: str, kind: str) -> Converter:
    def convert_one(value: str) -> str:
        found = _DATE_PARTS.fullmatch(value)
        if found is None:
            return value
        a, _sep, b, c, hour, minute, second = found.groups()
        if order == "ymd" or len(a) == 4:
            year_text, month, day = a, int(b), int(c)
        elif order == "mdy":
            year_text, month, day = c, int(a), int(b)
        else:
            year_text, month, day = c, int(b), int(a)
        if len(year_text) == 3 or (len(year_text) != 4 and len(a) == 4):
            return value
        year = _full_year(year_text)
        if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
            return value
        if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
            return value
        text = f"{year:04d}-{month:02d}-{day:02d}"
        if kind == "date":
            # Excel often adds midnight to a date: a date field keeps the day only.
            return text if hour is None or (int(hour), int(minute)) == (0, 0) else value
        if hour is None:
            return f"{text} 00:00:00"
        if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
            return value
        return f"{text} {int(hour):02d}:{minute}:{second or '00'}"

    # A file's dates repeat (birth dates: some 25,000 different ones in a million rows); the
    # cache is bounded, so memory stays flat.
    cached = functools.lru_cache(maxsize=1 << 15)(convert_one)

    def convert(values: list[str]) -> list[str]:
        return [cached(v) if v else v for v in values]

    return convert


def _date_format(kind: str, chosen: str, samples: Sequence[str]) -> ValueFormat:
    note = ""
    if chosen in _DATE_LABELS:
        order = chosen
    else:
        order, note = _recognise_date_order(samples)
    return ValueFormat(order, _DATE_LABELS[order], _date_converter(order, kind), note)


def _recognise_date_order(samples: Sequence[str]) -> tuple[str, str]:
    """Day/month, month/day or year first, from the values; day/month when both fit (Benelux)."""
    parts = [m.groups() for v in samples if v and (m := _DATE_PARTS.fullmatch(v))]
    if not parts or all(len(p[0]) == 4 for p in parts):
        return "ymd", ""
    pairs = [(int(p[0]), int(p[2])) for p in parts if len(p[0]) <= 2]
    day_first = all(first <= 31 and second <= 12 for first, second in pairs)
    month_first = all(first <= 12 and second <= 31 for first, second in pairs)
    if month_first and not day_first:
        return "mdy", ""
    if day_first and month_first:
        return "dmy", str(
            _(
                "Every date in the first rows could be day/month or month/day: they are read as "
                "day/month/year, as usual in Belgium, France and the Netherlands. Choose "
                "month/day/year if the file comes from a US tool."
            )
        )
    return "dmy", ""


# --- Numbers -------------------------------------------------------------------------------------

_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f'€$£%]")
_COMMA_DECIMAL = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?|[+-]?\d*,\d+|[+-]?\d+,")
_POINT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_NUMBER_LABELS = {
    "comma": _("decimal comma (1.234,56)"),
    "point": _("decimal point (1,234.56)"),
}


def _number_converter(style: str, kind: str) -> Converter:
    thousands, decimal = (".", ",") if style == "comma" else (",", ".")

    def convert_one(value: str) -> str:
        text = _NUMBER_NOISE.sub("", value)
        if not text or not re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", text):
            return value
        text = text.replace(thousands, "").replace(decimal, ".")
        if text.count(".") > 1:
            return value
        if kind == "integer" and "." in text:
            whole, fraction = text.split(".")
            if fraction.strip("0"):
                return value  # 12,5 is not a whole number: let the check say so
            text = whole
        return text

    def convert(values: list[str]) -> list[str]:
        return [convert_one(v) if v else v for v in values]

    return convert


def _number_format(kind: str, chosen: str, samples: Sequence[str]) -> ValueFormat:
    if chosen in _NUMBER_LABELS:
        style = chosen
    else:
        cleaned = [_NUMBER_NOISE.sub("", v) for v in samples if v]
        comma = sum(1 for v in cleaned if _COMMA_DECIMAL.fullmatch(v))
        point = sum(1 for v in cleaned if _POINT_THOUSANDS.fullmatch(v) or "." in v)
        style = "comma" if comma >= point and comma else "point"
    return ValueFormat(
        style,
        _NUMBER_LABELS[style],
        _number_converter(style, kind),
        every_value=style == "comma",
    )


# --- Phone numbers -------------------------------------------------------------------------------

_E164 = re.compile(PATTERNS["phone"])  # what the column's check accepts


_NUMBER_PUNCTUATION = re.compile(r"[ .()/-]")


@dataclass(frozen=True)
class _TrunkZero:
    """A numbering plan where a national number is 0 and the subscriber's digits: what
    phonenumbers' parse does for such a number, without its per-character work (about 30 µs
    a number, most of a Benelux file's conversion time). Read from its own metadata."""

    prefix: str  # "+32"
    lengths: frozenset[int]  # lengths after the 0 that parse accepts as a national number
    viable: re.Pattern[str]  # a number already without its 0 (parse would then keep the 0)

    def e164(self, text: str) -> str | None:
        digits = _NUMBER_PUNCTUATION.sub("", text)
        if not (digits.isascii() and digits.isdigit()) or digits[:1] != "0" or digits[1:2] == "0":
            return None
        national = digits[1:]
        if len(national) not in self.lengths or self.viable.fullmatch(digits):
            return None
        return self.prefix + national


def _trunk_zero(region: str) -> _TrunkZero | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    general = metadata.general_desc if metadata is not None else None
    if (
        metadata is None
        or general is None
        or general.national_number_pattern is None
        or metadata.national_prefix_for_parsing != "0"
        or metadata.national_prefix_transform_rule
    ):
        return None  # Luxembourg: no trunk prefix; phonenumbers decides every number
    return _TrunkZero(
        prefix=f"+{metadata.country_code}",
        # A length only possible locally keeps its 0 in parse: left to phonenumbers.
        lengths=frozenset(general.possible_length) - frozenset(general.possible_length_local_only),
        viable=re.compile(general.national_number_pattern),
    )


def _phone_converter(region: str) -> Converter:
    trunk_zero = _trunk_zero(region)

    def convert_one(value: str) -> str:
        text = value.strip()
        if _E164.fullmatch(text):
            return text
        if trunk_zero is not None and (quick := trunk_zero.e164(text)) is not None:
            return quick
        if text.startswith("00"):
            text = "+" + text[2:]
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return value
        if not phonenumbers.is_possible_number(number):
            return value
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def convert(values: list[str]) -> list[str]:
        return [convert_one(v) if v else v for v in values]

    return convert


_REGION_LABELS = {
    "BE": _("numbers without a country code are Belgian (+32)"),
    "FR": _("numbers without a country code are French (+33)"),
    "NL": _("numbers without a country code are Dutch (+31)"),
    "LU": _("numbers without a country code are from Luxembourg (+352)"),
    "DE": _("numbers without a country code are German (+49)"),
}


def _phone_format(chosen: str, samples: Sequence[str]) -> ValueFormat:
    if chosen.startswith("phone:") and chosen[6:] in PHONE_REGIONS:
        region = chosen[6:]
    else:
        region = _recognise_region(samples)
    return ValueFormat(f"phone:{region}", _REGION_LABELS[region], _phone_converter(region))


def _recognise_region(samples: Sequence[str]) -> str:
    """The country whose numbering plan fits most national numbers; Belgium on a tie."""
    national = [v for v in samples[:200] if v.strip() and not v.strip().startswith(("+", "00"))]
    if not national:
        return PHONE_REGIONS[0]
    best, best_count = PHONE_REGIONS[0], -1
    for region in PHONE_REGIONS:
        count = 0
        for value in national:
            try:
                count += phonenumbers.is_valid_number(phonenumbers.parse(value, region))
            except phonenumbers.NumberParseException:
                continue
        if count > best_count:
            best, best_count = region, count
    return best


# --- Words: yes/no, civilities, sex, codes, e-mail ----------------------------------------------


def _word_converter(words: dict[str, str]) -> Converter:
    def convert(values: list[str]) -> list[str]:
        return [words.get(v.strip().casefold(), v) if v else v for v in values]

    return convert


def _each(words: str, value: str) -> dict[str, str]:
    return dict.fromkeys(words.split(), value)


YES_NO_WORDS = _each("true 1 y yes oui o vrai ja j waar x on ✓ ✔", "TRUE") | _each(
    "false 0 n no non faux nee neen onwaar off", "FALSE"
)
CIVILITY_WORDS = (
    _each("mr mr. m m. monsieur mister sir dhr dhr. heer meneer mijnheer hr hr.", "Mr")
    | _each("mrs mrs. mme mme. madame mevr mevr. mevrouw mw mw. madam", "Mrs")
    | _each("ms ms. miss mlle mlle. mademoiselle mej mej. juffrouw", "Ms")
    | {"de heer": "Mr"}
)
SEX_WORDS = _each("m h male man homme masculin mannelijk heer monsieur dhr mr", "M") | _each(
    "f v female vrouw femme féminin vrouwelijk madame mevr mme mrs", "F"
)
_COUNTRY_NAMES = {
    "BE": "belgique belgië belgie belgium belgien",
    "FR": "france frankrijk frankreich",
    "NL": "nederland pays-bas netherlands the netherlands holland niederlande",
    "LU": "luxembourg luxemburg lëtzebuerg",
    "DE": "allemagne deutschland duitsland germany",
    "GB": "uk royaume-uni verenigd koninkrijk united kingdom england",
    "ES": "espagne spanje spain españa",
    "IT": "italie italië italy italia",
    "CH": "suisse zwitserland switzerland schweiz",
}
_LANGUAGE_NAMES = {
    "FR": "français francais frans french französisch fr-be fr_be fr-fr fr_fr fr-lu",
    "NL": "néerlandais neerlandais nederlands dutch vlaams flamand niederländisch nl-be nl_be "
    "nl-nl nl_nl",
    "EN": "anglais engels english englisch en-gb en_gb en-us en_us",
    "DE": "allemand duits german deutsch de-de de_de de-be",
    "ES": "espagnol spaans spanish español",
    "IT": "italien italiaans italian italiano",
}


def _names(table: dict[str, str]) -> dict[str, str]:
    return {
        name: code
        for code, names in table.items()
        for name in names.split()
        for name in (name, name.replace("-", " "))
    }


def _code_words(codes: frozenset[str], names: dict[str, str]) -> dict[str, str]:
    # Multi-word names ("the netherlands") are split by _names; join the common ones back.
    words = {c.casefold(): c for c in codes} | _names(names)
    words |= {"the netherlands": "NL", "united kingdom": "GB", "verenigd koninkrijk": "GB"}
    return words


_ASCII_SPACES = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() removes, in ASCII


def _clean_emails(values: list[str]) -> list[str]:
    # Most columns are clean already: C-level looks at the whole batch say so (no capitals, no
    # whitespace that strip() would remove), so each value gets the same answer in any batch.
    joined = "".join(values)
    if joined.isascii() and joined == joined.lower():
        raw = joined.encode("ascii")
        if len(raw.translate(None, _ASCII_SPACES)) == len(raw):
            return values
    return list(map(str.lower, map(str.strip, values)))


_FIXED: dict[str, ValueFormat] = {
    "boolean": ValueFormat(
        "yes_no",
        _("yes/no words (oui/non, ja/nee, x, 1/0) sent as TRUE/FALSE"),
        _word_converter(YES_NO_WORDS),
    ),
    "title": ValueFormat(
        "civility",
        _("civilities (M., Mme, Mlle, Dhr., Mevr.) sent as Mr, Mrs, Ms"),
        _word_converter(CIVILITY_WORDS),
    ),
    "sex": ValueFormat(
        "sex_words",
        _("M/F, H/F, M/V and words (homme, vrouw…) sent as M or F"),
        _word_converter(SEX_WORDS),
    ),
    "country": ValueFormat(
        "country_words",
        _("country codes or names (Belgique, Nederland…) sent as two-letter codes"),
        _word_converter(_code_words(COUNTRY_CODES, _COUNTRY_NAMES)),
    ),
    "language": ValueFormat(
        "language_words",
        _("language codes or names (français, Nederlands…) sent as two-letter codes"),
        _word_converter(_code_words(LANGUAGE_CODES, _LANGUAGE_NAMES)),
    ),
    "email": ValueFormat(
        "email_clean",
        _("e-mail addresses without surrounding spaces, in lower case"),
        _clean_emails,
        every_value=True,
    ),
}
