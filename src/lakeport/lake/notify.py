"""Ingestion-event webhooks: POST each event as JSON with an HMAC-SHA256 signature.

Delivery happens after the batch's commit and catalog row, retries with exponential backoff, and
never raises: a webhook that is down is logged, the batch stays as it is, and the event is still in
``system/events`` for anyone who polls. A webhook URL is a credential (tokens travel in its path,
query or user info), so log lines show only its scheme, host and port: ``https://hooks.example.com/…``.

The receiver checks ``X-Lakeport-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body with
the shared secret (from the environment variable named by ``events.webhook.secret_env``).

Example:
    >>> deliver("https://hooks.example.com/lakeport", "s3cret", {"eventType": "ing_load_success"})  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Lakeport-Signature"
EVENT_HEADER = "X-Lakeport-Event"


def shown_url(url: str) -> str:
    """The URL as log lines show it: scheme, host and port; no user info, path or query.

    Example:
        >>> shown_url("https://user:pw@hooks.example.com:8443/T0/B1/s3cret?sig=x")
        'https://hooks.example.com:8443/…'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(a webhook URL that does not parse)"
    host = f"[{host}]" if ":" in host else host
    rest = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def deliver(
    url: str,
    secret: str | None,
    payload: dict[str, Any],
    *,
    attempts: int = 4,
    timeout: float = 5.0,
    backoff: float = 0.5,
) -> bool:
    """POST ``payload``; retry network errors and 5xx/429 answers with backoff. Never raises.

    Returns:
        True when the receiver answered 2xx.
    """
    body = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "lakeport",
        EVENT_HEADER: str(payload.get("eventType", "")),
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    shown = shown_url(url)
    for attempt in range(1, attempts + 1):
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if 200 <= response.status < 300:
                    return True
                reason = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                log.warning(
                    "webhook %s refused event %s (%s); not retrying",
                    shown,
                    payload.get("eventId"),
                    reason,
                )
                return False
        except (http.client.InvalidURL, ValueError) as exc:  # their text quotes the URL: not logged
            log.warning(
                "webhook %s cannot take event %s: not a valid URL (%s; a control character or "
                "white space in it?); not retrying",
                shown,
                payload.get("eventId"),
                type(exc).__name__,
            )
            return False
        except (urllib.error.URLError, OSError) as exc:
            reason = str(getattr(exc, "reason", exc))
        except http.client.HTTPException as exc:  # a malformed answer
            reason = type(exc).__name__
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    log.warning(
        "webhook %s did not take event %s after %d attempts (%s); the event is in system/events",
        shown,
        payload.get("eventId"),
        attempts,
        reason,
    )
    return False
