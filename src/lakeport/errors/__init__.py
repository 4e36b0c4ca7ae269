"""The one exception tree of lakeport, and every error code it emits.

Every message is written for the person who has to fix their YAML, their data or their command:
what is wrong, where, and what to do. :class:`ErrorCode` is the one list of codes: row-level codes
land in ``system/errors`` (``errors[].code``), batch-level ones in the batch catalog
(``error_code``) and in the CLI's ``lakeport: error [CODE]`` line. The README's table is checked
against it, and a test checks that every code the package raises is a member.

Example:
    >>> ErrorCode.BATCH_FILE_EMPTY.remedy
    'remove it from the batch'
    >>> raise BatchError("x.jsonl: is empty", code=ErrorCode.BATCH_FILE_EMPTY)
    Traceback (most recent call last):
    ...
    lakeport.errors.BatchError: x.jsonl: is empty
"""

from __future__ import annotations

from collections.abc import Sequence

from lakeport.errors.codes import ROW_CODES, ErrorCode

__all__ = [
    "BUSY_EXIT_CODE",
    "ROW_CODES",
    "BatchBusyError",
    "BatchError",
    "BatchStateError",
    "ConfigError",
    "ErrorCode",
    "ExportError",
    "InvalidNameError",
    "LakeportError",
    "NotFoundError",
    "ProfileBuildError",
    "SetupError",
    "SourceBusyError",
    "UsageError",
]


class LakeportError(Exception):
    """Base class of every error lakeport raises on purpose.

    A subclass names its code and exit code as class attributes; ``code=`` overrides the code for
    one raise (a batch failure says which batch-level code it is).
    """

    code: ErrorCode = ErrorCode.USAGE
    exit_code = 1

    def __init__(self, message: str, *, code: ErrorCode | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code if isinstance(code, ErrorCode) else ErrorCode[code]


class ConfigError(LakeportError):
    """Configuration, schema or mapping YAML is invalid; carries one line per problem."""

    code = ErrorCode.CONFIG_INVALID
    exit_code = 2

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(LakeportError):
    """The command line or a call asks for something that cannot be done (unknown dataset, bad flag)."""

    code = ErrorCode.USAGE
    exit_code = 2


class InvalidNameError(UsageError):
    """A name that becomes a path (batch id, source, policy, export time) is not allowed."""

    code = ErrorCode.INVALID_NAME


class SetupError(LakeportError):
    """The environment is not ready: Java missing, Delta jars absent, Spark failed to start."""

    code = ErrorCode.SETUP
    exit_code = 2


class BatchError(LakeportError):
    """A batch failed as a whole (batch-level error or error threshold exceeded).

    The target dataset is unchanged; the batch catalog records the failure and its reason.
    """

    exit_code = 1

    def __init__(self, message: str, *, code: ErrorCode | str, batch_id: str | None = None) -> None:
        super().__init__(message, code=code)
        self.batch_id = batch_id


class BatchStateError(LakeportError):
    """An illegal batch lifecycle transition (complete an aborted batch, upload into a finished one)."""

    code = ErrorCode.BATCH_ILLEGAL_TRANSITION
    exit_code = 2


class NotFoundError(LakeportError):
    """A batch, dataset or profile that was asked for does not exist."""

    code = ErrorCode.NOT_FOUND
    exit_code = 1


class ProfileBuildError(LakeportError):
    """A profile build could not run or failed; the profile tables are unchanged."""

    code = ErrorCode.PROFILE_BUILD_FAILED
    exit_code = 1


class ExportError(LakeportError):
    """An export that cannot be made as asked; nothing was published.

    Exit code 1 when the source is missing or Spark failed, 2 for requests that cannot work
    (CSV that cannot hold a column, a conflicting export for the same time).
    """

    exit_code = 2

    def __init__(self, message: str, *, code: ErrorCode | str, exit_code: int = 2) -> None:
        super().__init__(message, code=code)
        self.exit_code = exit_code


BUSY_EXIT_CODE = 3


class BatchBusyError(LakeportError):
    """Another live process is processing the same batch id; this one wrote nothing."""

    code = ErrorCode.BATCH_BUSY
    exit_code = BUSY_EXIT_CODE


class SourceBusyError(LakeportError):
    """Another run or stream holds the source (or the batch id); nothing was ingested."""

    code = ErrorCode.SOURCE_BUSY
    exit_code = BUSY_EXIT_CODE
