"""Unit tests of the mapping checks that run before Spark: auto-mapping, resolution, check_mapping."""

from __future__ import annotations

import pytest

from lakeport.config import load_config
from lakeport.config.load import load_schema
from lakeport.config.mapping_check import check_mapping
from lakeport.config.plan import resolve_mapping
from lakeport.spec.mapping import MappingEntry, MappingSpec, normalise
from lakeport.spec.schema import FieldSpec, SchemaSpec, mappable_targets
from tests.conftest import CONFIG, REPO

PRODUCTS_HEADER = ["SKU", "Product Name", "Category", "PRICE", "In-Stock", "Currency"]
PRODUCTS_AUTO = {
    "sku": "SKU",
    "productName": "Product Name",
    "category": "Category",
    "price": "PRICE",
    "currency": "Currency",
    "inStock": "In-Stock",
}
AUTO = MappingSpec(auto=True)


def _schema(name: str) -> SchemaSpec:
    problems: list[str] = []
    schema = load_schema(REPO / "schemas" / f"{name}.yaml", problems)
    assert problems == [] and schema is not None
    return schema


@pytest.fixture(scope="module")
def products() -> SchemaSpec:
    return _schema("products")


@pytest.fixture(scope="module")
def loyalty() -> SchemaSpec:
    return _schema("loyalty")


@pytest.fixture(scope="module")
def purchases() -> SchemaSpec:
    return _schema("purchases")


def _people(**fields: dict) -> SchemaSpec:
    return SchemaSpec.model_validate({"name": "people", "class": "other", "fields": fields})


# --------------------------------------------------------------------------------------------
# normalise / mappable_targets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Product Name", "productname"),
        ("productName", "productname"),
        ("In-Stock", "instock"),
        ("in_stock", "instock"),
        ("IN STOCK", "instock"),
        ("Name.First", "namefirst"),
        ("name.first", "namefirst"),
        ("\ufeffSKU", "sku"),
        ("Price ($)", "price"),
        ("  e-Mail  ", "email"),
        ("first\tname", "firstname"),
        ("Straße", "strasse"),
        ("Prénom", "prénom"),
        ("address_line_2", "addressline2"),
        ("", ""),
    ],
)
def test_normalise(name: str, normalised: str) -> None:
    assert normalise(name) == normalised


def test_mappable_targets_are_the_leaves_in_declaration_order(loyalty: SchemaSpec) -> None:
    assert list(mappable_targets(loyalty)) == [
        "loyaltyId",
        "crmId",
        "person.firstName",
        "person.lastName",
        "person.birthDate",
        "person.gender",
        "homeAddress.city",
        "homeAddress.state",
        "homeAddress.country",
        "homeAddress.postalCode",
        "loyalty.points",
        "loyalty.tier",
        "loyalty.joinDate",
        "lastUpdated",
    ]


def test_arrays_and_maps_are_targets_as_a_whole() -> None:
    schema = _people(
        id={"type": "string"},
        tags={"type": "array", "items": {"type": "string"}},
        attrs={"type": "map", "values": {"type": "integer"}},
        lines={"type": "array", "items": {"type": "object", "fields": {"sku": {"type": "string"}}}},
    )
    assert {p: s.type for p, s in mappable_targets(schema).items()} == {
        "id": "string",
        "tags": "array",
        "attrs": "map",
        "lines": "array",
    }


# --------------------------------------------------------------------------------------------
# resolve_mapping: auto-mapping against a batch's source fields
# --------------------------------------------------------------------------------------------


def test_products_csv_header_auto_maps_every_target(products: SchemaSpec) -> None:
    plan = resolve_mapping(AUTO, products, PRODUCTS_HEADER)
    assert plan.auto_mapped == PRODUCTS_AUTO
    assert {t: e.source for t, e in plan.entries.items()} == PRODUCTS_AUTO
    assert plan.unmapped_sources == []
    assert plan.unmapped_targets == []
    assert sorted(plan.source_paths) == sorted(PRODUCTS_HEADER)
    assert plan.summary() == {
        "autoMapped": PRODUCTS_AUTO,
        "unmappedSourceFields": [],
        "unmappedTargetFields": [],
    }


def test_the_repo_products_dataset_auto_maps_the_header() -> None:
    ds = load_config(CONFIG).dataset("products")
    assert resolve_mapping(ds.mapping, ds.schema_spec, PRODUCTS_HEADER).auto_mapped == PRODUCTS_AUTO


def test_header_with_a_byte_order_mark_still_maps(products: SchemaSpec) -> None:
    header = ["\ufeffSKU", *PRODUCTS_HEADER[1:]]
    plan = resolve_mapping(AUTO, products, header)
    assert plan.auto_mapped == {**PRODUCTS_AUTO, "sku": "\ufeffSKU"}
    assert plan.unmapped_sources == []


def test_extra_column_is_an_unmapped_source(products: SchemaSpec) -> None:
    plan = resolve_mapping(AUTO, products, [*PRODUCTS_HEADER, "Discount"])
    assert plan.auto_mapped == PRODUCTS_AUTO
    assert plan.unmapped_sources == ["Discount"]
    assert plan.unmapped_targets == []


def test_missing_column_is_an_unmapped_target(products: SchemaSpec) -> None:
    header = [h for h in PRODUCTS_HEADER if h != "Currency"]
    plan = resolve_mapping(AUTO, products, header)
    assert plan.auto_mapped == {k: v for k, v in PRODUCTS_AUTO.items() if k != "currency"}
    assert plan.unmapped_sources == []
    assert plan.unmapped_targets == ["currency"]


def test_ambiguous_candidates_are_not_auto_mapped(products: SchemaSpec) -> None:
    plan = resolve_mapping(AUTO, products, [*PRODUCTS_HEADER, "in_stock"])
    assert "inStock" not in plan.auto_mapped
    assert "inStock" not in plan.entries
    assert plan.auto_mapped == {k: v for k, v in PRODUCTS_AUTO.items() if k != "inStock"}
    assert plan.unmapped_sources == ["In-Stock", "in_stock"]
    assert plan.unmapped_targets == ["inStock"]


def test_explicit_entries_win_over_auto(products: SchemaSpec) -> None:
    mapping = MappingSpec(auto=True, fields=[MappingEntry(target="price", source="Sale Price")])
    plan = resolve_mapping(mapping, products, [*PRODUCTS_HEADER, "Sale Price"])
    assert plan.entries["price"].source == "Sale Price"
    assert plan.auto_mapped == {k: v for k, v in PRODUCTS_AUTO.items() if k != "price"}
    assert plan.unmapped_sources == ["PRICE"]
    assert plan.unmapped_targets == []


def test_a_source_read_by_an_expression_still_auto_maps_to_its_own_target(
    products: SchemaSpec,
) -> None:
    # issue 16: an expression's sources are not used up (fullName over first_name/last_name left
    # firstName/lastName null); a source entry still takes its source
    mapping = MappingSpec(
        auto=True,
        fields=[MappingEntry(target="category", expression="lower(field('Product Name'))")],
    )
    plan = resolve_mapping(mapping, products, PRODUCTS_HEADER)
    assert plan.entries["category"].expression.text == "lower(field('Product Name'))"
    assert plan.auto_mapped["productName"] == "Product Name"
    assert plan.unmapped_targets == []
    assert plan.unmapped_sources == ["Category"]
    assert "Product Name" in plan.source_paths


def test_explicit_sources_compare_case_insensitively(products: SchemaSpec) -> None:
    mapping = MappingSpec(auto=True, fields=[MappingEntry(target="productName", source="sku")])
    plan = resolve_mapping(mapping, products, PRODUCTS_HEADER)
    assert (
        "sku" not in plan.auto_mapped
    )  # SKU is taken by the explicit entry (Spark is case-insensitive)
    assert plan.unmapped_sources == ["Product Name"]
    assert plan.unmapped_targets == ["sku"]


def test_without_auto_only_entries_map(products: SchemaSpec) -> None:
    mapping = MappingSpec(
        fields=[
            MappingEntry(target="sku", source="SKU"),
            MappingEntry(target="currency", value="EUR"),
        ]
    )
    plan = resolve_mapping(mapping, products, PRODUCTS_HEADER)
    assert plan.auto_mapped == {}
    assert list(plan.entries) == ["sku", "currency"]
    assert plan.unmapped_targets == ["productName", "category", "price", "inStock"]
    assert plan.unmapped_sources == ["Product Name", "Category", "PRICE", "In-Stock", "Currency"]
    assert plan.source_paths == ["SKU"]


def test_nested_targets_take_top_level_names_and_full_paths(loyalty: SchemaSpec) -> None:
    sources = [
        "loyalty_id",
        "crm_id",
        "first_name",
        "person.lastName",
        "Points",
        "tier",
        "address.city",
    ]
    plan = resolve_mapping(AUTO, loyalty, sources)
    assert plan.auto_mapped == {
        "loyaltyId": "loyalty_id",
        "crmId": "crm_id",
        "person.firstName": "first_name",
        "person.lastName": "person.lastName",
        "loyalty.points": "Points",
        "loyalty.tier": "tier",
    }
    assert plan.unmapped_sources == ["address.city"]


def test_a_name_shared_by_two_nested_targets_maps_neither() -> None:
    schema = _people(
        home={"type": "object", "fields": {"city": {"type": "string"}}},
        work={"type": "object", "fields": {"city": {"type": "string"}}},
    )
    plan = resolve_mapping(AUTO, schema, ["city"])
    assert plan.auto_mapped == {}
    assert plan.unmapped_sources == ["city"]
    assert plan.unmapped_targets == ["home.city", "work.city"]


def test_an_exact_match_beats_a_last_segment_match_declared_earlier() -> None:
    schema = _people(
        home={"type": "object", "fields": {"city": {"type": "string"}}},
        city={"type": "string"},
    )
    plan = resolve_mapping(AUTO, schema, ["city"])
    assert plan.auto_mapped == {"city": "city"}
    assert plan.unmapped_targets == ["home.city"]


def test_nested_source_under_a_used_parent_is_not_unmapped(loyalty: SchemaSpec) -> None:
    mapping = MappingSpec(fields=[MappingEntry(target="homeAddress.city", source="address")])
    plan = resolve_mapping(mapping, loyalty, ["address.city", "address.zip", "other"])
    assert plan.unmapped_sources == ["other"]


def test_array_item_sources_mark_the_array_as_used(purchases: SchemaSpec) -> None:
    mapping = MappingSpec(fields=[MappingEntry(target="productSku", source="items[0].sku")])
    plan = resolve_mapping(mapping, purchases, ["items.sku", "items.qty", "store"])
    assert plan.unmapped_sources == ["items.qty", "store"]
    assert plan.source_paths == ["items[0].sku"]


# --------------------------------------------------------------------------------------------
# check_mapping: what the corpus in test_config.py does not reach
# --------------------------------------------------------------------------------------------


def test_repo_mappings_check_clean() -> None:
    for name, ds in load_config(CONFIG).datasets.items():
        assert check_mapping(ds.mapping, ds.schema_spec, name) == [], name


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"target": "loyaltyid", "source": "id"},
            "m.yaml: fields[0].target: 'loyaltyid' is not a field of schema loyalty; did you mean 'loyaltyId'?",
        ),
        (
            {"target": "person", "source": "p"},
            "m.yaml: fields[0].target: 'person' is an object in schema loyalty; map its fields one by one "
            "(person.firstName, person.lastName, person.birthDate, person.gender)",
        ),
        (
            {"target": "homeAddress", "source": "a"},
            "m.yaml: fields[0].target: 'homeAddress' is an object in schema loyalty; map its fields one by one "
            "(homeAddress.city, homeAddress.state, homeAddress.country, homeAddress.postalCode)",
        ),
        (
            {"target": "zzz", "source": "a"},
            "m.yaml: fields[0].target: 'zzz' is not a field of schema loyalty; fields are: loyaltyId, crmId, "
            "person.firstName, person.lastName, person.birthDate, person.gender, homeAddress.city, "
            "homeAddress.state, homeAddress.country, homeAddress.postalCode, loyalty.points, loyalty.tier, "
            "loyalty.joinDate, lastUpdated",
        ),
        (
            {"target": "crmId", "source": "a", "unit": "seconds"},
            "m.yaml: fields[0].unit: applies to date and datetime fields, but 'crmId' is string; remove it",
        ),
        (
            {"target": "loyalty.points", "source": "a", "timezone": "UTC"},
            "m.yaml: fields[0].timezone: applies to date and datetime fields, but 'loyalty.points' is integer; remove it",
        ),
        (
            {"target": "crmId", "source": "a..b"},
            "m.yaml: fields[0].source: 'a..b' is not a source path; write a name, a.b or items[0].sku",
        ),
        (
            {"target": "crmId", "source": "items[x]"},
            "m.yaml: fields[0].source: 'items[x]' is not a source path; write a name, a.b or items[0].sku",
        ),
        (
            {"target": "loyaltyId", "value": "12345"},
            "m.yaml: fields[0].value: '12345' does not match the pattern ^L[0-9]{7}$ of 'loyaltyId'; fix the constant",
        ),
        (
            {"target": "loyalty.points", "value": -5},
            "m.yaml: fields[0].value: -5 is below the minimum 0 of 'loyalty.points'; fix the constant",
        ),
        (
            {"target": "loyalty.tier", "value": "diamond"},
            "m.yaml: fields[0].value: 'diamond' is not allowed for 'loyalty.tier' (enum: bronze, silver, gold, "
            "platinum); use one of those or add it to the schema's enum",
        ),
        (
            {"target": "loyalty.points", "expression": "is_null(points)"},
            "m.yaml: fields[0].expression: gives a boolean but 'loyalty.points' is integer; turn the condition into a number with iif(condition, 1, 0)",
        ),
        (
            {"target": "loyalty.points", "expression": "to_datetime(x)"},
            "m.yaml: fields[0].expression: gives a datetime but 'loyalty.points' is integer; wrap it in epoch_millis(), or take year(), month() or day()",
        ),
        (
            {"target": "lastUpdated", "expression": "a > 1"},
            "m.yaml: fields[0].expression: gives a boolean but 'lastUpdated' is datetime; give an expression that yields a datetime, for example to_datetime(...)",
        ),
        (
            {"target": "loyalty.joinDate", "expression": "iif(a > 1, true, false)"},
            "m.yaml: fields[0].expression: gives a boolean but 'loyalty.joinDate' is date; give an expression that yields a date, for example to_date(...)",
        ),
        (
            {"target": "crmId", "expression": "lower(x) + 1"},
            "m.yaml: fields[0].expression: '+' adds numbers, so 'lower(x) + 1' would give null; join strings with concat(a, b)",
        ),
    ],
)
def test_check_mapping_entry_problems(loyalty: SchemaSpec, entry: dict, message: str) -> None:
    mapping = MappingSpec(auto=True, fields=[MappingEntry.model_validate(entry)])
    assert check_mapping(mapping, loyalty, "m.yaml") == [message]


@pytest.mark.parametrize(
    "entry",
    [
        {"target": "loyalty.points", "value": 10},
        {"target": "loyalty.points", "value": "10"},
        {"target": "loyalty.points", "expression": "to_integer(points) * 2"},
        {"target": "loyalty.points", "expression": "upper(points)"},  # strings convert at run time
        {"target": "loyaltyId", "value": "L0000001"},
        {"target": "crmId", "expression": "concat('C', id)"},
        {"target": "crmId", "expression": "iif(a > 1, 'x', 'y')"},
        {"target": "person.gender", "expression": "coalesce(lower(g), 'not_specified')"},
        {
            "target": "lastUpdated",
            "source": "updated",
            "format": ["yyyy-MM-dd HH:mm", "dd/MM/yyyy"],
            "timezone": "Europe/Paris",
        },
        {"target": "lastUpdated", "source": "epoch", "unit": "seconds"},
        {"target": "loyalty.joinDate", "expression": "to_datetime(joined)"},
        {"target": "homeAddress.city", "source": "addresses[0].city"},
        {"target": "person.firstName", "source": "first name"},
    ],
)
def test_check_mapping_accepts(loyalty: SchemaSpec, entry: dict) -> None:
    mapping = MappingSpec(auto=True, fields=[MappingEntry.model_validate(entry)])
    assert check_mapping(mapping, loyalty, "m.yaml") == []


def test_constants_and_expressions_cannot_fill_arrays_or_maps() -> None:
    schema = _people(tags={"type": "array", "items": {"type": "string"}}, attrs={"type": "map"})
    mapping = MappingSpec(
        auto=True,
        fields=[
            MappingEntry(target="tags", value="a"),
            MappingEntry(target="attrs", expression="lower(x)"),
            MappingEntry(target="tags.x", source="t"),
        ],
    )
    assert check_mapping(mapping, schema, "m.yaml") == [
        "m.yaml: fields[0].value: a constant cannot fill 'tags' (array); map it from a source instead",
        "m.yaml: fields[1].expression: gives a string but 'attrs' is map; map 'attrs' from a source instead",
        "m.yaml: fields[2].target: 'tags.x' is inside 'tags', which is an array; map 'tags' as a whole from a source list",
    ]


def test_required_fields_without_auto(purchases: SchemaSpec) -> None:
    mapping = MappingSpec(fields=[MappingEntry(target="channel", value="offline")])
    assert check_mapping(mapping, purchases, "p.yaml") == [
        "p.yaml: fields: required field '_id' is not mapped; add an entry for it or set auto: true",
        "p.yaml: fields: required field 'timestamp' is not mapped; add an entry for it or set auto: true",
        "p.yaml: fields: required field 'loyaltyId' is not mapped; add an entry for it or set auto: true",
    ]
    assert check_mapping(mapping.model_copy(update={"auto": True}), purchases, "p.yaml") == []


def test_implicitly_required_fields_without_auto() -> None:
    event = SchemaSpec.model_validate(
        {
            "name": "clicks",
            "class": "event",
            "fields": {
                "_id": {"type": "string"},
                "timestamp": {"type": "datetime"},
                "visitor": {"type": "string", "identity": {"namespace": "ecid", "primary": True}},
            },
        }
    )
    assert check_mapping(MappingSpec(), event, "c.yaml") == [
        "c.yaml: fields: required field '_id' (every event needs it) is not mapped; add an entry for it or set auto: true",
        "c.yaml: fields: required field 'timestamp' (every event needs it) is not mapped; add an entry for it or set auto: true",
        "c.yaml: fields: required field 'visitor' (the primary identity) is not mapped; add an entry for it or set auto: true",
    ]


def test_every_entry_problem_is_reported(loyalty: SchemaSpec) -> None:
    mapping = MappingSpec(
        auto=True,
        fields=[
            MappingEntry(target="crmId", source="a", format="yyyy", timezone="UTC"),
            MappingEntry(target="crmId", expression="lowr(a)"),
        ],
    )
    assert check_mapping(mapping, loyalty, "m.yaml") == [
        "m.yaml: fields[0].format: applies to date and datetime fields, but 'crmId' is string; remove it",
        "m.yaml: fields[0].timezone: applies to date and datetime fields, but 'crmId' is string; remove it",
        "m.yaml: fields[1].target: 'crmId' is already set by fields[0]; keep one entry",
        "m.yaml: fields[1].expression: unknown function lowr(); did you mean lower()?",
    ]


def test_schema_without_a_name_is_described() -> None:
    schema = SchemaSpec.model_validate({"class": "other", "fields": {"a": {"type": "string"}}})
    mapping = MappingSpec(fields=[MappingEntry(target="b", source="b")])
    assert check_mapping(mapping, schema, "m.yaml") == [
        "m.yaml: fields[0].target: 'b' is not a field of the schema; fields are: a"
    ]
    assert FieldSpec(type="string") == schema.leaf("a")
