"""Unit tests of lakeport.sample_data: determinism, counts, shapes, the bad rows, the Daniel story."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from lakeport import sample as sample_data
from lakeport.sample import DANIEL, PURCHASE_BAD_KINDS, generate, purchase_bad_lines

FILE_NAMES = ("loyalty.jsonl", "crm.json", "products.csv", "purchases.jsonl")
LOYALTY_KEYS = [
    "loyalty_id",
    "crm_id",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "address",
    "points",
    "tier",
    "join_date",
    "updated_at",
]
CRM_KEYS = ["customerId", "email", "name", "phone", "address", "created"]
PURCHASE_KEYS = {
    "transaction_id",
    "purchase_time",
    "loyalty_id",
    "store",
    "total",
    "currency",
    "qty",
    "sku",
}
HEADER_LINE = "SKU,Product Name,Category,PRICE,In-Stock,Currency\n"
# 1-based line numbers of the 12 bad kinds within each block of 1000 (kind 1 .. kind 12)
BAD_OFFSETS = [100, 180, 260, 340, 420, 500, 580, 660, 740, 820, 900, 980]
EXPECTED_CODES = [
    ("CONVERSION_INVALID_DATETIME", "timestamp"),
    ("CONVERSION_INVALID_DATETIME", "timestamp"),
    ("CONVERSION_INVALID_DATETIME", "timestamp"),
    ("CONVERSION_INVALID_DATETIME", "timestamp"),
    ("CONVERSION_INVALID_DATETIME", "timestamp"),
    ("REQUIRED_MISSING", "_id"),
    ("REQUIRED_MISSING", "timestamp"),
    ("REQUIRED_MISSING", "loyaltyId"),
    ("PARSE_MALFORMED_JSON", None),
    ("PARSE_MALFORMED_JSON", None),
    ("PARSE_MALFORMED_JSON", None),
    ("BELOW_MINIMUM", "commerce.quantity"),
]
BAD_TIMES = {
    100: "2025-02-30T10:00:00Z",
    180: "2025-00-10T10:00:00Z",
    260: "yesterday afternoon",
    340: "10000-01-01T00:00:00Z",
    420: "2025-13-01T10:00:00Z",
}
ISO_FORMS = {
    "millis+offset": re.compile(r"^2025-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$"),
    "Z": re.compile(r"^2025-\d\d-\d\dT\d\d:\d\d:\d\dZ$"),
    "offset": re.compile(r"^2025-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$"),
    "micros+basic": re.compile(r"^2025-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$"),
    "space Z": re.compile(r"^2025-\d\d-\d\d \d\d:\d\d:\d\dZ$"),
}
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@pytest.fixture(scope="module")
def scale1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("scale1")
    return out, generate(out)


@pytest.fixture(scope="module")
def scale2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("scale2")
    return out, generate(out, seed=7, scale=2)


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def _products(out: Path) -> list[list[str]]:
    with (out / "products.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _as_json_dumps(line: str) -> str:
    """The purchase line with "total" rewritten the way json.dumps writes a float."""
    return re.sub(r'"total": (\d+\.\d\d)', lambda m: f'"total": {float(m.group(1))}', line)


def _instant(value: str | int) -> datetime:
    """The UTC instant of a good purchase_time (ISO 8601 with offset, or epoch millis)."""
    if isinstance(value, int) or value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed.astimezone(timezone.utc)


# ------------------------------------------------------------------------- determinism, counts


def test_same_seed_and_scale_give_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=11, scale=1)
    generate(tmp_path / "b", seed=11, scale=1)
    generate(tmp_path / "c", seed=12, scale=1)
    for name in FILE_NAMES:
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes(), name
    for name in FILE_NAMES:  # another seed changes every file
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name


@pytest.mark.parametrize("fixture, scale", [("scale1", 1), ("scale2", 2)])
def test_record_counts_and_summary(
    fixture: str, scale: int, request: pytest.FixtureRequest
) -> None:
    out, summary = request.getfixturevalue(fixture)
    n = 1000 * scale
    assert len(_lines(out / "loyalty.jsonl")) == n
    assert len(json.loads((out / "crm.json").read_text(encoding="utf-8"))) == n
    assert len(_products(out)) == 1 + 100 * scale
    assert len(_lines(out / "purchases.jsonl")) == n
    assert summary == {
        "out": str(out),
        "seed": 7,
        "scale": scale,
        "files": {
            "loyalty": {"path": str(out / "loyalty.jsonl"), "records": n},
            "crm": {"path": str(out / "crm.json"), "records": n},
            "products": {"path": str(out / "products.csv"), "records": 100 * scale},
            "purchases": {
                "path": str(out / "purchases.jsonl"),
                "records": n,
                "bad_records": 12 * scale,
            },
        },
    }


def test_product_count_is_capped_at_the_sku_space() -> None:
    assert sample_data.product_count(1) == 100
    assert sample_data.product_count(499) == 49_900
    assert sample_data.product_count(500) == 50_000
    assert sample_data.product_count(1000) == 50_000


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_invalid_scale_is_rejected(tmp_path: Path, bad: Any) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=bad)
    assert not (tmp_path / "loyalty.jsonl").exists()


# ------------------------------------------------------------------------------------ shapes


def test_loyalty_rows(scale1: tuple[Path, dict[str, Any]]) -> None:
    out, _ = scale1
    for i, line in enumerate(_lines(out / "loyalty.jsonl"), start=1):
        row = json.loads(line)
        assert line == json.dumps(row)  # canonical json.dumps formatting
        assert list(row) == LOYALTY_KEYS
        assert row["loyalty_id"] == f"L{i:07d}"
        assert row["crm_id"] == f"C{i:07d}"
        assert row["first_name"] and row["last_name"]
        assert date(1940, 1, 1) <= date.fromisoformat(row["birth_date"]) <= date(2006, 12, 31)
        assert row["gender"] in {"Female", "Male", "Non_binary", "Not_specified"}
        assert list(row["address"]) == ["city", "state", "country", "zip"]
        assert row["address"]["country"] == "US"
        assert re.fullmatch(r"[A-Z]{2}", row["address"]["state"])
        assert re.fullmatch(r"\d{5}", row["address"]["zip"])
        assert isinstance(row["points"], int) and 0 <= row["points"] <= 50000
        assert row["tier"] in {"bronze", "silver", "gold", "platinum"}
        assert date(2015, 1, 1) <= date.fromisoformat(row["join_date"]) <= date(2025, 12, 31)
        assert re.fullmatch(r"2025-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["updated_at"])
        datetime.fromisoformat(row["updated_at"].replace("Z", "+00:00"))  # a real instant


def test_crm_array(scale1: tuple[Path, dict[str, Any]]) -> None:
    out, _ = scale1
    text = (out / "crm.json").read_text(encoding="utf-8")
    assert text.startswith('[\n{\n  "customerId": "C0000001",\n')
    assert text.endswith("}\n]\n")
    customers = json.loads(text)
    # one array; its objects exactly as json.dumps(indent=2) writes them, joined by ",\n"
    assert text == "[\n" + ",\n".join(json.dumps(o, indent=2) for o in customers) + "\n]\n"
    cleaned = []
    messy = 0
    for i, obj in enumerate(customers, start=1):
        assert list(obj) == CRM_KEYS
        assert obj["customerId"] == f"C{i:07d}"
        assert list(obj["name"]) == ["first", "last"]
        assert list(obj["address"]) == ["city", "state", "country"]
        assert re.fullmatch(r"\+1-555-0\d\d-\d{4}", obj["phone"])
        created = datetime.strptime(obj["created"], "%Y-%m-%d %H:%M:%S")
        assert 2018 <= created.year <= 2024
        assert 6 <= created.hour <= 22  # never in a New York DST gap or overlap
        email = obj["email"].strip().lower()
        messy += email != obj["email"]
        assert EMAIL_PATTERN.match(email)
        assert email.split("@")[1] in {"example.com", "example.org", "example.net"}
        cleaned.append(email)
    assert len(set(cleaned)) == 1000
    assert 20 <= messy <= 90  # "about 5%"


def test_loyalty_and_crm_describe_the_same_people(scale1: tuple[Path, dict[str, Any]]) -> None:
    out, _ = scale1
    loyalty = [json.loads(line) for line in _lines(out / "loyalty.jsonl")]
    crm = json.loads((out / "crm.json").read_text(encoding="utf-8"))
    same = [
        (m["first_name"], m["last_name"], m["address"]["city"])
        == (c["name"]["first"], c["name"]["last"], c["address"]["city"])
        for m, c in zip(loyalty, crm, strict=True)
    ]
    assert same.count(False) == 1 and same.index(False) == 41  # only Daniel (row 42) differs


def test_products_csv(scale1: tuple[Path, dict[str, Any]]) -> None:
    out, _ = scale1
    raw = (out / "products.csv").read_text(encoding="utf-8")
    assert raw.startswith(HEADER_LINE)
    assert "\r" not in raw
    rows = _products(out)
    assert rows[0] == ["SKU", "Product Name", "Category", "PRICE", "In-Stock", "Currency"]
    codes = {"TP": "tops", "BT": "bottoms", "GR": "gear", "SH": "shoes", "AC": "accessories"}
    skus = []
    for sku, name, category, price, in_stock, currency in rows[1:]:
        m = re.fullmatch(r"LUMA-([A-Z]{2})-(\d{4})", sku)
        assert m and codes[m.group(1)] == category
        assert name
        assert re.fullmatch(r"\d+\.\d\d", price) and float(price) > 0
        assert in_stock in {"yes", "no", "true", "false", "Y", "N"}
        assert currency in {"USD", "EUR"}
        skus.append(sku)
    assert all(len(row) == 6 for row in rows)
    assert len(set(skus)) == 100
    assert rows[1][0] == "LUMA-TP-0001" and rows[2][0] == "LUMA-BT-0001"
    assert rows[6][0] == "LUMA-TP-0038"
    with_comma = [row[1] for row in rows[1:] if "," in row[1]]
    assert with_comma, "some product names must contain a comma"
    for name in with_comma:
        assert f'"{name}"' in raw
    assert {row[4] for row in rows[1:]} == {"yes", "no", "true", "false", "Y", "N"}


# ------------------------------------------------------------------------------- purchases


def test_bad_kinds_table() -> None:
    assert [(line, code, field) for line, _kind, code, field in PURCHASE_BAD_KINDS] == [
        (line, code, field) for line, (code, field) in zip(BAD_OFFSETS, EXPECTED_CODES, strict=True)
    ]


def test_purchase_bad_lines_for_two_blocks() -> None:
    got = purchase_bad_lines(2)
    assert len(got) == 24
    assert [line for line, _code, _field in got] == [
        100, 180, 260, 340, 420, 500, 580, 660, 740, 820, 900, 980,
        1100, 1180, 1260, 1340, 1420, 1500, 1580, 1660, 1740, 1820, 1900, 1980,
    ]  # fmt: skip
    assert [(code, field) for _line, code, field in got] == EXPECTED_CODES * 2
    assert purchase_bad_lines() == purchase_bad_lines(1) == got[:12]


@pytest.mark.parametrize("fixture, scale", [("scale1", 1), ("scale2", 2)])
def test_purchases_good_and_bad_lines(
    fixture: str, scale: int, request: pytest.FixtureRequest
) -> None:
    out, _ = request.getfixturevalue(fixture)
    lines = _lines(out / "purchases.jsonl")
    assert len(lines) == 1000 * scale
    known_skus = {row[0] for row in _products(out)[1:]}
    bad = {line for line, _code, _field in purchase_bad_lines(scale)}
    assert len(bad) == 12 * scale

    undecodable = 0
    transaction_ids = []
    forms: dict[str, int] = dict.fromkeys([*ISO_FORMS, "epoch number", "epoch string"], 0)
    for n, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            undecodable += 1
            assert n in bad
            continue
        if n in bad:
            continue
        assert isinstance(row, dict) and set(row) == PURCHASE_KEYS, n
        assert _as_json_dumps(line) == json.dumps(row)
        assert row["transaction_id"] == f"T{n:09d}"
        transaction_ids.append(row["transaction_id"])
        assert 1 <= int(row["loyalty_id"][1:]) <= 1000 * scale
        assert re.fullmatch(r"L\d{7}", row["loyalty_id"])
        assert row["sku"] in known_skus
        assert re.fullmatch(r"S\d{3}", row["store"])
        assert isinstance(row["total"], float) and row["total"] > 0
        assert re.search(r'"total": \d+\.\d\d, ', line)
        assert row["currency"] in {"USD", "EUR"}
        assert isinstance(row["qty"], int) and 1 <= row["qty"] <= 5
        t = row["purchase_time"]
        if isinstance(t, int):
            forms["epoch number"] += 1
        elif t.isdigit():
            forms["epoch string"] += 1
        else:
            matched = [name for name, rx in ISO_FORMS.items() if rx.match(t)]
            assert len(matched) == 1, t
            forms[matched[0]] += 1
        assert _instant(t).year == 2025
    assert undecodable == 2 * scale  # kinds 9 and 10 (11 is valid JSON, just not an object)
    assert len(set(transaction_ids)) == len(transaction_ids) == 988 * scale
    good = 988 * scale
    iso = sum(forms[name] for name in ISO_FORMS)
    assert all(forms[name] > 0 for name in ISO_FORMS), forms
    assert 0.80 * good <= iso <= 0.90 * good, forms
    assert 0.06 * good <= forms["epoch number"] <= 0.14 * good, forms
    assert 0.02 * good <= forms["epoch string"] <= 0.08 * good, forms


@pytest.mark.parametrize("block", [0, 1])
def test_each_bad_line_has_its_documented_defect(
    scale2: tuple[Path, dict[str, Any]], block: int
) -> None:
    out, _ = scale2
    lines = _lines(out / "purchases.jsonl")

    def line(offset: int) -> str:
        return lines[block * 1000 + offset - 1]

    def row(offset: int) -> dict[str, Any]:
        parsed = json.loads(line(offset))
        assert isinstance(parsed, dict)
        return parsed

    for offset, value in BAD_TIMES.items():
        r = row(offset)
        assert set(r) == PURCHASE_KEYS
        assert r["purchase_time"] == value
        assert r["transaction_id"] == f"T{block * 1000 + offset:09d}"
        assert 1 <= r["qty"] <= 5
    for offset, missing in ((500, "transaction_id"), (580, "purchase_time"), (660, "loyalty_id")):
        assert set(row(offset)) == PURCHASE_KEYS - {missing}
    truncated = line(740)
    assert truncated.startswith('{"transaction_id": ') and not truncated.endswith("}")
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated)
    assert line(820) == "this is not json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(line(820))
    assert line(900) == "[1, 2, 3]"
    assert json.loads(line(900)) == [1, 2, 3]
    r = row(980)
    assert set(r) == PURCHASE_KEYS and r["qty"] == 0
    assert r["transaction_id"] == f"T{block * 1000 + 980:09d}"


# ----------------------------------------------------------------------------------- Daniel


def test_daniel_constants() -> None:
    assert DANIEL == {
        "loyalty_id": "L0000042",
        "crm_id": "C0000042",
        "email": "danny.hartley@example.com",
        "purchase_transaction_id": "T000000042",
    }


@pytest.mark.parametrize("fixture", ["scale1", "scale2"])
def test_daniel_story(fixture: str, request: pytest.FixtureRequest) -> None:
    out, _ = request.getfixturevalue(fixture)
    loyalty = [json.loads(line) for line in _lines(out / "loyalty.jsonl")]
    daniel = loyalty[41]
    assert daniel["loyalty_id"] == "L0000042" and daniel["crm_id"] == "C0000042"
    assert (daniel["first_name"], daniel["last_name"]) == ("Daniel", "Hartley")
    assert daniel["address"] == {
        "city": "New York City",
        "state": "NY",
        "country": "US",
        "zip": "10001",
    }
    assert [m["loyalty_id"] for m in loyalty if m["last_name"] == "Hartley"] == ["L0000042"]

    crm = json.loads((out / "crm.json").read_text(encoding="utf-8"))
    danny = crm[41]
    assert danny["customerId"] == "C0000042"
    assert danny["name"] == {"first": "Danny", "last": "Hartley"}
    assert (danny["address"]["city"], danny["address"]["state"]) == ("Portland", "OR")
    assert danny["email"] == "danny.hartley@example.com"
    assert [c["customerId"] for c in crm if c["name"]["last"] == "Hartley"] == ["C0000042"]
    assert [c["customerId"] for c in crm if "hartley" in c["email"].lower()] == ["C0000042"]

    lines = _lines(out / "purchases.jsonl")
    assert lines[41] == (
        '{"transaction_id": "T000000042", "purchase_time": "2025-07-10T15:05:59.000-08:00", '
        '"loyalty_id": "L0000042", "store": "S007", "total": 89.50, "currency": "USD", '
        '"qty": 2, "sku": "LUMA-BT-0001"}'
    )
    assert [n for n, text in enumerate(lines, start=1) if "L0000042" in text] == [42]
    assert "LUMA-BT-0001" in {row[0] for row in _products(out)[1:]}
