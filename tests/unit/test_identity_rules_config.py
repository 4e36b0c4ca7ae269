"""``profiles.identity_rules`` and ``profiles.driver_max_links`` in lakeport.yaml: strict
validation with exact problem lines, and the pure-Python normalisation lookups use (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeport.config import load_config
from lakeport.errors import ConfigError
from lakeport.profiles.rules import normalise_value, priority_rank, unique_namespaces
from lakeport.spec.profiles import IdentityRules

SCHEMA = """
class: profile
fields:
  crmId: {type: string, required: true, identity: {namespace: crmId, primary: true}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
"""


def _load(tmp_path: Path, profiles: str):
    (tmp_path / "conf").mkdir(exist_ok=True)
    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "schemas" / "crm.yaml").write_text(SCHEMA)
    path = tmp_path / "conf" / "lakeport.yaml"
    path.write_text(f"datasets:\n  crm: {{schema: crm}}\nprofiles:\n  {profiles}\n")
    return path, load_config(path)


def _problems(tmp_path: Path, profiles: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, profiles)
    path = tmp_path / "conf" / "lakeport.yaml"
    return [p.replace(str(path), "F") for p in info.value.problems]


def test_a_full_rule_set_loads(tmp_path) -> None:
    _, cfg = _load(
        tmp_path,
        "identity_rules: {priority: [crmId, email], namespaces: {email: {normalise: [trim, "
        'lower], junk: ["NoReply@x.example", {regex: ".*@mailinator\\\\.com"}]}, phone: '
        "{normalise: [e164]}, crmId: {unique: true}}}\n  driver_max_links: 0",
    )
    rules = cfg.profiles.identity_rules
    assert rules.default_junk is True
    assert [j if isinstance(j, str) else j.regex for j in rules.namespaces["email"].junk] == [
        "NoReply@x.example",
        r".*@mailinator\.com",
    ]
    assert unique_namespaces(rules) == ["crmId"]
    assert (priority_rank(rules, "crmId"), priority_rank(rules, "phone")) == (0, 2)
    assert cfg.profiles.driver_max_links == 0


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        (
            "identity_rules: {namespaces: {emial: {unique: true}}, priority: [crmId, phnoe]}",
            [
                "F: profiles.identity_rules.namespaces.emial: no schema declares identity "
                "namespace 'emial'; did you mean 'email'?",
                "F: profiles.identity_rules.priority[1]: no schema declares identity namespace "
                "'phnoe'; did you mean 'phone'?",
            ],
        ),
        (
            'identity_rules: {namespaces: {email: {normalise: [trim, lowercase], junk: [{regex: "a("}, 3]}}}',
            [
                "F: profiles.identity_rules.namespaces.email.normalise[1]: 'lowercase' is not "
                "allowed; use one of 'trim', 'lower', 'upper', 'digits' or 'e164' (did you mean "
                "'lower'?)",
                "F: profiles.identity_rules.namespaces.email.junk[0].regex: 'a(' is not a regular "
                "expression (missing ), unterminated subpattern at position 1)",
                "F: profiles.identity_rules.namespaces.email.junk[1]: expected a mapping (key: "
                "value), got a number 3; change the value",
            ],
        ),
        (
            "identity_rules: {priority: [email, email], default_junk: maybe}",
            [
                "F: profiles.identity_rules.default_junk: expected true or false, got a string "
                "'maybe'; write true or false",
                "F: profiles.identity_rules.priority: a namespace is listed twice; list each "
                "namespace once",
            ],
        ),
        (
            "identity_rules: {namespaces: {email: {uniqe: true}}}",
            [
                "F: profiles.identity_rules.namespaces.email.uniqe: unknown key; did you mean "
                "'unique'? (allowed keys: junk, normalise, unique)",
            ],
        ),
        (
            "driver_max_links: -1",
            ["F: profiles.driver_max_links: -1 is below the minimum 0; use 0 or more"],
        ),
    ],
    ids=["unknown-namespaces", "bad-step-and-regex", "priority-twice", "unknown-key", "budget"],
)
def test_broken_rules_report_exact_lines(tmp_path, profiles, expected) -> None:
    assert _problems(tmp_path, profiles) == expected


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["trim", "lower"], "  Ann@Example.COM ", "ann@example.com"),
        (["trim"], "\tx ", "\tx"),  # Spark's trim removes spaces only
        (["e164"], "+1 (555) 010-0001", "+15550100001"),
        (["e164"], "0049 30 1234567", "+49301234567"),
        (["e164"], "n/a", ""),
        (["digits"], "+1 555-0100", "15550100"),
        (["upper"], "ab", "AB"),
        ([], " As Sent ", " As Sent "),
    ],
)
def test_normalise_value(steps, value, expected) -> None:
    rules = IdentityRules.model_validate({"namespaces": {"ns": {"normalise": steps}}})
    assert normalise_value(rules, "ns", value) == expected
