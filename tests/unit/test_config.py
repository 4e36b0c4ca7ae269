"""Unit tests of lakeport.config: the repo's YAML loads, broken YAML fails with exact lines, the CLI.

No Spark: everything here runs before a SparkSession would start. Broken configurations are made
by editing a copy of conf/ and schemas/ (the ``project`` fixture); each case asserts the complete
list of problem lines, so a case fails both when its message changes and when an unrelated or
duplicate line appears.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from lakeport import cli
from lakeport.config import config_path, load_config, validate_tree
from lakeport.config.load import load_mapping, load_schema
from lakeport.errors import ConfigError
from lakeport.spec.mapping import MappingEntry
from lakeport.spec.schema import FieldSpec, IdentitySpec, SchemaSpec
from lakeport.spec.settings import DatasetConfig
from tests.conftest import CONFIG, REPO

DELETE = object()
ENV_VARS = (
    "LAKEPORT_LAKE",
    "LAKEPORT_MASTER",
    "LAKEPORT_CONFIG",
    "LAKEPORT_TEST_UNSET",
    "LAKEPORT_TEST_ROOT",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests decide which LAKEPORT_* variables exist, not the shell that runs them."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _edit(root: Path, rel: str, old: str | None, new: object) -> None:
    """Replace ``old`` by ``new`` in ``root/rel`` (old must occur once); old=None writes the file."""
    path = root / rel
    if new is DELETE:
        path.unlink()
        return
    assert isinstance(new, str)
    if old is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new, encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{rel}: the edit anchor {old!r} must occur exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The repo's own configuration
# --------------------------------------------------------------------------------------------


def test_every_schema_and_mapping_in_the_repo_loads() -> None:
    schema_files = sorted((REPO / "schemas").glob("*.yaml"))
    mapping_files = sorted((REPO / "conf" / "mappings").glob("*.yaml"))
    assert [p.stem for p in schema_files] == ["crm", "loyalty", "products", "purchases"]
    assert [p.stem for p in mapping_files] == ["crm", "loyalty", "purchases"]
    problems: list[str] = []
    schemas = {p.stem: load_schema(p, problems) for p in schema_files}
    mappings = {p.stem: load_mapping(p, problems) for p in mapping_files}
    assert problems == []
    assert all(s is not None for s in schemas.values())
    assert {name: m.schema_ for name, m in mappings.items() if m} == {
        "crm": "crm",
        "loyalty": "loyalty",
        "purchases": "purchases",
    }


def test_repo_config_loads_with_the_right_datasets() -> None:
    cfg = load_config(CONFIG)
    assert list(cfg.datasets) == ["loyalty", "crm", "products", "purchases", "partner_traits"]
    assert {n: d.schema_spec.class_ for n, d in cfg.datasets.items()} == {
        "loyalty": "profile",
        "crm": "profile",
        "products": "other",
        "purchases": "event",
        "partner_traits": "other",
    }
    assert {n: d.config.format for n, d in cfg.datasets.items()} == {
        "loyalty": "json",
        "crm": "json",
        "products": "csv",
        "purchases": "json",
        "partner_traits": "aam",
    }
    purchases = cfg.dataset("purchases").config.partial_ingestion
    assert (
        purchases.enabled,
        purchases.error_threshold_percent,
        purchases.error_threshold_count,
    ) == (
        True,
        5,
        None,
    )
    assert cfg.dataset("crm").config.options.multiline is True
    assert cfg.dataset("loyalty").config.options.multiline is False
    products = cfg.dataset("products")
    assert (products.mapping_file, products.mapping.auto) == (None, True)
    assert products.config.options.header is True
    assert products.schema_file == REPO / "schemas" / "products.yaml"
    assert cfg.lake_root == "./lake"
    assert cfg.spark.master == "local[2]"
    assert cfg.spark.conf == {"spark.sql.shuffle.partitions": 4, "spark.driver.memory": "4g"}


def test_validate_tree_of_the_repo_is_empty() -> None:
    assert validate_tree(CONFIG) == []


def test_unknown_dataset_name_suggests_the_closest() -> None:
    cfg = load_config(CONFIG)
    with pytest.raises(ConfigError) as info:
        cfg.dataset("loyalti")
    assert info.value.problems == [
        f"{CONFIG}: datasets: no dataset named 'loyalti'; did you mean 'loyalty'?"
    ]
    with pytest.raises(ConfigError) as info:
        cfg.dataset("zzz")
    assert info.value.problems == [
        f"{CONFIG}: datasets: no dataset named 'zzz'; use one of: loyalty, crm, products, purchases, partner_traits"
    ]


def test_loyalty_schema_facts() -> None:
    schema = load_config(CONFIG).dataset("loyalty").schema_spec
    assert schema.name == "loyalty"
    assert schema.identities() == [
        ("loyaltyId", IdentitySpec(namespace="loyaltyId", primary=True)),
        ("crmId", IdentitySpec(namespace="crmId", primary=False)),
    ]
    first = schema.leaf("person.firstName")
    assert first is not None and first.type == "string"
    assert schema.leaf("person") is not None and schema.leaf("person").type == "object"
    assert schema.leaf("loyalty.points") == FieldSpec(type="integer", minimum=0)
    tier = schema.leaf("loyalty.tier")
    assert tier is not None and tier.enum == ["bronze", "silver", "gold", "platinum"]
    assert schema.leaf("person.middleName") is None
    assert schema.leaf("person.firstName.x") is None
    assert schema.leaf("loyaltyId").pattern == "^L[0-9]{7}$"


def test_purchases_and_products_schema_facts() -> None:
    cfg = load_config(CONFIG)
    purchases = cfg.dataset("purchases").schema_spec
    assert purchases.class_ == "event"
    assert purchases.identities() == [
        ("loyaltyId", IdentitySpec(namespace="loyaltyId", primary=True))
    ]
    assert (
        purchases.leaf("timestamp") is not None and purchases.leaf("timestamp").type == "datetime"
    )
    assert purchases.leaf("commerce.quantity") == FieldSpec(type="integer", minimum=1)
    products = cfg.dataset("products").schema_spec
    assert products.identities() == []
    assert list(products.fields) == [
        "sku",
        "productName",
        "category",
        "price",
        "currency",
        "inStock",
    ]


def test_models_are_strict_and_frozen() -> None:
    spec = FieldSpec(type="string")
    with pytest.raises(ValidationError):
        spec.type = "integer"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        FieldSpec(type="string", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        DatasetConfig.model_validate({"format": "xml"})
    entry = MappingEntry(target="a", source="b")
    with pytest.raises(ValidationError):
        entry.source = "c"  # type: ignore[misc]
    for model in (FieldSpec, SchemaSpec, MappingEntry, DatasetConfig):
        assert model.model_config["extra"] == "forbid"
        assert model.model_config["frozen"] is True


def test_config_module_does_not_import_pyspark() -> None:
    code = (
        "import sys; import lakeport.config, lakeport.config.mapping_check, lakeport.expr, lakeport.cli; "
        "from lakeport.config import validate_tree; validate_tree(sys.argv[1]); "
        "print('pyspark' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(CONFIG)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# The corpus of broken configurations
# --------------------------------------------------------------------------------------------

LP = "conf/lakeport.yaml"
S_CRM, S_LOY, S_PROD, S_PUR = (
    f"schemas/{n}.yaml" for n in ("crm", "loyalty", "products", "purchases")
)
M_CRM, M_LOY, M_PUR = (f"conf/mappings/{n}.yaml" for n in ("crm", "loyalty", "purchases"))


@dataclass(frozen=True)
class Broken:
    """One broken configuration: edits to the project copy and the exact problem lines.

    ``{p}`` in an expected line stands for the project directory.
    """

    id: str
    edits: list[tuple[str, str | None, object]]
    expected: list[str]
    whole_tree: bool = False  # True: only validate_tree sees every line (load_config stops earlier)


CORPUS = [
    # ---- conf/lakeport.yaml -------------------------------------------------------------
    Broken(
        "unknown-top-level-key",
        [(LP, "\ndatasets:", "\ndatasetz:")],
        [
            f"{{p}}/{LP}: datasetz: unknown key; did you mean 'datasets'? (allowed keys: datasets, events, inlet, lake, profiles, sources, spark)"
        ],
    ),
    Broken(
        "unknown-dataset-key",
        [(LP, "    format: csv", "    formt: csv")],
        [
            f"{{p}}/{LP}: datasets.products.formt: unknown key; did you mean 'format'? (allowed keys: "
            "allow_links, batch_timeout_seconds, dedupe, description, diagnostics, format, last_updated, mapping, on_invalid, options, partial_ingestion, schema, schema_evolution, table_properties)"
        ],
    ),
    Broken(
        "unknown-key-without-suggestion",
        [(LP, "  purchases:\n", "  purchases:\n    colour: red\n")],
        [
            f"{{p}}/{LP}: datasets.purchases.colour: unknown key; allowed keys: allow_links, batch_timeout_seconds, dedupe, description, diagnostics, "
            "format, last_updated, mapping, on_invalid, options, partial_ingestion, schema, schema_evolution, table_properties"
        ],
    ),
    Broken(
        "format-literal",
        [(LP, "format: csv", "format: xml")],
        [
            f"{{p}}/{LP}: datasets.products.format: 'xml' is not allowed; use one of 'json', 'csv', 'parquet' or 'aam'"
        ],
    ),
    Broken(
        "option-not-for-format",
        [(LP, "options: {multiline: true}", "options: {multiline: true, header: true}")],
        [
            f"{{p}}/{LP}: datasets.crm.options.header: does not apply to format json; "
            "remove it (json takes encoding, encoding_errors, multiline)"
        ],
    ),
    Broken(
        "options-on-parquet",
        [(LP, "    format: csv ", "    format: parquet ")],
        [
            f"{{p}}/{LP}: datasets.products.options.header: does not apply to format parquet; "
            "remove it (parquet takes no options)",
            f"{{p}}/{LP}: datasets.products.options.delimiter: does not apply to format parquet; "
            "remove it (parquet takes no options)",
        ],
    ),
    Broken(
        "threshold-percent-150",
        [(LP, "error_threshold_percent: 5", "error_threshold_percent: 150")],
        [
            f"{{p}}/{LP}: datasets.purchases.partial_ingestion.error_threshold_percent: "
            "150 is above the maximum 100; use 100 or less"
        ],
    ),
    Broken(
        "threshold-count-negative",
        [(LP, "error_threshold_percent: 5", "error_threshold_count: -1")],
        [
            f"{{p}}/{LP}: datasets.purchases.partial_ingestion.error_threshold_count: "
            "-1 is below the minimum 0; use 0 or more"
        ],
    ),
    Broken(
        "boolean-option-not-boolean",
        [(LP, "multiline: true", "multiline: maybe")],
        [
            f"{{p}}/{LP}: datasets.crm.options.multiline: expected true or false, got a string 'maybe'; write true or false"
        ],
    ),
    Broken(
        "delimiter-too-long",
        [(LP, 'delimiter: ","', 'delimiter: ";;"')],
        [
            f"{{p}}/{LP}: datasets.products.options.delimiter: ';;' must be a single character; "
            'for a tab write "\\t" in double quotes'
        ],
    ),
    Broken(
        "unknown-encoding",
        [(LP, "options: {multiline: true}", "options: {multiline: true, encoding: UTF-9}")],
        [
            f"{{p}}/{LP}: datasets.crm.options.encoding: unknown encoding 'UTF-9'; "
            "use a name such as UTF-8, ISO-8859-1 or windows-1252"
        ],
    ),
    Broken(
        "dataset-name-with-capitals",
        [(LP, "  crm:\n", "  CRM:\n")],
        [
            f"{{p}}/{LP}: datasets.CRM: a dataset name must be lower-case letters, digits and '_', "
            "starting with a letter; rename it, for example 'crm'"
        ],
    ),
    Broken(
        "datasets-empty",
        [(LP, None, "lake: {root: ./lake}\ndatasets:\n")],
        [f"{{p}}/{LP}: datasets: is empty; give a mapping (key: value) or remove the key"],
    ),
    Broken(
        "spark-conf-value-list",
        [(LP, "spark.driver.memory: 4g", "spark.driver.memory: [4g]")],
        [
            f"{{p}}/{LP}: spark.conf.spark.driver.memory: expected a string, a number or true/false, "
            "got a list ['4g']; change the value"
        ],
    ),
    Broken(
        "duplicate-yaml-key",
        [(LP, "    format: csv ", "    format: csv\n    format: json ")],
        [f"{{p}}/{LP}: line 26, column 5: duplicate key 'format' (first on line 25); keep one"],
    ),
    Broken(
        "missing-schema-file",
        [(S_CRM, None, DELETE)],
        [
            f"{{p}}/{LP}: datasets.crm.schema: schema file {{p}}/{S_CRM} does not exist; "
            "create it, or name an existing one (loyalty, products, purchases)"
        ],
    ),
    Broken(
        "missing-mapping-file-did-you-mean",
        [(LP, "mapping: purchases", "mapping: purchase")],
        [
            f"{{p}}/{LP}: datasets.purchases.mapping: mapping file {{p}}/conf/mappings/purchase.yaml "
            "does not exist; did you mean 'purchases'? (or create the file)"
        ],
    ),
    Broken(
        "mapping-named-with-extension",
        [(LP, "mapping: purchases", "mapping: purchases.yaml")],
        [
            f"{{p}}/{LP}: datasets.purchases.mapping: 'purchases.yaml' includes the "
            "extension; write 'purchases'"
        ],
    ),
    Broken(
        "undefined-env-var",
        [(LP, "${LAKEPORT_LAKE:-./lake}", "${LAKEPORT_TEST_UNSET}")],
        [
            f"{{p}}/{LP}: lake.root: environment variable LAKEPORT_TEST_UNSET is not set; export it, "
            "or write ${LAKEPORT_TEST_UNSET:-default} to give a default"
        ],
    ),
    Broken(
        "undefined-env-var-in-a-number-is-one-line",
        [(LP, "error_threshold_percent: 5", "error_threshold_percent: ${LAKEPORT_TEST_UNSET}")],
        [
            f"{{p}}/{LP}: datasets.purchases.partial_ingestion.error_threshold_percent: environment "
            "variable LAKEPORT_TEST_UNSET is not set; export it, or write ${LAKEPORT_TEST_UNSET:-default} "
            "to give a default"
        ],
    ),
    Broken(
        "malformed-env-reference",
        [(LP, "${LAKEPORT_LAKE:-./lake}", "${LAKEPORT_LAKE")],
        [
            f"{{p}}/{LP}: lake.root: '${{LAKEPORT_LAKE' is not a valid reference; write ${{NAME}} or "
            "${NAME:-default} (NAME: letters, digits and '_')"
        ],
    ),
    Broken(
        "empty-config",
        [(LP, None, "")],
        [
            f"{{p}}/{LP}: the file is empty; add its keys (datasets, events, inlet, lake, profiles, sources, spark)"
        ],
    ),
    # ---- schemas ------------------------------------------------------------------------
    Broken(
        "schema-yaml-syntax-error",
        [(S_PROD, "sku: {type: string,", "sku: {type: string")],
        [
            f"{{p}}/{S_PROD}: line 6, column 30: not valid YAML (expected ',' or '}}', but got ':'); fix the syntax there"
        ],
    ),
    Broken(
        "schema-empty-file",
        [(S_PROD, None, "")],
        [f"{{p}}/{S_PROD}: the file is empty; it needs at least: class, fields"],
    ),
    Broken(
        "schema-top-level-list",
        [(S_PROD, None, "- sku\n- price\n")],
        [
            f"{{p}}/{S_PROD}: (top level): expected a mapping of keys, got a list; "
            "write 'key: value' lines (class, description, fields, name)"
        ],
    ),
    Broken(
        "schema-class-missing",
        [(S_PROD, "class: other\n", "")],
        [f"{{p}}/{S_PROD}: class: required key is missing; add it (one of: profile, event, other)"],
    ),
    Broken(
        "schema-type-typo",
        [(S_PROD, "inStock: {type: boolean}", "inStock: {type: bool}")],
        [
            f"{{p}}/{S_PROD}: fields.inStock.type: 'bool' is not allowed; use one of 'string', 'integer', "
            "'long', 'short', 'byte', 'double', 'boolean', 'date', 'datetime', 'object', 'array' or 'map' "
            "(did you mean 'boolean'?)"
        ],
    ),
    Broken(
        "schema-field-shorthand",
        [(S_PROD, "inStock: {type: boolean}", "inStock: boolean")],
        [
            f"{{p}}/{S_PROD}: fields.inStock: expected a mapping (key: value), got a string 'boolean'; write {{type: boolean}}"
        ],
    ),
    Broken(
        "schema-nested-key-typo",
        [(S_LOY, "points: {type: integer, minimum: 0}", "points: {type: integer, minimun: 0}")],
        [
            f"{{p}}/{S_LOY}: fields.loyalty.fields.points.minimun: unknown key; did you mean 'minimum'? "
            "(allowed keys: description, enum, fields, identity, items, maximum, minimum, on_invalid, "
            "pattern, required, type, values)"
        ],
    ),
    Broken(
        "object-without-fields",
        [
            (
                S_LOY,
                "  homeAddress:\n    type: object\n    fields:\n      city: {type: string}\n"
                "      state: {type: string}\n      country: {type: string}\n      postalCode: {type: string}\n",
                "  homeAddress:\n    type: object\n",
            ),
        ],
        [
            f"{{p}}/{S_LOY}: fields.homeAddress: an object needs 'fields'; declare its sub-fields or use type 'map'"
        ],
    ),
    Broken(
        "array-without-items",
        [
            (
                S_PROD,
                "  inStock: {type: boolean}\n",
                "  inStock: {type: boolean}\n  tags: {type: array}\n",
            )
        ],
        [
            f"{{p}}/{S_PROD}: fields.tags: an array needs 'items'; add the type of its elements, for example items: {{type: string}}"
        ],
    ),
    Broken(
        "pattern-not-a-regex",
        [(S_PROD, "^LUMA-[A-Z]{2}-[0-9]{4}$", "^LUMA-[A-Z")],
        [
            f"{{p}}/{S_PROD}: fields.sku.pattern: '^LUMA-[A-Z' is not a valid regular expression "
            "(unterminated character set at position 6); fix it (in YAML, single quotes keep backslashes as written)"
        ],
    ),
    Broken(
        "minimum-on-a-string",
        [
            (
                S_PROD,
                "productName: {type: string, required: true}",
                "productName: {type: string, required: true, minimum: 1}",
            )
        ],
        [
            f"{{p}}/{S_PROD}: fields.productName.minimum: applies to numeric types (integer, long, short, "
            "byte, double), not string; remove it or change the type"
        ],
    ),
    Broken(
        "minimum-above-maximum",
        [
            (
                S_PROD,
                "price: {type: double, minimum: 0}",
                "price: {type: double, minimum: 10, maximum: 5}",
            )
        ],
        [f"{{p}}/{S_PROD}: fields.price.minimum: 10 is greater than maximum 5; swap them"],
    ),
    Broken(
        "identity-on-an-integer",
        [
            (
                S_LOY,
                "points: {type: integer, minimum: 0}",
                "points: {type: integer, minimum: 0, identity: {namespace: pts}}",
            )
        ],
        [
            f"{{p}}/{S_LOY}: fields.loyalty.fields.points.identity: an identity must be a string field, "
            "not integer; set type: string or remove identity"
        ],
    ),
    Broken(
        "identity-inside-an-array",
        [
            (
                S_PROD,
                "  inStock: {type: boolean}\n",
                "  inStock: {type: boolean}\n  codes: {type: array, items: {type: string, identity: {namespace: ean}}}\n",
            )
        ],
        [
            f"{{p}}/{S_PROD}: fields.codes.items.identity: an identity inside an array or map is not "
            "supported; move it to a field of its own"
        ],
    ),
    Broken(
        "enum-yes-no-read-as-booleans",
        [
            (
                S_PROD,
                "currency: {type: string, enum: [USD, EUR]}",
                "currency: {type: string, enum: [yes, no]}",
            )
        ],
        [
            f"{{p}}/{S_PROD}: fields.currency.enum[0]: True is not a string (YAML reads unquoted "
            "yes/no/on/off/true/false as booleans); put it in quotes",
            f"{{p}}/{S_PROD}: fields.currency.enum[1]: False is not a string (YAML reads unquoted "
            "yes/no/on/off/true/false as booleans); put it in quotes",
        ],
    ),
    Broken(
        "event-without-timestamp",
        [(S_PUR, "  timestamp: {type: datetime", "  eventTime: {type: datetime")],
        [
            f"{{p}}/{S_PUR}: fields.timestamp: an event schema needs a top-level 'timestamp' field; "
            "add timestamp: {type: datetime, required: true}"
        ],
    ),
    Broken(
        "profile-with-two-primary-identities",
        [(S_LOY, "identity: {namespace: crmId}", "identity: {namespace: crmId, primary: true}")],
        [
            f"{{p}}/{S_LOY}: fields: a profile schema needs exactly one primary identity, found 2 "
            "(loyaltyId, crmId); keep primary: true on one of them"
        ],
    ),
    Broken(
        "profile-without-primary-identity",
        [
            (
                S_LOY,
                "identity: {namespace: loyaltyId, primary: true}",
                "identity: {namespace: loyaltyId}",
            )
        ],
        [
            f"{{p}}/{S_LOY}: fields: a profile schema needs exactly one primary identity, found none; "
            "mark one field identity: {namespace: ..., primary: true}"
        ],
    ),
    Broken(
        "reserved-underscore-field",
        [
            (
                S_PROD,
                "  inStock: {type: boolean}\n",
                "  inStock: {type: boolean}\n  _name: {type: string}\n",
            )
        ],
        [
            f"{{p}}/{S_PROD}: fields._name: names starting with '_' are reserved for system columns "
            "(_batch_id, _ingested_at, _source_file, _errors, _warnings); rename it"
        ],
    ),
    Broken(
        "field-name-with-a-dot",
        [
            (
                S_PROD,
                "  inStock: {type: boolean}\n",
                "  inStock: {type: boolean}\n  first.name: {type: string}\n",
            )
        ],
        [
            f"{{p}}/{S_PROD}: fields.first.name: 'first.name' cannot be a field name; use letters, "
            "digits, '_' and '-', starting with a letter"
        ],
    ),
    # ---- mappings -----------------------------------------------------------------------
    Broken(
        "target-not-in-schema",
        [(M_LOY, "target: loyalty.tier", "target: loyalty.tierr")],
        [
            f"{{p}}/{M_LOY}: fields[11].target: 'loyalty.tierr' is not a field of schema loyalty; did you mean 'loyalty.tier'?"
        ],
    ),
    Broken(
        "target-is-an-object",
        [(M_LOY, "target: loyalty.tier", "target: loyalty")],
        [
            f"{{p}}/{M_LOY}: fields[11].target: 'loyalty' is an object in schema loyalty; map its fields "
            "one by one (loyalty.points, loyalty.tier, loyalty.joinDate)"
        ],
    ),
    Broken(
        "duplicate-target",
        [
            (
                M_LOY,
                "  - {target: lastUpdated, source: updated_at}\n",
                "  - {target: lastUpdated, source: updated_at}\n  - {target: crmId, source: crm}\n",
            )
        ],
        [f"{{p}}/{M_LOY}: fields[14].target: 'crmId' is already set by fields[1]; keep one entry"],
    ),
    Broken(
        "entry-with-source-and-value",
        [
            (
                M_LOY,
                "{target: lastUpdated, source: updated_at}",
                "{target: lastUpdated, source: updated_at, value: x}",
            )
        ],
        [
            f"{{p}}/{M_LOY}: fields[13]: the entry for 'lastUpdated' has both 'source' and 'value'; keep exactly one of them"
        ],
    ),
    Broken(
        "entry-with-no-origin",
        [(M_LOY, "{target: lastUpdated, source: updated_at}", "{target: lastUpdated}")],
        [
            f"{{p}}/{M_LOY}: fields[13]: the entry for 'lastUpdated' has no 'source', 'value' or 'expression'; give exactly one"
        ],
    ),
    Broken(
        "entry-key-typo",
        [(M_LOY, "{target: crmId, source: crm_id}", "{target: crmId, sorce: crm_id}")],
        [
            f"{{p}}/{M_LOY}: fields[1].sorce: unknown key; did you mean 'source'? "
            "(allowed keys: expression, format, source, target, timezone, unit, value)"
        ],
    ),
    Broken(
        "constant-list-is-one-line",
        [(M_PUR, "{target: channel, value: offline}", "{target: channel, value: [1, 2]}")],
        [
            f"{{p}}/{M_PUR}: fields[3].value: expected a string, a number or true/false, got a list [1, 2]; change the value"
        ],
    ),
    Broken(
        "fields-as-a-mapping",
        [(M_PUR, None, "schema: purchases\nfields:\n  _id: transaction_id\n")],
        [
            f"{{p}}/{M_PUR}: fields: expected a list, got a mapping {{'_id': 'transaction_id'}}; "
            "write one '- {target: ..., source: ...}' item per entry"
        ],
    ),
    Broken(
        "format-on-a-string-target",
        [
            (
                M_LOY,
                "{target: crmId, source: crm_id}",
                "{target: crmId, source: crm_id, format: yyyy}",
            )
        ],
        [
            f"{{p}}/{M_LOY}: fields[1].format: applies to date and datetime fields, but 'crmId' is string; remove it"
        ],
    ),
    Broken(
        "quoted-Z-in-format",
        [
            (
                M_LOY,
                "{target: lastUpdated, source: updated_at}",
                "{target: lastUpdated, source: updated_at, format: \"yyyy-MM-dd'T'HH:mm:ss'Z'\"}",
            )
        ],
        [
            f"{{p}}/{M_LOY}: fields[13].format: pattern \"yyyy-MM-dd'T'HH:mm:ss'Z'\" quotes 'Z', which "
            "discards the UTC designator and reads the value in the session time zone; use X (or XXX) instead"
        ],
    ),
    Broken(
        "week-based-year-in-format-list",
        [(M_CRM, 'format: "yyyy-MM-dd HH:mm:ss"', 'format: ["yyyy-MM-dd HH:mm:ss", "YYYY-MM-dd"]')],
        [
            f"{{p}}/{M_CRM}: fields[8].format[1]: pattern 'YYYY-MM-dd' uses the week-based letter 'Y', "
            "which Spark rejects; use 'y' for the year"
        ],
    ),
    Broken(
        "unquoted-literal-letter-in-format",
        [(M_CRM, 'format: "yyyy-MM-dd HH:mm:ss"', 'format: "yyyy-MM-ddTHH:mm:ss"')],
        [
            f"{{p}}/{M_CRM}: fields[8].format: pattern 'yyyy-MM-ddTHH:mm:ss' has the letter 'T', which is "
            "not a Spark pattern letter; put literal text in single quotes, for example 'T'"
        ],
    ),
    Broken(
        "unknown-timezone",
        [(M_CRM, "America/New_York", "America/Nowhere")],
        [
            f"{{p}}/{M_CRM}: fields[8].timezone: unknown time zone 'America/Nowhere'; use an IANA name such as UTC or America/New_York"
        ],
    ),
    Broken(
        "misspelt-timezone-did-you-mean",
        [(M_CRM, "schema: crm\n", "schema: crm\ntimezone: Europe/Berlinn\n")],
        [
            f"{{p}}/{M_CRM}: timezone: unknown time zone 'Europe/Berlinn'; did you mean 'Europe/Berlin'?"
        ],
    ),
    Broken(
        "unknown-function-did-you-mean",
        [(M_CRM, "lower(trim(email))", "lowr(trim(email))")],
        [f"{{p}}/{M_CRM}: fields[1].expression: unknown function lowr(); did you mean lower()?"],
    ),
    Broken(
        "function-outside-the-language",
        [(M_CRM, "lower(trim(email))", "reflect('java.lang.Runtime', 'exec', email)")],
        [
            f"{{p}}/{M_CRM}: fields[1].expression: unknown function reflect(); it is not part of the "
            "expression language (the README's Expressions table lists the functions)"
        ],
    ),
    Broken(
        "wrong-arity",
        [(M_CRM, "lower(trim(email))", "lower(trim(email), 2)")],
        [
            f"{{p}}/{M_CRM}: fields[1].expression: lower() takes 1 argument, got 2; lower: lower-case"
        ],
    ),
    Broken(
        "strings-joined-with-plus",
        [(M_CRM, "lower(trim(email))", "email + '@x'")],
        [
            f"{{p}}/{M_CRM}: fields[1].expression: '+' adds numbers, so \"email + '@x'\" would give null; "
            "join strings with concat(a, b)"
        ],
    ),
    Broken(
        "expression-type-clash",
        [
            (
                M_LOY,
                "{target: loyalty.joinDate, source: join_date}",
                '{target: loyalty.joinDate, expression: "is_null(join_date)"}',
            )
        ],
        [
            f"{{p}}/{M_LOY}: fields[12].expression: gives a boolean but 'loyalty.joinDate' is date; give an expression that yields a date, for example to_date(...)"
        ],
    ),
    Broken(
        "constant-not-in-enum",
        [
            (
                M_PUR,
                "{target: commerce.currency, source: currency}",
                "{target: commerce.currency, value: GBP}",
            )
        ],
        [
            f"{{p}}/{M_PUR}: fields[7].value: 'GBP' is not allowed for 'commerce.currency' (enum: USD, EUR); "
            "use one of those or add it to the schema's enum"
        ],
    ),
    Broken(
        "boolean-constant-into-a-date",
        [
            (
                M_LOY,
                "{target: loyalty.joinDate, source: join_date}",
                "{target: loyalty.joinDate, value: true}",
            )
        ],
        [
            f"{{p}}/{M_LOY}: fields[12].value: a boolean constant cannot fill 'loyalty.joinDate' (date); give a date value"
        ],
    ),
    Broken(
        "required-target-unmapped",
        [(M_LOY, "  - {target: loyaltyId, source: loyalty_id}\n", "")],
        [
            f"{{p}}/{M_LOY}: fields: required field 'loyaltyId' is not mapped; add an entry for it or set auto: true"
        ],
    ),
    Broken(
        "mapping-schema-mismatch",
        [(M_LOY, "schema: loyalty", "schema: crm")],
        [
            f"{{p}}/{M_LOY}: schema: the mapping is for schema 'crm' but dataset 'loyalty' uses schema "
            f"'loyalty'; fix 'schema:' here, or point datasets.loyalty.mapping in {{p}}/{LP} at a mapping "
            "for 'loyalty'"
        ],
    ),
    Broken(
        "unreferenced-mapping-is-checked-too",
        [
            (
                "conf/mappings/catalog.yaml",
                None,
                "schema: products\nauto: true\nfields:\n  - {target: skuu, source: SKU}\n",
            )
        ],
        [
            "{p}/conf/mappings/catalog.yaml: fields[0].target: 'skuu' is not a field of schema products; did you mean 'sku'?"
        ],
        whole_tree=True,
    ),
    Broken(
        "unreferenced-mapping-names-no-schema",
        [("conf/mappings/catalog.yaml", None, "schema: product\nauto: true\n")],
        [
            "{p}/conf/mappings/catalog.yaml: schema: no schema file {p}/schemas/product.yaml; did you mean 'products'?"
        ],
        whole_tree=True,
    ),
    Broken(
        "two-files-two-problems",
        [(LP, "format: csv", "format: xml"), (S_PROD, "class: other", "class: thing")],
        [
            f"{{p}}/{LP}: datasets.products.format: 'xml' is not allowed; use one of 'json', 'csv', 'parquet' or 'aam'",
            f"{{p}}/{S_PROD}: class: 'thing' is not allowed; use one of 'profile', 'event' or 'other'",
        ],
        whole_tree=True,
    ),
]


def _apply(project: Path, case: Broken) -> list[str]:
    for rel, old, new in case.edits:
        _edit(project, rel, old, new)
    return [line.replace("{p}", str(project)) for line in case.expected]


def test_the_corpus_is_large_and_ids_are_unique() -> None:
    assert len(CORPUS) >= 20
    assert len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_broken_config_reports_exact_lines(project: Path, case: Broken) -> None:
    expected = _apply(project, case)
    assert validate_tree(project / LP) == expected
    try:
        load_config(project / LP)
        raised: list[str] = []
    except ConfigError as exc:
        assert exc.exit_code == 2
        assert str(exc) == "\n".join(exc.problems)
        raised = exc.problems
    if case.whole_tree:  # load_config stops at a broken lakeport.yaml and skips unnamed files
        assert set(raised) < set(expected)
    else:
        assert raised == expected


def test_every_problem_is_one_line_naming_its_file(project: Path) -> None:
    for case in CORPUS:
        for line in case.expected:
            assert "\n" not in line
            assert line.startswith("{p}/"), line
            assert ": " in line and "; " in line, (
                f"{case.id}: say what is wrong; what to do: {line}"
            )


def test_a_schema_broken_in_two_ways_reports_both(project: Path) -> None:
    _edit(
        project,
        S_PROD,
        "price: {type: double, minimum: 0}",
        "price: {type: double, minimum: 0, pattern: '^[0-9]+$', enum: [cheap]}",
    )
    prefix = f"{project}/{S_PROD}: fields.price"
    assert validate_tree(project / LP) == [
        f"{prefix}.pattern: applies to strings, not double; remove it or set type: string",
        f"{prefix}.enum[0]: 'cheap' is not a number; write a double value",
    ]


def test_yaml_merge_keys_may_be_overridden(project: Path) -> None:
    _edit(
        project,
        LP,
        None,
        "x-csv: &csv {format: csv, options: {header: true}}\n"
        "datasets:\n  products:\n    <<: *csv\n    format: csv\n",
    )
    assert validate_tree(project / LP) == [
        f"{project}/{LP}: x-csv: unknown key; allowed keys: datasets, events, inlet, lake, profiles, sources, spark",
    ]


def test_a_dataset_without_keys_takes_every_default(project: Path) -> None:
    _edit(project, LP, None, "datasets:\n  products:\n")
    cfg = load_config(project / LP)
    products = cfg.dataset("products")
    assert (products.config.format, products.config.schema_name, products.mapping.auto) == (
        "json",
        None,
        True,
    )
    assert products.schema_spec.name == "products"


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "conf" / "lakeport.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert info.value.problems == [
        f"{missing}: file not found; create it or fix the path that names it"
    ]


# --------------------------------------------------------------------------------------------
# ${ENV} interpolation and the lake root
# --------------------------------------------------------------------------------------------


def test_lake_root_default_comes_from_the_yaml_default(project: Path) -> None:
    assert load_config(project / LP).lake_root == "./lake"


def test_env_interpolation_of_lake_root(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit(project, LP, "${LAKEPORT_LAKE:-./lake}", "s3a://${LAKEPORT_TEST_ROOT:-fallback}/lake")
    assert load_config(project / LP).lake_root == "s3a://fallback/lake"
    monkeypatch.setenv("LAKEPORT_TEST_ROOT", "bucket-7")
    assert load_config(project / LP).lake_root == "s3a://bucket-7/lake"


def test_env_default_may_be_empty_and_values_convert(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _edit(
        project,
        LP,
        "error_threshold_percent: 5",
        "error_threshold_percent: ${LAKEPORT_TEST_ROOT:-12.5}",
    )
    _edit(project, LP, "app_name: lakeport", "app_name: lakeport${LAKEPORT_TEST_UNSET:-}")
    cfg = load_config(project / LP)
    assert cfg.dataset("purchases").config.partial_ingestion.error_threshold_percent == 12.5
    assert cfg.spark.app_name == "lakeport"
    monkeypatch.setenv("LAKEPORT_TEST_ROOT", "7")
    assert (
        load_config(project / LP)
        .dataset("purchases")
        .config.partial_ingestion.error_threshold_percent
        == 7
    )


def test_lake_root_argument_wins_over_env_and_yaml(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _edit(project, LP, "${LAKEPORT_LAKE:-./lake}", "/from/yaml")
    assert load_config(project / LP).lake_root == "/from/yaml"
    monkeypatch.setenv("LAKEPORT_LAKE", "/from/env")
    assert load_config(project / LP).lake_root == "/from/env"
    assert load_config(project / LP, lake_root="/from/arg").lake_root == "/from/arg"


def test_lakeport_lake_env_fills_the_repo_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEPORT_LAKE", "hdfs://nn/lake")
    assert load_config(CONFIG).lake_root == "hdfs://nn/lake"


def test_config_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path() == Path("conf/lakeport.yaml")
    monkeypatch.setenv("LAKEPORT_CONFIG", "/etc/lakeport.yaml")
    assert config_path() == Path("/etc/lakeport.yaml")
    assert config_path("mine.yaml") == Path("mine.yaml")


# --------------------------------------------------------------------------------------------
# lakeport validate
# --------------------------------------------------------------------------------------------


def test_cli_validate_repo_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--config", str(CONFIG)]) == 0
    out, err = capsys.readouterr()
    assert (
        out == f"{CONFIG}: valid (5 datasets: loyalty, crm, products, purchases, partner_traits)\n"
    )
    assert err == ""


def test_cli_validate_repo_config_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--config", str(CONFIG), "--json"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("\n") == 1
    assert json.loads(out) == {
        "valid": True,
        "config": str(CONFIG),
        "datasets": ["crm", "loyalty", "partner_traits", "products", "purchases"],
    }


def test_cli_validate_broken_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CORPUS if c.id == "two-files-two-problems")
    expected = _apply(project, case)
    assert cli.main(["validate", "--config", str(project / LP)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == expected
    assert "Traceback" not in err


def test_cli_validate_broken_config_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CORPUS if c.id == "profile-with-two-primary-identities")
    expected = _apply(project, case)
    assert cli.main(["validate", "--config", str(project / LP), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out.count("\n") == 1
    assert json.loads(out) == {"valid": False, "problems": expected}
    assert err.splitlines() == expected


@pytest.mark.parametrize("case", CORPUS[::16], ids=[c.id for c in CORPUS[::16]])
def test_cli_validate_prints_one_line_per_problem(
    project: Path, case: Broken, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _apply(project, case)
    assert cli.main(["validate", "--config", str(project / LP)]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines() == expected
    assert "Traceback" not in err


def test_cli_validate_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert cli.main(["validate", "--config", str(missing)]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{missing}: file not found; create it or fix the path that names it"
    ]


SOURCES_OK = """
sources:
  purchases_landing:
    location: s3a://bucket/landing/purchases
    glob: "*.jsonl"
    dataset: purchases
    options: {encoding: ISO-8859-1}
    partial_ingestion: {enabled: true, error_threshold_percent: 10}
"""


def test_sources_load_with_their_settings(project: Path) -> None:
    _edit(project, LP, None, (project / LP).read_text() + SOURCES_OK)
    cfg = load_config(project / LP)
    src = cfg.sources["purchases_landing"]
    assert (src.location, src.glob, src.dataset, src.format) == (
        "s3a://bucket/landing/purchases",
        "*.jsonl",
        "purchases",
        None,
    )
    assert src.options is not None and src.options.model_fields_set == {"encoding"}
    assert (src.max_files_per_batch, src.lock_timeout_seconds) == (1000, 600)


def test_source_problems_name_file_and_key(project: Path) -> None:
    broken = """
sources:
  Landing:
    location: ./landing
    glob: /abs/*.json
    dataset: purchase
  csvish:
    location: ./landing
    dataset: products
    format: xml
  parquetish:
    location: ./landing
    dataset: purchases
    format: parquet
    options: {delimiter: ";"}
"""
    _edit(project, LP, None, (project / LP).read_text() + broken)
    problems = validate_tree(project / LP)
    p = f"{project}/{LP}"
    assert problems == [
        f"{p}: sources.Landing.glob: '/abs/*.json' is not relative; put the directory in 'location' "
        "and only the file pattern here (for example '*.jsonl' or '2026-*/*.json')",
    ]
    _edit(project, LP, "    glob: /abs/*.json\n", "")
    problems = validate_tree(project / LP)
    assert problems == [
        f"{p}: sources.Landing: a source name must be lower-case letters, digits and '_', starting "
        "with a letter (it is part of batch ids and paths); rename it",
        f"{p}: sources.Landing.dataset: no dataset named 'purchase'; did you mean 'purchases'?",
        f"{p}: sources.csvish.format: 'xml' is not a format; use one of: "
        + ", ".join(__import__("typing").get_args(DatasetConfig.model_fields["format"].annotation)),
        f"{p}: sources.parquetish.options.delimiter: does not apply to format parquet; remove it "
        "(parquet takes no options)",
    ]
