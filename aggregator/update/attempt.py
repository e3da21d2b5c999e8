"""Fetching one source: its feed, or the feed that discovery finds on its homepage, parsed
(in a pool of processes when there is enough work). Runs in fetch threads; touches no store."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import (
    Executor,
    ProcessPoolExecutor,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace

from aggregator.errors import ParseError, SourceError
from aggregator.fetch.discovery import try_candidates
from aggregator.fetch.http import Fetcher
from aggregator.models import (
    Fetched,
    NotModified,
    ParsedFeed,
    Source,
)
from aggregator.parse import looks_like_html, parse_feed
from aggregator.settings import Settings
from aggregator.update.decide import (
    same_body,
)

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str, str | None], ParsedFeed]


#: Below this many due sources, parsing in the fetch threads beats starting processes.
PROCESS_POOL_THRESHOLD = 16


@dataclass(frozen=True)
class _FeedFetched:
    fetched: Fetched
    feed: ParsedFeed
    #: Set when the source's URL was a web page and discovery found this feed.
    discovered: str | None = None


@dataclass(frozen=True)
class Bug:
    """An unexpected exception while fetching or parsing: a fault here, not the source's.

    It is logged with its traceback and not recorded on the source, which keeps its state
    and is simply tried again next time.
    """

    url: str
    error: str


Attempt = _FeedFetched | NotModified | SourceError | Bug


@contextmanager
def parser_for(settings: Settings, due: int) -> Iterator[Parser]:
    """``parse_feed`` in a pool of processes when the work is big enough to pay for them."""
    processes = settings.fetch.parse_processes or os.cpu_count() or 1
    if processes <= 1 or due < PROCESS_POOL_THRESHOLD:
        yield parse_feed
        return
    pool = _LazyPool(processes)
    try:

        def parse_in_pool(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
            try:
                return pool.executor().submit(parse_feed, content, url, content_type).result()
            except BrokenProcessPool:
                # A worker died (killed, out of memory): the rest of the run parses here.
                return parse_feed(content, url, content_type)

        yield parse_in_pool
    finally:
        pool.shutdown()


class _LazyPool:
    """A process pool started by the first feed that needs parsing: a refresh whose
    feeds all answer 304 starts no process at all."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._executor: Executor | None = None
        self._lock = threading.Lock()

    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self._processes,
                    mp_context=_context(),
                    initializer=_end_with,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                # Waiting reaps the idle workers, so their CPU time is accounted to us.
                self._executor.shutdown(wait=True, cancel_futures=True)


#: How often a parse worker looks whether the process it parses for is still there.
PARENT_CHECK_SECONDS = 1.0


def _end_with(parent: int) -> None:
    """Make this parse worker end soon after the process it parses for is gone.

    A process killed outright (``kill -9``, the out-of-memory killer) cannot shut its
    pool down, and a worker would wait for work forever, and keep the fork server
    alive with it: both are left behind for good. The worker's parent is the fork
    server, not that process, so it watches the process by its id."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(parent, 0)
            except (ProcessLookupError, PermissionError):  # gone, or its id reused by another user
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: the workers do not inherit this process's threads and locks, and fork from
    # a server that has imported the parser once, so they start in milliseconds.
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(["aggregator.parse.feedparser"])
        return forkserver
    return multiprocessing.get_context("spawn")


def fetch_source(
    fetcher: Fetcher, source: Source, parse: Parser = parse_feed, rediscover: bool = False
) -> Attempt:
    """Fetch and parse one source; runs in a worker thread and touches no store.

    With ``rediscover``, the blog's homepage is searched for a feed first; when that finds
    none that works, the stored feed URL is fetched as usual.
    """
    url = source.feed_url or source.url
    try:
        if rediscover:
            found = _rediscover(fetcher, source, parse)
            if found is not None:
                return found
        result = fetcher.fetch(url, etag=source.etag, last_modified=source.last_modified)
        if isinstance(result, NotModified):
            return result
        if same_body(source.body_hash, result.body_hash):
            # The same bytes again: a server without validators; nothing to parse or write.
            return NotModified(
                url=result.url,
                status=result.status,
                headers=result.headers,
                permanent_url=result.permanent_url,
                etag=result.etag,
                last_modified=result.last_modified,
            )
        if looks_like_html(result.content):
            return _discover(fetcher, result, parse)
        content_type = result.headers.get("Content-Type")
        feed = parse(result.content, result.url, content_type)
        # The body is not needed past this point; keep only its hash.
        return _FeedFetched(replace(result, content=b"", digest=result.body_hash), feed)
    except SourceError as exc:
        return exc
    except Exception as exc:  # a bug must not stop the other sources, nor blame this one
        log.exception("source=%s bug (not recorded on the source)", url)
        return Bug(url, f"{type(exc).__name__}: {exc}")


def _rediscover(fetcher: Fetcher, source: Source, parse: Parser) -> _FeedFetched | None:
    try:
        page = fetcher.fetch(source.url)
    except SourceError:
        return None
    if not isinstance(page, Fetched) or not looks_like_html(page.content):
        return None
    found = _discover(fetcher, page, parse)
    if isinstance(found, _FeedFetched) and found.discovered != source.feed_url:
        log.info(
            "source=%s feed_moved_from=%s to=%s", source.url, source.feed_url, found.discovered
        )
        return found
    return None


def _discover(fetcher: Fetcher, page: Fetched, parse: Parser) -> Attempt:
    """The URL is a web page: find its feed through its links, then common paths."""
    html = page.content.decode("utf-8", errors="replace")
    tried = try_candidates(fetcher.fetch, html, page.url, parse, first=True)
    found = tried[-1] if tried else None
    if found is not None and found.fetched is not None and found.feed is not None:
        log.info("source=%s discovered=%s", page.url, found.fetched.url)
        return _FeedFetched(found.fetched, found.feed, discovered=found.fetched.url)
    paths = sum(1 for t in tried if t.origin == "path")
    return ParseError(
        f"{page.url}: is a web page, and no feed was found in its links "
        f"or at {paths} common feed paths"
    )
