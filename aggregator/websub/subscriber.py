"""Subscriber side of WebSub, the pure part: what to subscribe, renew, end or forget, and
whether a hub's verification or push is one we asked for.

Nothing here does I/O or reads the clock (W3C WebSub, https://www.w3.org/TR/websub/).
``websub.upkeep`` sends what ``decide_upkeep`` returns; ``websub.callback`` answers hubs
with ``check_verification`` and ``valid_signature``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from aggregator.models import Source, Subscription

#: A hub that accepted a request but never verified it is asked again after this.
VERIFY_WAIT = timedelta(hours=1)
#: A hub that refused a subscription is asked again after this.
DENIED_RETRY = timedelta(days=1)
#: Renew with a tenth of the lease left, or a day, whichever is more; but never with more
#: than half of it left, so a short lease is not renewed over and over.
RENEW_SHARE = 0.1
RENEW_DAY = timedelta(days=1)
#: The digests a hub may sign with (WebSub §8: sha1, sha256, sha384, sha512).
SIGNATURES = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}


@dataclass(frozen=True)
class Wanted:
    """A subscription a source calls for: its feed names ``hub`` and its topic."""

    source_id: int
    hub: str
    topic: str


@dataclass(frozen=True)
class Subscribe:
    """Ask the hub to subscribe (``existing``: renew or ask again for that subscription)."""

    wanted: Wanted
    existing: Subscription | None = None
    #: The existing subscription's lease ended unrenewed: it is no longer active meanwhile.
    lapsed: bool = False


@dataclass(frozen=True)
class Unsubscribe:
    """Ask the hub to end ``subscription``."""

    subscription: Subscription


@dataclass(frozen=True)
class Upkeep:
    """What one run of the subscription upkeep does."""

    subscribe: tuple[Subscribe, ...] = ()
    unsubscribe: tuple[Unsubscribe, ...] = ()
    #: Subscriptions that are over without asking anyone (an unsubscription that was never
    #: verified and whose lease has ended, a refusal for a topic no longer wanted).
    forget: tuple[Subscription, ...] = ()
    #: When the next run has something to do, if ever (a renewal, a request to ask again).
    next_at: datetime | None = None


def wanted_subscriptions(sources: Iterable[Source]) -> tuple[Wanted, ...]:
    """One subscription per active source whose feed names a hub: at its first hub, for its
    ``rel="self"`` topic (else the feed URL we fetch). Gone and retired sources want none."""
    wanted = []
    for source in sources:
        if not source.active or source.gone_at is not None or not source.hubs:
            continue
        topic = source.self_url or source.feed_url or source.url
        wanted.append(Wanted(source.id, source.hubs[0], topic))
    return tuple(wanted)


def renew_margin(lease: timedelta) -> timedelta:
    """How long before the lease ends it is renewed: max(10 %, 1 day), at most half."""
    margin: timedelta = min(max(lease * RENEW_SHARE, RENEW_DAY), lease / 2)
    return margin


def renew_at(subscription: Subscription) -> datetime | None:
    """When an active subscription is due for renewal; None without a known lease."""
    if subscription.lease_until is None:
        return None
    return subscription.lease_until - renew_margin(timedelta(seconds=subscription.lease_seconds))


def decide_upkeep(
    wanted: Iterable[Wanted], subscriptions: Iterable[Subscription], now: datetime
) -> Upkeep:
    """Subscribe what is wanted and not subscribed, renew leases running out, ask again
    where a request failed or went unanswered, end what is no longer wanted."""
    wanted_by_key = {(w.source_id, w.hub, w.topic): w for w in wanted}
    subscribe: list[Subscribe] = []
    unsubscribe: list[Unsubscribe] = []
    forget: list[Subscription] = []
    later: list[datetime] = []
    have: set[tuple[int, str, str]] = set()
    for sub in subscriptions:
        key = (sub.source_id, sub.hub, sub.topic)
        have.add(key)
        want = wanted_by_key.get(key)
        if sub.state == "unsubscribing":
            _ending(sub, now, unsubscribe, forget, later)
        elif want is None:
            if sub.state == "denied":
                forget.append(sub)
            else:
                unsubscribe.append(Unsubscribe(sub))
        else:
            lapsed = (
                sub.state == "active" and sub.lease_until is not None and sub.lease_until <= now
            )
            again = None if lapsed else _ask_again_at(sub)
            if again is None or again <= now:
                subscribe.append(Subscribe(want, sub, lapsed))
            else:
                later.append(again)
    for key, want in wanted_by_key.items():
        if key not in have:
            subscribe.append(Subscribe(want))
    return Upkeep(tuple(subscribe), tuple(unsubscribe), tuple(forget), min(later, default=None))


def _ask_again_at(sub: Subscription) -> datetime | None:
    """When a wanted subscription must be asked for again; None: now."""
    if sub.state == "denied":
        return sub.updated_at + DENIED_RETRY
    if sub.failures or (sub.requested_at is None and sub.state != "active"):
        return None  # the last request failed, or none was accepted yet
    unanswered = sub.requested_at + VERIFY_WAIT if sub.requested_at else None
    if sub.state == "requested":
        return unanswered
    renewal = renew_at(sub)
    if renewal is None:
        return None
    if sub.requested_at is not None and sub.requested_at >= renewal and unanswered:
        # A renewal is asked for: the hub has until then to verify it (or the lease lapses).
        return min(unanswered, sub.lease_until) if sub.lease_until else unanswered
    return renewal


def _ending(
    sub: Subscription,
    now: datetime,
    unsubscribe: list[Unsubscribe],
    forget: list[Subscription],
    later: list[datetime],
) -> None:
    """An unsubscription: asked until the hub accepts; forgotten once verified (by the
    callback), or when the hub never verifies it and the lease has run out anyway."""
    if sub.failures or sub.requested_at is None:
        unsubscribe.append(Unsubscribe(sub))
        return
    over = max(sub.requested_at + VERIFY_WAIT, sub.lease_until or sub.requested_at)
    if over <= now:
        forget.append(sub)
    else:
        later.append(over)


# -- the callback --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a hub's verification request (``GET CALLBACK?hub.mode=…``) calls for."""

    #: ``subscribe``/``unsubscribe``: echo the challenge; ``denied``: acknowledge; else 404.
    action: str
    lease_until: datetime | None = None
    #: The lease granted, in seconds.
    lease_seconds: int | None = None
    challenge: str = ""
    reason: str | None = None


NOT_OURS = Verification("not_found")


def check_verification(
    subscription: Subscription | None,
    query: Mapping[str, str],
    now: datetime,
) -> Verification:
    """A verification for a topic and mode we asked for; anything else is not ours (§5.3).

    The lease is what the hub grants (``hub.lease_seconds``), else what we asked for.
    """
    if subscription is None or query.get("hub.topic") != subscription.topic:
        return NOT_OURS
    mode = query.get("hub.mode")
    if mode == "denied":
        return Verification("denied", reason=query.get("hub.reason"))
    challenge = query.get("hub.challenge", "")
    if not challenge:
        return NOT_OURS
    if mode == "subscribe" and subscription.state in ("requested", "active"):
        granted = query.get("hub.lease_seconds", "")
        seconds = int(granted) if granted.isdigit() else subscription.lease_seconds
        return Verification("subscribe", now + timedelta(seconds=seconds), seconds, challenge)
    if mode == "unsubscribe" and subscription.state == "unsubscribing":
        return Verification("unsubscribe", challenge=challenge)
    return NOT_OURS


def valid_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature: METHOD=HEX`` is the HMAC of ``body`` with ``secret`` (§8)."""
    if not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    digest = SIGNATURES.get(method.strip().lower())
    if digest is None:
        return False
    expected = hmac.new(secret.encode(), body, getattr(hashlib, digest)).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def callback_url(base: str, token: str) -> str:
    """The callback a hub is given for one subscription: ``BASE/websub/TOKEN``."""
    return f"{base.rstrip('/')}/websub/{token}"
