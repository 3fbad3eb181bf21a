"""Realistic values chosen by property name.

A mock body full of ``"string"`` and random letters tells a frontend
developer nothing; ``firstName: "Maria"`` and ``countryCode: "DE"`` look like
production data. These hints only propose candidates: the generator still
checks every schema constraint and falls back when a hint does not fit.
Each name maps to an ordered list of producers, so ``country`` can try a
country name first and a two-letter code when ``maxLength: 2`` rejects it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from faker import Faker

from specdouble.support.seeds import EPOCH

StringProducer = Callable[[Faker, random.Random], str]


def normalize(name: str) -> str:
    """``firstName``, ``first_name`` and ``First-Name`` all become ``firstname``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def split(name: str) -> tuple[str, str]:
    """``"OrderItem.name"`` -> ``("orderitem", "name")``: context and property key."""
    context, _, key = name.rpartition(".")
    return normalize(context), normalize(key)


def singular(name: str) -> str:
    """Best-effort singular, so array items of ``emails`` look like an email."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and len(name) > 2:
        return name[:-1]
    return name


def _code(f: Faker, r: random.Random) -> str:
    return f.bothify("??-####").upper()


def _uuid(f: Faker, r: random.Random) -> str:
    return f.uuid4()


def _hex_id(f: Faker, r: random.Random) -> str:
    return f.hexify("^" * 24)


def _title(f: Faker, r: random.Random) -> str:
    return f.sentence(nb_words=4).rstrip(".")


def _words(f: Faker, r: random.Random) -> str:
    return " ".join(f.words(nb=2)).title()


def date_time(f: Faker, r: random.Random) -> str:
    """An ISO instant (UTC, milliseconds) in the year before the seeding epoch.

    Relative to the fixed epoch, never to "now", so output does not depend
    on the day it is generated and records are not dated in the future.
    """
    moment = EPOCH - timedelta(seconds=r.randint(0, 365 * 86400), milliseconds=r.randint(0, 999))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def date(f: Faker, r: random.Random) -> str:
    """An ISO calendar date in the year before the seeding epoch."""
    return (EPOCH - timedelta(days=r.randint(0, 365))).date().isoformat()


_STRINGS: dict[str, list[StringProducer]] = {
    "firstname": [lambda f, r: f.first_name()],
    "givenname": [lambda f, r: f.first_name()],
    "middlename": [lambda f, r: f.first_name()],
    "lastname": [lambda f, r: f.last_name()],
    "surname": [lambda f, r: f.last_name()],
    "familyname": [lambda f, r: f.last_name()],
    "name": [lambda f, r: f.name()],
    "fullname": [lambda f, r: f.name()],
    "contactname": [lambda f, r: f.name()],
    "customername": [lambda f, r: f.name()],
    "displayname": [lambda f, r: f.name()],
    "username": [lambda f, r: f.user_name()],
    "login": [lambda f, r: f.user_name()],
    "salutation": [lambda f, r: f.prefix().rstrip(".")],
    "title": [_title],
    "jobtitle": [lambda f, r: f.job()],
    "email": [lambda f, r: f.email()],
    "emailaddress": [lambda f, r: f.email()],
    "phone": [lambda f, r: f.phone_number()],
    "phonenumber": [lambda f, r: f.phone_number()],
    "mobile": [lambda f, r: f.phone_number()],
    "telephone": [lambda f, r: f.phone_number()],
    "fax": [lambda f, r: f.phone_number()],
    "city": [lambda f, r: f.city()],
    "town": [lambda f, r: f.city()],
    "country": [lambda f, r: f.country(), lambda f, r: f.country_code()],
    "countrycode": [lambda f, r: f.country_code()],
    "countryiso": [lambda f, r: f.country_code()],
    "countryofregistration": [lambda f, r: f.country_code()],
    "countryoforigin": [lambda f, r: f.country_code()],
    "currency": [lambda f, r: f.currency_code()],
    "currencycode": [lambda f, r: f.currency_code()],
    "language": [lambda f, r: f.language_code()],
    "languagecode": [lambda f, r: f.language_code()],
    "locale": [lambda f, r: f.locale().replace("_", "-")],
    "street": [lambda f, r: f.street_address()],
    "streetname": [lambda f, r: f.street_name()],
    "streetaddress": [lambda f, r: f.street_address()],
    "address": [lambda f, r: f.street_address()],
    "addressline1": [lambda f, r: f.street_address()],
    "addressline2": [lambda f, r: f.secondary_address()],
    "address1": [lambda f, r: f.street_address()],
    "address2": [lambda f, r: f.secondary_address()],
    "streetnumber": [lambda f, r: f.building_number()],
    "housenumber": [lambda f, r: f.building_number()],
    "zip": [lambda f, r: f.postcode()],
    "zipcode": [lambda f, r: f.postcode()],
    "postalcode": [lambda f, r: f.postcode()],
    "postcode": [lambda f, r: f.postcode()],
    "state": [lambda f, r: f.state(), lambda f, r: f.state_abbr()],
    "region": [lambda f, r: f.state()],
    "province": [lambda f, r: f.state()],
    "company": [lambda f, r: f.company()],
    "companyname": [lambda f, r: f.company()],
    "legalname": [lambda f, r: f.company()],
    "organization": [lambda f, r: f.company()],
    "url": [lambda f, r: f.url()],
    "website": [lambda f, r: f.url()],
    "homepage": [lambda f, r: f.url()],
    "link": [lambda f, r: f.url()],
    "href": [lambda f, r: f.url()],
    "uri": [lambda f, r: f.url()],
    "description": [lambda f, r: f.sentence(nb_words=10)],
    "comment": [lambda f, r: f.sentence(nb_words=8)],
    "note": [lambda f, r: f.sentence(nb_words=8)],
    "notes": [lambda f, r: f.sentence(nb_words=8)],
    "message": [lambda f, r: f.sentence(nb_words=8)],
    "text": [lambda f, r: f.sentence(nb_words=8)],
    "color": [lambda f, r: f.color_name()],
    "iban": [lambda f, r: f.iban()],
    "password": [lambda f, r: f.password()],
    "sku": [_code],
    "code": [_code],
    "id": [_uuid, _hex_id],
    "tenant": [lambda f, r: f.user_name().lower()],
    "token": [lambda f, r: f.sha1()],
}


def _product(f: Faker, r: random.Random) -> str:
    return f"{f.color_name()} {f.word().title()} {r.choice(_PRODUCT_NOUNS)}"


_PRODUCT_NOUNS = ["Shirt", "Mug", "Lamp", "Backpack", "Sneakers", "Chair", "Headphones", "Bottle"]

# Property names that mean something else inside a known object
# (matched against "<object><property>", e.g. "orderitemname").
_CONTEXT_SUFFIXES: list[tuple[str, list[StringProducer]]] = [
    ("productname", [_product]),
    ("itemname", [_product]),
    ("productdescription", [lambda f, r: f.sentence(nb_words=12)]),
    ("locationname", [lambda f, r: f"{f.city()} Store"]),
    ("sitename", [lambda f, r: f"{f.city()} Warehouse"]),
    ("warehousename", [lambda f, r: f"{f.city()} Warehouse"]),
    ("legalentityname", [lambda f, r: f.company()]),
    ("companyname", [lambda f, r: f.company()]),
    ("groupname", [_words]),
]

# Suffix rules for compound names (``billingEmail``, ``customerId``).
_SUFFIXES: list[tuple[str, list[StringProducer]]] = [
    ("firstname", _STRINGS["firstname"]),
    ("lastname", _STRINGS["lastname"]),
    ("email", _STRINGS["email"]),
    ("phone", _STRINGS["phone"]),
    ("phonenumber", _STRINGS["phone"]),
    ("city", _STRINGS["city"]),
    ("countrycode", _STRINGS["countrycode"]),
    ("currency", _STRINGS["currency"]),
    ("url", _STRINGS["url"]),
    ("zipcode", _STRINGS["zipcode"]),
    ("postalcode", _STRINGS["postalcode"]),
    ("description", _STRINGS["description"]),
    ("companyname", _STRINGS["company"]),
    ("id", _STRINGS["id"]),
    ("number", [_code]),
    ("code", [_code]),
    ("name", [_words]),
    ("at", [date_time]),
    ("date", [date_time]),
]


# The specs name a few hundred properties; seeding asks for each name's hints thousands of
# times (about a seventh of its time before they were cached).
_NAMES_CACHED = 4096


@lru_cache(maxsize=_NAMES_CACHED)
def string_hints(name: str | None) -> list[StringProducer]:
    """Producers for a property name, best first; empty when nothing fits.

    ``name`` may carry its object as context (``"OrderItem.name"``): a
    context-qualified entry (``itemname``) wins over the bare key (``name``).
    The list is shared: read it, never change it.
    """
    if not name:
        return []
    context, key = split(name)
    qualified = [context + key, singular(context) + key] if context else []
    for candidate in qualified:
        for suffix, producers in _CONTEXT_SUFFIXES:
            if candidate.endswith(suffix):
                return producers
    for candidate in (key, singular(key)):
        if candidate in _STRINGS:
            return _STRINGS[candidate]
    for suffix, producers in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return producers
    return []


@dataclass(frozen=True)
class NumberHint:
    """A realistic range (and decimals) for a numeric property name."""

    low: float
    high: float
    decimals: int = 0


_NUMBERS: dict[str, NumberHint] = {
    "price": NumberHint(1, 500, 2),
    "amount": NumberHint(1, 1000, 2),
    "total": NumberHint(1, 2000, 2),
    "cost": NumberHint(1, 500, 2),
    "quantity": NumberHint(1, 20),
    "qty": NumberHint(1, 20),
    "count": NumberHint(0, 50),
    "age": NumberHint(18, 90),
    "year": NumberHint(2000, 2030),
    "latitude": NumberHint(-90, 90, 5),
    "lat": NumberHint(-90, 90, 5),
    "longitude": NumberHint(-180, 180, 5),
    "lng": NumberHint(-180, 180, 5),
    "lon": NumberHint(-180, 180, 5),
    "percent": NumberHint(0, 100, 1),
    "percentage": NumberHint(0, 100, 1),
    "rate": NumberHint(0, 25, 2),
    "weight": NumberHint(0.1, 50, 2),
    "page": NumberHint(1, 10),
    "pagesize": NumberHint(1, 50),
    "size": NumberHint(1, 50),
    "version": NumberHint(1, 10),
    "id": NumberHint(1, 100_000),
}


@lru_cache(maxsize=_NAMES_CACHED)
def number_hint(name: str | None) -> NumberHint | None:
    """A realistic numeric range for a property name, if one is known."""
    if not name:
        return None
    key = split(name)[1]
    for candidate in (key, singular(key)):
        if candidate in _NUMBERS:
            return _NUMBERS[candidate]
    for suffix in ("price", "amount", "total", "quantity", "count", "rate", "id"):
        if key.endswith(suffix):
            return _NUMBERS[suffix]
    return None


LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl"]
_LOCALIZED = {"name", "names", "title", "description", "label", "localizedname", "displayname"}


def map_keys(name: str | None) -> list[str] | None:
    """Keys for a free-form map, when its name says what they are.

    APIs that localize ``name``/``description`` as ``{"en": ..., "de": ...}``
    get language codes as keys of such maps instead of random words.
    """
    if name and split(name)[1] in _LOCALIZED:
        return LANGUAGES
    return None
