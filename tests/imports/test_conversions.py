"""Values as Benelux marketers write them become what ACTITO's files must hold (ETLF formats)."""

from __future__ import annotations

import random

import pytest

from actito_admin.imports import conversions
from actito_admin.imports.conversions import AS_IS, AUTO, resolve


def converted(kind: str, values: list[str], chosen: str = AUTO) -> list[str]:
    value_format = resolve(kind, chosen, values)
    assert value_format.convert is not None, f"{kind} values are not converted at all"
    return value_format.convert(values)


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("26/05/1967", "1967-05-26"),
        ("26-05-1967", "1967-05-26"),
        ("26.05.1967", "1967-05-26"),
        ("3/4/75", "1975-04-03"),
        ("1967-05-26", "1967-05-26"),
        ("26/05/1967 00:00", "1967-05-26"),  # Excel's midnight on a date
        (" 26/05/1967 ", "1967-05-26"),
    ],
)
def test_french_and_belgian_dates_become_year_month_day(written, sent):
    assert converted("date", [written, "31/12/1980"]) == [sent, "1980-12-31"], (
        f"the date {written!r} should be sent to ACTITO as {sent}"
    )


def test_impossible_dates_are_left_for_the_check_to_refuse():
    values = ["31/02/1990", "29/02/2023", "29/02/2024", "26/13/1967x"]
    assert converted("date", values, "dmy") == ["31/02/1990", "29/02/2023", "2024-02-29"] + [
        "26/13/1967x"
    ], "only real calendar dates may be converted"


def test_a_column_that_fits_day_month_and_month_day_is_read_day_first_and_says_so():
    value_format = resolve("date", AUTO, ["01/02/1980", "03/04/1975"])
    assert value_format.key == "dmy"
    assert "month/day" in value_format.note, "the marketer must be told the dates are ambiguous"


def test_us_dates_are_recognised_when_only_month_first_fits():
    value_format = resolve("date", AUTO, ["05/26/1967", "12/31/1980"])
    assert value_format.key == "mdy" and not value_format.note
    assert value_format.convert is not None
    assert value_format.convert(["05/26/1967"]) == ["1967-05-26"]


def test_the_marketer_can_override_the_recognised_order():
    assert converted("date", ["01/02/1980"], "mdy") == ["1980-01-02"]


def test_date_times_get_seconds_and_a_date_alone_gets_midnight():
    assert converted("datetime", ["26/05/1967 14:05", "26/05/1967", "2024-01-31T08:00:00"]) == [
        "1967-05-26 14:05:00",
        "1967-05-26 00:00:00",
        "2024-01-31 08:00:00",
    ]


@pytest.mark.parametrize(
    ("written", "sent"),
    [("12,50", "12.50"), ("1.234,56", "1234.56"), ("1 234,5", "1234.5"), ("€ 3,00", "3.00")],
)
def test_decimal_commas_become_decimal_points(written, sent):
    assert converted("decimal", [written, "2,5"]) == [sent, "2.5"], (
        f"{written!r} should reach ACTITO as {sent}"
    )


def test_decimal_points_with_thousands_commas_are_read_too():
    assert converted("decimal", ["1,234.56", "12.50"]) == ["1234.56", "12.50"]


def test_whole_numbers_lose_thousands_signs_but_a_fraction_stays_for_the_check():
    assert converted("integer", ["1.250", "12,00", "12,5"], "comma") == ["1250", "12", "12,5"]


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("0498 79 21 85", "+32498792185"),
        ("+32 498 79 21 85", "+32498792185"),
        ("0032 498 79 21 85", "+32498792185"),
        ("02/345.67.89", "+3223456789"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_belgian_phone_numbers_become_international(written, sent):
    assert converted("phone", [written, "0470 12 34 56"]) == [sent, "+32470123456"]


def test_french_national_numbers_are_recognised_as_french():
    value_format = resolve("phone", AUTO, ["06 12 34 56 78", "07 98 76 54 32"])
    assert value_format.key == "phone:FR", value_format
    assert value_format.convert is not None
    assert value_format.convert(["06 12 34 56 78"]) == ["+33612345678"]


def test_something_that_is_not_a_phone_number_is_left_for_the_check():
    assert converted("phone", ["pas de gsm", "12"], "phone:BE") == ["pas de gsm", "12"]


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("oui", "TRUE"),
        ("Non", "FALSE"),
        ("ja", "TRUE"),
        ("nee", "FALSE"),
        ("x", "TRUE"),
        ("1", "TRUE"),
        ("0", "FALSE"),
        ("Yes", "TRUE"),
        ("", ""),
    ],
)
def test_yes_no_words_in_english_french_and_dutch(written, sent):
    assert converted("boolean", [written]) == [sent], f"{written!r} should mean {sent or 'empty'}"


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("M.", "Mr"),
        ("Mme", "Mrs"),
        ("Mlle", "Ms"),
        ("Dhr.", "Mr"),
        ("Mevr.", "Mrs"),
        ("Mevrouw", "Mrs"),
        ("de heer", "Mr"),
        ("Mrs", "Mrs"),
    ],
)
def test_civilities_become_actito_titles(written, sent):
    assert converted("title", [written]) == [sent], f"the civility {written!r} should be {sent}"


def test_sex_words_country_and_language_names_become_codes():
    assert converted("sex", ["H", "F", "V", "homme", "vrouw"]) == ["M", "F", "F", "M", "F"]
    assert converted("country", ["Belgique", "België", "nl", "Luxembourg"]) == [
        "BE",
        "BE",
        "NL",
        "LU",
    ]
    assert converted("language", ["Français", "Nederlands", "nl-BE", "en"]) == [
        "FR",
        "NL",
        "NL",
        "EN",
    ]


def test_email_addresses_are_trimmed_and_lower_cased():
    assert converted("email", [" Sophie.Dubois@Example.BE ", ""]) == [
        "sophie.dubois@example.be",
        "",
    ]


def test_an_e_mail_address_is_cleaned_the_same_in_any_batch():
    # Excel pastes a no-break space after an address; a clean rest of the batch must not hide it.
    clean = [f"person{i}@example.be" for i in range(50)]
    assert converted("email", [*clean, "ann@x.be\u00a0"])[-1] == "ann@x.be"
    assert converted("email", ["ann@x.be\u00a0", "Bob@X.be"]) == ["ann@x.be", "bob@x.be"]
    assert converted("email", ["ann@x.be\t"]) == ["ann@x.be"]
    assert converted("email", clean) == clean


@pytest.mark.parametrize("region", ["BE", "FR", "NL", "DE", "LU"])
def test_national_numbers_become_what_phonenumbers_makes_of_them(region, monkeypatch):
    # Numbers written 0470 12 34 56 skip phonenumbers' parse (its metadata says how); anything
    # else still goes through it. Both roads must give the same answer for any input.
    rng = random.Random(region)

    def written() -> str:
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 16)))
        digits = "0" + digits if rng.random() < 0.7 else digits
        return "".join(c + (rng.choice(" ./-()") if rng.random() < 0.25 else "") for c in digits)

    values = [written() for _ in range(5000)] + ["0470 12 34 56", "01 42 68 53 00", "0381"]
    quick = resolve("phone", f"phone:{region}", []).convert
    monkeypatch.setattr(conversions, "_trunk_zero", lambda _region: None)
    parsed = resolve("phone", f"phone:{region}", []).convert
    assert quick is not None and parsed is not None
    assert quick(values) == parsed(values)
    if region == "BE":
        assert quick(["0470 12 34 56"]) == ["+32470123456"]


def test_as_they_are_sends_the_values_unchanged():
    assert resolve("date", AS_IS, ["26/05/1967"]).convert is None
    assert resolve("string", AUTO, ["anything"]).convert is None
