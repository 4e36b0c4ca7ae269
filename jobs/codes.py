"""Every error code lakeport emits, in one place. The README's table is checked against this one.

Row-level codes land in ``system/errors`` (``errors[].code``); batch-level codes in the batch
catalog (``error_code``) and in the CLI's ``lakeport: error [CODE]`` line.
"""

from __future__ import annotations

ROW_CODES: dict[str, tuple[str, str]] = {
    "PARSE_MALFORMED_JSON": (
        "the line is not a JSON object (truncated, not JSON, or an array)",
        "fix the producer; the raw line is in the error table",
    ),
    "PARSE_MALFORMED_CSV": (
        "the CSV row has more or fewer fields than the header",
        "check delimiters and quoting in that row",
    ),
    "CONVERSION_INVALID_DATETIME": (
        "not an ISO 8601 date-time, epoch milliseconds or a declared format",
        "send ISO 8601 with an offset, or declare format/timezone in the mapping",
    ),
    "CONVERSION_INVALID_DATE": (
        "not a yyyy-MM-dd date (or a date-time / epoch value)",
        "send yyyy-MM-dd or declare a format in the mapping",
    ),
    "CONVERSION_INVALID_NUMBER": (
        "not a number, or not a whole number for an integer field",
        "send digits only; use a double field for fractions",
    ),
    "CONVERSION_INVALID_BOOLEAN": (
        "not one of true/false, yes/no, y/n, on/off",
        "send one of those words (any case)",
    ),
    "CONVERSION_OUT_OF_RANGE": (
        "the number does not fit the field's width (byte, short, integer, long <= 2^53-1) "
        "or the epoch value is past year 9999",
        "use a wider type or fix the value",
    ),
    "CONVERSION_TYPE_MISMATCH": (
        "the source type cannot become the target type (e.g. boolean -> integer)",
        "map a different source field or convert it with an expression",
    ),
    "CONVERSION_INVALID_ITEM": (
        "an item of a list or a value of a map cannot become the declared type",
        "fix the item or change the schema's items/values type",
    ),
    "REQUIRED_MISSING": (
        "a required field is missing, null or empty",
        "send the field; check the mapping's source path",
    ),
    "ENUM_MISMATCH": (
        "the value is not one of the schema's enum",
        "send an allowed value or extend the enum",
    ),
    "BELOW_MINIMUM": ("the number is below the schema's minimum", "fix the value or the schema"),
    "ABOVE_MAXIMUM": ("the number is above the schema's maximum", "fix the value or the schema"),
    "PATTERN_MISMATCH": (
        "the string does not match the schema's pattern",
        "fix the value or the pattern",
    ),
    "IDENTITY_TOO_LONG": (
        "an identity value is longer than 1024 characters (the record fails), or, at profile "
        "build, longer than profiles.guardrails.max_identity_length (the value is not linked)",
        "identities are ids, not documents",
    ),
    "IDENTITY_EMAIL_IN_ID": (
        "an email address in an identity namespace that is not an email namespace",
        "ids must not carry personal data; map the email to an email identity",
    ),
    "IDENTITY_RECORD_OVER_CAP": (
        "at profile build: the record carries more identities than "
        "profiles.guardrails.max_identities_per_record (20); none of them is linked",
        "send the record's own ids only; shared or list-like values are not identities",
    ),
    "IDENTITY_GRAPH_OVER_CAP": (
        "at profile build: the link would put more identities in one graph than "
        "profiles.guardrails.max_identities_per_graph (50); the link was dropped",
        "look for a shared value (a family email, a store's phone) and stop sending it as an identity",
    ),
    "AAM_MALFORMED_LINE": (
        "an inbound (aam) line has no TAB after the user id, or no traits after it",
        "write <user id><TAB><trait>[,<trait>...] on every line",
    ),
    "AAM_INVALID_TRAIT": (
        "an inbound (aam) trait is empty or not key=value, a numeric trait id, "
        "d_sid=<id> or d_unsid=<id>",
        "fix the trait; the error message quotes it",
    ),
}

BATCH_CODES: dict[str, tuple[str, str]] = {
    "BATCH_FILE_NOT_FOUND": ("an input file or glob matches nothing", "check the path"),
    "BATCH_FILE_NOT_REGULAR": (
        "an input file is a symbolic link (refused unless the dataset sets allow_links: true), "
        "a FIFO, a socket or a device",
        "give the regular file itself",
    ),
    "BATCH_PERMISSION_DENIED": (
        "an input file cannot be read by lakeport's user",
        "grant read access",
    ),
    "BATCH_FILE_EMPTY": (
        "an input file is 0 bytes or holds only blank lines",
        "remove it from the batch",
    ),
    "BATCH_FILE_UNREADABLE": (
        "a file cannot be opened or decompressed (corrupt or truncated gzip)",
        "re-export the file",
    ),
    "BATCH_CSV_HEADER_ONLY": ("a CSV file has a header and no rows", "remove it from the batch"),
    "BATCH_CSV_BAD_HEADER": (
        "a CSV header has empty or repeated names, or differs between the batch's files",
        "fix the header; one header per batch",
    ),
    "BATCH_AAM_BAD_FILE_NAME": (
        "an inbound (aam) file name does not follow "
        "ftp_dpm_<DPID>[_<targetDPID>]_<epoch seconds>(.sync|.overwrite)[.N][.gz]",
        "rename the file, e.g. ftp_dpm_21_1700000000.sync",
    ),
    "BATCH_TOO_MANY_FILES": (
        "more than 1,500 files in one batch",
        "split the files over several batches",
    ),
    "BATCH_TOO_LARGE": ("more than 100 GB in one batch", "split the files over several batches"),
    "BATCH_NO_RECORDS": ("the files hold no records", "check the files and the dataset's format"),
    "BATCH_ROW_ERRORS": (
        "records failed and partial ingestion is off",
        "fix the records (lakeport batch errors ID) or enable partial_ingestion",
    ),
    "BATCH_THRESHOLD_EXCEEDED": (
        "more records failed than error_threshold_percent / error_threshold_count allow",
        "fix the records or raise the threshold",
    ),
    "BATCH_SCHEMA_MISMATCH": (
        "the schema YAML no longer matches the dataset's Delta table",
        "set schema_evolution: add_columns to add fields",
    ),
    "BATCH_SPARK_FAILURE": (
        "Spark failed while reading or writing the batch (disk, memory, executors)",
        "read the Spark log on stderr; the batch can be completed again",
    ),
    "BATCH_ILLEGAL_TRANSITION": (
        "the batch is not in a state that allows the action (e.g. complete an aborted batch)",
        "create a new batch",
    ),
    "CONFIG_INVALID": (
        "lakeport.yaml, a schema or a mapping is invalid (exit code 2)",
        "run lakeport validate and fix each line it prints",
    ),
    "NOT_FOUND": (
        "the batch or dataset asked for does not exist",
        "list them with batch list / datasets list",
    ),
    "SOURCE_BUSY": (
        "another run or stream holds the source; nothing was ingested (exit code 3)",
        "let it finish, or wait for the lease of a run that died to expire; see sources status",
    ),
    "PROFILE_BUILD_FAILED": (
        "profiles build found nothing to build from, or Spark failed while building; "
        "the tables are unchanged",
        "read the message; ingest a profile dataset first, or fix the cause and re-run",
    ),
    "EXPORT_SOURCE_MISSING": (
        "the profile table of the policy, or the dataset's table, does not exist yet (exit code 1)",
        "run lakeport profiles build --policy P, or ingest a batch into the dataset",
    ),
    "EXPORT_CSV_NESTED": (
        "a CSV export meets an array or map column it cannot flatten (exit code 2)",
        "pass --csv-arrays json or --csv-drop COLUMN (the message names them), or use json/parquet",
    ),
    "EXPORT_CSV_NAME_CLASH": (
        "two column paths flatten to one CSV column name, e.g. person.firstName and "
        "person_firstName (exit code 2)",
        "leave one out with --csv-drop PATH",
    ),
    "EXPORT_CONFLICT": (
        "a complete export for that export time exists with a different format, compression, "
        "mode or CSV options (exit code 2)",
        "choose another --export-time, or delete that exportTime directory",
    ),
    "EXPORT_SPARK_FAILURE": (
        "Spark failed while reading the source or writing the export; nothing was published "
        "(exit code 1)",
        "read the Spark log on stderr, then re-run the same command",
    ),
    "INVALID_NAME": (
        "a batch id (or another name that becomes a path) has characters or a length that is "
        "not allowed, e.g. '../datasets' (exit code 2)",
        "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    "USAGE": (
        "the command line asks for something impossible (exit code 2)",
        "see lakeport COMMAND --help",
    ),
    "SETUP": (
        "Java, the Delta jars or Spark are not ready (exit code 2)",
        "run make setup; see the message",
    ),
}

ALL_CODES = {**ROW_CODES, **BATCH_CODES}
