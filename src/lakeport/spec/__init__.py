"""The YAML that configures lakeport, as strict, frozen pydantic models (no Spark here).

``schema`` (``schemas/<name>.yaml``), ``mapping`` (``conf/mappings/<feed>.yaml``), ``settings``
(``conf/lakeport.yaml``), ``reading`` (strict YAML, ``${ENV}``), ``messages`` (one line per
problem), ``patterns`` (datetime patterns, regexes, zones) and ``names`` (names that become paths).
"""
