"""``lakeport report``: one self-contained HTML page with charts of what the lake holds.

Example:
    >>> from lakeport.report import write_report
    >>> write_report(spark, cfg, "report.html")["batches"]["total"]  # doctest: +SKIP
    5
"""

from lakeport.report.collect import collect
from lakeport.report.render import render, write_report

__all__ = ["collect", "render", "write_report"]
