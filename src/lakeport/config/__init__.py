"""The resolved configuration: load, cross-check and validate lakeport's YAML (no Spark here).

Example:
    >>> from lakeport.config import load_config
    >>> cfg = load_config("conf/lakeport.yaml", lake_root="/tmp/lake")
"""

from lakeport.config.load import DEFAULT_CONFIG, config_path, load_config
from lakeport.config.model import Config, Dataset, Entry
from lakeport.config.validate import validate_tree

__all__ = [
    "DEFAULT_CONFIG",
    "Config",
    "Dataset",
    "Entry",
    "config_path",
    "load_config",
    "validate_tree",
]
