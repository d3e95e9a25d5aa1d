"""Profile-table model of the sandbox: attribute types, value validation and table storage.

Values are stored as normalised strings (the v4 profile API returns strings, spec §5.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

# Predefined attribute types (spec §4.2) and the value kind each one validates as.
# FIRSTNAME, LASTNAME, EMAIL_ADDRESS, BIRTHDATE, SEX, MOTHER_LANGUAGE are seen in ACTITO docs;
# ASSUMPTION: PHONE_NUMBER, COUNTRY and TITLE are our names for the ETLF phone, country and
# title formats.
PREDEFINED_KINDS = {
    "FIRSTNAME": "STRING",
    "LASTNAME": "STRING",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "BIRTHDATE": "DATE",
    "SEX": "SEX",
    "MOTHER_LANGUAGE": "MOTHER_LANGUAGE",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "COUNTRY": "COUNTRY",
    "TITLE": "TITLE",
}
# CUSTOM valueTypes. ASSUMPTION: DECIMAL (ETLF only says "numeric with '.' decimal").
CUSTOM_KINDS = {"STRING", "INTEGER", "DECIMAL", "BOOLEAN", "DATE", "TIMESTAMP"}

# Spec §7.2: technical recency attributes importable in CREATE_ONLY only.
TECHNICAL_ATTRIBUTES = {
    "lastMailOpeningMoment": "TIMESTAMP",
    "lastMailClickMoment": "TIMESTAMP",
    "lastMailTargetingMoment": "TIMESTAMP",
    "lastMailActivityStatus": "STRING",
    "lastDevice": "STRING",
    "lastUserAgent": "STRING",
    "blacklistMoment": "TIMESTAMP",
    "mobileTargetingRecency": "TIMESTAMP",
    "mobileDeliveryRecency": "TIMESTAMP",
    "goalReachedRecency": "TIMESTAMP",
    "participationRecency": "TIMESTAMP",
}


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


COUNTRIES = _codes(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW"""
)
LANGUAGES = _codes(
    """AA AB AE AF AK AM AN AR AS AV AY AZ BA BE BG BH BI BM BN BO BR BS CA CE CH CO CR CS CU CV
    CY DA DE DV DZ EE EL EN EO ES ET EU FA FF FI FJ FO FR FY GA GD GL GN GU GV HA HE HI HO HR HT
    HU HY HZ IA ID IE IG II IK IO IS IT IU JA JV KA KG KI KJ KK KL KM KN KO KR KS KU KV KW KY LA
    LB LG LI LN LO LT LU LV MG MH MI MK ML MN MR MS MT MY NA NB ND NE NG NL NN NO NR NV NY OC OJ
    OM OR OS PA PI PL PS PT QU RM RN RO RU RW SA SC SD SE SG SI SK SL SM SN SO SQ SR SS ST SU SV
    SW TA TE TG TH TI TK TL TN TO TR TS TT TW TY UG UK UR UZ VE VI VO WA WO XH YI YO ZA ZH ZU"""
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
# ETLF: international format (+3210458514). ASSUMPTION: the '+' may be omitted, as in S002's
# v4 example "1223344556".
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_DECIMAL = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_TRUE = {"TRUE", "1", "Y", "YES"}
_FALSE = {"FALSE", "0", "N", "NO"}
DEFAULT_MAX_LENGTH = 255  # ETLF: strings are limited to 255 characters


class InvalidValue(Exception):
    """A value that does not fit its attribute; `code` is an error-file code (spec §7.6)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str  # a PREDEFINED_KINDS key or "CUSTOM"
    value_type: str = "STRING"  # CUSTOM only
    unique: bool = False
    mandatory: bool = False
    max_length: int | None = None
    system: bool = False  # profileId / creationMoment: set by the sandbox, never imported

    @property
    def kind(self) -> str:
        return PREDEFINED_KINDS.get(self.type, self.value_type)

    def as_json(self) -> dict:
        data: dict = {
            "type": self.type,
            "name": self.name,
            "unique": self.unique,
            "mandatory": self.mandatory,
        }
        if self.type == "CUSTOM":
            data["valueType"] = self.value_type
            data["multiValued"] = False
            if self.value_type == "STRING":
                data["valueRestriction"] = {"maxLength": self.max_length or DEFAULT_MAX_LENGTH}
        return data


def normalize_value(kind: str, raw: str, *, max_length: int | None = None, v4: bool = False) -> str:
    """The stored form of `raw`, or InvalidValue. `v4` also accepts the v4 API's dd/MM/yyyy
    dates (S002 writes "26/05/1967"); ETL files must use the ETLF formats only."""
    value = raw.strip()
    if kind == "STRING":
        if len(raw) > (max_length or DEFAULT_MAX_LENGTH):
            raise InvalidValue("VALUE_TOO_LONG", f"longer than {max_length or DEFAULT_MAX_LENGTH}")
        return raw
    if kind == "INTEGER":
        if not _INTEGER.match(value):
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not an integer")
        return str(int(value))
    if kind == "DECIMAL":
        if not _DECIMAL.match(value):
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not a number with '.' decimals")
        return value.lstrip("+")
    if kind == "BOOLEAN":
        if value.upper() in _TRUE:
            return "true"
        if value.upper() in _FALSE:
            return "false"
        raise InvalidValue("INVALID_VALUE", f"{raw!r} is not a boolean")
    if kind == "DATE":
        formats: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y") if v4 else ("%Y-%m-%d",)
        return _parse_moment(raw, value, formats).strftime("%Y-%m-%d")
    if kind == "TIMESTAMP":
        formats = ("%Y-%m-%d %H:%M:%S",)
        if v4:
            formats += ("%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
        return _parse_moment(raw, value, formats).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "EMAIL_ADDRESS":
        if not _EMAIL.match(value) or len(value) > DEFAULT_MAX_LENGTH:
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not an e-mail address")
        return value.lower()  # ASSUMPTION: e-mail keys match case-insensitively
    if kind == "PHONE_NUMBER":
        compact = re.sub(r"[\s./-]", "", value)
        if not _PHONE.match(compact):
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not an international phone number")
        return compact if compact.startswith("+") else "+" + compact
    if kind == "SEX":
        if value.upper() not in {"M", "F"}:
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not M or F")
        return value.upper()
    if kind == "MOTHER_LANGUAGE":
        if value.upper() not in LANGUAGES:
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not an ISO 639-1 language")
        return value.upper()
    if kind == "COUNTRY":
        if value.upper() not in COUNTRIES:
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not an ISO 3166-1 alpha-2 country")
        return value.upper()
    if kind == "TITLE":
        titles = {"MR": "Mr", "MRS": "Mrs", "MS": "Ms"}
        if value.upper() not in titles:
            raise InvalidValue("INVALID_VALUE", f"{raw!r} is not Mr, Mrs or Ms")
        return titles[value.upper()]
    raise InvalidValue("INVALID_VALUE", f"unsupported value type {kind}")


def _parse_moment(raw: str, value: str, formats: tuple[str, ...]) -> datetime:
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise InvalidValue("INVALID_VALUE", f"{raw!r} does not match {' or '.join(formats)}")


@dataclass(frozen=True)
class Table:
    entity: str
    id: str  # v5 id (a digit string), used by ETL destinations
    name: str  # used by v4 profile and scenario routes
    attributes: tuple[Attribute, ...]
    subscriptions: tuple[str, ...]
    segmentations: tuple[tuple[str, tuple[str, ...]], ...]
    descriptions: tuple[tuple[str, str], ...] = ()

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    @property
    def key_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.unique)

    def categories(self, segmentation: str) -> tuple[str, ...] | None:
        return dict(self.segmentations).get(segmentation)

    def structure_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "attributes": [a.as_json() for a in self.attributes],
            # ASSUMPTION (spec §4.2): shape of subscriptions/segmentations in the structure.
            "subscriptions": [{"name": name} for name in self.subscriptions],
            "segmentations": [
                {"name": name, "categories": list(categories)}
                for name, categories in self.segmentations
            ],
            "displayOptions": {
                "forAttributes": [
                    {"name": name, "description": text} for name, text in self.descriptions
                ]
            },
        }


@dataclass
class Profile:
    id: int
    attributes: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, bool] = field(default_factory=dict)
    segmentations: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        """Spec §5.1 shape; values are strings as in ACTITO's examples."""
        attributes = [{"name": "profileId", "value": str(self.id)}]
        attributes += [
            {"name": name, "value": value}
            for name, value in self.attributes.items()
            if name != "profileId" and value != ""
        ]
        return {
            "attributes": attributes,
            "subscriptions": [
                {"name": name, "subscribe": "true" if on else "false"}
                for name, on in self.subscriptions.items()
            ],
            "segmentations": [
                {"belongs": "true", "segmentation": {"name": name, "category": category}}
                for name, category in self.segmentations.items()
            ],
        }


class RowRejected(Exception):
    """A profile change that cannot be applied; `code` is an error-file code (spec §7.6)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ProfileChange:
    """What one ETL row or one v4 write asks for. An attribute value "" clears it."""

    attributes: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, bool] = field(default_factory=dict)
    segmentations: dict[str, str] = field(default_factory=dict)
    # Attributes mapped with ignoreValuesWhenAlreadyKnown: written only where still empty.
    keep_known: set[str] = field(default_factory=set)


class TableData:
    """The profiles of one table with an index per unique attribute. Not thread-safe on its
    own: the app holds its state lock around every call."""

    def __init__(self, table: Table, first_id: int) -> None:
        self.table = table
        self.profiles: dict[int, Profile] = {}
        self.next_id = first_id
        self._index: dict[str, dict[str, int]] = {
            a.name: {} for a in table.key_attributes if a.name != "profileId"
        }

    def find(self, attribute: str, value: str) -> Profile | None:
        if attribute == "profileId":
            return self.profiles.get(int(value)) if value.isdigit() else None
        pid = self._index.get(attribute, {}).get(value)
        return self.profiles.get(pid) if pid is not None else None

    def search(self, attribute: str, value: str) -> list[Profile]:
        if attribute == "profileId" or attribute in self._index:
            found = self.find(attribute, value)
            return [found] if found else []
        return [p for p in self.profiles.values() if p.attributes.get(attribute) == value]

    def apply(self, change: ProfileChange, *, mode: str, moment: str) -> tuple[str, Profile]:
        """Apply `change` with an ETL mode; returns (INSERTED|UPDATED|DELETED, profile)."""
        existing = self._match(change)
        if mode == "DELETE":
            if existing is None:
                raise RowRejected("UNKNOWN_RECORD", "no profile matches the key values")
            self.delete(existing)
            return "DELETED", existing
        if existing is not None:
            if mode == "CREATE_ONLY":
                raise RowRejected("RECORD_ALREADY_EXISTS", f"profile {existing.id} exists")
            self.update(existing, change)
            return "UPDATED", existing
        if mode == "UPDATE_ONLY":
            raise RowRejected("UNKNOWN_RECORD", "no profile matches the key values")
        return "INSERTED", self.insert(change, moment=moment)

    def _match(self, change: ProfileChange) -> Profile | None:
        matched: set[int] = set()
        for attribute in self.table.key_attributes:
            value = change.attributes.get(attribute.name, "")
            if not value:
                continue
            found = self.find(attribute.name, value)
            if found is None and attribute.name == "profileId":
                # A profileId names one record; it is never used to create one.
                raise RowRejected("UNKNOWN_RECORD", f"profileId {value} does not exist")
            if found is not None:
                matched.add(found.id)
        if len(matched) > 1:
            raise RowRejected("KEY_CONFLICT", f"key values match profiles {sorted(matched)}")
        return self.profiles[matched.pop()] if matched else None

    def insert(self, change: ProfileChange, *, moment: str) -> Profile:
        missing = [
            a.name
            for a in self.table.attributes
            if a.mandatory and not a.system and not change.attributes.get(a.name)
        ]
        if missing:
            raise RowRejected("MISSING_MANDATORY_VALUE", f"missing {', '.join(missing)}")
        profile = Profile(id=self.next_id)
        self.next_id += 1
        profile.attributes["creationMoment"] = moment
        self.profiles[profile.id] = profile
        self._write(profile, change)
        return profile

    def update(self, profile: Profile, change: ProfileChange) -> None:
        for name, value in change.attributes.items():
            attribute = self.table.attribute(name)
            if attribute and attribute.mandatory and not attribute.system and value == "":
                raise RowRejected("MISSING_MANDATORY_VALUE", f"{name} is mandatory")
            if attribute and attribute.unique and value:
                owner = self.find(name, value)
                if owner is not None and owner.id != profile.id:
                    raise RowRejected("KEY_CONFLICT", f"{name}={value} belongs to {owner.id}")
        self._write(profile, change)

    def _write(self, profile: Profile, change: ProfileChange) -> None:
        for name, value in change.attributes.items():
            if name in ("profileId", "creationMoment"):
                continue
            if name in change.keep_known and profile.attributes.get(name):
                continue
            if name in self._index:
                old = profile.attributes.get(name)
                if old:
                    self._index[name].pop(old, None)
                if value:
                    self._index[name][value] = profile.id
            if value == "":
                profile.attributes.pop(name, None)
            else:
                profile.attributes[name] = value
        profile.subscriptions.update(change.subscriptions)
        for name, category in change.segmentations.items():
            if category == "":
                profile.segmentations.pop(name, None)
            else:
                profile.segmentations[name] = category

    def delete(self, profile: Profile) -> None:
        for name, index in self._index.items():
            value = profile.attributes.get(name)
            if value:
                index.pop(value, None)
        self.profiles.pop(profile.id, None)
