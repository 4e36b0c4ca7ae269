"""The inlet's HTTP application (Starlette): ``POST /collection/<dataset>`` and ``GET /health``.

Order of the checks, each answered as ``{"error": {"code", "message"}, "requestId"}``: the bearer
token (401 ``INLET_AUTH_REQUIRED``, 403 ``INLET_AUTH_DENIED``), the dataset (400
``INVALID_NAME``, 404 ``NOT_FOUND``), the size (413 ``INLET_TOO_LARGE``), the body (400
``PARSE_MALFORMED_JSON`` / ``BATCH_NO_RECORDS``), with ``?syncValidation=true`` the records (400
``BATCH_ROW_ERRORS`` with ``records: [{index, errors}]``, nothing landed); then the write: 200
``{"requestId", "dataset", "records", "file"}`` once the records are durable, or 503
``INLET_UNAVAILABLE``.

Example:
    >>> app = create_app(Inlet(cfg))  # doctest: +SKIP
    >>> # curl -X POST localhost:8080/collection/people -d '{"id": "p1"}'
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lakeport.config.inlet import local_dir
from lakeport.errors import ErrorCode, InvalidNameError, LakeportError
from lakeport.inlet.envelope import InletError, landing_lines, records
from lakeport.inlet.landing import LandingLog, Recovered, recover, utc_ms
from lakeport.inlet.validation import Validator
from lakeport.inlet.writer import Stopped, Writer, WriterStats
from lakeport.sources.discovery import source_config
from lakeport.spec.names import SIMPLE_NAME, SIMPLE_NAME_RULE, check_name

if TYPE_CHECKING:
    from lakeport.config import Config

log = logging.getLogger(__name__)

_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")
# a body over the limit is still read (and dropped) up to this many times the limit, so that
# the client, which sends its whole body before it reads, sees the 413 and not a reset
_DRAIN_FACTOR = 8


class Inlet:
    """The inlet of one configuration: its landing logs, the writer thread, the validator."""

    def __init__(self, cfg: Config, *, validator: Validator | None = None) -> None:
        self.cfg = cfg
        settings = cfg.inlet
        self.token = settings.auth.token if settings.auth is not None else None
        self.logs = {
            name: LandingLog(
                local_dir(source_config(cfg, entry.source).location),
                rotate_bytes=settings.rotate_bytes,
                rotate_seconds=settings.rotate_seconds,
            )
            for name, entry in settings.datasets.items()
        }
        self.writer = Writer(self.logs, tick=min(0.1, settings.rotate_seconds / 4))
        self.validator = validator or Validator(cfg)
        self.recovered: list[Recovered] = []

    def start(self) -> None:
        """Land what a dead inlet left in every landing directory, then start the writer."""
        for landing in self.logs.values():
            self.recovered.extend(recover(landing.directory))
        self.writer.start()

    def stop(self) -> WriterStats:
        """Land everything acknowledged or queued and rotate every log."""
        stats = self.writer.stop()
        self.validator.close()
        return stats

    def authorize(self, header: str | None) -> None:
        """Raises InletError 401 (no or malformed header) or 403 (another token)."""
        if self.token is None:
            return
        scheme, _, given = (header or "").strip().partition(" ")
        if not header or scheme.lower() != "bearer" or not given.strip():
            raise InletError(
                HTTPStatus.UNAUTHORIZED,
                ErrorCode.INLET_AUTH_REQUIRED,
                "send 'Authorization: Bearer <token>'"
                + ("" if header else " (the request has no Authorization header)"),
            )
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            raise InletError(
                HTTPStatus.FORBIDDEN,
                ErrorCode.INLET_AUTH_DENIED,
                "the bearer token is not the inlet's token",
            )

    def dataset(self, name: str) -> str:
        """The dataset of the path, checked as a name and against ``inlet.datasets``."""
        try:
            check_name("dataset", name, SIMPLE_NAME, SIMPLE_NAME_RULE)
        except InvalidNameError as exc:
            raise InletError(HTTPStatus.BAD_REQUEST, exc.code, exc.message) from None
        if name not in self.logs:
            raise InletError(
                HTTPStatus.NOT_FOUND,
                ErrorCode.NOT_FOUND,
                f"dataset {name!r} takes no inlet records; this inlet takes: "
                f"{', '.join(self.logs) or '(none: add inlet.datasets to lakeport.yaml)'}",
            )
        return name


def _too_large(what: str, limit: int) -> InletError:
    return InletError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        ErrorCode.INLET_TOO_LARGE,
        f"{what} is over inlet.max_body_bytes ({limit}); nothing was landed",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or InletError 413 when it is (or says it is) longer than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    over = declared.isdigit() and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if over or size > limit:
            over = True
            if size > limit * _DRAIN_FACTOR:
                break
            continue
        chunks.append(chunk)
    if over:
        raise _too_large(f"the body ({declared or 'more than ' + str(limit)} bytes)", limit)
    return b"".join(chunks)


def _sync_flag(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise InletError(
        HTTPStatus.BAD_REQUEST, ErrorCode.USAGE, f"syncValidation={value!r}: use true or false"
    )


def create_app(inlet: Inlet) -> Starlette:
    """The Starlette application serving ``inlet``; its lifespan starts and stops the writer."""
    settings = inlet.cfg.inlet

    async def collect(request: Request) -> JSONResponse:
        request_id = f"{utc_ms()}-{secrets.token_hex(4)}"
        try:
            inlet.authorize(request.headers.get("authorization"))
            dataset = inlet.dataset(request.path_params["dataset"])
            sync = _sync_flag(request.query_params.get("syncValidation"))
            body = await read_body(request, settings.max_body_bytes)
            raws = records(body, max_record_bytes=settings.max_record_bytes)
            lines = landing_lines(raws, request_id)
            answer: dict[str, Any] = {"requestId": request_id, "dataset": dataset}
            if sync:
                try:
                    errors, warnings = await run_in_threadpool(
                        inlet.validator.check, dataset, lines
                    )
                except LakeportError:
                    raise
                except Exception as exc:
                    log.exception("inlet: synchronous validation failed")
                    raise InletError(
                        HTTPStatus.SERVICE_UNAVAILABLE,
                        ErrorCode.INLET_UNAVAILABLE,
                        f"synchronous validation could not run ({type(exc).__name__}); retry, "
                        "or send without syncValidation",
                    ) from exc
                if errors:
                    raise InletError(
                        HTTPStatus.BAD_REQUEST,
                        ErrorCode.BATCH_ROW_ERRORS,
                        f"{len(errors)} of {len(raws)} record(s) failed validation; nothing "
                        "was landed",
                        records=errors,
                    )
                if warnings:
                    answer["warnings"] = warnings
            try:
                future = inlet.writer.submit(dataset, lines, len(raws))
                answer["file"] = await asyncio.wrap_future(future)
            except (Stopped, OSError) as exc:
                raise InletError(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    ErrorCode.INLET_UNAVAILABLE,
                    f"the records could not be landed durably ({exc}); nothing was acknowledged",
                ) from exc
        except InletError as exc:
            headers = (
                {"WWW-Authenticate": 'Bearer realm="lakeport"'}
                if exc.status == HTTPStatus.UNAUTHORIZED
                else None
            )
            return JSONResponse(exc.body(request_id), status_code=exc.status, headers=headers)
        except LakeportError as exc:
            return JSONResponse(
                InletError(HTTPStatus.BAD_REQUEST, exc.code, exc.message).body(request_id),
                status_code=HTTPStatus.BAD_REQUEST,
            )
        answer["records"] = len(raws)
        return JSONResponse(answer)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = ErrorCode.NOT_FOUND if status == HTTPStatus.NOT_FOUND else ErrorCode.USAGE
        message = (
            "no such endpoint; POST records to /collection/<dataset>"
            if status in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED)
            else HTTPStatus(status).phrase
        )
        return JSONResponse({"error": {"code": str(code), "message": message}}, status_code=status)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        inlet.start()
        try:
            yield
        finally:
            await run_in_threadpool(inlet.stop)

    return Starlette(
        routes=[
            Route("/collection/{dataset}", collect, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
