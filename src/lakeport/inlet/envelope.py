"""The envelope of one inlet request: the body as records, checked, and the lines that land.

A body is one JSON object or a JSON array of objects, UTF-8. Records are never re-serialised:
each record's own text is what lands (numbers keep their digits, keys their order), on one line
(a raw CR or LF can only be white space between tokens in valid JSON, so it becomes a space),
with one field put first: ``"_lakeport_request": "<request id>:<index>/<count>"`` (``index``
0-based). That field reaches the error table in ``raw``, names the request and the record in it,
and lets recovery after a crash tell a whole request from a torn one.

Example:
    >>> records(b'[{"id": "a"}, {"id": "b", "n": 1.50}]', max_record_bytes=1000)
    ['{"id": "a"}', '{"id": "b", "n": 1.50}']
    >>> landing_lines(['{"id": "a"}'], "r1").decode()
    '{"_lakeport_request":"r1:0/1","id": "a"}\\n'
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from lakeport.errors import ErrorCode, LakeportError

REQUEST_FIELD = "_lakeport_request"
_WS = re.compile(r"[ \t\n\r]*")
_TAG = re.compile(rb'\{"' + REQUEST_FIELD.encode() + rb'":"([^":/]+):(\d+)/(\d+)"')


class InletError(LakeportError):
    """A request the inlet refuses: an HTTP status, a code, a message, per-record details."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        records: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.records = records or []

    def body(self, request_id: str | None) -> dict[str, Any]:
        """The JSON answer: ``{"error": {"code", "message"}, "requestId"[, "records"]}``."""
        out: dict[str, Any] = {"error": {"code": str(self.code), "message": self.message}}
        if request_id is not None:
            out["requestId"] = request_id
        if self.records:
            out["records"] = self.records
        return out


def malformed(message: str) -> InletError:
    return InletError(HTTPStatus.BAD_REQUEST, ErrorCode.PARSE_MALFORMED_JSON, message)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# numbers stay text: no float rounding, and no limit on the digits of an integer
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_int=str, parse_float=str)


def _decode(text: str, at: int, index: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except ValueError as exc:
        where = f"record {index}" if index >= 0 else "the body"
        raise malformed(f"{where} is not valid JSON at character {at}: {exc}") from None


def _checked(value: Any, raw: str, index: int, max_record_bytes: int) -> str:
    if not isinstance(value, dict):
        kinds = {"[": "an array", '"': "a string", "t": "a boolean", "f": "a boolean", "n": "null"}
        raise malformed(f"record {index} is {kinds.get(raw[:1], 'a number')}, not a JSON object")
    if REQUEST_FIELD in value:
        raise malformed(f"record {index} carries {REQUEST_FIELD!r}, a field the inlet reserves")
    if len(raw) > max_record_bytes // 4 and len(raw.encode("utf-8")) > max_record_bytes:
        raise InletError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            ErrorCode.INLET_TOO_LARGE,
            f"record {index} is {len(raw.encode('utf-8'))} bytes, over inlet.max_record_bytes "
            f"({max_record_bytes}); nothing was landed",
        )
    return raw


def records(body: bytes, *, max_record_bytes: int) -> list[str]:
    """The records of a body, each as its own JSON text.

    Raises:
        InletError: 400 ``PARSE_MALFORMED_JSON`` (not UTF-8, not JSON, an element that is not
            an object, the reserved field), 400 ``BATCH_NO_RECORDS`` (``[]`` or an empty body),
            413 ``INLET_TOO_LARGE`` (a record over ``max_record_bytes``).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed(f"the body is not UTF-8 (byte {exc.start}); send JSON as UTF-8") from None
    text = text.removeprefix("\ufeff")
    at = _WS.match(text, 0).end()  # type: ignore[union-attr]
    out: list[str] = []
    if at < len(text) and text[at] == "[":
        at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
        if at < len(text) and text[at] == "]":
            at += 1
        else:
            while True:
                value, end = _decode(text, at, len(out))
                out.append(_checked(value, text[at:end], len(out), max_record_bytes))
                at = _WS.match(text, end).end()  # type: ignore[union-attr]
                if at < len(text) and text[at] == ",":
                    at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
                    continue
                if at < len(text) and text[at] == "]":
                    at += 1
                    break
                raise malformed(
                    f"expected ',' or ']' after record {len(out) - 1} at character {at}"
                )
    elif at < len(text):
        value, end = _decode(text, at, -1)
        out.append(_checked(value, text[at:end], 0, max_record_bytes))
        at = end
    if _WS.match(text, at).end() != len(text):  # type: ignore[union-attr]
        raise malformed(f"unexpected text after the JSON value at character {at}")
    if not out:
        raise InletError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.BATCH_NO_RECORDS,
            "the body holds no records; send one JSON object or an array of objects",
        )
    return out


def tag(request_id: str, index: int, count: int) -> str:
    """The value of the request field: ``<request id>:<index>/<count>``."""
    return f"{request_id}:{index}/{count}"


def landing_lines(raws: list[str], request_id: str) -> bytes:
    """The request's records as JSON Lines, each with the request field first (UTF-8)."""
    count = len(raws)
    parts = []
    for index, raw in enumerate(raws):
        rest = raw[1:].replace("\r", " ").replace("\n", " ")
        sep = "" if rest.lstrip().startswith("}") else ","
        parts.append(f'{{"{REQUEST_FIELD}":"{tag(request_id, index, count)}"{sep}{rest}\n')
    return "".join(parts).encode("utf-8")


def parse_tag(line: bytes) -> tuple[str, int, int] | None:
    """``(request id, index, count)`` of a landed line, or None when it does not start with one."""
    match = _TAG.match(line)
    if match is None:
        return None
    return match.group(1).decode("ascii", "replace"), int(match.group(2)), int(match.group(3))
