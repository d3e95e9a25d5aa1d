"""Rules a value, a row and a mapping must follow before ACTITO sees them (spec §7.2).

Checks work on a whole column of a batch of rows at once: the common case (every value fine) is
answered by one regular expression over the joined values, a set comparison or `max(map(len))`,
all of which run in C. Only a batch that has a bad value is looked at value by value. This is
what keeps validation near the speed of plain CSV parsing (see docs/benchmarks.md).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .mapping import IMPORT_MODES, ColumnMapping, ImportMode, ImportTable, Target
from .refdata import COUNTRY_CODES, COUNTRY_HINTS, LANGUAGE_CODES, LANGUAGE_HINTS

DEFAULT_MAX_LENGTH = 255  # ETLF: strings are at most 255 characters unless the table says less

# Only CREATE_ONLY may write these (S002, §7.2).
TECHNICAL_ATTRIBUTES = frozenset(
    {
        "lastMailOpeningMoment",
        "lastMailClickMoment",
        "lastMailTargetingMoment",
        "lastMailActivityStatus",
        "lastDevice",
        "lastUserAgent",
        "blacklistMoment",
        "mobileTargetingRecency",
        "mobileDeliveryRecency",
        "goalReachedRecency",
        "participationRecency",
    }
)
# Mandatory in the table structure, but filled in by ACTITO itself on creation.
SYSTEM_ATTRIBUTES = frozenset({"profileId", "creationMoment", "updateMoment", "lastUpdateMoment"})
# Modes that look a profile up by a unique attribute. CREATE_ONLY does not: ACTITO creates every
# row, and refuses the ones whose unique values already exist (RECORD_ALREADY_EXISTS, §7.6).
MODES_NEEDING_KEY: frozenset[str] = frozenset({"CREATE_OR_UPDATE", "UPDATE_ONLY", "DELETE"})


# --- Value rules --------------------------------------------------------------------------------

Finder = Callable[[Sequence[str]], list[int]]


def _case_variants(words: set[str] | frozenset[str]) -> frozenset[str]:
    """Every upper/lower spelling of each word, so that a set lookup is case-insensitive."""
    found: set[str] = set()
    for word in words:
        pairs = [(c.lower(), c.upper()) for c in word]
        found.update("".join(p) for p in itertools.product(*pairs))
    return frozenset(found)


_SMALL = 32  # below this many values, checking one by one is cheaper than splitting further
_MANY_BAD = 16  # bad values in one batch after which the rest is checked one by one


def _narrow(
    values: Sequence[str],
    all_valid: Callable[[Sequence[str]], bool],
    is_invalid: Callable[[str], bool],
    offset: int = 0,
) -> list[int]:
    """Indices of invalid values, found by halving: a batch with one bad e-mail costs a few
    more C-level checks instead of a Python call per value."""
    if all_valid(values):
        return []
    if len(values) <= _SMALL:
        return [offset + i for i, v in enumerate(values) if is_invalid(v)]
    middle = len(values) // 2
    return _narrow(values[:middle], all_valid, is_invalid, offset) + _narrow(
        values[middle:], all_valid, is_invalid, offset + middle
    )


def regex_finder(pattern: str, all_fit: Callable[[Sequence[str]], bool] | None = None) -> Finder:
    """Indices of values not matching `pattern`; empty values always pass.

    One regular expression runs over the values joined by newlines. `match` stops at the first
    value that does not fit; we note it and start again on the next line, so the whole batch is
    read once however many bad values it has. Values that contain a newline themselves would
    shift the lines: such a batch is checked value by value. `all_fit`, when given, is a cheaper
    look that may answer "every value matches" first (it must never say so wrongly).
    """
    one = re.compile(f"(?:{pattern})?")
    # Possessive: at a value that does not fit, no going back over the ones that did.
    many = re.compile(f"(?:(?:{pattern})?\n)*+(?:{pattern})?")

    def find_invalid(values: Sequence[str]) -> list[int]:
        if all_fit is not None and all_fit(values):
            return []
        joined = "\n".join(values)
        if joined.count("\n") != len(values) - 1:
            return [i for i, v in enumerate(values) if one.fullmatch(v) is None]
        bad: list[int] = []
        position, index, end = 0, 0, len(joined)
        while True:
            stop = many.match(joined, position).end()  # type: ignore[union-attr]  # all optional
            if stop == end:
                return bad
            index += joined.count("\n", position, stop)
            if one.fullmatch(values[index]) is None:  # always true; cheap insurance
                bad.append(index)
            position = joined.find("\n", stop) + 1
            if position == 0:
                return bad
            index += 1
            if len(bad) == _MANY_BAD:
                # A column in another format (dates written 26/05/1967): restarting after each
                # value costs more than looking at the rest one by one.
                rest = range(index, len(values))
                return bad + [i for i in rest if one.fullmatch(values[i]) is None]

    return find_invalid


def _all_digits(most: int) -> Callable[[Sequence[str]], bool]:
    """Every value empty or at most `most` ASCII digits: a few passes of C over the batch."""

    def all_fit(values: Sequence[str]) -> bool:
        joined = "".join(values)
        return (not joined or (joined.isascii() and joined.isdigit())) and max(
            map(len, values), default=0
        ) <= most

    return all_fit


_E164_LENGTHS = frozenset({0, *range(8, 17)})  # empty, or + and 7 to 15 digits


def _all_e164(values: Sequence[str]) -> bool:
    """Every value empty or written +32470123456 (the phone pattern), found in C: each value
    that is not empty starts with the only + it has, then a digit other than 0, then digits."""
    joined = "\n".join(values)
    filled = len(values) - values.count("")
    if joined.count("\n") != len(values) - 1 or joined.count("+") != filled:
        return False
    if ("\n" + joined).count("\n+") != filled or "+0" in joined:
        return False
    digits = joined.replace("+", "").replace("\n", "")
    return (not digits or (digits.isascii() and digits.isdigit())) and set(
        map(len, values)
    ) <= _E164_LENGTHS


# Every month-day of a year but 29 February, whose year must be looked at.
_MONTH_DAYS = frozenset(
    f"{month:02d}-{day:02d}"
    for month, days in enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)
    for day in range(1, days + 1)
)
_MONTH_DAY = itemgetter(slice(5, 10))


def _all_dates(values: Sequence[str]) -> bool:
    """Every value a real date written yyyy-MM-dd (the date pattern), found in C: ten
    characters, dashes in place, digits elsewhere, and each month-day one the calendar has."""
    if "" in values or set(map(len, values)) != {10}:
        return False  # empty values (allowed) are rare enough to leave to the pattern
    joined = "".join(values)
    count = len(values)
    if joined[4::10] != "-" * count or joined[7::10] != "-" * count:
        return False
    digits = joined.replace("-", "")
    return (
        len(digits) == 8 * count
        and digits.isascii()
        and digits.isdigit()
        and set(map(_MONTH_DAY, values)) <= _MONTH_DAYS
    )


def set_finder(valid: frozenset[str]) -> Finder:
    allowed = valid | {""}
    return lambda values: _narrow(values, allowed.issuperset, lambda v: v not in allowed)


def length_finder(max_length: int) -> Finder:
    def all_valid(values: Sequence[str]) -> bool:
        return max(map(len, values), default=0) <= max_length

    return lambda values: _narrow(values, all_valid, lambda v: len(v) > max_length)


def _find_empty(values: Sequence[str]) -> list[int]:
    if "" not in values:
        return []
    return [i for i, v in enumerate(values) if v == ""]


_DATE = (
    # Real calendar dates only: 30/31-day months and 29 February in leap years.
    r"\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
    r"|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29"
)
# Possessive quantifiers (++, *+): no backtracking, which makes this 3× faster on real columns.
_EMAIL_CHAR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_EMAIL_LOCAL = rf"{_EMAIL_CHAR}++(?:\.{_EMAIL_CHAR}++)*+"
_EMAIL_DOMAIN = r"(?:[A-Za-z0-9-]++\.)++[A-Za-z]{2,63}"
PATTERNS: dict[str, str] = {
    "email": f"{_EMAIL_LOCAL}@{_EMAIL_DOMAIN}",
    "phone": r"\+[1-9]\d{6,14}",  # E.164: + and up to 15 digits, no spaces (ETLF: +3210458514)
    "date": f"(?:{_DATE})",
    "datetime": f"(?:{_DATE}) (?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d",
    "integer": r"[-+]?\d{1,18}",  # fits a signed 64-bit number whatever the digits
    "decimal": r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)",
}
BOOLEAN_VALUES = _case_variants({"TRUE", "FALSE", "1", "0", "Y", "N", "YES", "NO"})
SEX_VALUES = _case_variants({"M", "F"})
TITLE_VALUES = frozenset({"Mr", "Mrs", "Ms"})  # ETLF: exactly these spellings
LANGUAGE_VALUES = _case_variants(LANGUAGE_CODES)
COUNTRY_VALUES = _case_variants(COUNTRY_CODES)


# Each message is one or two whole sentences in the marketer's language; a second sentence (a
# hint) is added after a space.


def _spaces(value: str) -> str:
    return " " + _("Remove the spaces around it.") if value != value.strip() else ""


def _describe_phone(v: str) -> str:
    hint = ""
    if v.strip().startswith("0") or re.search(r"[\s./()-]", v.strip()):
        hint = " " + _("Start with + and the country code, with digits only.")
    message = _(
        "“%(value)s” is not a phone number in international format (for example +32470123456)."
    )
    return message % {"value": v} + hint


def _code_hint(v: str, hints: dict[str, str]) -> str:
    better = hints.get(v.strip().upper())
    if better:
        return " " + _("Write “%(code)s” instead.") % {"code": better}
    return _spaces(v)


def _describe_language(v: str) -> str:
    message = _("“%(value)s” is not a two-letter ISO 639-1 language code (for example FR, NL, EN).")
    return message % {"value": v} + _code_hint(v, LANGUAGE_HINTS)


def _describe_country(v: str) -> str:
    message = _("“%(value)s” is not a two-letter ISO 3166-1 country code (for example BE, FR, NL).")
    return message % {"value": v} + _code_hint(v, COUNTRY_HINTS)


def _about(message: str, v: str) -> str:
    """`message` about the value `v`, with a word on stray spaces around it when there are any."""
    return message % {"value": v} + _spaces(v)


def _describe_email(v: str) -> str:
    return _about(_("“%(value)s” is not a valid e-mail address."), v)


def _describe_date(v: str) -> str:
    return _about(_("“%(value)s” is not a date written as yyyy-MM-dd (for example 1985-04-23)."), v)


def _describe_datetime(v: str) -> str:
    message = _(
        "“%(value)s” is not a date and time written as yyyy-MM-dd HH:mm:ss "
        "(for example 2024-01-31 14:05:00)."
    )
    return _about(message, v)


def _describe_integer(v: str) -> str:
    return _about(_("“%(value)s” is not a whole number."), v)


def _describe_decimal(v: str) -> str:
    message = _(
        "“%(value)s” is not a number. Use a dot as the decimal separator (for example 12.50)."
    )
    return _about(message, v)


def _describe_boolean(v: str) -> str:
    message = _(
        "“%(value)s” is not a yes/no value. Use yes or no words (oui/non, ja/nee, yes/no), "
        "1 or 0, TRUE or FALSE, or x for yes."
    )
    return _about(message, v)


def _describe_title(v: str) -> str:
    return _(
        "“%(value)s” is not a title ACTITO knows. Use Mr, Mrs or Ms (M., Mme, Mlle, Dhr., "
        "Mevr. and Mevrouw are converted for you)."
    ) % {"value": v}


def _describe_sex(v: str) -> str:
    return _about(_("“%(value)s” is not a sex code. Use M or F."), v)


_DESCRIBE: dict[str, Callable[[str], str]] = {
    "email": _describe_email,
    "phone": _describe_phone,
    "date": _describe_date,
    "datetime": _describe_datetime,
    "integer": _describe_integer,
    "decimal": _describe_decimal,
    "boolean": _describe_boolean,
    "title": _describe_title,
    "sex": _describe_sex,
    "language": _describe_language,
    "country": _describe_country,
}
_ALL_FIT: dict[str, Callable[[Sequence[str]], bool]] = {
    "integer": _all_digits(18),
    "phone": _all_e164,
    "date": _all_dates,
}
_FINDERS: dict[str, Finder] = {
    kind: regex_finder(p, _ALL_FIT.get(kind)) for kind, p in PATTERNS.items()
}
_FINDERS |= {
    "boolean": set_finder(BOOLEAN_VALUES),
    "sex": set_finder(SEX_VALUES),
    "title": set_finder(TITLE_VALUES),
    "language": set_finder(LANGUAGE_VALUES),
    "country": set_finder(COUNTRY_VALUES),
}
VALUE_KINDS: tuple[str, ...] = (*_FINDERS, "string", "category")

_VALUE_TYPE_KINDS = {
    "INTEGER": "integer",
    "INT": "integer",
    "LONG": "integer",
    "DECIMAL": "decimal",
    "NUMBER": "decimal",
    "NUMERIC": "decimal",
    "DOUBLE": "decimal",
    "FLOAT": "decimal",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "DATETIME": "datetime",
    "DATE_TIME": "datetime",
    "EMAIL": "email",
    "EMAIL_ADDRESS": "email",
    "PHONE": "phone",
    "PHONE_NUMBER": "phone",
    # Not ACTITO value types, but lets a caller say what a CUSTOM string attribute holds.
    "COUNTRY": "country",
    "LANGUAGE": "language",
    "SEX": "sex",
}


def value_kind(target: Target) -> str:
    """Which format a target's values must have: one of `VALUE_KINDS`."""
    if target.kind == "subscription":
        return "boolean"
    if target.kind == "segmentation":
        return "category" if target.categories else "string"
    attribute = target.attribute
    assert attribute is not None
    predefined = attribute.predefined_type.upper()
    if predefined == "EMAIL_ADDRESS":
        return "email"
    if "PHONE" in predefined or "GSM" in predefined or predefined == "MOBILE":
        return "phone"
    if predefined == "BIRTHDATE":
        return "date"
    if predefined in ("SEX", "GENDER"):
        return "sex"
    if predefined in ("TITLE", "CIVILITY", "SALUTATION"):
        return "title"
    if "LANGUAGE" in predefined:
        return "language"
    if "COUNTRY" in predefined:
        return "country"
    return _VALUE_TYPE_KINDS.get(attribute.value_type.upper(), "string")


# Kinds whose values are converted from a format the marketer can choose (conversions.py).
_READ_AS_KINDS = frozenset({"date", "datetime", "decimal", "integer", "phone"})


def _could_not_read(kind: str) -> str:
    """The sentence for a value of `kind` that its column's format could not read."""
    if kind == "date":
        return _("“%(value)s” could not be read as a date (%(format)s).")
    if kind == "datetime":
        return _("“%(value)s” could not be read as a date and time (%(format)s).")
    if kind == "decimal":
        return _("“%(value)s” could not be read as a number (%(format)s).")
    if kind == "integer":
        return _("“%(value)s” could not be read as a whole number (%(format)s).")
    return _("“%(value)s” could not be read as a phone number (%(format)s).")


def _read_as_describer(kind: str, read_as: str) -> Callable[[str], str]:
    def describe(v: str) -> str:
        return _could_not_read(kind) % {"value": v, "format": read_as} + _spaces(v)

    return describe


@dataclass(frozen=True)
class Rule:
    """One check on one column. `blocking` rules make a row invalid; others are warnings."""

    code: str
    find_invalid: Finder
    describe: Callable[[str], str]
    blocking: bool = True
    # For a length rule: the most characters a value may have. A batch whose rows are all
    # shorter than that cannot break it, and the pass skips the check (pipeline.py).
    limit: int | None = None


def rules_for(
    target: Target, *, mode: ImportMode, ignore_invalid: bool = False, read_as: str = ""
) -> list[Rule]:
    """The checks for a column mapped to `target`, in the order their messages should appear.
    `read_as` names the format the column's values were converted from (conversions.py), for
    the messages about values that could not be read that way."""
    rules: list[Rule] = []
    kind = value_kind(target)
    attribute = target.attribute
    blocking = not ignore_invalid  # ACTITO drops such values itself (ignoreInvalidValues)
    multi_valued = attribute is not None and attribute.multi_valued
    if kind in _FINDERS and not multi_valued:
        code = f"INVALID_{kind.upper()}"
        describe = _DESCRIBE[kind]
        if read_as and kind in _READ_AS_KINDS:
            describe = _read_as_describer(kind, read_as)
        rules.append(Rule(code, _FINDERS[kind], describe, blocking))
    elif kind == "category":
        shown = ", ".join(target.categories[:10])

        def describe_category(v: str) -> str:
            return _("“%(value)s” is not a category of %(field)s (%(categories)s).") % {
                "value": v,
                "field": target.label,
                "categories": shown,
            }

        rules.append(
            Rule(
                "INVALID_CATEGORY",
                set_finder(frozenset(target.categories)),
                describe_category,
                blocking,
            )
        )
    if kind in ("string", "email", "phone", "category"):
        limit = (attribute.max_length if attribute else None) or DEFAULT_MAX_LENGTH

        def describe_length(v: str) -> str:
            return ngettext(
                "This value has %(count)s character; at most %(limit)s are allowed.",
                "This value has %(count)s characters; at most %(limit)s are allowed.",
                len(v),
            ) % {"count": len(v), "limit": limit}

        rules.append(Rule("VALUE_TOO_LONG", length_finder(limit), describe_length, blocking, limit))
    if (
        attribute is not None
        and attribute.mandatory
        and attribute.name not in SYSTEM_ATTRIBUTES
        and mode in ("CREATE_ONLY", "CREATE_OR_UPDATE")
    ):
        # In CREATE_OR_UPDATE the row may update an existing profile, which needs no value: we
        # cannot know before ACTITO looks, so it is a warning there.
        def describe_missing(_v: str) -> str:
            return _("No value for %(field)s, which new profiles must have.") % {
                "field": attribute.name
            }

        rules.append(
            Rule(
                "MISSING_MANDATORY_VALUE",
                _find_empty,
                describe_missing,
                blocking=mode == "CREATE_ONLY",
            )
        )
    return rules


def value_problems(
    target: Target, value: str, *, mode: ImportMode = "CREATE_OR_UPDATE"
) -> list[tuple[str, str]]:
    """`(code, message)` for each rule one value breaks, e.g. to explain a preview cell."""
    rules = rules_for(target, mode=mode)
    return [(r.code, r.describe(value)) for r in rules if r.find_invalid([value])]


# --- Mapping checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingProblem:
    """A problem with the mapping as a whole. `blocking` ones must be fixed before importing."""

    code: str
    message: str
    blocking: bool = True
    header: str | None = None


def check_mapping(
    headers: Sequence[str],
    mapping: Sequence[ColumnMapping],
    table: ImportTable,
    mode: ImportMode,
) -> list[MappingProblem]:
    """Everything wrong with a mapping for this file, table and mode, before reading any row."""
    if mode not in IMPORT_MODES:
        raise ValueError(f"Unknown import mode {mode!r}; expected one of {IMPORT_MODES}.")
    problems: list[MappingProblem] = []
    if not mapping:
        problems.append(
            MappingProblem("NOTHING_MAPPED", _("No column is linked to the table yet."))
        )
    seen_headers: set[str] = set()
    seen_targets: dict[str, str] = {}
    mapped: list[Target] = []
    for column in mapping:
        header = column.header
        if header in seen_headers:
            problems.append(
                MappingProblem(
                    "COLUMN_MAPPED_TWICE",
                    _("Column “%(column)s” is linked twice.") % {"column": header},
                    header=header,
                )
            )
        seen_headers.add(header)
        if header not in headers:
            problems.append(
                MappingProblem(
                    "UNKNOWN_COLUMN",
                    _("The file has no column “%(column)s”.") % {"column": header},
                    header=header,
                )
            )
        target = table.target(column.target)
        if target is None:
            problems.append(
                MappingProblem(
                    "UNKNOWN_TARGET",
                    _("Table %(table)s has no field “%(field)s” (column “%(column)s”).")
                    % {"table": table.name, "field": column.target, "column": header},
                    header=header,
                )
            )
            continue
        if target.name in seen_targets:
            problems.append(
                MappingProblem(
                    "TARGET_MAPPED_TWICE",
                    _(
                        "Columns “%(first)s” and “%(second)s” are both linked to %(field)s. Link "
                        "only one of them."
                    )
                    % {"first": seen_targets[target.name], "second": header, "field": target.name},
                    header=header,
                )
            )
        seen_targets[target.name] = header
        mapped.append(target)
        if target.name in TECHNICAL_ATTRIBUTES and mode != "CREATE_ONLY":
            problems.append(
                MappingProblem(
                    "TECHNICAL_ATTRIBUTE",
                    _(
                        "%(field)s is a technical field that ACTITO only accepts when creating "
                        "new profiles (mode CREATE_ONLY). Unlink column “%(column)s” or change "
                        "the mode."
                    )
                    % {"field": target.name, "column": header},
                    header=header,
                )
            )
    mapped_names = {t.name for t in mapped}
    if mode in MODES_NEEDING_KEY and not any(t.attribute and t.attribute.unique for t in mapped):
        keys = ", ".join(a.name for a in table.key_attributes) or _("none in this table")
        problems.append(MappingProblem("NO_KEY_COLUMN", _no_key_column(mode) % {"keys": keys}))
    if mode in ("CREATE_ONLY", "CREATE_OR_UPDATE"):
        missing = [
            a.name
            for a in table.attributes
            if a.mandatory and a.name not in SYSTEM_ATTRIBUTES and a.name not in mapped_names
        ]
        if missing:
            blocking = mode == "CREATE_ONLY"
            consequence = (
                _("ACTITO would refuse every row.")
                if blocking
                else _("ACTITO will refuse rows for people who are not in the table yet.")
            )
            message = ngettext(
                "New profiles must have %(fields)s, but no column is linked to it.",
                "New profiles must have %(fields)s, but no column is linked to them.",
                len(missing),
            ) % {"fields": ", ".join(missing)}
            problems.append(
                MappingProblem(
                    "MANDATORY_NOT_MAPPED", f"{message} {consequence}", blocking=blocking
                )
            )
    return problems


def _no_key_column(mode: ImportMode) -> str:
    """Why a key column is needed, said for the mode (whole sentences: word order differs)."""
    if mode == "CREATE_OR_UPDATE":
        return _(
            "To create or update profiles, ACTITO must recognise each profile: link one column "
            "to a key field (unique: %(keys)s)."
        )
    if mode == "UPDATE_ONLY":
        return _(
            "To update profiles, ACTITO must recognise each profile: link one column to a key "
            "field (unique: %(keys)s)."
        )
    if mode == "DELETE":
        return _(
            "To delete profiles, ACTITO must recognise each profile: link one column to a key "
            "field (unique: %(keys)s)."
        )
    return _(
        "To create profiles, ACTITO must recognise each profile: link one column to a key field "
        "(unique: %(keys)s)."
    )
