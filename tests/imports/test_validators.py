"""Every value rule, one value at a time and over whole batches."""

from __future__ import annotations

import random
import re

import pytest

from actito_admin.imports.mapping import Attribute, ColumnMapping, ImportTable, Target
from actito_admin.imports.refdata import COUNTRY_CODES, LANGUAGE_CODES
from actito_admin.imports.validation import (
    _FINDERS,
    PATTERNS,
    check_mapping,
    regex_finder,
    value_kind,
    value_problems,
)


def codes(table: ImportTable, target: str, value: str, mode="UPDATE_ONLY") -> list[str]:
    found = table.target(target)
    assert found is not None, f"test setup: no target {target}"
    return [code for code, _ in value_problems(found, value, mode=mode)]


CASES = [
    # (target, valid values, invalid values)
    (
        "emailAddress",
        ["john.smith@actito.com", "a+tag@sub.example.be", "O'Brien@x.ie", ""],
        ["john@", "@x.be", "john@x", "john smith@x.be", "john@@x.be", "john@x.be "],
    ),
    (
        "gsm",
        ["+32470123456", "+3210458514", "+447911123456"],
        ["0470123456", "+32 470 12 34 56", "+0123456789", "32470123456"],
    ),
    (
        "birthDate",
        ["1985-04-23", "2000-02-29", "2024-12-31"],
        ["23/04/1985", "1985-4-23", "1985-02-30", "1900-02-29", "1985-13-01"],
    ),
    (
        "lastPurchase",
        ["2024-01-31 14:05:00", "1999-12-31 23:59:59"],
        ["2024-01-31", "2024-01-31T14:05:00", "2024-01-31 24:00:00", "2024-01-31 14:05"],
    ),
    (
        "loyaltyPoints",
        ["0", "42", "-7", "+3", "007"],
        ["4.2", "1e3", "forty", "1 000", "12345678901234567890"],
    ),
    ("averageBasket", ["12.50", "0", "-3.2", ".5", "7."], ["12,50", "1.2.3", "€12", "abc"]),
    ("isVip", ["TRUE", "false", "1", "0", "Y", "n", "YES", "No"], ["vrai", "oui", "2", "T"]),
    ("sex", ["M", "F", "m", "f"], ["X", "Male", "H", "V"]),
    ("motherLanguage", ["FR", "nl", "EN", "de"], ["FRA", "french", "XX", "fr-BE"]),
    ("country", ["BE", "fr", "NL", "LU", "GB"], ["UK", "BEL", "Belgium", "XX"]),
    ("subscriptions#Newsletter", ["TRUE", "0", "y"], ["subscribed", "maybe"]),
    ("S_ClientType", ["Gold", "Silver"], ["Bronze", "gold"]),
]


@pytest.mark.parametrize(("target", "valid", "invalid"), CASES)
def test_each_rule_accepts_good_values_and_refuses_bad_ones(table, target, valid, invalid):
    for value in valid:
        assert codes(table, target, value) == [], f"{target}: “{value}” wrongly refused"
    for value in invalid:
        assert codes(table, target, value), f"{target}: “{value}” wrongly accepted"


def test_the_full_iso_lists_are_used():
    assert len(COUNTRY_CODES) == 249, "ISO 3166-1 alpha-2 has 249 codes"
    assert {"BE", "AX", "BQ", "SS", "XK"} & COUNTRY_CODES == {"BE", "AX", "BQ", "SS"}
    assert len(LANGUAGE_CODES) == 184 and "UK" in LANGUAGE_CODES, "ISO 639-1 list incomplete"


def test_strings_are_limited_to_255_characters_by_default(table):
    assert codes(table, "city", "x" * 255) == []
    assert codes(table, "city", "x" * 256) == ["VALUE_TOO_LONG"]


def test_the_tables_own_max_length_wins(table):
    assert codes(table, "postalCode", "12345678901") == ["VALUE_TOO_LONG"]


def test_an_e_mail_address_longer_than_allowed_is_refused(table):
    long_email = "a" * 251 + "@x.be"
    assert "VALUE_TOO_LONG" in codes(table, "emailAddress", long_email)


def test_messages_say_what_to_write(table):
    target = table.target("gsm")
    assert target
    ((_, message),) = value_problems(target, "0470 12 34 56")
    assert "international format" in message and "+ and the country code" in message, message
    country = table.target("country")
    assert country
    ((_, message),) = value_problems(country, "UK")
    assert "Write “GB” instead" in message, message
    basket = table.target("averageBasket")
    assert basket
    ((_, message),) = value_problems(basket, "12,50")
    assert "dot as the decimal separator" in message, message
    email = table.target("emailAddress")
    assert email
    ((_, message),) = value_problems(email, " a@b.be")
    assert "Remove the spaces" in message, message


def test_a_missing_mandatory_value_only_blocks_when_creating(table):
    assert codes(table, "lastName", "", mode="CREATE_ONLY") == ["MISSING_MANDATORY_VALUE"]
    assert codes(table, "lastName", "", mode="UPDATE_ONLY") == []


def test_value_kinds_come_from_predefined_type_then_value_type():
    def kind(**kwargs) -> str:
        return value_kind(Target("x", "attribute", "x", attribute=Attribute("x", **kwargs)))

    assert kind(predefined_type="EMAIL_ADDRESS") == "email"
    assert kind(predefined_type="BIRTHDATE", value_type="STRING") == "date"
    assert kind(value_type="TIMESTAMP") == "datetime"
    assert kind(value_type="COUNTRY") == "country"
    assert kind(value_type="STRING") == "string"


def test_the_batch_check_finds_exactly_the_values_the_one_by_one_check_finds():
    rng = random.Random(7)
    good = ["a@b.be", "x.y@example.com", ""]
    bad = ["nope", "a@b", " a@b.be", "a@b.be x", "@", "a\nb@c.de", "a@b.be\n"]
    finder = regex_finder(PATTERNS["email"])
    for _ in range(200):
        values = [
            rng.choice(good if rng.random() < 0.8 else bad) for _ in range(rng.randint(1, 60))
        ]
        expected = [i for i, v in enumerate(values) if v in bad]
        assert finder(values) == expected, f"batch check disagrees on {values}"


def test_a_column_in_another_format_is_found_value_by_value():
    # Dates written 26/05/1967: every value fails, the check stops restarting and reads on.
    finder = regex_finder(PATTERNS["date"])
    values = ["26/05/1967"] * 40 + ["1967-05-26", "", "31/12/1999"] * 20
    expected = [i for i, v in enumerate(values) if v not in ("1967-05-26", "")]
    assert finder(values) == expected


@pytest.mark.parametrize("kind", ["integer", "phone", "date"])
def test_the_quick_looks_at_a_batch_agree_with_the_pattern(kind):
    # Integers, phone numbers and dates are first looked at with a few string methods; only
    # a batch they cannot vouch for goes through the pattern. They must never vouch wrongly.
    rng = random.Random(kind)
    one = re.compile(f"(?:{PATTERNS[kind]})?")
    shapes = {
        "integer": lambda: str(rng.randint(0, 10 ** rng.randint(1, 20))),
        "phone": lambda: "+" + str(rng.randint(0, 10 ** rng.randint(5, 16))),
        "date": lambda: (
            f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
        ),
    }
    noise = "0123456789-+ /\n\u0663"  # \u0663: an Arabic-Indic digit, a \\d but not ASCII

    def value() -> str:
        if rng.random() < 0.9:
            return shapes[kind]()
        return "".join(rng.choice(noise) for _ in range(rng.choice([0, 1, 8, 10, 16])))

    finder = _FINDERS[kind]
    for _ in range(3000):
        values = [value() for _ in range(rng.choice([1, 2, 3, 20]))]
        expected = [i for i, v in enumerate(values) if one.fullmatch(v) is None]
        assert finder(values) == expected, f"{kind}: batch check disagrees on {values}"


# --- Mapping checks ---------------------------------------------------------------------------

HEADERS = ["email", "name", "opened", "id"]


def mapping_codes(table, mapping, mode) -> list[tuple[str, bool]]:
    return [(p.code, p.blocking) for p in check_mapping(HEADERS, mapping, table, mode)]


def test_technical_attributes_are_only_allowed_in_create_only(table):
    mapping = [
        ColumnMapping("email", "emailAddress"),
        ColumnMapping("name", "lastName"),
        ColumnMapping("opened", "lastMailOpeningMoment"),
    ]
    assert ("TECHNICAL_ATTRIBUTE", True) in mapping_codes(table, mapping, "CREATE_OR_UPDATE")
    assert mapping_codes(table, mapping, "CREATE_ONLY") == []


@pytest.mark.parametrize("mode", ["CREATE_OR_UPDATE", "UPDATE_ONLY", "DELETE"])
def test_modes_that_find_profiles_need_a_key_column(table, mode):
    problems = check_mapping(HEADERS, [ColumnMapping("name", "lastName")], table, mode)
    no_key = [p for p in problems if p.code == "NO_KEY_COLUMN"]
    assert no_key and no_key[0].blocking, f"{mode} accepted a mapping without a key"
    assert "emailAddress" in no_key[0].message, no_key[0].message


def test_create_only_needs_no_key_but_all_mandatory_fields(table):
    problems = check_mapping(HEADERS, [ColumnMapping("name", "firstName")], table, "CREATE_ONLY")
    assert [(p.code, p.blocking) for p in problems] == [("MANDATORY_NOT_MAPPED", True)]
    assert "emailAddress, lastName" in problems[0].message, "system fields must not be required"


def test_create_or_update_only_warns_about_unmapped_mandatory_fields(table):
    mapping = [ColumnMapping("email", "emailAddress")]
    assert mapping_codes(table, mapping, "CREATE_OR_UPDATE") == [("MANDATORY_NOT_MAPPED", False)]


def test_mapping_mistakes_are_each_reported(table):
    mapping = [
        ColumnMapping("email", "emailAddress"),
        ColumnMapping("email", "lastName"),
        ColumnMapping("name", "emailAddress"),
        ColumnMapping("ghost", "firstName"),
        ColumnMapping("id", "shoeSize"),
    ]
    found = {code for code, _ in mapping_codes(table, mapping, "UPDATE_ONLY")}
    assert found == {
        "COLUMN_MAPPED_TWICE",
        "TARGET_MAPPED_TWICE",
        "UNKNOWN_COLUMN",
        "UNKNOWN_TARGET",
    }


def test_an_unknown_mode_is_a_programming_error(table):
    with pytest.raises(ValueError, match="CREATE_UPDATE"):
        check_mapping(HEADERS, [], table, "CREATE_UPDATE")  # type: ignore[arg-type]
