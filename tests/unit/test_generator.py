"""Behaviour of SchemaDataGenerator beyond "it validates": seeds, realism, modes, limits."""

from __future__ import annotations

import json
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from specdouble.data.generator import GenerationError, SchemaDataGenerator

CORPUS = Path(__file__).resolve().parents[1] / "data" / "schemas"
REALISTIC = json.loads((CORPUS / "realistic.json").read_text())
COMPOSITION = json.loads((CORPUS / "composition.json").read_text())
RECURSIVE = json.loads((CORPUS / "recursive.json").read_text())
ORDER = {"$ref": "#/components/schemas/Order"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _sequence(seed: int) -> list[Any]:
    generator = SchemaDataGenerator(seed)
    return [generator.generate(ORDER, REALISTIC) for _ in range(5)] + [
        generator.generate(_ref("Pet"), COMPOSITION),
        generator.generate({"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}),
    ]


def test_same_seed_same_sequence_gives_identical_output() -> None:
    assert json.dumps(_sequence(42)) == json.dumps(_sequence(42))


def test_different_seeds_give_different_output() -> None:
    assert _sequence(1) != _sequence(2)


def test_successive_calls_differ() -> None:
    generator = SchemaDataGenerator(7)
    values = [generator.generate(ORDER, REALISTIC) for _ in range(3)]
    assert values[0] != values[1] != values[2]


def test_global_random_state_is_neither_used_nor_changed() -> None:
    random.seed(123)
    before = random.getstate()
    first = SchemaDataGenerator(5).generate(ORDER, REALISTIC)
    assert random.getstate() == before
    random.seed(999)  # a different global state must not change the output
    assert SchemaDataGenerator(5).generate(ORDER, REALISTIC) == first


def test_input_schema_is_not_modified() -> None:
    before = json.dumps(COMPOSITION, sort_keys=True)
    generator = SchemaDataGenerator(3)
    for name in COMPOSITION["components"]["schemas"]:
        if "~" not in name and "/" not in name:
            generator.generate(_ref(name), COMPOSITION)
    assert json.dumps(COMPOSITION, sort_keys=True) == before


# -- realistic values -------------------------------------------------------------


def _first_names() -> set[str]:
    faker = Faker("en_US")
    provider = faker.provider("faker.providers.person")
    assert provider is not None
    return set(provider.first_names)  # type: ignore[attr-defined]


def _customers(count: int) -> list[dict[str, Any]]:
    generator = SchemaDataGenerator(11)
    return [generator.generate(_ref("Customer"), REALISTIC) for _ in range(count)]


def test_email_property_looks_like_an_email_even_without_format() -> None:
    for customer in _customers(20):
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", customer["email"])


def test_first_and_last_names_come_from_faker() -> None:
    names = _first_names()
    customers = _customers(20)
    assert all(c["firstName"] in names for c in customers)
    assert all(c["lastName"][0].isupper() and " " not in c["lastName"] for c in customers)


def test_address_fields_are_realistic_and_constrained() -> None:
    generator = SchemaDataGenerator(13)
    for _ in range(20):
        address = generator.generate(_ref("Address"), REALISTIC)
        assert re.fullmatch(r"[A-Z]{2}", address["countryCode"])
        assert re.fullmatch(r"\d{5}(-\d{4})?", address["zipCode"])
        assert re.search(r"\d", address["street"])  # a house number, not lorem
        if "country" in address:  # maxLength 2 rejects a country name: a code is used
            assert re.fullmatch(r"[A-Z]{2}", address["country"])


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("currency", lambda v: re.fullmatch(r"[A-Z]{3}", v)),
        ("countryCode", lambda v: re.fullmatch(r"[A-Z]{2}", v)),
        ("website", lambda v: v.startswith(("http://", "https://"))),
        ("phone", lambda v: sum(ch.isdigit() for ch in v) >= 7),
        ("city", lambda v: v[0].isupper()),
        ("company", lambda v: len(v) > 2),
        ("customerId", lambda v: re.fullmatch(r"[0-9a-f-]{24,36}", v)),
    ],
)
def test_name_hints_for_plain_strings(name: str, check: Any) -> None:
    generator = SchemaDataGenerator(17)
    for _ in range(10):
        value = generator.generate({"type": "string"}, name=name)
        assert check(value), value


def test_hints_never_break_constraints() -> None:
    generator = SchemaDataGenerator(19)
    schema = {"type": "string", "minLength": 4, "maxLength": 6}
    for _ in range(30):
        assert 4 <= len(generator.generate(schema, name="email")) <= 6


def test_numeric_hints_stay_realistic() -> None:
    generator = SchemaDataGenerator(23)
    quantities = [generator.generate({"type": "integer"}, name="quantity") for _ in range(30)]
    prices = [generator.generate({"type": "number"}, name="price") for _ in range(30)]
    assert all(1 <= q <= 20 for q in quantities)
    assert all(round(p, 2) == p and 1 <= p <= 500 for p in prices)


def test_array_items_take_the_singular_name_hint() -> None:
    emails = SchemaDataGenerator(29).generate(
        {"type": "array", "minItems": 3, "items": {"type": "string"}}, name="emails"
    )
    assert all("@" in e for e in emails)


# -- modes, optional content, composition ------------------------------------------------

READ_WRITE = {
    "type": "object",
    "required": ["id", "password", "name"],
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "password": {"type": "string", "writeOnly": True},
        "name": {"type": "string"},
    },
}


def test_response_mode_skips_write_only_properties() -> None:
    value = SchemaDataGenerator(1).generate(READ_WRITE)
    assert set(value) == {"id", "name"}


def test_request_mode_skips_read_only_properties() -> None:
    value = SchemaDataGenerator(1).generate(READ_WRITE, mode="request")
    assert set(value) == {"password", "name"}


def test_optional_properties_are_sometimes_present_sometimes_not() -> None:
    schema = {"type": "object", "properties": {"note": {"type": "string"}}}
    generator = SchemaDataGenerator(31)
    seen = {bool(generator.generate(schema)) for _ in range(40)}
    assert seen == {True, False}


def test_optional_probability_zero_gives_only_required() -> None:
    value = SchemaDataGenerator(1, optional_probability=0).generate(_ref("Customer"), REALISTIC)
    assert set(value) == {"id", "firstName", "lastName", "email"}


def test_nullable_values_are_sometimes_null() -> None:
    generator = SchemaDataGenerator(37, null_probability=0.5)
    values = [generator.generate({"type": "integer", "nullable": True}) for _ in range(40)]
    assert None in values
    assert any(isinstance(v, int) for v in values)


def test_overlapping_one_of_yields_values_matching_exactly_one_branch() -> None:
    generator = SchemaDataGenerator(41)
    for _ in range(30):
        value = generator.generate(_ref("OneOfOverlappingStrings"), COMPOSITION)
        assert len(value) > 5  # a short string would match both branches
        number = generator.generate(_ref("OneOfIntegerNumber"), COMPOSITION)
        assert isinstance(number, float) and not number.is_integer()


def test_discriminator_tag_names_the_chosen_branch() -> None:
    generator = SchemaDataGenerator(43)
    tags = set()
    for _ in range(30):
        pet = generator.generate(_ref("PetMapped"), COMPOSITION)
        assert (pet["petType"], "meows" in pet) in {("cat", True), ("dog", False)}
        tags.add(pet["petType"])
    assert tags == {"cat", "dog"}


def test_all_of_merges_properties_and_bounds() -> None:
    generator = SchemaDataGenerator(47)
    for _ in range(20):
        value = generator.generate(_ref("AllOfRefs"), COMPOSITION)
        assert {"id", "name"} <= set(value)
        number = generator.generate(_ref("AllOfBounds"), COMPOSITION)
        assert 50 < number <= 60 and number % 2 == 0


def test_unique_items_are_unique() -> None:
    schema = {
        "type": "array",
        "uniqueItems": True,
        "minItems": 5,
        "maxItems": 5,
        "items": {"type": "integer", "minimum": 1, "maximum": 5},
    }
    assert sorted(SchemaDataGenerator(53).generate(schema)) == [1, 2, 3, 4, 5]


# -- termination and failure ------------------------------------------------------------


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize("name", ["Category", "Alpha", "Json", "NullableLink", "LinkedNode"])
def test_recursive_schemas_stop_at_the_depth_limit(name: str) -> None:
    generator = SchemaDataGenerator(59, max_depth=3)
    for _ in range(10):
        assert _depth(generator.generate(_ref(name), RECURSIVE)) <= 3 * 2 + 2


def test_required_self_reference_raises_instead_of_looping() -> None:
    root = {
        "components": {
            "schemas": {
                "Loop": {
                    "type": "object",
                    "required": ["next"],
                    "properties": {"next": {"$ref": "#/components/schemas/Loop"}},
                }
            }
        }
    }
    with pytest.raises(GenerationError, match="recursion"):
        SchemaDataGenerator(1).generate(_ref("Loop"), root)


def test_reference_cycle_raises() -> None:
    root = {"components": {"schemas": {"A": _ref("B"), "B": _ref("A")}}}
    with pytest.raises(GenerationError, match="cycle"):
        SchemaDataGenerator(1).generate(_ref("A"), root)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "minLength": 5, "maxLength": 2},
        {"type": "integer", "minimum": 3, "maximum": 2},
        {"type": "string", "enum": ["a"], "minLength": 3},
        {"type": "string", "pattern": "^[0-9]{4}$", "maxLength": 3},
        {"allOf": [{"type": "string"}, {"type": "integer"}]},
        {"$ref": "#/components/schemas/Missing"},
    ],
)
def test_unsatisfiable_schemas_raise_generation_error(schema: dict[str, Any]) -> None:
    with pytest.raises(GenerationError):
        SchemaDataGenerator(1, attempts=5).generate(schema, {"components": {"schemas": {}}})


def test_object_context_changes_what_a_name_means() -> None:
    root = {
        "components": {
            "schemas": {
                "OrderItem": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}},
                },
                "Contact": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}},
                },
            }
        }
    }
    generator = SchemaDataGenerator(61)
    first_names = _first_names()
    for _ in range(10):
        product = generator.generate(_ref("OrderItem"), root)["name"]
        person = generator.generate(_ref("Contact"), root)["name"]
        assert product.split()[-1] in {
            "Shirt",
            "Mug",
            "Lamp",
            "Backpack",
            "Sneakers",
            "Chair",
            "Headphones",
            "Bottle",
        }
        assert any(part in first_names for part in person.split())


def test_localized_maps_use_language_codes() -> None:
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "object", "additionalProperties": {"type": "string"}}},
    }
    value = SchemaDataGenerator(67).generate(schema)
    assert value["name"] and set(value["name"]) <= {"en", "de", "fr", "es", "it", "nl", "pl"}
    assert "en" in value["name"]


def test_an_unsatisfiable_branch_is_skipped_for_a_satisfiable_one() -> None:
    schema = {"oneOf": [{"type": "string", "enum": ["a"], "minLength": 3}, {"type": "integer"}]}
    generator = SchemaDataGenerator(71)
    assert all(isinstance(generator.generate(schema), int) for _ in range(10))


def test_deeply_nested_unsatisfiable_choices_give_up() -> None:
    inner: dict[str, Any] = {"type": "string", "minLength": 3, "maxLength": 2}
    for _ in range(6):
        inner = {
            "type": "object",
            "required": ["x"],
            "properties": {"x": {"anyOf": [inner, inner]}},
        }
    with pytest.raises(GenerationError):
        SchemaDataGenerator(73).generate(inner)


def test_timestamps_fall_in_the_year_before_the_seeding_epoch() -> None:
    from specdouble.support.seeds import EPOCH

    generator = SchemaDataGenerator(79)
    for _ in range(50):
        stamp = generator.generate({"type": "string", "format": "date-time"})
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert EPOCH - timedelta(days=366) <= moment <= EPOCH
        day = date.fromisoformat(generator.generate({"type": "string", "format": "date"}))
        assert EPOCH.date() - timedelta(days=366) <= day <= EPOCH.date()


_HASH_SCRIPT = """
import json, sys
from specdouble.data.generator import SchemaDataGenerator
root = json.load(open(sys.argv[1]))
g = SchemaDataGenerator(99)
print(json.dumps([g.generate({"$ref": "#/components/schemas/" + n}, root)
                  for n in ("Order", "Customer", "Address")]))
"""


def test_output_does_not_depend_on_python_hash_randomization() -> None:
    import os
    import subprocess
    import sys

    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT, str(CORPUS / "realistic.json")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
