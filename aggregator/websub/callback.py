"""Subscriber side of WebSub, the callback: what ``/websub/TOKEN`` answers a hub.

A verification (``GET``) is echoed only for a topic and mode we asked for (W3C WebSub
§5.3); pushed content (``POST``) is stored only when ``X-Hub-Signature`` is the HMAC of
the body with that subscription's secret (§8), and then goes through the same recording
as a fetched feed (``update.record.Recorder``): parse, decide, store. A push with a bad
signature is acknowledged with the same 202 and dropped, as the spec asks, so a forger
learns nothing; an unknown callback is a 404.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from aggregator.errors import AggregatorError, ParseError
from aggregator.models import Fetched
from aggregator.parse import parse_feed
from aggregator.settings import Settings
from aggregator.store import Store
from aggregator.update.attempt import _FeedFetched
from aggregator.update.record import Recorder, schedule_of
from aggregator.websub.subscriber import check_verification, valid_signature

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to a hub: status line and plain-text body."""

    status: str
    body: str = ""


NOT_FOUND = Answer("404 Not Found", "not found\n")
ACCEPTED = Answer("202 Accepted")


class Callback:
    """Answers hubs at ``/websub/TOKEN``; safe to call from the server's threads."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], datetime],
        *,
        verified: Callable[[], None],
        stored: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        #: Called after a hub verified a subscription (the upkeep then knows its lease).
        self.verified = verified
        #: Called after a push stored new or changed entries (the site is then rebuilt).
        self.stored = stored
        #: A pushed body is capped like a fetched one.
        self.max_bytes = settings.fetch.max_bytes

    def verify(self, token: str, query: Mapping[str, str]) -> Answer:
        """A hub's verification of intent, or its refusal."""
        sub = self.store.subscription_by_token(token)
        now = self.clock()
        decided = check_verification(sub, query, now)
        if sub is None or decided.action == "not_found":
            log.warning(
                "websub verification refused token_known=%s mode=%s topic=%s",
                sub is not None,
                query.get("hub.mode"),
                query.get("hub.topic"),
            )
            return NOT_FOUND
        if decided.action == "denied":
            self.store.subscription_denied(sub.id, decided.reason, now)
            log.warning(
                "websub denied hub=%s topic=%s reason=%s", sub.hub, sub.topic, decided.reason
            )
            return Answer("200 OK")
        if decided.action == "unsubscribe":
            self.store.forget_subscription(sub.id)
            log.info("websub unsubscribed hub=%s topic=%s", sub.hub, sub.topic)
        else:
            assert decided.lease_until is not None and decided.lease_seconds is not None
            self.store.subscription_verified(
                sub.id, decided.lease_until, decided.lease_seconds, now
            )
            log.info(
                "websub verified hub=%s topic=%s lease_until=%s",
                sub.hub,
                sub.topic,
                decided.lease_until.isoformat(timespec="seconds"),
            )
        self.verified()
        return Answer("200 OK", decided.challenge)

    def push(
        self, token: str, body: bytes, signature: str | None, content_type: str | None
    ) -> Answer:
        """Content a hub distributes: stored when signed with the subscription's secret."""
        sub = self.store.subscription_by_token(token)
        if sub is None:
            return NOT_FOUND
        if not valid_signature(sub.secret, body, signature):
            log.warning("websub push ignored hub=%s topic=%s reason=signature", sub.hub, sub.topic)
            return ACCEPTED
        if sub.state != "active":
            log.info("websub push ignored hub=%s topic=%s state=%s", sub.hub, sub.topic, sub.state)
            return ACCEPTED
        sources = self.store.list_sources(include_retired=True, ids=[sub.source_id])
        if not sources or not sources[0].active:
            return ACCEPTED
        source = sources[0]
        try:
            feed = parse_feed(body, sub.topic, content_type)
        except ParseError as exc:
            log.warning("websub push ignored hub=%s topic=%s error=%s", sub.hub, sub.topic, exc)
            return ACCEPTED
        # A push may carry only the new entries: the hubs and self URL stay those polling saw.
        feed = replace(feed, hubs=source.hubs, self_url=source.self_url)
        # The validators stay those of the last poll: the publisher's copy is what they name.
        fetched = Fetched(
            url=source.feed_url or source.url,
            status=200,
            content=b"",
            headers={"Content-Type": content_type} if content_type else {},
            etag=source.etag,
            last_modified=source.last_modified,
            digest=hashlib.sha256(body).hexdigest(),
        )
        content = self.settings.content
        recorder = Recorder(
            self.store, schedule_of(self.settings), random.Random(), content.clamp_future_dates
        )
        try:
            outcome = recorder.record(source, _FeedFetched(fetched, feed), self.clock())
        except AggregatorError as exc:
            log.error("websub push not stored hub=%s topic=%s error=%s", sub.hub, sub.topic, exc)
            return Answer("503 Service Unavailable", "try again later\n")
        log.info(
            "websub push stored hub=%s topic=%s new=%d updated=%d",
            sub.hub,
            sub.topic,
            outcome.new,
            outcome.updated,
        )
        if outcome.new or outcome.updated:
            self.stored()
        return ACCEPTED
