"""Deterministic, fictional Luma-shaped sample feeds for lakeport.

``generate(out_dir, seed=7, scale=1)`` writes four files into ``out_dir`` that match the source
field names of ``conf/mappings/*.yaml`` (and, for the catalog, the auto-mapped headers of
``schemas/products.yaml``). Everything is made up: hand-written name, city and product word
lists, e-mail addresses only at example.com / example.org / example.net, phone numbers only in
the fictional 555 range. Only the standard library is used (no Spark, no Faker).

Determinism: the same ``seed`` and ``scale`` always give byte-identical files. Each file has its
own ``random.Random(f"{seed}-<file>")``, so the files do not depend on each other, and no
timestamp comes from the clock: every date is drawn from fixed ranges. A customer's identity
(gender, first and last name, home city) is a pure function of ``(seed, i)``, so loyalty member
``L%07d % i`` and CRM customer ``C%07d % i`` are the same person in both feeds. Rows are written
one at a time, so memory stays flat even at ``scale=1000`` (one million rows per feed).

Files (``N = 1000 * scale``)
----------------------------

``loyalty.jsonl`` -- JSON Lines, ``N`` rows. Row ``i`` (1-based) has ``loyalty_id`` ``L%07d``
    and ``crm_id`` ``C%07d`` of ``i``. Keys: ``loyalty_id``, ``crm_id``, ``first_name``,
    ``last_name``, ``birth_date`` (YYYY-MM-DD, 1940-2006), ``gender`` (``Female``, ``Male``,
    ``Non_binary``, ``Not_specified``; the mapping lower-cases it), ``address`` (object with
    ``city``, ``state``, ``country`` = ``US``, ``zip`` = 5-digit string), ``points`` (int
    0..50000), ``tier`` (bronze, silver, gold, platinum), ``join_date`` (YYYY-MM-DD, 2015-2024)
    and ``updated_at`` (ISO 8601 UTC with ``Z``, in 2025, e.g. ``2025-03-04T10:15:30Z``).

``crm.json`` -- one top-level JSON array (read it with ``multiline: true``) of ``N`` objects,
    each laid out exactly as ``json.dumps(obj, indent=2)`` writes it, joined by ``,\\n``.
    Object ``i`` has ``customerId`` ``C%07d``, ``email`` (``first.last<i>@example.com|org|net``,
    unique; about 5% carry surrounding spaces and/or upper-case letters that the mapping's
    ``lower(trim(email))`` cleans), ``name`` (``first``, ``last``), ``phone``
    (``+1-555-0xx-xxxx``), ``address`` (``city``, ``state``, ``country``) and ``created``
    (``yyyy-MM-dd HH:mm:ss``, New York local time without an offset, 2018-2024, hours 06-22 only
    so that no value falls into a DST gap or overlap).

``products.csv`` -- header ``SKU,Product Name,Category,PRICE,In-Stock,Currency`` (auto-mapped
    onto sku, productName, category, price, inStock, currency), then ``product_count(scale)`` =
    ``min(100 * scale, 50000)`` rows (the SKU space holds 10,000 numbers per category, so the
    catalog stops growing at scale 500). SKU ``LUMA-XX-NNNN`` with XX = TP tops, BT bottoms,
    GR gear, SH shoes, AC accessories; product ``j`` (0-based) is in category ``j % 5`` and has
    number ``(1 + 37 * (j // 5)) % 10000`` (unique per category). PRICE has two decimals
    (``39.00``), In-Stock mixes yes/no/true/false/Y/N, Currency is USD or EUR. About 10% of the
    product names contain a comma and are therefore quoted (``csv.writer``, ``\\n`` line ends).

``purchases.jsonl`` -- JSON Lines, exactly ``N`` lines, in blocks of 1000. Line ``n`` (1-based)
    of a good row has keys ``transaction_id`` (``T%09d % n``, unique), ``purchase_time``,
    ``loyalty_id`` (an existing ``L%07d`` in 1..N), ``store`` (``S%03d``), ``total`` (a number
    written with two decimals, > 0; independent of the catalog price), ``currency`` (USD/EUR),
    ``qty`` (1..5) and ``sku`` (a SKU of products.csv). ``purchase_time`` is, chosen by the RNG,
    ~85% ISO 8601 with an offset in one of five forms (``2025-07-10T15:05:59.000-08:00``,
    ``2025-07-10T15:05:59Z``, ``2025-07-10T15:05:59+05:30``,
    ``2025-07-10T15:05:59.123456+0200``, ``2025-07-10 15:05:59Z``), ~10% epoch milliseconds as
    a JSON number (``1752188759000``) and ~5% epoch milliseconds as a digit string
    (``"1752188759000"``); every instant lies in 2025.

    Every block of 1000 lines holds 988 good rows and the 12 bad rows below, always at the
    same offsets: bad line = ``1000 * block + offset`` (``purchase_bad_lines(scale)`` lists
    them all; ``PURCHASE_BAD_KINDS`` is this table). That is 1.2% bad rows, under the 5%
    partial-ingestion threshold of ``conf/lakeport.yaml``. Bad kinds 1-8 and 12 are otherwise
    complete rows with their own unique transaction id.

    ====  ====  =====================================  ===========================  =================
    kind  line  defect                                 expected code                field
    ====  ====  =====================================  ===========================  =================
    1     100   purchase_time "2025-02-30T10:00:00Z"   CONVERSION_INVALID_DATETIME  timestamp
    2     180   purchase_time "2025-00-10T10:00:00Z"   CONVERSION_INVALID_DATETIME  timestamp
    3     260   purchase_time "yesterday afternoon"    CONVERSION_INVALID_DATETIME  timestamp
    4     340   purchase_time "10000-01-01T00:00:00Z"  CONVERSION_INVALID_DATETIME  timestamp
    5     420   purchase_time "2025-13-01T10:00:00Z"   CONVERSION_INVALID_DATETIME  timestamp
    6     500   no transaction_id key                  REQUIRED_MISSING             _id
    7     580   no purchase_time key                   REQUIRED_MISSING             timestamp
    8     660   no loyalty_id key                      REQUIRED_MISSING             loyaltyId
    9     740   truncated JSON (no closing brace)      PARSE_MALFORMED_JSON         (none)
    10    820   the text ``this is not json``          PARSE_MALFORMED_JSON         (none)
    11    900   a JSON array ``[1, 2, 3]``             PARSE_MALFORMED_JSON         (none)
    12    980   qty 0 (schema minimum is 1)            BELOW_MINIMUM                commerce.quantity
    ====  ====  =====================================  ===========================  =================

    (Line numbers are those of the first block; at scale 2 the second block's bad lines are
    1100, 1180, ..., 1980.)

The Daniel story (fixed, whatever the seed or scale)
----------------------------------------------------

Loyalty member ``L0000042`` is Daniel Hartley (gender Male) of New York City, NY 10001, with
``crm_id`` ``C0000042``. The CRM knows the same customer ``C0000042`` as "Danny" Hartley, still at
an old address in Portland, OR, with e-mail ``danny.hartley@example.com``. Exactly one purchase
belongs to him: line 42 of purchases.jsonl (a good row), ``{"transaction_id": "T000000042",
"purchase_time": "2025-07-10T15:05:59.000-08:00", "loyalty_id": "L0000042", "store": "S007",
"total": 89.50, "currency": "USD", "qty": 2, "sku": "LUMA-BT-0001"}`` (``DANIEL_PURCHASE``). No
other purchase uses ``L0000042`` and no other member or customer is called Hartley, so stitching
the three feeds on loyaltyId / crmId must give one profile with two names and two addresses.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from lakeport.sample.feeds import crm_objects, loyalty_lines, product_rows, purchase_lines
from lakeport.sample.story import (
    BLOCK_SIZE,
    DANIEL,
    DANIEL_INDEX,
    DANIEL_PURCHASE,
    DANIEL_PURCHASE_LINE,
    FILES,
    MAX_PRODUCTS,
    PRODUCTS_HEADER,
    PURCHASE_BAD_KINDS,
    product_count,
    purchase_bad_lines,
)

__all__ = [
    "BLOCK_SIZE",
    "DANIEL",
    "DANIEL_INDEX",
    "DANIEL_PURCHASE",
    "DANIEL_PURCHASE_LINE",
    "FILES",
    "MAX_PRODUCTS",
    "PRODUCTS_HEADER",
    "PURCHASE_BAD_KINDS",
    "generate",
    "product_count",
    "purchase_bad_lines",
]

# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def generate(out_dir: str | Path, *, seed: int = 7, scale: int = 1) -> dict[str, Any]:
    """Write the four Luma-shaped sample feeds into out_dir and return a summary dict.

    ``scale`` multiplies the row counts: 1000 * scale loyalty members, CRM customers and
    purchase lines (12 * scale of them bad), ``min(100 * scale, 50000)`` products. Existing
    files of the same names are overwritten. The summary is ``{"out", "seed", "scale",
    "files": {name: {"path", "records"}}}``, with ``"bad_records"`` added for purchases.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = BLOCK_SIZE * scale
    products = product_count(scale)
    paths = {name: out / filename for name, filename in FILES.items()}

    with paths["loyalty"].open("w", encoding="utf-8", newline="\n") as f:
        for text in loyalty_lines(seed, n):
            f.write(text)
            f.write("\n")

    with paths["crm"].open("w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        for i, text in enumerate(crm_objects(seed, n)):
            if i:
                f.write(",\n")
            f.write(text)
        f.write("\n]\n")

    with paths["products"].open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(PRODUCTS_HEADER)
        writer.writerows(product_rows(seed, products))

    with paths["purchases"].open("w", encoding="utf-8", newline="\n") as f:
        for text in purchase_lines(seed, n, products):
            f.write(text)
            f.write("\n")

    counts = {"loyalty": n, "crm": n, "products": products, "purchases": n}
    files: dict[str, dict[str, Any]] = {
        name: {"path": str(paths[name]), "records": counts[name]} for name in FILES
    }
    files["purchases"]["bad_records"] = len(PURCHASE_BAD_KINDS) * scale
    return {"out": str(out_dir), "seed": seed, "scale": scale, "files": files}
