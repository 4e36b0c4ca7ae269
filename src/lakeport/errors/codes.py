"""Every error code lakeport emits, with its kind (row, batch, export), meaning and remedy.

Row-level codes land in ``system/errors`` (``errors[].code``), batch-level ones in the batch
catalog (``error_code``) and in the CLI's ``lakeport: error [CODE]`` line. The README's table is
checked against this enum, and a test checks that the package names codes only through it.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """A stable error code with its kind (row, batch, export), meaning and remedy."""

    kind: str
    meaning: str
    remedy: str

    def __new__(cls, code: str, kind: str, meaning: str, remedy: str) -> ErrorCode:
        # the value is the code itself: ErrorCode("BATCH_FILE_EMPTY") works, json.dumps writes it
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.kind, obj.meaning, obj.remedy = kind, meaning, remedy
        return obj

    def __str__(self) -> str:
        return self.value

    PARSE_MALFORMED_JSON = (
        "PARSE_MALFORMED_JSON",
        "row",
        "the line is not a JSON object (truncated, not JSON, or an array)",
        "fix the producer; the raw line is in the error table",
    )
    PARSE_MALFORMED_CSV = (
        "PARSE_MALFORMED_CSV",
        "row",
        "the CSV row has more or fewer fields than the header",
        "check delimiters and quoting in that row",
    )
    CONVERSION_INVALID_DATETIME = (
        "CONVERSION_INVALID_DATETIME",
        "row",
        "not an ISO 8601 date-time, epoch milliseconds or a declared format",
        "send ISO 8601 with an offset, or declare format/timezone in the mapping",
    )
    CONVERSION_INVALID_DATE = (
        "CONVERSION_INVALID_DATE",
        "row",
        "not a yyyy-MM-dd date (or a date-time / epoch value)",
        "send yyyy-MM-dd or declare a format in the mapping",
    )
    CONVERSION_INVALID_NUMBER = (
        "CONVERSION_INVALID_NUMBER",
        "row",
        "not a number, or not a whole number for an integer field",
        "send digits only; use a double field for fractions",
    )
    CONVERSION_INVALID_BOOLEAN = (
        "CONVERSION_INVALID_BOOLEAN",
        "row",
        "not one of true/false, yes/no, y/n, on/off",
        "send one of those words (any case)",
    )
    CONVERSION_OUT_OF_RANGE = (
        "CONVERSION_OUT_OF_RANGE",
        "row",
        "the number does not fit the field's width (byte, short, integer, long <= 2^53-1) or the epoch value is past year 9999",
        "use a wider type or fix the value",
    )
    CONVERSION_TYPE_MISMATCH = (
        "CONVERSION_TYPE_MISMATCH",
        "row",
        "the source type cannot become the target type (e.g. boolean -> integer)",
        "map a different source field or convert it with an expression",
    )
    CONVERSION_INVALID_ITEM = (
        "CONVERSION_INVALID_ITEM",
        "row",
        "an item of a list or a value of a map cannot become the declared type",
        "fix the item or change the schema's items/values type",
    )
    DATETIME_EPOCH_UNIT_SUSPECT = (
        "DATETIME_EPOCH_UNIT_SUSPECT",
        "row",
        "a warning: an epoch value landed before 1971 or after 2200 in the declared unit (milliseconds unless unit: seconds); the message says which unit would fit",
        "declare unit: seconds in the mapping, or fix the producer's unit",
    )
    DATETIME_DST_GAP = (
        "DATETIME_DST_GAP",
        "row",
        "a warning: a time without offset, read in the mapping's timezone, does not exist there (a daylight-saving change skips it); it landed moved forward by the gap",
        "send the offset with the value, or check the producer's clock and zone",
    )
    DATETIME_DST_OVERLAP = (
        "DATETIME_DST_OVERLAP",
        "row",
        "a warning: a time without offset, read in the mapping's timezone, happens twice there (the clocks fall back); it landed as the earlier of the two",
        "send the offset with the value to say which one is meant",
    )
    ENCODING_INVALID_UTF8 = (
        "ENCODING_INVALID_UTF8",
        "row",
        "a JSON line holds bytes that are not UTF-8; they land as U+FFFD replacement characters (a warning; the row fails with options encoding_errors: fail)",
        "fix the producer's encoding, or set options.encoding to the file's charset",
    )
    REQUIRED_MISSING = (
        "REQUIRED_MISSING",
        "row",
        "a required field is missing, null or empty",
        "send the field; check the mapping's source path",
    )
    ENUM_MISMATCH = (
        "ENUM_MISMATCH",
        "row",
        "the value is not one of the schema's enum",
        "send an allowed value or extend the enum",
    )
    BELOW_MINIMUM = (
        "BELOW_MINIMUM",
        "row",
        "the number is below the schema's minimum",
        "fix the value or the schema",
    )
    ABOVE_MAXIMUM = (
        "ABOVE_MAXIMUM",
        "row",
        "the number is above the schema's maximum",
        "fix the value or the schema",
    )
    PATTERN_MISMATCH = (
        "PATTERN_MISMATCH",
        "row",
        "the string does not match the schema's pattern",
        "fix the value or the pattern",
    )
    IDENTITY_TOO_LONG = (
        "IDENTITY_TOO_LONG",
        "row",
        "an identity value is longer than 1024 characters (the record fails), or, at profile build, longer than profiles.guardrails.max_identity_length (the value is not linked)",
        "identities are ids, not documents",
    )
    IDENTITY_EMAIL_IN_ID = (
        "IDENTITY_EMAIL_IN_ID",
        "row",
        "an email address in an identity namespace that is not an email namespace",
        "ids must not carry personal data; map the email to an email identity",
    )
    IDENTITY_RECORD_OVER_CAP = (
        "IDENTITY_RECORD_OVER_CAP",
        "row",
        "at profile build: the record carries more identities than profiles.guardrails.max_identities_per_record (20); none of them is linked",
        "send the record's own ids only; shared or list-like values are not identities",
    )
    IDENTITY_GRAPH_OVER_CAP = (
        "IDENTITY_GRAPH_OVER_CAP",
        "row",
        "at profile build: the link would put more identities in one graph than profiles.guardrails.max_identities_per_graph (50); the link was dropped",
        "look for a shared value (a family email, a store's phone) and stop sending it as an identity",
    )
    IDENTITY_JUNK_VALUE = (
        "IDENTITY_JUNK_VALUE",
        "row",
        "at profile build: the identity value is a placeholder such as null, undefined, anonymous, 0 or all one digit (the defaults or profiles.identity_rules.namespaces.<ns>.junk), or normalises to nothing; it is not linked",
        "send no value instead of a placeholder; the raw record is in the error table",
    )
    IDENTITY_UNIQUE_NAMESPACE = (
        "IDENTITY_UNIQUE_NAMESPACE",
        "row",
        "at profile build: the link would put a second value of a unique namespace (profiles.identity_rules.namespaces.<ns>.unique) in one graph; the link was dropped (older links win)",
        "look for a shared device or mailbox linking different people; stop sending it as an identity",
    )
    AAM_MALFORMED_LINE = (
        "AAM_MALFORMED_LINE",
        "row",
        "an inbound (aam) line has no TAB after the user id, or no traits after it",
        "write <user id><TAB><trait>[,<trait>...] on every line",
    )
    AAM_INVALID_TRAIT = (
        "AAM_INVALID_TRAIT",
        "row",
        "an inbound (aam) trait is empty or not key=value, a numeric trait id, d_sid=<id> or d_unsid=<id>",
        "fix the trait; the error message quotes it",
    )
    BATCH_FILE_NOT_FOUND = (
        "BATCH_FILE_NOT_FOUND",
        "batch",
        "an input file or glob matches nothing",
        "check the path",
    )
    BATCH_FILE_NOT_REGULAR = (
        "BATCH_FILE_NOT_REGULAR",
        "batch",
        "an input file is a symbolic link (refused unless the dataset sets allow_links: true), a FIFO, a socket or a device",
        "give the regular file itself",
    )
    BATCH_PERMISSION_DENIED = (
        "BATCH_PERMISSION_DENIED",
        "batch",
        "an input file cannot be read by lakeport's user",
        "grant read access",
    )
    BATCH_FILE_EMPTY = (
        "BATCH_FILE_EMPTY",
        "batch",
        "an input file is 0 bytes or holds only blank lines",
        "remove it from the batch",
    )
    BATCH_FILE_UNREADABLE = (
        "BATCH_FILE_UNREADABLE",
        "batch",
        "a file cannot be opened or decompressed (corrupt or truncated gzip)",
        "re-export the file",
    )
    BATCH_CSV_HEADER_ONLY = (
        "BATCH_CSV_HEADER_ONLY",
        "batch",
        "a CSV file has a header and no rows",
        "remove it from the batch",
    )
    BATCH_CSV_BAD_HEADER = (
        "BATCH_CSV_BAD_HEADER",
        "batch",
        "a CSV header has empty or repeated names, or differs between the batch's files",
        "fix the header; one header per batch",
    )
    BATCH_AAM_BAD_FILE_NAME = (
        "BATCH_AAM_BAD_FILE_NAME",
        "batch",
        "an inbound (aam) file name does not follow ftp_dpm_<DPID>[_<targetDPID>]_<epoch seconds>(.sync|.overwrite)[.N][.gz]",
        "rename the file, e.g. ftp_dpm_21_1700000000.sync",
    )
    BATCH_TOO_MANY_FILES = (
        "BATCH_TOO_MANY_FILES",
        "batch",
        "more than 1,500 files in one batch",
        "split the files over several batches",
    )
    BATCH_TOO_LARGE = (
        "BATCH_TOO_LARGE",
        "batch",
        "more than 100 GB in one batch",
        "split the files over several batches",
    )
    BATCH_NO_RECORDS = (
        "BATCH_NO_RECORDS",
        "batch",
        "the files hold no records",
        "check the files and the dataset's format",
    )
    BATCH_ROW_ERRORS = (
        "BATCH_ROW_ERRORS",
        "batch",
        "records failed and partial ingestion is off",
        "fix the records (lakeport batch errors ID) or enable partial_ingestion",
    )
    BATCH_THRESHOLD_EXCEEDED = (
        "BATCH_THRESHOLD_EXCEEDED",
        "batch",
        "more records failed than error_threshold_percent / error_threshold_count allow",
        "fix the records or raise the threshold",
    )
    BATCH_SCHEMA_MISMATCH = (
        "BATCH_SCHEMA_MISMATCH",
        "batch",
        "the schema YAML no longer matches the dataset's Delta table",
        "set schema_evolution: add_columns to add fields",
    )
    BATCH_SPARK_FAILURE = (
        "BATCH_SPARK_FAILURE",
        "batch",
        "Spark failed while reading or writing the batch (disk, memory, executors)",
        "read the Spark log on stderr; the batch can be completed again",
    )
    BATCH_ILLEGAL_TRANSITION = (
        "BATCH_ILLEGAL_TRANSITION",
        "batch",
        "the batch is not in a state that allows the action (e.g. complete an aborted batch)",
        "create a new batch",
    )
    CONFIG_INVALID = (
        "CONFIG_INVALID",
        "batch",
        "lakeport.yaml, a schema or a mapping is invalid (exit code 2)",
        "run lakeport validate and fix each line it prints",
    )
    LAKE_ROOT_REFUSED = (
        "LAKE_ROOT_REFUSED",
        "batch",
        "the lake root is the filesystem root, a file, or a directory of other files without "
        "datasets/ or system/ (exit code 2); nothing was written",
        "point lake.root, --lake or $LAKEPORT_LAKE at an empty or new directory; "
        "LAKEPORT_LAKE_FORCE=1 uses it anyway",
    )
    NOT_FOUND = (
        "NOT_FOUND",
        "batch",
        "the batch or dataset asked for does not exist",
        "list them with batch list / datasets list",
    )
    SOURCE_BUSY = (
        "SOURCE_BUSY",
        "batch",
        "another run or stream holds the source; nothing was ingested (exit code 3)",
        "let it finish, or wait for the lease of a run that died to expire; see sources status",
    )
    BATCH_BUSY = (
        "BATCH_BUSY",
        "batch",
        "another live process is processing this batch id; nothing was written twice (exit code 3)",
        "let it finish (batch status ID); a process that died frees the id at once on its host, "
        "else after batch_timeout_seconds",
    )
    PROFILE_BUILD_FAILED = (
        "PROFILE_BUILD_FAILED",
        "batch",
        "profiles build found nothing to build from, or Spark failed while building; the tables are unchanged",
        "read the message; ingest a profile dataset first, or fix the cause and re-run",
    )
    EXPORT_SOURCE_MISSING = (
        "EXPORT_SOURCE_MISSING",
        "export",
        "the profile table of the policy, or the dataset's table, does not exist yet (exit code 1)",
        "run lakeport profiles build --policy P, or ingest a batch into the dataset",
    )
    EXPORT_CSV_NESTED = (
        "EXPORT_CSV_NESTED",
        "export",
        "a CSV export meets an array or map column it cannot flatten (exit code 2)",
        "pass --csv-arrays json or --csv-drop COLUMN (the message names them), or use json/parquet",
    )
    EXPORT_CSV_NAME_CLASH = (
        "EXPORT_CSV_NAME_CLASH",
        "export",
        "two column paths flatten to one CSV column name, e.g. person.firstName and person_firstName (exit code 2)",
        "leave one out with --csv-drop PATH",
    )
    EXPORT_CONFLICT = (
        "EXPORT_CONFLICT",
        "export",
        "a complete export for that export time exists with a different format, compression, mode or CSV options (exit code 2)",
        "choose another --export-time, or delete that exportTime= directory",
    )
    EXPORT_SPARK_FAILURE = (
        "EXPORT_SPARK_FAILURE",
        "export",
        "Spark failed while reading the source or writing the export; nothing was published (exit code 1)",
        "read the Spark log on stderr, then re-run the same command",
    )
    INVALID_NAME = (
        "INVALID_NAME",
        "batch",
        "a batch id (or another name that becomes a path) has characters or a length that is "
        "not allowed, e.g. '../datasets' (exit code 2)",
        "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
    )
    USAGE = (
        "USAGE",
        "batch",
        "the command line asks for something impossible (exit code 2)",
        "see lakeport COMMAND --help",
    )
    SETUP = (
        "SETUP",
        "batch",
        "Java, the Delta jars or Spark are not ready (exit code 2)",
        "run lakeport setup (make setup in a checkout); see the message",
    )
    INLET_AUTH_REQUIRED = (
        "INLET_AUTH_REQUIRED",
        "inlet",
        "the inlet request has no Authorization: Bearer header, or a malformed one (HTTP 401)",
        "send Authorization: Bearer <token> with the token of inlet.auth.token",
    )
    INLET_AUTH_DENIED = (
        "INLET_AUTH_DENIED",
        "inlet",
        "the inlet request's bearer token is not the configured one (HTTP 403)",
        "use the token of inlet.auth.token",
    )
    INLET_TOO_LARGE = (
        "INLET_TOO_LARGE",
        "inlet",
        "the request body or one record is over inlet.max_body_bytes / max_record_bytes (HTTP 413)",
        "send fewer records per request, or raise the limits; nothing was landed",
    )
    INLET_UNAVAILABLE = (
        "INLET_UNAVAILABLE",
        "inlet",
        "the inlet could not land the records durably, or could not validate them (HTTP 503)",
        "retry later (nothing was acknowledged); the inlet's stderr says why",
    )


ROW_CODES = tuple(c for c in ErrorCode if c.kind == "row")
