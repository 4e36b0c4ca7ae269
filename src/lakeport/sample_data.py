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
import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from json.encoder import encode_basestring_ascii as _json_str
from pathlib import Path
from typing import Any

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
    (100, 'Feb 30: "2025-02-30T10:00:00Z"', "CONVERSION_INVALID_DATETIME", "timestamp"),
    (180, 'month 00: "2025-00-10T10:00:00Z"', "CONVERSION_INVALID_DATETIME", "timestamp"),
    (260, 'free text: "yesterday afternoon"', "CONVERSION_INVALID_DATETIME", "timestamp"),
    (340, 'year 10000: "10000-01-01T00:00:00Z"', "CONVERSION_INVALID_DATETIME", "timestamp"),
    (420, 'month 13: "2025-13-01T10:00:00Z"', "CONVERSION_INVALID_DATETIME", "timestamp"),
    (500, "no transaction_id key", "REQUIRED_MISSING", "_id"),
    (580, "no purchase_time key", "REQUIRED_MISSING", "timestamp"),
    (660, "no loyalty_id key", "REQUIRED_MISSING", "loyaltyId"),
    (740, "truncated JSON object (no closing brace)", "PARSE_MALFORMED_JSON", None),
    (820, "not JSON at all: this is not json", "PARSE_MALFORMED_JSON", None),
    (900, "a JSON array instead of an object: [1, 2, 3]", "PARSE_MALFORMED_JSON", None),
    (980, "qty 0 (below the schema minimum 1)", "BELOW_MINIMUM", "commerce.quantity"),
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


# --------------------------------------------------------------------------------------------
# Fictional word lists
# --------------------------------------------------------------------------------------------

_FEMALE: tuple[str, ...] = (
    "Anna", "Beatrice", "Camila", "Chloe", "Clara", "Diana", "Elena", "Emma", "Fatima", "Grace",
    "Hannah", "Isabel", "Julia", "Keiko", "Laura", "Leila", "Maya", "Nadia", "Olivia", "Priya",
    "Rosa", "Sofia", "Tanya", "Vera", "Zoe",
)  # fmt: skip
_MALE: tuple[str, ...] = (
    "Aaron", "Ben", "Carlos", "David", "Eli", "Felix", "George", "Hugo", "Ivan", "Jamal",
    "Kenji", "Liam", "Marco", "Noah", "Omar", "Pablo", "Raj", "Samuel", "Thomas", "Victor",
    "Walter", "Xavier", "Yusuf", "Owen", "Lucas",
)  # fmt: skip
_NEUTRAL: tuple[str, ...] = (
    "Alex", "Avery", "Casey", "Drew", "Jamie", "Jordan", "Morgan", "Quinn", "Riley", "Robin",
    "Sam", "Taylor",
)  # fmt: skip
# No "Hartley": that name belongs to the Daniel story alone.
_LAST = (
    "Abbott", "Alvarez", "Bennett", "Brooks", "Castillo", "Chen", "Collins", "Delgado", "Dubois",
    "Ellis", "Fischer", "Foster", "Garcia", "Grant", "Hayes", "Ibrahim", "Jensen", "Kaur",
    "Kowalski", "Larsen", "Lopez", "Mason", "Meyer", "Morales", "Nakamura", "Novak", "Okafor",
    "Olsen", "Patel", "Perry", "Quinlan", "Ramirez", "Reyes", "Rossi", "Schmidt", "Silva",
    "Sullivan", "Tanaka", "Torres", "Turner", "Underwood", "Vasquez", "Wagner", "Walsh",
    "Weber", "Whitaker", "Xu", "Yamada", "Young", "Zimmerman",
)  # fmt: skip
# (city, state, first three digits of its zip codes)
_CITIES = (
    ("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Boston", "MA", "021"),
    ("Philadelphia", "PA", "191"), ("Pittsburgh", "PA", "152"), ("Baltimore", "MD", "212"),
    ("Washington", "DC", "200"), ("Atlanta", "GA", "303"), ("Miami", "FL", "331"),
    ("Orlando", "FL", "328"), ("Charlotte", "NC", "282"), ("Nashville", "TN", "372"),
    ("Chicago", "IL", "606"), ("Detroit", "MI", "482"), ("Columbus", "OH", "432"),
    ("Minneapolis", "MN", "554"), ("Milwaukee", "WI", "532"), ("St. Louis", "MO", "631"),
    ("Kansas City", "MO", "641"), ("Dallas", "TX", "752"), ("Houston", "TX", "770"),
    ("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Phoenix", "AZ", "850"),
    ("Salt Lake City", "UT", "841"), ("Las Vegas", "NV", "891"), ("Los Angeles", "CA", "900"),
    ("San Diego", "CA", "921"), ("San Francisco", "CA", "941"), ("Sacramento", "CA", "958"),
    ("Portland", "OR", "972"), ("Seattle", "WA", "981"), ("Boise", "ID", "837"),
    ("Albuquerque", "NM", "871"), ("Honolulu", "HI", "968"), ("Anchorage", "AK", "995"),
)  # fmt: skip
_GENDERS = ("Female", "Male", "Non_binary", "Not_specified")
_TIERS = ("bronze", "silver", "gold", "platinum")
_DOMAINS = ("example.com", "example.org", "example.net")

_CATEGORIES = (
    ("TP", "tops", ("Tank", "Tee", "Hoodie", "Jacket", "Pullover", "Bra Top")),
    ("BT", "bottoms", ("Pant", "Short", "Legging", "Capri", "Jogger")),
    ("GR", "gear", ("Duffle Bag", "Water Bottle", "Yoga Mat", "Backpack", "Foam Roller")),
    ("SH", "shoes", ("Trainer", "Running Shoe", "Trail Shoe", "Slide", "Court Shoe")),
    ("AC", "accessories", ("Headband", "Cap", "Wristband", "Crew Socks", "Gym Towel")),
)
_ADJECTIVES = (
    "Aether", "Argo", "Breeze", "Cirrus", "Comet", "Driftwood", "Ember", "Flux", "Glacier",
    "Halo", "Helix", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orbit", "Quartz",
    "Ridge", "Solstice", "Summit", "Tidal", "Vertex", "Zephyr",
)  # fmt: skip
_FEATURES = ("All-Weather", "Ultra-Light", "Seamless", "Thermal", "Everyday", "Performance", "")
# suffixes that put a comma into the product name (the field must then be quoted)
_COMMA_SUFFIXES = (", Pack of 2", ", Pack of 3", ", Size S-XL", ", Limited Edition", ", Unisex")
_IN_STOCK = ("yes", "no", "true", "false", "Y", "N")
_STORES = 40

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
# Speed matters at scale=1000 (3 million JSON records), so the row writers below format each
# record with a fixed template instead of building a dict and calling json.dumps. The output
# is byte-for-byte what json.dumps(record) (loyalty, purchases) and json.dumps(record,
# indent=2) (crm) would give: every string spliced in unquoted comes from the ASCII word lists
# above or from digits, so it needs no JSON escaping (tests/unit/test_sample_data.py checks the
# equivalence on every record). Random integers are drawn as int(random() * n).

_MASK64 = (1 << 64) - 1
_EPOCH = datetime(1970, 1, 1)


def _mix64(x: int) -> int:
    """SplitMix64 finaliser: a cheap, well-spread hash of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _person(seed_key: int, i: int) -> tuple[str, str, str, int]:
    """(gender, first name, last name, index into _CITIES) of customer ``i``: shared by feeds."""
    h = _mix64(seed_key ^ i)
    g = h % 100
    h //= 100
    if g < 46:
        gender, firsts = "Female", _FEMALE
    elif g < 92:
        gender, firsts = "Male", _MALE
    elif g < 96:
        gender, firsts = "Non_binary", _NEUTRAL
    else:
        gender, firsts = "Not_specified", _NEUTRAL
    first = firsts[h % len(firsts)]
    h //= len(firsts)
    last = _LAST[h % len(_LAST)]
    h //= len(_LAST)
    return gender, first, last, h % len(_CITIES)


def _seed_key(seed: int) -> int:
    return _mix64(seed & _MASK64)


def _sku(j: int) -> str:
    """SKU of product ``j`` (0-based): category ``j % 5``, number unique within the category."""
    return f"LUMA-{_CATEGORIES[j % 5][0]}-{(1 + 37 * (j // 5)) % 10000:04d}"


def _seconds(d: datetime) -> int:
    return int((d - _EPOCH).total_seconds())


def _days(first: date, last: date) -> tuple[int, int]:
    """(ordinal of first, number of days from first to last inclusive)."""
    return first.toordinal(), last.toordinal() - first.toordinal() + 1


_BIRTH_FIRST, _BIRTH_DAYS = _days(date(1940, 1, 1), date(2006, 12, 31))
_JOIN_FIRST, _JOIN_DAYS = _days(date(2015, 1, 1), date(2024, 12, 31))
_UPDATED_FIRST = _seconds(datetime(2025, 1, 1))
_UPDATED_SECONDS = _seconds(datetime(2026, 1, 1)) - _UPDATED_FIRST
_CREATED_FIRST, _CREATED_DAYS = _days(date(2018, 1, 1), date(2024, 12, 31))
# purchases: 2025-01-02T00:00Z up to (excluding) 2025-12-30T00:00Z, so that no UTC offset moves
# the local time out of 2025
_PURCHASE_FIRST_US = _seconds(datetime(2025, 1, 2)) * 1_000_000
_PURCHASE_SPAN_US = _seconds(datetime(2025, 12, 30)) * 1_000_000 - _PURCHASE_FIRST_US
_OFFSETS_MIN = (-480, -420, -360, -300, -240, 0, 60, 120, 330, 540, 600)


def _offset(minutes: int, colon: bool) -> str:
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return f"{sign}{hh:02d}:{mm:02d}" if colon else f"{sign}{hh:02d}{mm:02d}"


_OFFSET_TEXT = {m: (_offset(m, True), _offset(m, False)) for m in _OFFSETS_MIN}


def _purchase_time(rnd: Callable[[], float]) -> str | int:
    """A 2025 purchase time: ~85% ISO 8601 (five forms), ~10% epoch ms, ~5% epoch ms string."""
    us = _PURCHASE_FIRST_US + int(rnd() * _PURCHASE_SPAN_US)
    r = rnd()
    if r >= 0.85:
        return us // 1000 if r < 0.95 else str(us // 1000)
    form = int(rnd() * 5)
    if form == 1 or form == 4:  # UTC with Z, "T" or space separator
        local = _EPOCH + timedelta(microseconds=us)
        return local.isoformat(sep="T" if form == 1 else " ", timespec="seconds") + "Z"
    minutes = _OFFSETS_MIN[int(rnd() * len(_OFFSETS_MIN))]
    extended, basic = _OFFSET_TEXT[minutes]
    local = _EPOCH + timedelta(microseconds=us + minutes * 60_000_000)
    text = local.isoformat(timespec="seconds")
    if form == 0:  # milliseconds, extended offset
        return f"{text}.{local.microsecond // 1000:03d}{extended}"
    if form == 2:  # seconds, extended offset
        return text + extended
    return f"{text}.{local.microsecond:06d}{basic}"  # microseconds, basic offset


def _purchase_line(row: dict[str, Any]) -> str:
    """JSON object text of a purchase row (as json.dumps, but ``total`` with two decimals)."""
    parts = []
    for key, value in row.items():
        if key == "total":
            text = f"{value:.2f}"
        elif isinstance(value, str):
            text = _json_str(value)
        else:
            text = str(value)  # int
        parts.append(f'"{key}": {text}')
    return "{" + ", ".join(parts) + "}"


# --------------------------------------------------------------------------------------------
# Record writers (one record at a time: memory stays flat at any scale)
# --------------------------------------------------------------------------------------------


def _loyalty_lines(seed: int, n: int) -> Iterator[str]:
    """loyalty.jsonl lines: json.dumps of {loyalty_id, crm_id, first_name, ..., updated_at}."""
    rnd = random.Random(f"{seed}-loyalty").random
    key = _seed_key(seed)
    fromordinal = date.fromordinal
    for i in range(1, n + 1):
        gender, first, last, city_ix = _person(key, i)
        city, state, zip3 = _CITIES[city_ix]
        zip_code = f"{zip3}{int(rnd() * 100):02d}"
        birth = fromordinal(_BIRTH_FIRST + int(rnd() * _BIRTH_DAYS)).isoformat()
        points = int(rnd() * 50001)
        tier = _TIERS[min(3, points // 12500)] if rnd() < 0.9 else _TIERS[int(rnd() * 4)]
        joined = fromordinal(_JOIN_FIRST + int(rnd() * _JOIN_DAYS)).isoformat()
        updated = _EPOCH + timedelta(seconds=_UPDATED_FIRST + int(rnd() * _UPDATED_SECONDS))
        if i == DANIEL_INDEX:
            gender, first, last = "Male", "Daniel", "Hartley"
            city, state, zip_code = "New York City", "NY", "10001"
        yield (
            f'{{"loyalty_id": "L{i:07d}", "crm_id": "C{i:07d}", "first_name": "{first}", '
            f'"last_name": "{last}", "birth_date": "{birth}", "gender": "{gender}", '
            f'"address": {{"city": "{city}", "state": "{state}", "country": "US", '
            f'"zip": "{zip_code}"}}, "points": {points}, "tier": "{tier}", '
            f'"join_date": "{joined}", "updated_at": "{updated.isoformat()}Z"}}'
        )


def _messy(rnd: Callable[[], float], email: str) -> str:
    """A dirty spelling of ``email`` that lower(trim(...)) turns back into ``email``."""
    kind = int(rnd() * 4)
    if kind == 0:
        return f"  {email} "
    if kind == 1:
        return email.upper()
    if kind == 2:
        local, domain = email.split("@")
        return f"{local.title()}@{domain.capitalize()}"
    return f" {email.title()}"


def _crm_objects(seed: int, n: int) -> Iterator[str]:
    """crm.json array elements: json.dumps({customerId, email, name, ...}, indent=2)."""
    rnd = random.Random(f"{seed}-crm").random
    key = _seed_key(seed)
    fromordinal = date.fromordinal
    for i in range(1, n + 1):
        _gender, first, last, city_ix = _person(key, i)
        city, state, _zip3 = _CITIES[city_ix]
        email = f"{first.lower()}.{last.lower()}{i}@{_DOMAINS[int(rnd() * 3)]}"
        if rnd() < 0.05:
            email = _messy(rnd, email)
        phone = f"+1-555-0{int(rnd() * 100):02d}-{int(rnd() * 10000):04d}"
        day = fromordinal(_CREATED_FIRST + int(rnd() * _CREATED_DAYS)).isoformat()
        # 06:00-22:59 New York time: never in a DST gap (02:00-03:00) nor overlap (01:00-02:00)
        clock = f"{6 + int(rnd() * 17):02d}:{int(rnd() * 60):02d}:{int(rnd() * 60):02d}"
        if i == DANIEL_INDEX:
            first, last, city, state = "Danny", "Hartley", "Portland", "OR"
            email = DANIEL["email"]
        yield (
            f'{{\n  "customerId": "C{i:07d}",\n  "email": "{email}",\n'
            f'  "name": {{\n    "first": "{first}",\n    "last": "{last}"\n  }},\n'
            f'  "phone": "{phone}",\n'
            f'  "address": {{\n    "city": "{city}",\n    "state": "{state}",\n'
            f'    "country": "US"\n  }},\n  "created": "{day} {clock}"\n}}'
        )


def _product_rows(seed: int, count: int) -> Iterator[list[str]]:
    rng = random.Random(f"{seed}-products")
    for j in range(count):
        _code, category, nouns = _CATEGORIES[j % 5]
        feature = rng.choice(_FEATURES)
        name = " ".join(w for w in (rng.choice(_ADJECTIVES), feature, rng.choice(nouns)) if w)
        if rng.random() < 0.1:
            name += rng.choice(_COMMA_SUFFIXES)
        price = f"{rng.randint(5, 199)}.{rng.choice((0, 0, 0, 50, 95, 99)):02d}"
        in_stock = rng.choice(_IN_STOCK)
        currency = "USD" if rng.random() < 0.8 else "EUR"
        yield [_sku(j), name, category, price, in_stock, currency]


_BAD_TIMES = {
    1: "2025-02-30T10:00:00Z",
    2: "2025-00-10T10:00:00Z",
    3: "yesterday afternoon",
    4: "10000-01-01T00:00:00Z",
    5: "2025-13-01T10:00:00Z",
}
_DROPPED_KEY = {6: "transaction_id", 7: "purchase_time", 8: "loyalty_id"}


def _purchase_lines(seed: int, n: int, products: int) -> Iterator[str]:
    rnd = random.Random(f"{seed}-purchases").random
    bad = {offset: kind for kind, (offset, _d, _c, _f) in enumerate(PURCHASE_BAD_KINDS, start=1)}
    for line in range(1, n + 1):
        if line == DANIEL_PURCHASE_LINE:
            yield _purchase_line(DANIEL_PURCHASE)
            continue
        member = 1 + int(rnd() * (n - 1))  # 1 .. n-1, then skip Daniel's 42
        if member >= DANIEL_INDEX:
            member += 1
        t = _purchase_time(rnd)
        store = 1 + int(rnd() * _STORES)
        cents = 199 + int(rnd() * 49801)
        currency = "USD" if rnd() < 0.85 else "EUR"
        qty = 1 + int(rnd() * 5)
        sku = _sku(int(rnd() * products))
        kind = bad.get((line - 1) % BLOCK_SIZE + 1)
        if kind is None:
            time_text = f'"{t}"' if isinstance(t, str) else t
            yield (
                f'{{"transaction_id": "T{line:09d}", "purchase_time": {time_text}, '
                f'"loyalty_id": "L{member:07d}", "store": "S{store:03d}", '
                f'"total": {cents // 100}.{cents % 100:02d}, "currency": "{currency}", '
                f'"qty": {qty}, "sku": "{sku}"}}'
            )
            continue
        row: dict[str, Any] = {
            "transaction_id": f"T{line:09d}",
            "purchase_time": _BAD_TIMES.get(kind, t),
            "loyalty_id": f"L{member:07d}",
            "store": f"S{store:03d}",
            "total": cents / 100,
            "currency": currency,
            "qty": 0 if kind == 12 else qty,
            "sku": sku,
        }
        if kind in _DROPPED_KEY:
            del row[_DROPPED_KEY[kind]]
        if kind == 9:
            text = _purchase_line(row)
            yield text[: len(text) // 2]  # cut in the middle: no closing brace
        elif kind == 10:
            yield "this is not json"
        elif kind == 11:
            yield "[1, 2, 3]"
        else:  # kinds 1-8 and 12: complete rows with one defect
            yield _purchase_line(row)


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
        for text in _loyalty_lines(seed, n):
            f.write(text)
            f.write("\n")

    with paths["crm"].open("w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        for i, text in enumerate(_crm_objects(seed, n)):
            if i:
                f.write(",\n")
            f.write(text)
        f.write("\n]\n")

    with paths["products"].open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(PRODUCTS_HEADER)
        writer.writerows(_product_rows(seed, products))

    with paths["purchases"].open("w", encoding="utf-8", newline="\n") as f:
        for text in _purchase_lines(seed, n, products):
            f.write(text)
            f.write("\n")

    counts = {"loyalty": n, "crm": n, "products": products, "purchases": n}
    files: dict[str, dict[str, Any]] = {
        name: {"path": str(paths[name]), "records": counts[name]} for name in FILES
    }
    files["purchases"]["bad_records"] = len(PURCHASE_BAD_KINDS) * scale
    return {"out": str(out_dir), "seed": seed, "scale": scale, "files": files}
