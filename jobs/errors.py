"""The one exception hierarchy of lakeport.

Every message is written for the person who has to fix their YAML, their data or their command:
what is wrong, where, and what to do. The CLI maps each class to an exit code.
"""

from __future__ import annotations

from collections.abc import Sequence


class LakeportError(Exception):
    """Base class of every error lakeport raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, code: str = "LAKEPORT_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ConfigError(LakeportError):
    """Configuration, schema or mapping YAML is invalid; carries one line per problem."""

    exit_code = 2

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems), code="CONFIG_INVALID")


class UsageError(LakeportError):
    """The command line asks for something that cannot be done (unknown dataset, bad flag)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, code="USAGE")


class InvalidNameError(UsageError):
    """A name that becomes a path (batch id, source, policy, export time) is not allowed."""

    def __init__(self, message: str) -> None:
        LakeportError.__init__(self, message, code="INVALID_NAME")


class SetupError(LakeportError):
    """The environment is not ready: Java missing, Delta jars absent, Spark failed to start."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, code="SETUP")


class BatchError(LakeportError):
    """A batch failed as a whole (batch-level error or error threshold exceeded).

    The target dataset is unchanged; the batch catalog records the failure and its reason.
    """

    exit_code = 1

    def __init__(self, message: str, *, code: str, batch_id: str | None = None) -> None:
        super().__init__(message, code=code)
        self.batch_id = batch_id


class BatchStateError(LakeportError):
    """An illegal batch lifecycle transition (complete an aborted batch, upload into a finished one)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, code="BATCH_ILLEGAL_TRANSITION")


class NotFoundError(LakeportError):
    """A batch, dataset or profile that was asked for does not exist."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message, code="NOT_FOUND")
