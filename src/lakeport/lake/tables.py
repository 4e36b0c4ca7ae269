"""The schemas of the system tables, as DDL (one place; readers and writers use these).

Example:
    >>> struct_schema(EVENTS_DDL).names[:3]  # doctest: +SKIP
    ['event_id', 'event_type', 'batch_id']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import types as T

ERROR_STRUCT = "array<struct<code:string,field:string,message:string>>"

BATCHES_DDL = (
    "batch_id string, dataset string, status string, seq long, updated_at timestamp, "
    "input_format string, files array<string>, replace array<string>, created_at timestamp, "
    "started_at timestamp, completed_at timestamp, input_file_count long, input_byte_size long, "
    "input_record_count long, output_record_count long, failed_record_count long, "
    "warning_record_count long, error_summary map<string,long>, error_code string, "
    "error_message string, delta_version long, options string, mapping_report string, "
    "replaced_by string, duplicate_record_count long, owner string"
)
ERRORS_DDL = (
    f"batch_id string, dataset string, severity string, errors {ERROR_STRUCT}, raw string, "
    "source_file string, line long, recorded_at timestamp"
)
EVENTS_DDL = (
    "event_id string, event_type string, batch_id string, dataset string, status string, "
    "input_format string, started_at timestamp, completed_at timestamp, success_count long, "
    "failed_count long, error_summary map<string,long>, emitted_at timestamp"
)

# Delta table properties of the tables lakeport creates (README "Performance"; measured in
# bench/RESULTS.md). A dataset's ``table_properties`` in lakeport.yaml override these.
DATASET_TABLE_DEFAULTS: dict[str, str] = {}
SYSTEM_TABLE_DEFAULTS: dict[str, str] = {}


def struct_schema(ddl: str) -> T.StructType:
    """The StructType of a DDL string."""
    from pyspark.sql import types as T

    schema = T._parse_datatype_string(ddl)
    assert isinstance(schema, T.StructType)
    return schema
