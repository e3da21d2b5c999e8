"""The HTTP edge: one conditional GET with redirects, timeouts, limits and the SSRF guard.

Returns ``Fetched`` or ``NotModified``, or raises a ``FetchError`` whose
message names the URL and the cause. Redirects are followed here, hop by
hop, so that each hop is checked and a permanent move can be remembered.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import check_header_validity

from aggregator import __version__
from aggregator.errors import (
    AddressRefused,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    RedirectError,
    ResponseTooLarge,
)
from aggregator.fetch.ssrf import AddressPolicy, guarded_pool_classes
from aggregator.models import Fetched, FetchResult, NotModified
from aggregator.settings import FetchSettings

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
_CHUNK = 64 * 1024


def user_agent(site_url: str) -> str:
    """``aggregator/VERSION (+SITE_URL)``: publishers can see who fetches and why."""
    return f"aggregator/{__version__} (+{site_url})"


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: AddressPolicy, pool_size: int) -> None:
        self._policy = policy
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = guarded_pool_classes(self._policy)


class Fetcher:
    """Fetches URLs through one shared ``requests.Session``; safe to call from many threads."""

    def __init__(self, settings: FetchSettings, site_url: str) -> None:
        self.settings = settings
        self.policy = AddressPolicy.from_strings(settings.allow_networks)
        self.session = requests.Session()
        # Proxies from the environment would bypass the address check; feeds are fetched directly.
        self.session.trust_env = False
        self._adapter = _GuardedAdapter(self.policy, settings.workers)
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)
        self.session.headers.update({"User-Agent": user_agent(site_url), "Accept": ACCEPT})
        #: The session's headers as a plain dict, merged once rather than on every request.
        self._headers = {k: str(v) for k, v in self.session.headers.items()}
        self._hosts: defaultdict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(settings.per_host)
        )
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def close_idle(self) -> None:
        """Close the connections kept open for further requests. A refresh reuses them
        from one feed to the next on the same host; kept until the next refresh, many
        would be closed by then at the other end, and a request would fail on them."""
        for adapter in self.session.adapters.values():
            if isinstance(adapter, HTTPAdapter):
                adapter.poolmanager.clear()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET ``url``, conditionally when validators are known (RFC 9110 §13.1).

        ``max_bytes`` lowers the size limit for this call (an icon needs far less than a
        feed); ``accept`` replaces the feed-minded ``Accept`` header.
        """
        limit = min(max_bytes, self.settings.max_bytes) if max_bytes else self.settings.max_bytes
        headers = {"Accept": accept} if accept else {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        current = url
        permanent: str | None = None
        still_permanent = True
        seen = {url}
        for hop in range(MAX_REDIRECTS + 1):
            _check_scheme(current, url)
            with self._host_slot(current):
                result = self._exchange(current, headers, started, limit)
            if isinstance(result, tuple):
                status, location = result
                target = urljoin(current, location)
                if target in seen:
                    raise RedirectError(f"{url}: redirect loop at {target}")
                if hop == MAX_REDIRECTS:
                    raise RedirectError(f"{url}: more than {MAX_REDIRECTS} redirects")
                # Only an unbroken chain of permanent redirects moves the feed (RFC 9110 §15.4).
                still_permanent = still_permanent and status in _PERMANENT
                if still_permanent:
                    permanent = target
                seen.add(target)
                current = target
                continue
            # _exchange built it for this hop; the redirects are known only here.
            return replace(result, permanent_url=permanent)
        raise AssertionError("unreachable")

    def post_form(self, url: str, form: Mapping[str, str]) -> int:
        """POST ``form`` form-encoded to ``url`` (a WebSub hub); the status of a 2xx answer.

        The same guard as a fetch: http(s) only, the address check, the per-host
        slots, the timeouts and the size limit on the (discarded) answer. No
        redirect is followed; any answer but 2xx raises ``HTTPStatusError``.
        """
        _check_scheme(url, url)
        limits = self.settings
        started = time.monotonic()
        with (
            self._errors_named(url),
            self._host_slot(url),
            self.session.post(
                url,
                data=dict(form),
                headers={"Accept": "*/*"},
                timeout=(limits.connect_timeout, limits.read_timeout),
                stream=True,
                allow_redirects=False,
            ) as response,
        ):
            self._read_body(response.raw, url, started, limits.max_bytes)
            status = response.status_code
            if not 200 <= status < 300:
                raise HTTPStatusError(
                    f"{url}: HTTP {status} {response.reason or ''}".rstrip(), status
                )
            return status

    @contextmanager
    def _errors_named(self, url: str) -> Iterator[None]:
        """requests' and urllib3's exceptions as the fetch errors, each naming the URL;
        urllib3's are sorted as requests sorts them."""
        limits = self.settings

        def timed_out() -> FetchTimeout:
            return FetchTimeout(
                f"{url}: timed out (connect {limits.connect_timeout:g} s, "
                f"read {limits.read_timeout:g} s)"
            )

        try:
            yield
        except (requests.Timeout, urllib3.exceptions.ReadTimeoutError):
            raise timed_out() from None
        except urllib3.exceptions.MaxRetryError as exc:
            if _is_connect_timeout(exc.reason):
                raise timed_out() from None
            raise NetworkError(f"{url}: cannot connect: {_root_cause(exc)}") from None
        except (
            requests.ConnectionError,
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.ClosedPoolError,
        ) as exc:
            raise NetworkError(f"{url}: cannot connect: {_root_cause(exc)}") from None
        except AddressRefused as exc:
            raise AddressRefused(f"{url}: {exc}") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise FetchError(f"{url}: {_root_cause(exc)}") from None

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        """At most ``per_host`` requests to one host at a time, across all threads."""
        host = (urlsplit(url).hostname or "").lower()
        with self._hosts_lock:
            slot = self._hosts[host]
        with slot:
            yield

    def _exchange(
        self, url: str, headers: dict[str, str], started: float, max_bytes: int
    ) -> tuple[int, str] | Fetched | NotModified:
        """One request: a redirect (status, Location), a 304, or a body."""
        limits = self.settings
        remaining = limits.total_timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise FetchTimeout(f"{url}: took longer than {limits.total_timeout:g} s in total")
        timeout = urllib3.Timeout(
            connect=min(limits.connect_timeout, remaining),
            read=min(limits.read_timeout, remaining),
        )
        with self._errors_named(url), self._get(url, headers, timeout) as response:
            status = response.status
            if status in _REDIRECTS and response.headers.get("Location"):
                return status, response.headers["Location"]
            response_headers = dict(response.headers)
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
            if status == 304:
                response.release_conn()
                return NotModified(
                    url, headers=response_headers, etag=etag, last_modified=last_modified
                )
            if status >= 400:
                retry_after = response.headers.get("Retry-After") if status in (429, 503) else None
                raise HTTPStatusError(
                    f"{url}: HTTP {status} {response.reason or ''}".rstrip(),
                    status,
                    retry_after=retry_after,
                )
            if status != 200:
                raise HTTPStatusError(f"{url}: unexpected HTTP {status}", status)
            content = self._read_body(response, url, started, max_bytes)
            response.release_conn()
            return Fetched(url, status, content, response_headers, etag, last_modified)

    @contextmanager
    def _get(
        self, url: str, headers: dict[str, str], timeout: urllib3.Timeout
    ) -> Iterator[urllib3.BaseHTTPResponse]:
        """``session.get(url, stream=True, allow_redirects=False)``, sent straight to the
        adapter's connection pool: the same request (the URL as requests prepares it, the
        session's headers, the adapter's pools and TLS settings, no proxies, no retries),
        without a ``requests.Response`` built around urllib3's on every call, nor the cookie
        jar's bookkeeping (a feed fetcher keeps no cookies). A refresh sends one per feed."""
        request = requests.PreparedRequest()
        request.prepare_url(url, None)
        for header in headers.items():
            # Validators come from servers: one that cannot be sent is this source's fault.
            check_header_validity(header)
        pool = cast(
            urllib3.HTTPConnectionPool,
            self._adapter.get_connection_with_tls_context(request, True, None, None),
        )
        # As requests does before each send: the CA bundle it verifies against (certifi's).
        self._adapter.cert_verify(pool, request.url, True, None)  # type: ignore[no-untyped-call]
        response = pool.urlopen(
            "GET",
            request.path_url,
            headers={**self._headers, **headers},
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
            retries=self._adapter.max_retries,
            timeout=timeout,
        )
        try:
            yield response
        finally:
            if response.connection is not None:
                # Not read to its end (a redirect, an error): this connection cannot be reused.
                response.close()
                response.release_conn()

    def _read_body(
        self, response: urllib3.BaseHTTPResponse, url: str, started: float, max_bytes: int
    ) -> bytes:
        limits = self.settings
        declared = response.headers.get("Content-Length", "")
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        if declared.isdigit() and int(declared) > max_bytes and not encoded:
            raise ResponseTooLarge(
                f"{url}: response of {declared} bytes is over the limit of {max_bytes}"
            )
        chunks: list[bytes] = []
        size = 0
        try:
            # read1 returns after one receive, so a slow drip still meets the deadline below;
            # it yields decoded bytes, so a gzip bomb is cut off by the size count too.
            while chunk := response.read1(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLarge(
                        f"{url}: response larger than the limit of {max_bytes} bytes"
                    )
                if time.monotonic() - started > limits.total_timeout:
                    raise FetchTimeout(
                        f"{url}: took longer than {limits.total_timeout:g} s in total"
                    )
                chunks.append(chunk)
        except urllib3.exceptions.DecodeError as exc:
            raise FetchError(
                f"{url}: cannot decode the compressed body: {_root_cause(exc)}"
            ) from None
        except urllib3.exceptions.ReadTimeoutError:
            raise FetchTimeout(
                f"{url}: timed out reading (read {limits.read_timeout:g} s)"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise NetworkError(f"{url}: connection broken: {_root_cause(exc)}") from None
        return b"".join(chunks)


def _is_connect_timeout(reason: Exception | None) -> bool:
    # A refused connection is a ConnectTimeoutError too, in urllib3's hierarchy.
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def _check_scheme(url: str, requested: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        where = "" if url == requested else f" (redirected to {url})"
        raise RedirectError(f"{requested}: only http and https URLs are fetched{where}")


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
