"""The sample data's fixed facts: file names, sizes, the documented bad purchase lines, Daniel."""

from __future__ import annotations

from typing import Any

from lakeport.errors import ErrorCode

# --------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------

FILES = {
    "loyalty": "loyalty.jsonl",
    "crm": "crm.json",
    "products": "products.csv",
    "purchases": "purchases.jsonl",
}

#: rows per scale unit of loyalty, crm and purchases; also the purchases block length
BLOCK_SIZE = 1000
#: products per scale unit, and the cap (10,000 SKU numbers in each of the 5 categories)
PRODUCTS_PER_SCALE = 100
MAX_PRODUCTS = 5 * 10000

PRODUCTS_HEADER = ["SKU", "Product Name", "Category", "PRICE", "In-Stock", "Currency"]

# (1-based line number within the FIRST block, kind, expected error code, expected field)
PURCHASE_BAD_KINDS: list[tuple[int, str, str, str | None]] = [
    (
        100,
        'Feb 30: "2025-02-30T10:00:00Z"',
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        "timestamp",
    ),
    (
        180,
        'month 00: "2025-00-10T10:00:00Z"',
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        "timestamp",
    ),
    (
        260,
        'free text: "yesterday afternoon"',
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        "timestamp",
    ),
    (
        340,
        'year 10000: "10000-01-01T00:00:00Z"',
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        "timestamp",
    ),
    (
        420,
        'month 13: "2025-13-01T10:00:00Z"',
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        "timestamp",
    ),
    (500, "no transaction_id key", ErrorCode.REQUIRED_MISSING.value, "_id"),
    (580, "no purchase_time key", ErrorCode.REQUIRED_MISSING.value, "timestamp"),
    (660, "no loyalty_id key", ErrorCode.REQUIRED_MISSING.value, "loyaltyId"),
    (740, "truncated JSON object (no closing brace)", ErrorCode.PARSE_MALFORMED_JSON.value, None),
    (820, "not JSON at all: this is not json", ErrorCode.PARSE_MALFORMED_JSON.value, None),
    (
        900,
        "a JSON array instead of an object: [1, 2, 3]",
        ErrorCode.PARSE_MALFORMED_JSON.value,
        None,
    ),
    (980, "qty 0 (below the schema minimum 1)", ErrorCode.BELOW_MINIMUM.value, "commerce.quantity"),
]

DANIEL = {
    "loyalty_id": "L0000042",
    "crm_id": "C0000042",
    "email": "danny.hartley@example.com",
    "purchase_transaction_id": "T000000042",
}
DANIEL_INDEX = 42
DANIEL_PURCHASE_LINE = 42
DANIEL_PURCHASE: dict[str, Any] = {
    "transaction_id": "T000000042",
    "purchase_time": "2025-07-10T15:05:59.000-08:00",
    "loyalty_id": "L0000042",
    "store": "S007",
    "total": 89.50,
    "currency": "USD",
    "qty": 2,
    "sku": "LUMA-BT-0001",
}


def product_count(scale: int = 1) -> int:
    """Rows of products.csv at ``scale``: ``min(100 * scale, 50000)``."""
    return min(PRODUCTS_PER_SCALE * scale, MAX_PRODUCTS)


def purchase_bad_lines(scale: int = 1) -> list[tuple[int, str, str | None]]:
    """(1-based line number in purchases.jsonl, expected code, expected field) of every bad line."""
    return sorted(
        (block * BLOCK_SIZE + offset, code, field)
        for block in range(scale)
        for offset, _kind, code, field in PURCHASE_BAD_KINDS
    )
