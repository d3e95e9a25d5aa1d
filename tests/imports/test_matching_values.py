"""Matching that looks at the values: a realistic French (and a Dutch) file against the sandbox's
`customers` table. A yes/no column is never proposed as a key; values that do not fit a field
make its name match a suggestion, not a choice."""

from __future__ import annotations

from actito_admin.imports.mapping import FIT_REFUSED, ImportTable
from actito_admin.imports.matching import match_columns, value_fit
from actito_admin.sandbox.seed import build_tables

CUSTOMERS = ImportTable.from_structure(
    next(t for t in build_tables() if t.name == "customers").structure_json()
)

FRENCH = {
    "Courriel": ("emailAddress", ["sophie.dubois@example.be", "jan@example.be", "l@x.fr"]),
    "Civilité": ("title", ["Mme", "M.", "Mlle"]),
    "Prénom": ("firstName", ["Sophie", "Jan", "Léa"]),
    "Nom": ("lastName", ["Dubois", "Peeters", "Martin"]),
    "Date de naissance": ("birthDate", ["26/05/1967", "01/02/1980", "31/12/1995"]),
    "GSM": ("gsmNumber", ["0498 79 21 85", "+32 470 12 34 56", "0478 00 11 22"]),
    "Client VIP": ("isVip", ["oui", "non", "oui"]),
    "N° client": ("customerId", ["C-1001", "C-1002", "C-1003"]),
    "Points fidélité": ("loyaltyPoints", ["1.250", "80", "0"]),
    "Valeur client (€)": ("lifetimeValue", ["1.234,56", "12,50", "0,99"]),
    "Date dernier achat": ("lastPurchaseDate", ["03/11/2026", "15/10/2026", "01/09/2026"]),
    "Langue": ("motherLanguage", ["FR", "NL", "FR"]),
    "Pays": ("addressCountry", ["BE", "BE", "FR"]),
    "Ville": ("addressLocality", ["Bruxelles", "Gent", "Lille"]),
    "Newsletter": ("subscriptions#Newsletter", ["x", "", "x", "x"]),
    "Sexe": ("sex", ["F", "M", "F"]),
    "Dernière connexion": (None, ["26/05/2024 10:00", "01/06/2024 11:30", "02/06/2024 09:15"]),
    "Remarque": (None, ["appeler", "", "rien"]),
}

DUTCH = {
    "E-mailadres": ("emailAddress", ["an@example.be", "piet@example.nl", "jo@x.be"]),
    "Aanspreking": ("title", ["Mevr.", "Dhr.", "Mevr."]),
    "Voornaam": ("firstName", ["An", "Piet", "Jo"]),
    "Achternaam": ("lastName", ["Peeters", "Jansen", "Maes"]),
    "Geboortedatum": ("birthDate", ["26-05-1967", "01-02-1980", "31-12-1995"]),
    "Mobiel nummer": ("gsmNumber", ["0498 79 21 85", "06 12345678", "0478001122"]),
    "VIP klant": ("isVip", ["ja", "nee", "ja"]),
    "Klantnummer": ("customerId", ["K-1", "K-2", "K-3"]),
    "Spaarpunten": ("loyaltyPoints", ["120", "3", "0"]),
    "Klantwaarde": ("lifetimeValue", ["1.234,56", "12,50", "0,99"]),
    "Laatste aankoop": ("lastPurchaseDate", ["03-11-2026", "15-10-2026", "01-09-2026"]),
    "Woonplaats": ("addressLocality", ["Gent", "Utrecht", "Leuven"]),
    "Nieuwsbrief": ("subscriptions#Newsletter", ["ja", "nee", "ja"]),
}


def _chosen(columns: dict[str, tuple[str | None, list[str]]]) -> dict[str, str | None]:
    headers = list(columns)
    samples = {h: values for h, (_t, values) in columns.items()}
    matches = match_columns(headers, CUSTOMERS, samples)
    return {m.header: (m.target if m.target and not m.weak else None) for m in matches}


def _wrong(columns, chosen) -> list[str]:
    return [
        f"{header}: expected {expected}, got {chosen[header]}"
        for header, (expected, _values) in columns.items()
        if chosen[header] != expected
    ]


def test_a_french_contact_file_is_matched_on_names_and_values():
    chosen = _chosen(FRENCH)
    wrong = _wrong(FRENCH, chosen)
    assert wrong == [], f"{len(FRENCH) - len(wrong)} of {len(FRENCH)} right; wrong: {wrong}"
    for header in ("Client VIP", "N° client", "GSM", "Points fidélité", "Valeur client (€)"):
        assert chosen[header] == FRENCH[header][0], f"{header} went to {chosen[header]}"
    assert chosen["Date dernier achat"] == "lastPurchaseDate"


def test_a_dutch_contact_file_is_matched_on_names_and_values():
    chosen = _chosen(DUTCH)
    wrong = _wrong(DUTCH, chosen)
    assert wrong == [], f"{len(DUTCH) - len(wrong)} of {len(DUTCH)} right; wrong: {wrong}"


def test_a_yes_no_column_is_never_proposed_as_a_key_whatever_its_name():
    columns = {"customerId": ["oui", "non", "oui", "non"], "email": ["a@b.be", "c@d.be", "e@f.be"]}
    matches = match_columns(list(columns), CUSTOMERS, columns)
    by_header = {m.header: m for m in matches}
    assert by_header["customerId"].target != "customerId", (
        "a yes/no column was proposed for the key field customerId"
    )
    target = CUSTOMERS.target("customerId")
    assert target is not None and value_fit(target, ["oui", "non", "oui"]) == FIT_REFUSED


def test_a_key_needs_mostly_distinct_values():
    target = CUSTOMERS.target("customerId")
    assert target is not None
    assert value_fit(target, ["A", "A", "B", "A"]) == FIT_REFUSED
    assert value_fit(target, ["A", "B", "C", "D"]) is None  # text: no opinion beyond keys


def test_a_name_match_whose_values_do_not_fit_is_only_a_suggestion():
    # Named like the birth date field, but the values are no dates.
    columns = {"birthDate": ["bientôt", "jamais", "hier"], "email": ["a@b.be", "c@d.be", "e@f.be"]}
    match = next(
        m for m in match_columns(list(columns), CUSTOMERS, columns) if m.header == "birthDate"
    )
    assert match.target == "birthDate" and match.weak, match
    assert "values do not fit" in match.reason
