"""Where the lake's tables and a source's files are, for readers without a JVM.

A lake root is a local path (``./lake``, ``/data/lake``, ``file:/data/lake``) or an ``s3a://``
URI. delta-rs calls the latter ``s3://`` and takes the same settings lakeport gives Hadoop's S3A
(the ``AWS_*`` environment, :func:`lakeport.session.s3_env_conf`, and ``spark.hadoop.fs.s3a.*``
keys of ``spark.conf``, which win); any other scheme, or an S3A setting this module does not
know, is :class:`Unavailable` and the caller takes the Spark path.

Listing follows Hadoop: a path is qualified as ``file:/abs/path`` or ``s3a://bucket/key``, a glob
is matched one path component at a time (``*``, ``?``, ``[ab]``, ``[^a]``, ``{a,b}``, ``\\``),
modification times are epoch milliseconds, sizes bytes.

Example:
    >>> Store.of("/data/lake", {}).table_uri("/data/lake/system/batches")
    '/data/lake/system/batches'
    >>> glob_regex("2026-*.{json,jsonl}").pattern
    '2026\\\\-[^/]*\\\\.(?:json|jsonl)'
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from lakeport.lake.fs import FileInfo


class Unavailable(Exception):
    """The read-only path cannot answer this (the caller takes the Spark path)."""


# the fs.s3a.* keys whose meaning is mapped; any other one set in spark.conf means "ask Spark"
_S3A_KEYS = {
    "endpoint",
    "path.style.access",
    "connection.ssl.enabled",
    "endpoint.region",
    "access.key",
    "secret.key",
    "session.token",
    "impl",
}


def _s3a_settings(spark_conf: dict[str, Any]) -> dict[str, str]:
    from lakeport.session import s3_env_conf

    prefix = "spark.hadoop.fs.s3a."
    out = {k[len(prefix) :]: v for k, v in s3_env_conf().items() if k.startswith(prefix)}
    for key, value in spark_conf.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            if name not in _S3A_KEYS:
                raise Unavailable(f"spark.conf sets {key}, which only Hadoop's S3A understands")
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


@dataclass(frozen=True)
class Store:
    """One lake's storage: local, or S3 with the options delta-rs and pyarrow need."""

    scheme: str  # "file" or "s3a"
    options: dict[str, str] = field(default_factory=dict)  # delta-rs storage_options

    @classmethod
    def of(cls, root: str, spark_conf: dict[str, Any]) -> Store:
        """The store of a lake root (raises Unavailable for anything but local and s3a://)."""
        if root.startswith("s3a://"):
            return cls("s3a", _s3_options(_s3a_settings(spark_conf)))
        if "://" in root and not root.startswith("file:"):
            raise Unavailable(f"{root.split('://', 1)[0]}:// is read through Hadoop only")
        return cls("file")

    def table_uri(self, path: str) -> str:
        """The URI delta-rs opens for a table path of the lake."""
        if self.scheme == "s3a":
            return "s3://" + path[len("s3a://") :]
        return local_path(path)

    def exists_table(self, path: str) -> bool:
        """Is there a Delta table at ``path`` (a ``_delta_log`` with a commit or checkpoint)?

        No ``_delta_log`` (or an empty one on S3) is no table; a log without an entry this
        module recognises is Unavailable (Spark decides), never "no table".
        """
        names = self.names(path.rstrip("/") + "/_delta_log")
        if not names:
            if self.scheme == "file" and os.path.isdir(local_path(path) + "/_delta_log"):
                raise Unavailable(f"{path}/_delta_log is empty")
            return False
        if not any(_LOG_ENTRY.match(n) for n in names):
            raise Unavailable(f"{path}/_delta_log holds no commit this reader recognises")
        return True

    def names(self, directory: str) -> list[str]:
        """The entry names right below a directory (none when it does not exist)."""
        if self.scheme == "file":
            try:
                return os.listdir(local_path(directory))
            except (FileNotFoundError, NotADirectoryError):
                return []
        return [name for name, _ in self._s3_list(directory)]

    # ------------------------------------------------------------------------------ listing

    def list_files(self, pattern: str) -> list[FileInfo]:
        """What :func:`lakeport.lake.fs.list_files` lists for one pattern (none when no match)."""
        base = "file:" + local_path(pattern) if self.scheme == "file" else pattern
        head, parts = _split(base, self.scheme)
        matches = self._glob(head, parts)
        out: dict[str, FileInfo] = {}
        for path, is_dir, info in matches:
            if is_dir:
                for name, child in self._children(path):
                    if child is not None and not name.startswith((".", "_")):
                        out[child.path] = child
            elif info is not None and not path.rsplit("/", 1)[-1].startswith((".", "_")):
                out[path] = info
        return [out[k] for k in sorted(out)]

    def _glob(self, head: str, parts: list[str]) -> list[tuple[str, bool, FileInfo | None]]:
        """(qualified path, is a directory, file info) of every match of ``head/parts``."""
        current: list[str] = [head]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: list[str] = []
            if not has_glob(part):
                nxt = [f"{c.rstrip('/')}/{unescape(part)}" for c in current]
            else:
                regex = glob_regex(part)
                for c in current:
                    for name, child in self._children(c):
                        if regex.fullmatch(name) and (last or child is None):
                            nxt.append(f"{c.rstrip('/')}/{name}")
            current = nxt
        found = []
        for path in current:
            kind = self._stat(path)
            if kind is not None:
                found.append((path, kind[0], kind[1]))
        return found

    def _children(self, directory: str) -> list[tuple[str, FileInfo | None]]:
        """(name, FileInfo or None for a directory) below ``directory``."""
        if self.scheme == "file":
            base = local_path(directory)
            out: list[tuple[str, FileInfo | None]] = []
            try:
                names = sorted(os.listdir(base))
            except (FileNotFoundError, NotADirectoryError):
                return []
            for name in names:
                try:
                    st = os.stat(os.path.join(base, name))
                except OSError:  # gone since the listing, or a dangling link: Hadoop skips it
                    continue
                if stat.S_ISDIR(st.st_mode):
                    out.append((name, None))
                else:
                    path = f"{directory.rstrip('/')}/{name}"
                    out.append((name, FileInfo(path, st.st_size, st.st_mtime_ns // 1_000_000)))
            return out
        return self._s3_list(directory)

    def _stat(self, path: str) -> tuple[bool, FileInfo | None] | None:
        if self.scheme == "file":
            try:
                st = os.stat(local_path(path))
            except (FileNotFoundError, NotADirectoryError):
                return None
            if stat.S_ISDIR(st.st_mode):
                return True, None
            return False, FileInfo(path, st.st_size, st.st_mtime_ns // 1_000_000)
        from pyarrow import fs as pafs

        info = self._s3().get_file_info(path[len("s3a://") :])
        if info.type == pafs.FileType.NotFound:
            return None
        if info.type == pafs.FileType.Directory:
            return True, None
        return False, FileInfo(path, int(info.size), _millis(info.mtime))

    def _s3_list(self, directory: str) -> list[tuple[str, FileInfo | None]]:
        from pyarrow import fs as pafs

        key = directory[len("s3a://") :].rstrip("/")
        selector = pafs.FileSelector(key, allow_not_found=True, recursive=False)
        out: list[tuple[str, FileInfo | None]] = []
        for info in self._s3().get_file_info(selector):
            name = info.path.rstrip("/").rsplit("/", 1)[-1]
            if info.type == pafs.FileType.Directory:
                out.append((name, None))
            else:
                path = f"s3a://{key}/{name}"
                out.append((name, FileInfo(path, int(info.size), _millis(info.mtime))))
        return sorted(out, key=lambda e: e[0])

    def _s3(self) -> Any:
        cached = _S3_CACHE.get(tuple(sorted(self.options.items())))
        if cached is not None:
            return cached
        from pyarrow import fs as pafs

        o = self.options
        endpoint = o.get("AWS_ENDPOINT_URL")
        kwargs: dict[str, Any] = {"region": o.get("AWS_REGION") or "us-east-1"}
        if endpoint:
            scheme, _, host = endpoint.partition("://")
            kwargs.update(endpoint_override=host.rstrip("/"), scheme=scheme)
            kwargs["force_virtual_addressing"] = o.get("AWS_VIRTUAL_HOSTED_STYLE_REQUEST") == "true"
        for env, arg in (
            ("AWS_ACCESS_KEY_ID", "access_key"),
            ("AWS_SECRET_ACCESS_KEY", "secret_key"),
            ("AWS_SESSION_TOKEN", "session_token"),
        ):
            if o.get(env):
                kwargs[arg] = o[env]
        fs = pafs.S3FileSystem(**kwargs)
        _S3_CACHE[tuple(sorted(self.options.items()))] = fs
        return fs


_S3_CACHE: dict[tuple[tuple[str, str], ...], Any] = {}
_LOG_ENTRY = re.compile(r"^\d{20}\.(json|checkpoint\..+)$")


def _s3_options(s3a: dict[str, str]) -> dict[str, str]:
    """delta-rs storage options from S3A settings (credentials from the environment too)."""
    out: dict[str, str] = {}
    endpoint = s3a.get("endpoint")
    if endpoint:
        ssl = s3a.get("connection.ssl.enabled", "true") != "false"
        if "://" not in endpoint:
            endpoint = ("https://" if ssl else "http://") + endpoint
        out["AWS_ENDPOINT_URL"] = endpoint
        if endpoint.startswith("http://"):
            out["AWS_ALLOW_HTTP"] = "true"
        style = s3a.get("path.style.access", "false") == "true"
        out["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] = "false" if style else "true"
    region = s3a.get("endpoint.region") or os.environ.get("AWS_REGION")
    region = region or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        out["AWS_REGION"] = region
    for name, env in (
        ("access.key", "AWS_ACCESS_KEY_ID"),
        ("secret.key", "AWS_SECRET_ACCESS_KEY"),
        ("session.token", "AWS_SESSION_TOKEN"),
    ):
        value = s3a.get(name) or os.environ.get(env)
        if value:
            out[env] = value
    return out


def _millis(mtime: Any) -> int:
    from datetime import datetime, timedelta, timezone

    if mtime is None:
        raise Unavailable("the object store gave no modification time")
    if mtime.tzinfo is None:
        mtime = mtime.replace(tzinfo=timezone.utc)
    return (mtime - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


def local_path(path: str) -> str:
    """An absolute local path as Hadoop qualifies it (``file:`` URIs and relative paths too)."""
    if path.startswith("file:"):
        path = re.sub(r"^file:(//)?", "", path)
        if not path.startswith("/"):
            path = "/" + path
    return os.path.normpath(os.path.abspath(path))


def _split(pattern: str, scheme: str) -> tuple[str, list[str]]:
    """(the part before the first glob component, the components from there on)."""
    if scheme == "file":
        rest = pattern[len("file:") :]
        head = "file:"
    else:
        bucket, _, rest = pattern[len("s3a://") :].partition("/")
        head = f"s3a://{bucket}"
    parts = [p for p in rest.split("/") if p]
    if any("{" in p and "}" not in p for p in parts):
        raise Unavailable("a brace group spans path components")
    return head.rstrip("/") if scheme == "s3a" else "file:", parts


def has_glob(part: str) -> bool:
    return any(c in part for c in "*?[{\\")


def unescape(part: str) -> str:
    return re.sub(r"\\(.)", r"\1", part)


def glob_regex(part: str) -> re.Pattern[str]:
    """Hadoop's GlobPattern for one path component, as a Python regex."""
    out: list[str] = []
    i, depth = 0, 0
    while i < len(part):
        c = part[i]
        if c == "\\" and i + 1 < len(part):
            out.append(re.escape(part[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = part.find("]", i + 2 if part[i + 1 : i + 2] in ("^", "!") else i + 1)
            if end < 0:
                raise Unavailable(f"unclosed [ in glob {part!r}")
            body = part[i + 1 : end]
            if body[:1] in ("^", "!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise Unavailable(f"unclosed {{ in glob {part!r}")
    return re.compile("".join(out))
