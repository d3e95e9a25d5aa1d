"""The sandbox's starting data: ACTITO's documentation examples plus a realistic demo licence.

Everything is derived from the configured seed, so two sandboxes with the same seed hold the
same profiles, scenario names and ids.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from .data import Attribute, ProfileChange, Table, TableData

# The second entity and its table come from S002 ("MyEntity", "MyWebsiteProfiles", destination
# id "123"), so the documentation's profile and ETL examples work with only the host changed.
ENTITIES = (
    {"id": 1, "name": "actito", "comment": "Sandbox demo licence (documentation examples)"},
    {"id": 2, "name": "MyEntity", "comment": "Developer-portal examples"},
)


@dataclass
class Scenario:
    id: int
    display_name: str
    name: str  # technical name = display name + generated UUID suffix (S000)
    table: str
    is_active: bool
    is_start_event_triggered: bool

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "id": self.id,
            "isStartEventTriggered": self.is_start_event_triggered,
            "isActive": self.is_active,
        }


def _system_attributes() -> tuple[Attribute, ...]:
    return (
        Attribute("profileId", "CUSTOM", "INTEGER", unique=True, mandatory=True, system=True),
        Attribute("creationMoment", "CUSTOM", "TIMESTAMP", mandatory=True, system=True),
    )


def build_tables() -> list[Table]:
    demodoc = Table(
        entity="actito",
        id="16",
        name="demodoc",
        attributes=(
            *_system_attributes(),
            Attribute("emailAddress", "EMAIL_ADDRESS", unique=True, mandatory=True),
            Attribute("firstName", "FIRSTNAME"),
            Attribute("lastName", "LASTNAME"),
            Attribute("sex", "SEX"),
            Attribute("birthDate", "BIRTHDATE"),
            Attribute("motherLanguage", "MOTHER_LANGUAGE"),
        ),
        subscriptions=("Newsletter",),
        segmentations=(("ClientType", ("Gold", "Silver", "Bronze")),),
        descriptions=(("emailAddress", "E-mail address"), ("lastName", "Last name")),
    )
    customers = Table(
        entity="actito",
        id="17",
        name="customers",
        attributes=(
            *_system_attributes(),
            Attribute("customerId", "CUSTOM", "STRING", unique=True, max_length=20),
            Attribute("emailAddress", "EMAIL_ADDRESS", unique=True, mandatory=True),
            Attribute("title", "TITLE"),
            Attribute("firstName", "FIRSTNAME"),
            Attribute("lastName", "LASTNAME", mandatory=True),
            Attribute("sex", "SEX"),
            Attribute("birthDate", "BIRTHDATE"),
            Attribute("motherLanguage", "MOTHER_LANGUAGE"),
            Attribute("gsmNumber", "PHONE_NUMBER"),
            Attribute("addressLocality", "CUSTOM", "STRING", max_length=100),
            Attribute("addressCountry", "COUNTRY"),
            Attribute("loyaltyPoints", "CUSTOM", "INTEGER"),
            Attribute("lifetimeValue", "CUSTOM", "DECIMAL"),
            Attribute("isVip", "CUSTOM", "BOOLEAN"),
            Attribute("lastPurchaseDate", "CUSTOM", "DATE"),
            Attribute("lastLoginMoment", "CUSTOM", "TIMESTAMP"),
        ),
        subscriptions=("Newsletter", "Promotions", "PartnerOffers"),
        segmentations=(
            ("ClientType", ("Gold", "Silver", "Bronze")),
            ("PreferredStore", ("Brussels", "Antwerp", "Ghent", "Liège", "Lille")),
        ),
        descriptions=(("customerId", "Customer number in the shop"), ("lastName", "Last name")),
    )
    prospects = Table(
        entity="actito",
        id="18",
        name="prospects",
        attributes=(
            *_system_attributes(),
            Attribute("emailAddress", "EMAIL_ADDRESS", unique=True, mandatory=True),
            Attribute("title", "TITLE"),
            Attribute("firstName", "FIRSTNAME"),
            Attribute("lastName", "LASTNAME"),
            Attribute("sex", "SEX"),
            Attribute("birthDate", "BIRTHDATE"),
            Attribute("motherLanguage", "MOTHER_LANGUAGE"),
            Attribute("gsmNumber", "PHONE_NUMBER"),
            Attribute("addressCountry", "COUNTRY"),
            Attribute("company", "CUSTOM", "STRING"),
            Attribute("leadScore", "CUSTOM", "INTEGER"),
            Attribute("expectedBudget", "CUSTOM", "DECIMAL"),
            Attribute("lastContactMoment", "CUSTOM", "TIMESTAMP"),
            Attribute("source", "CUSTOM", "STRING", max_length=50),
            Attribute("consentGiven", "CUSTOM", "BOOLEAN"),
            Attribute("consentDate", "CUSTOM", "DATE"),
        ),
        subscriptions=("Newsletter", "Events"),
        segmentations=(
            ("LeadStage", ("New", "Qualified", "Converted")),
            ("Interest", ("Fashion", "Home", "Sports")),
        ),
    )
    website = Table(
        entity="MyEntity",
        id="123",
        name="MyWebsiteProfiles",
        attributes=(
            *_system_attributes(),
            Attribute("lastName", "LASTNAME"),
            Attribute("firstName", "FIRSTNAME"),
            Attribute("birthDate", "BIRTHDATE"),
            Attribute("sex", "SEX"),
            Attribute("motherLanguage", "MOTHER_LANGUAGE"),
            Attribute("emailAddress", "EMAIL_ADDRESS", unique=True),
            Attribute("addressLocality", "CUSTOM", "STRING"),
            Attribute("addressCountry", "COUNTRY"),
            Attribute("gsmNumber", "PHONE_NUMBER"),
            Attribute("customerId", "CUSTOM", "INTEGER", unique=True),
            Attribute("nbChildren", "CUSTOM", "INTEGER"),
        ),
        subscriptions=("Newsletter", "Promotions"),
        segmentations=(
            ("ClientType", ("Gold", "Silver", "Bronze")),
            ("isActive", ("Member", "Former")),
        ),
    )
    return [demodoc, customers, prospects, website]


# (table, English display name, French display name, active, start-event triggered)
_SCENARIO_PAIRS = (
    ("customers", "Welcome e-mail", "E-mail de bienvenue", True, True),
    ("customers", "Abandoned cart reminder", "Relance panier abandonné", True, True),
    ("customers", "Order confirmation", "Confirmation de commande", True, True),
    ("customers", "Birthday greetings", "Joyeux anniversaire", True, False),
    ("customers", "Gold status upgrade", "Passage au statut Or", False, True),
    ("customers", "Win-back 90 days", "Reconquête 90 jours", False, False),
    ("prospects", "Lead nurturing", "Nurturing des prospects", True, True),
    ("prospects", "Event invitation", "Invitation à l'événement", False, True),
    ("prospects", "Double opt-in confirmation", "Confirmation double opt-in", True, False),
    ("MyWebsiteProfiles", "Summer promo", "Promo d'été", True, True),
)


def build_scenarios(rng: random.Random) -> list[Scenario]:
    scenarios = [
        # S000's example, byte for byte.
        Scenario(
            11160,
            "DocScenarioAPI",
            "DocScenarioAPI60dd2012-b296-43fc-bae5-6cb6c1b2d170",
            "demodoc",
            True,
            True,
        ),
        Scenario(11161, "DocScenarioDraft", "", "demodoc", False, True),
        Scenario(11162, "DocScenarioBirthday", "", "demodoc", True, False),
    ]
    next_id = 12001
    for table, english, french, active, start in _SCENARIO_PAIRS:
        for display in (english, french):
            scenarios.append(Scenario(next_id, display, "", table, active, start))
            next_id += 1
    for scenario in scenarios:
        if not scenario.name:
            suffix = uuid.UUID(int=rng.getrandbits(128), version=4)
            scenario.name = f"{scenario.display_name}{suffix}"
    return scenarios


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.replace("_", " ") for word in text.split())


_MALE = _words(
    "Lucas Louis Noah Arthur Jules Adam Liam Victor Hugo Mathis Thomas Maxime Pieter Jan Wout "
    "Bram Lars Daan Milan Théo Étienne François Jérôme Mohamed Senne Vincent Cédric"
)
_FEMALE = _words(
    "Emma Olivia Louise Mila Alice Juliette Camille Léa Chloé Manon Lotte Fien Marie Anouk Noor "
    "Sophie Elise Hanne Amélie Zoé Inès Margaux Charlotte Julie Sarah Nathalie Fatima"
)
_LAST = _words(
    "Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De_Smet Dubois Lambert "
    "Dupont Martin Leroy Lefebvre Moreau Laurent Simon Michel Van_den_Berg De_Vries Bakker Visser "
    "Smit Vermeulen Renard Fontaine Mercier Girard Van_Damme De_Backer Verstraete Lemaire "
    "Hermans Claessens Dumont Lejeune El_Amrani D'Hondt"
)
_PLACES = {
    "BE": ("Brussels", "Antwerp", "Ghent", "Liège", "Namur", "Leuven", "Bruges", "Charleroi"),
    "FR": ("Lille", "Paris", "Lyon", "Roubaix", "Reims", "Nantes"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Maastricht"),
    "LU": ("Luxembourg", "Esch-sur-Alzette"),
}
_LANGUAGES = {
    "BE": ("FR", "NL", "NL", "FR", "EN"),
    "FR": ("FR",),
    "NL": ("NL",),
    "LU": ("FR", "DE"),
}
_COMPANIES = ("Brasserie Dupont", "Studio Maes", "Atelier Lumière", "De Groene Fiets", "Optima SA")
_SOURCES = ("Trade fair", "Partner agency", "Website", "Referral")
_BASE = datetime(2024, 1, 1, 8, 0, 0)  # fixed, so the data never depends on the clock


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


class _People:
    """Plausible Belgian/French/Dutch people with unique first.last@example.com addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def person(self) -> dict[str, str]:
        rng = self.rng
        sex = rng.choice("MF")
        first = rng.choice(_MALE if sex == "M" else _FEMALE)
        last = rng.choice(_LAST)
        email = f"{_slug(first)}.{_slug(last)}@example.com"
        counter = 1
        while email in self.used:
            counter += 1
            email = f"{_slug(first)}.{_slug(last)}{counter}@example.com"
        self.used.add(email)
        country = rng.choices(("BE", "FR", "NL", "LU"), weights=(6, 2, 2, 1))[0]
        prefix = {"BE": "+324", "FR": "+336", "NL": "+316", "LU": "+3526"}[country]
        return {
            "emailAddress": email,
            "firstName": first,
            "lastName": last,
            "sex": sex,
            "title": "Mr" if sex == "M" else rng.choice(("Mrs", "Ms")),
            "birthDate": (datetime(1950, 1, 1) + timedelta(days=rng.randrange(20000))).strftime(
                "%Y-%m-%d"
            ),
            "motherLanguage": rng.choice(_LANGUAGES[country]),
            "addressCountry": country,
            "addressLocality": rng.choice(_PLACES[country]),
            "gsmNumber": prefix + "".join(str(rng.randrange(10)) for _ in range(8)),
        }


def _moment(rng: random.Random) -> str:
    return (_BASE + timedelta(seconds=rng.randrange(60 * 60 * 24 * 600))).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def _add(data: TableData, attributes: dict[str, str], rng: random.Random, **extra: dict) -> None:
    known = {a.name for a in data.table.attributes}
    change = ProfileChange(
        attributes={k: v for k, v in attributes.items() if k in known},
        subscriptions=extra.get("subscriptions", {}),
        segmentations=extra.get("segmentations", {}),
    )
    data.insert(change, moment=_moment(rng))


def build_profiles(tables: list[Table], rng: random.Random) -> dict[tuple[str, str], TableData]:
    by_name = {t.name: t for t in tables}
    people = _People(rng)
    stores: dict[tuple[str, str], TableData] = {}

    demodoc = TableData(by_name["demodoc"], first_id=147460)
    for _ in range(24):
        if demodoc.next_id == 147471:
            # S000's trigger example targets profile 147471.
            _add(
                demodoc,
                {
                    "emailAddress": "sophie.dubois@example.com",
                    "firstName": "Sophie",
                    "lastName": "Dubois",
                    "sex": "F",
                    "birthDate": "1987-04-12",
                    "motherLanguage": "FR",
                },
                rng,
                subscriptions={"Newsletter": True},
                segmentations={"ClientType": "Gold"},
            )
            people.used.add("sophie.dubois@example.com")
            continue
        _add(demodoc, people.person(), rng, subscriptions={"Newsletter": rng.random() < 0.7})
    stores[("actito", "demodoc")] = demodoc

    customers = TableData(by_name["customers"], first_id=1)
    for number in range(1, 621):
        person = people.person()
        person |= {
            "customerId": f"C{number:06d}",
            "loyaltyPoints": str(rng.randrange(0, 5000)),
            "lifetimeValue": f"{rng.uniform(10, 9000):.2f}",
            "isVip": "true" if rng.random() < 0.1 else "false",
            "lastPurchaseDate": (_BASE + timedelta(days=rng.randrange(600))).strftime("%Y-%m-%d"),
            "lastLoginMoment": _moment(rng),
        }
        _add(
            customers,
            person,
            rng,
            subscriptions={
                "Newsletter": rng.random() < 0.75,
                "Promotions": rng.random() < 0.5,
                "PartnerOffers": rng.random() < 0.2,
            },
            segmentations={
                "ClientType": rng.choices(("Gold", "Silver", "Bronze"), weights=(1, 3, 6))[0],
                "PreferredStore": rng.choice(("Brussels", "Antwerp", "Ghent", "Liège", "Lille")),
            },
        )
    stores[("actito", "customers")] = customers

    prospects = TableData(by_name["prospects"], first_id=500001)
    for _ in range(420):
        person = people.person()
        consent = rng.random() < 0.8
        score = rng.randrange(0, 100)
        person |= {
            "company": rng.choice(_COMPANIES),
            "leadScore": str(score),
            "source": rng.choice(_SOURCES),
            "consentGiven": "true" if consent else "false",
            # Derived from the score, not drawn: the rest of the seed stays as it was.
            "expectedBudget": f"{score * 37.5:.2f}",
            "lastContactMoment": (_BASE + timedelta(hours=score * 53)).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        }
        if consent:
            person["consentDate"] = (_BASE + timedelta(days=rng.randrange(600))).strftime(
                "%Y-%m-%d"
            )
        _add(
            prospects,
            person,
            rng,
            subscriptions={"Newsletter": consent, "Events": consent and rng.random() < 0.5},
            segmentations={
                "LeadStage": rng.choice(("New", "Qualified", "Converted")),
                "Interest": rng.choice(("Fashion", "Home", "Sports")),
            },
        )
    stores[("actito", "prospects")] = prospects

    # S002's upsert answers {"profileId": 1147690} for John Smith.
    website = TableData(by_name["MyWebsiteProfiles"], first_id=1147690)
    _add(
        website,
        {
            "lastName": "Smith",
            "firstName": "John",
            "birthDate": "1967-05-26",
            "sex": "M",
            "motherLanguage": "EN",
            "emailAddress": "john.smith@actito.com",
            "addressLocality": "Los Angeles",
            "addressCountry": "US",
            "gsmNumber": "+1223344556",
            "customerId": "34567",
            "nbChildren": "2",
        },
        rng,
        subscriptions={"Newsletter": True, "Promotions": False},
        segmentations={"ClientType": "Gold", "isActive": "Member"},
    )
    for _ in range(5):
        _add(website, people.person(), rng, subscriptions={"Newsletter": True})
    stores[("MyEntity", "MyWebsiteProfiles")] = website
    return stores
