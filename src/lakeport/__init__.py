"""lakeport: customer-data ingestion on Apache Spark and Delta Lake.

The import package is ``jobs`` so that ``spark-submit --py-files dist/jobs.zip jobs/<job>.py``
works unchanged on any cluster.
"""

__version__ = "0.1.0"
