"""The HTTP edge: one conditional GET with timeouts and a size limit.

Returns ``Fetched`` or ``NotModified``, or raises a ``FetchError`` whose
message names the URL and the cause.
"""

from __future__ import annotations

import re
import time

import requests
from requests.adapters import HTTPAdapter

from aggregator import __version__
from aggregator.errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    ResponseTooLarge,
)
from aggregator.models import Fetched, FetchResult, NotModified
from aggregator.settings import FetchSettings

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)
_CHUNK = 64 * 1024


def user_agent(site_url: str) -> str:
    """``aggregator/VERSION (+SITE_URL)``: publishers can see who fetches and why."""
    return f"aggregator/{__version__} (+{site_url})"


class Fetcher:
    """Fetches URLs through one shared ``requests.Session``; safe to call from many threads."""

    def __init__(self, settings: FetchSettings, site_url: str) -> None:
        self.settings = settings
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=settings.workers, pool_maxsize=settings.workers)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": user_agent(site_url), "Accept": ACCEPT})
        self.session.max_redirects = 5

    def close(self) -> None:
        self.session.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``, conditionally when validators are known (RFC 9110 §13.1)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limits = self.settings
        started = time.monotonic()
        try:
            with self.session.get(
                url,
                headers=headers,
                timeout=(limits.connect_timeout, limits.read_timeout),
                stream=True,
            ) as response:
                if response.status_code == 304:
                    return NotModified(url=response.url, status=304)
                if response.status_code >= 400:
                    reason = response.reason or ""
                    raise HTTPStatusError(
                        f"{url}: HTTP {response.status_code} {reason}".rstrip(),
                        response.status_code,
                    )
                content = self._read_body(response, url, started)
                return Fetched(
                    url=response.url,
                    status=response.status_code,
                    content=content,
                    headers=dict(response.headers),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except requests.Timeout:
            raise FetchTimeout(
                f"{url}: timed out (connect {limits.connect_timeout:g} s, "
                f"read {limits.read_timeout:g} s)"
            ) from None
        except requests.TooManyRedirects:
            raise FetchError(f"{url}: too many redirects (more than 5)") from None
        except requests.ConnectionError as exc:
            raise NetworkError(f"{url}: cannot connect: {_root_cause(exc)}") from None
        except requests.RequestException as exc:
            raise FetchError(f"{url}: {_root_cause(exc)}") from None

    def _read_body(self, response: requests.Response, url: str, started: float) -> bytes:
        limits = self.settings
        chunks: list[bytes] = []
        size = 0
        # iter_content yields decoded bytes, so a gzip bomb is cut off by this count too.
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limits.max_bytes:
                raise ResponseTooLarge(
                    f"{url}: response larger than the limit of {limits.max_bytes} bytes"
                )
            if time.monotonic() - started > limits.total_timeout:
                raise FetchTimeout(f"{url}: took longer than {limits.total_timeout:g} s in total")
            chunks.append(chunk)
        return b"".join(chunks)


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, which is the one a user can act on."""
    seen = exc
    while True:
        inner = seen.__cause__ or seen.__context__
        if inner is None and seen.args and isinstance(seen.args[0], BaseException):
            inner = seen.args[0]
        if inner is None or inner is seen:
            break
        seen = inner
        reason = getattr(seen, "reason", None)
        if isinstance(reason, BaseException):
            seen = reason
    text = str(seen).strip() or type(seen).__name__
    text = re.sub(r"^\[Errno -?\d+\] ", "", text)
    # urllib3 prefixes its own repr; keep the human part.
    if "): " in text and text.startswith("<"):
        text = text.split("): ", 1)[1]
    return text
