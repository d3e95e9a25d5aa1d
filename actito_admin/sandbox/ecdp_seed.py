"""The ECDP sandbox's seed: customers, custom events with declared data fields, segments."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

CUSTOMERS = 1200
FIRST_CUSTOMER_ID = 100001

_FIRST = [
    "Jan",
    "Marie",
    "Luc",
    "Sophie",
    "Pieter",
    "Emma",
    "Thomas",
    "Julie",
    "Lars",
    "Noor",
    "Hugo",
    "Léa",
    "Bram",
    "Chloé",
    "Tim",
    "Anouk",
    "Max",
    "Inès",
    "Daan",
    "Camille",
]
_LAST = [
    "Peeters",
    "Janssens",
    "Maes",
    "Dubois",
    "Lambert",
    "de Vries",
    "Bakker",
    "Müller",
    "Schmit",
    "Weber",
    "Martin",
    "Bernard",
    "Claes",
    "Willems",
    "Smit",
    "Meyer",
]
_COUNTRIES = [("be", "+32"), ("fr", "+33"), ("nl", "+31"), ("lu", "+352")]


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    phone: str
    crm_id: str
    first_name: str
    last_name: str
    country: str

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "email": self.email,
            "phone": self.phone,
            "crmId": self.crm_id,
            "firstName": self.first_name,
            "lastName": self.last_name,
        }


@dataclass(frozen=True)
class CustomEvent:
    id: int
    name: str
    description: str
    # (name, type, required)
    fields: tuple[tuple[str, str, bool], ...] = field(default_factory=tuple)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "label": self.name,
            "description": self.description,
            "dataFields": [{"name": n, "type": t, "required": r} for n, t, r in self.fields],
        }


@dataclass(frozen=True)
class Segment:
    id: int
    name: str
    members: frozenset[int]

    def as_json(self) -> dict:
        return {"id": self.id, "label": self.name, "size": len(self.members)}


EVENTS = (
    CustomEvent(
        12,
        "Welcome voucher",
        "Sends the welcome e-mail with a personal voucher.",
        (("voucherCode", "String", True), ("expiresAt", "DateTime", False)),
    ),
    CustomEvent(
        13,
        "Abandoned cart reminder",
        "Reminds the customer of the cart left behind.",
        (("cartUrl", "URL", True), ("cartTotal", "Money", True)),
    ),
    CustomEvent(
        14, "Birthday greeting", "Birthday wishes with a small gift.", (("birthday", "Date", True),)
    ),
    CustomEvent(
        15,
        "Loyalty points earned",
        "Tells the customer how many points they earned.",
        (("points", "Number", True), ("tier", "String", False)),
    ),
    CustomEvent(
        16,
        "Back in stock",
        "A product the customer watched is back.",
        (("productName", "String", True), ("productUrl", "URL", True)),
    ),
    CustomEvent(
        17,
        "Survey invitation",
        "Invites the customer to a satisfaction survey.",
        (("surveyUrl", "URL", True), ("sendReminder", "Boolean", False)),
    ),
    CustomEvent(
        18,
        "Order shipped",
        "Shipping confirmation with tracking.",
        (
            ("orderNumber", "String", True),
            ("deliveryDate", "Date", False),
            ("trackingUrl", "URL", False),
        ),
    ),
    CustomEvent(
        19,
        "Win-back offer",
        "A discount for customers who stopped buying.",
        (
            ("discountPercent", "Number", True),
            ("validUntil", "Date", True),
            ("message", "Text", False),
        ),
    ),
    CustomEvent(20, "Event ticket", "Sends the ticket for the spring event (no data fields).", ()),
)


def build_customers(rng: random.Random) -> list[Customer]:
    customers = []
    for n in range(CUSTOMERS):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        country, prefix = _COUNTRIES[n % len(_COUNTRIES)]
        local = f"{first}.{last}".lower().replace(" ", "").replace("é", "e").replace("ü", "u")
        customers.append(
            Customer(
                id=FIRST_CUSTOMER_ID + n,
                email=f"{local}.{n + 1}@example.{country}",
                phone=f"{prefix}4{n + 1:08d}",
                crm_id=f"CRM-{n + 1:06d}",
                first_name=first,
                last_name=last,
                country=country,
            )
        )
    return customers


def build_segments(customers: list[Customer]) -> list[Segment]:
    def members(test) -> frozenset[int]:
        return frozenset(c.id for n, c in enumerate(customers) if test(n, c))

    return [
        Segment(1, "Newsletter subscribers Belgium", members(lambda n, c: c.country == "be")),
        Segment(5, "VIP customers", members(lambda n, c: n % 10 == 0)),
        Segment(15, "Lapsed buyers (12 months)", members(lambda n, c: n % 7 == 3)),
        Segment(22, "Luxembourg", members(lambda n, c: c.country == "lu")),
        Segment(30, "Staff test group", members(lambda n, c: n < 5)),
    ]
