"""Auto-matching CSV headers to a table's attributes, subscriptions and segmentations."""

from __future__ import annotations

import pytest

from actito_admin.imports.mapping import ImportTable, match_headers


def best(header: str, table: ImportTable) -> str | None:
    return match_headers([header], table)[0].target


@pytest.mark.parametrize(
    ("header", "target"),
    [
        # English, French and Dutch spellings, with and without accents and punctuation.
        ("E-mail", "emailAddress"),
        ("email address", "emailAddress"),
        ("Courriel", "emailAddress"),
        ("Adresse e-mail", "emailAddress"),
        ("mail", "emailAddress"),
        ("E-mailadres", "emailAddress"),
        ("GSM", "gsm"),
        ("Mobile", "gsm"),
        ("Téléphone portable", "gsm"),
        ("portable", "gsm"),
        ("Mobiel nummer", "gsm"),
        ("Téléphone", "phone"),
        ("Telefoon", "phone"),
        ("First name", "firstName"),
        ("Prénom", "firstName"),
        ("PRENOM", "firstName"),
        ("Voornaam", "firstName"),
        ("Last name", "lastName"),
        ("Nom", "lastName"),
        ("Achternaam", "lastName"),
        ("Date de naissance", "birthDate"),
        ("Geboortedatum", "birthDate"),
        ("birthdate", "birthDate"),
        ("Langue", "motherLanguage"),
        ("Taal", "motherLanguage"),
        ("language", "motherLanguage"),
        ("Pays", "country"),
        ("Land", "country"),
        ("Sexe", "sex"),
        ("Geslacht", "sex"),
        ("Gender", "sex"),
        ("Code postal", "postalCode"),
        ("Postcode", "postalCode"),
        ("ZIP", "postalCode"),
        ("Ville", "city"),
        ("Stad", "city"),
        ("Woonplaats", "city"),
        ("Klantnummer", "customerId"),
    ],
)
def test_known_headers_in_three_languages_find_their_attribute(table, header, target):
    assert best(header, table) == target, f"“{header}” should map to {target}"


def test_an_exact_technical_name_is_certain(table):
    match = match_headers(["emailAddress"], table)[0]
    assert (match.target, match.confidence, match.weak) == ("emailAddress", 1.0, False)


def test_case_accents_and_separators_are_ignored(table):
    match = match_headers(["Customer_ID"], table)[0]
    assert match.target == "customerId"
    assert match.confidence == 0.95 and match.reason == "same name", match


def test_subscriptions_and_segmentations_are_offered_with_their_prefix(table):
    matches = match_headers(["Newsletter", "subscriptions#Promotions", "ClientType"], table)
    assert [m.target for m in matches] == [
        "subscriptions#Newsletter",
        "subscriptions#Promotions",
        "S_ClientType",
    ]
    assert matches[1].confidence == 1.0, "the exact prefixed name should be certain"


def test_a_typo_is_suggested_but_flagged_weak(table):
    match = match_headers(["Emial"], table)[0]
    assert match.target == "emailAddress", "a close misspelling found nothing"
    assert match.weak and match.reason == "similar name", match
    assert 0 < match.confidence < 0.8


def test_a_header_like_nothing_gets_no_suggestion(table):
    match = match_headers(["Favourite colour"], table)[0]
    assert (match.target, match.confidence, match.weak) == (None, 0.0, False)


def test_a_target_is_suggested_for_one_header_only(table):
    matches = match_headers(["E-mail", "Courriel", "emailAddress"], table)
    targets = [m.target for m in matches]
    assert targets.count("emailAddress") == 1, targets
    assert matches[2].target == "emailAddress", "the exact name should win over synonyms"


def test_equal_suggestions_go_to_the_first_column(table):
    matches = match_headers(["Prénom", "Voornaam"], table)
    assert [m.target for m in matches] == ["firstName", None]


def test_the_weak_threshold_is_the_callers_choice(table):
    assert not match_headers(["Emial"], table, weak_below=0.5)[0].weak


def test_a_table_is_built_from_actito_json():
    structure = {
        "id": "16",
        "name": "Profiles",
        "attributes": [
            {
                "type": "CUSTOM",
                "name": "profileId",
                "unique": True,
                "mandatory": True,
                "valueType": "INTEGER",
                "multiValued": False,
            },
            {"type": "EMAIL_ADDRESS", "name": "emailAddress", "unique": True, "mandatory": True},
            {
                "type": "CUSTOM",
                "name": "customerId",
                "unique": True,
                "mandatory": False,
                "valueRestriction": {"maxLength": 40},
                "valueType": "STRING",
                "multiValued": False,
            },
        ],
        "displayOptions": {"forAttributes": [{"name": "customerId", "description": "Client n°"}]},
        "subscriptions": [{"name": "Newsletter"}],
        "segmentations": [{"name": "ClientType", "categories": ["Gold", "Silver"]}],
    }
    table = ImportTable.from_structure(structure)
    assert table.id == "16" and [a.name for a in table.key_attributes] == [
        "profileId",
        "emailAddress",
        "customerId",
    ]
    customer = table.target("customerId")
    assert customer and customer.attribute and customer.attribute.max_length == 40
    assert customer.label == "Client n°", "display label not read"
    assert table.target("subscriptions#Newsletter") is not None
    segmentation = table.target("S_ClientType")
    assert segmentation and segmentation.categories == ("Gold", "Silver")
    assert best("Client n°", table) == "customerId", "the display label should be matched"


def test_a_table_is_built_from_the_actito_client_schema():
    from actito_admin.actito.schemas import TableStructure

    structure = TableStructure.from_json(
        {
            "id": "7",
            "name": "Shop",
            "attributes": [{"type": "FIRSTNAME", "name": "firstName"}],
            "subscriptions": [{"name": "Newsletter"}],
        }
    )
    table = ImportTable.from_structure(structure)
    first = table.target("firstName")
    assert table.id == "7" and first and first.attribute
    assert first.attribute.predefined_type == "FIRSTNAME"
    assert table.subscriptions == ("Newsletter",)
