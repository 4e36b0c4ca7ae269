"""``dedupe`` applies to event datasets only; on by default for them."""

from __future__ import annotations

import pytest

from lakeport.config import load_config
from lakeport.errors import ConfigError


def test_dedupe_defaults_and_refusal(project):
    path = project / "conf" / "lakeport.yaml"
    cfg = load_config(path)
    assert cfg.dataset("purchases").dedupes_events is True
    assert cfg.dataset("loyalty").dedupes_events is False
    path.write_text(path.read_text().replace("  loyalty:\n", "  loyalty:\n    dedupe: true\n"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}: datasets.loyalty.dedupe: only event datasets are deduplicated (on their _id); "
        "schema 'loyalty' is class profile; remove it"
    ]
