"""A profile table like ACTITO's, and helpers to write awkward upload files into tmp_path."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from actito_admin.imports.mapping import Attribute, ImportTable, Segmentation


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: writes and reads more than 100 MB (about 10 s)")


@pytest.fixture
def table() -> ImportTable:
    return ImportTable(
        id="16",
        name="Profiles",
        attributes=(
            Attribute("profileId", "INTEGER", unique=True, mandatory=True),
            Attribute("creationMoment", "TIMESTAMP", mandatory=True),
            Attribute("emailAddress", "", "EMAIL_ADDRESS", unique=True, mandatory=True),
            Attribute("customerId", "STRING", unique=True, max_length=20),
            Attribute("firstName", "", "FIRSTNAME"),
            Attribute("lastName", "", "LASTNAME", mandatory=True),
            Attribute("birthDate", "", "BIRTHDATE"),
            Attribute("sex", "", "SEX"),
            Attribute("motherLanguage", "", "MOTHER_LANGUAGE"),
            Attribute("country", "STRING", "ADDRESS_COUNTRY"),
            Attribute("gsm", "STRING", "MOBILE_PHONE_NUMBER"),
            Attribute("phone", "STRING", "PHONE_NUMBER"),
            Attribute("postalCode", "STRING", max_length=10),
            Attribute("city", "STRING"),
            Attribute("loyaltyPoints", "INTEGER"),
            Attribute("averageBasket", "DECIMAL"),
            Attribute("isVip", "BOOLEAN"),
            Attribute("lastPurchase", "TIMESTAMP"),
            Attribute("lastMailOpeningMoment", "TIMESTAMP"),
        ),
        subscriptions=("Newsletter", "Promotions"),
        segmentations=(Segmentation("ClientType", ("Gold", "Silver")),),
    )


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def write_text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(folder, name, text.encode(encoding))


def write_gzip(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


def write_zip(folder: Path, name: str, members: dict[str, bytes]) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path
