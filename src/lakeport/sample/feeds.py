"""The row generators of the sample feeds: pure functions of (seed, row), standard library only."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any

from lakeport.sample.story import (
    BLOCK_SIZE,
    DANIEL,
    DANIEL_INDEX,
    DANIEL_PURCHASE,
    DANIEL_PURCHASE_LINE,
    PURCHASE_BAD_KINDS,
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


def loyalty_lines(seed: int, n: int) -> Iterator[str]:
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


def crm_objects(seed: int, n: int) -> Iterator[str]:
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


def product_rows(seed: int, count: int) -> Iterator[list[str]]:
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


def purchase_lines(seed: int, n: int, products: int) -> Iterator[str]:
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
