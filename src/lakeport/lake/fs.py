"""Filesystem operations through Hadoop's FileSystem API, so local paths and ``s3a://``/``abfss://``/
``hdfs://`` URIs behave the same. Only metadata and small heads of files cross to the driver.

Example:
    >>> files = list_files(spark, ["landing/*.jsonl"])  # doctest: +SKIP
    >>> head(spark, files[0].path, 4096)            # decompressed when the name ends in .gz  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class FileInfo:
    """One input file: its qualified path, size in bytes and modification time (epoch millis)."""

    path: str
    size: int
    mtime: int


def _jvm(spark: SparkSession) -> Any:
    return spark.sparkContext._jvm


def _conf(spark: SparkSession) -> Any:
    return spark.sparkContext._jsc.hadoopConfiguration()


def _path(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jpath = _jvm(spark).org.apache.hadoop.fs.Path(path)
    return jpath, jpath.getFileSystem(_conf(spark))


def qualify(spark: SparkSession, path: str) -> str:
    """The fully qualified URI of ``path`` (``file:/...`` for local paths)."""
    jpath, fs = _path(spark, path)
    return str(fs.makeQualified(jpath).toString())


def special_kind(path: str) -> str | None:
    """What a local file is when it is not a regular file (``symbolic link``, ``FIFO``, ...).

    None for a regular local file and for every non-local URI (object stores hold no links or
    pipes). A FIFO would hang the reader, a link would read whatever it points to.
    """
    import os
    import stat
    from urllib.parse import urlsplit

    u = urlsplit(path)
    if u.scheme not in ("", "file"):
        return None
    try:
        mode = os.lstat(u.path).st_mode
    except OSError:
        return None  # gone or unreadable: the reader reports it with its own code
    for test, kind in (
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return kind
    return None


def exists(spark: SparkSession, path: str) -> bool:
    jpath, fs = _path(spark, path)
    return bool(fs.exists(jpath))


def list_files(spark: SparkSession, patterns: list[str]) -> list[FileInfo]:
    """Expand files, directories (their visible files, not recursive) and globs, in sorted order.

    Raises:
        FileNotFoundError: naming the first pattern that matches nothing.
    """
    out: dict[str, FileInfo] = {}
    for pattern in patterns:
        jpath, fs = _path(spark, pattern)
        statuses = fs.globStatus(jpath)
        if statuses is None or len(statuses) == 0:
            raise FileNotFoundError(pattern)
        for status in statuses:
            children = fs.listStatus(status.getPath()) if status.isDirectory() else [status]
            for child in children:
                name = child.getPath().getName()
                if child.isDirectory() or name.startswith((".", "_")):
                    continue
                path = str(child.getPath().toString())
                out[path] = FileInfo(path, int(child.getLen()), int(child.getModificationTime()))
    return [out[k] for k in sorted(out)]


def head(spark: SparkSession, path: str, nbytes: int) -> bytes:
    """Up to ``nbytes`` bytes from the start of a file, decompressed if its codec is known (.gz).

    Raises:
        OSError: when the file cannot be opened or decompressed (the JVM's message inside).
    """
    jvm = _jvm(spark)
    jpath, fs = _path(spark, path)
    stream = fs.open(jpath)
    try:
        codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(_conf(spark)).getCodec(
            jpath
        )
        if codec is not None:
            stream = codec.createInputStream(stream)
        # InputStream.readNBytes reads at most n bytes (IOUtils.copyBytes with an int picks the
        # overload that copies the whole stream)
        return bytes(stream.readNBytes(nbytes))
    except Exception as exc:
        raise OSError(jvm_message(exc)) from exc
    finally:
        stream.close()


def jvm_message(exc: BaseException) -> str:
    """The Java exception's own one-line message (py4j's wrapper text says nothing useful)."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            cause = java
            while cause.getCause() is not None:
                cause = cause.getCause()
            return str(cause.toString())
        except Exception:  # the gateway may be gone; fall back to Python's text
            pass
    text = str(exc).strip()
    for line in text.splitlines():
        if "Exception" in line or "Error" in line:
            return line.strip()
    return text.splitlines()[0] if text else type(exc).__name__


def subdirectories(spark: SparkSession, path: str) -> list[str]:
    """Names of the visible directories right below ``path`` (none when it does not exist)."""
    jpath, fs = _path(spark, path)
    if not fs.exists(jpath):
        return []
    return sorted(
        str(s.getPath().getName())
        for s in fs.listStatus(jpath)
        if s.isDirectory() and not s.getPath().getName().startswith(("_", "."))
    )


def mkdirs(spark: SparkSession, path: str) -> None:
    jpath, fs = _path(spark, path)
    fs.mkdirs(jpath)


def copy(spark: SparkSession, src: str, dst: str) -> None:
    """Copy one file (any filesystem to any filesystem)."""
    jvm = _jvm(spark)
    sp, sfs = _path(spark, src)
    dp, dfs = _path(spark, dst)
    if not jvm.org.apache.hadoop.fs.FileUtil.copy(sfs, sp, dfs, dp, False, True, _conf(spark)):
        raise OSError(f"copy {src} -> {dst} failed")


def inside(path: str, owner: str) -> bool:
    """True when ``path`` lies strictly below the directory ``owner`` (both already qualified).

    Both are normalised (``.`` and ``..`` segments resolved) before the prefix test, so
    ``<owner>/../datasets`` and ``<owner>/.`` are not inside ``<owner>``.
    """
    import posixpath
    from urllib.parse import urlsplit

    def parts(p: str) -> tuple[str, str, str]:
        u = urlsplit(p)
        return u.scheme, u.netloc, posixpath.normpath(u.path or "/")

    scheme, host, below = parts(path)
    o_scheme, o_host, top = parts(owner)
    if (scheme, host) != (o_scheme, o_host) or below == top:
        return False
    return below.startswith(top.rstrip("/") + "/")


def delete(spark: SparkSession, path: str, *, within: str, recursive: bool = True) -> None:
    """Delete ``path``, which must lie strictly below the directory ``within`` that owns it.

    The one way lakeport deletes files: a path built from a bad name (``staging/..``) is
    refused instead of deleting what its parent holds.

    Raises:
        ValueError: ``path`` is not strictly inside ``within``.
    """
    full, owner = qualify(spark, path), qualify(spark, within)
    if not inside(full, owner):
        raise ValueError(f"refusing to delete {full}: it is not inside {owner}")
    jpath, fs = _path(spark, full)
    fs.delete(jpath, recursive)


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write a small text file (overwriting)."""
    jpath, fs = _path(spark, path)
    out = fs.create(jpath, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()
