import pytest

from actito_admin.scenarios.references import (
    InvalidReference,
    display_name,
    matches,
    parse_reference,
    parse_reference_list,
    search_pattern,
)


def test_display_name_drops_the_generated_uuid_suffix():
    assert display_name("DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170") == "DocScenarioAPI"
    assert display_name("Welcome-60dd2012-b296-43fc-bae5-6cb6c1b2d170") == "Welcome"
    assert display_name("Bienvenue été") == "Bienvenue été", "names without a suffix stay whole"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("Doc", "*Doc*"), ("  new   year ", "*new year*"), ("Doc*", "Doc*"), ("", "*"), ("*", "*")],
)
def test_plain_words_search_anywhere_and_typed_wildcards_are_kept(typed, sent):
    assert search_pattern(typed) == sent


def test_wildcards_match_case_insensitively_with_star_only():
    assert matches("*doc*", "DocScenarioAPI")
    assert matches("Doc*", "DocScenarioAPI")
    assert not matches("Doc", "DocScenarioAPI"), "without a star the whole name must match"
    assert not matches("*x.y*", "xzy"), "a dot is a literal character, not a regex"


def test_a_profile_id_must_be_a_number():
    assert str(parse_reference("profileId", " 147471 ")) == "147471"
    with pytest.raises(InvalidReference, match="is a number"):
        parse_reference("profileId", "abc")


def test_an_email_reference_is_checked_and_lower_cased():
    ref = parse_reference("emailAddress", "John.Smith@Example.com")
    assert str(ref) == "emailAddress=john.smith@example.com"
    with pytest.raises(InvalidReference, match="not an e-mail address"):
        parse_reference("emailAddress", "john.smith")


def test_an_empty_value_is_refused_with_a_plain_message():
    with pytest.raises(InvalidReference, match="Enter a value"):
        parse_reference("customerId", "   ")


def test_a_list_counts_duplicates_once_and_reports_invalid_lines():
    text = (
        "emailAddress\na@example.com\nb@example.com\nA@example.com\nnot-an-email\n\nc@example.com\n"
    )
    parsed = parse_reference_list(text, "emailAddress")
    assert [str(r) for r in parsed.references] == [
        "emailAddress=a@example.com",
        "emailAddress=b@example.com",
        "emailAddress=c@example.com",
    ]
    assert parsed.duplicates == [(4, "A@example.com")]
    assert parsed.invalid[0][:2] == (5, "not-an-email")


def test_a_list_longer_than_the_limit_is_flagged_and_cut():
    text = "\n".join(str(i) for i in range(1, 13))
    parsed = parse_reference_list(text, "profileId", limit=10)
    assert parsed.too_many and len(parsed.references) == 10


def test_a_line_with_two_values_is_invalid_not_split():
    parsed = parse_reference_list("1,2\n3\n", "profileId")
    assert [str(r) for r in parsed.references] == ["3"]
    assert parsed.invalid[0][0] == 1
