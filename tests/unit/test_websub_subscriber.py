"""WebSub subscriber decisions: what to subscribe, renew, end, and which hub calls are ours."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import Source, Subscription
from aggregator.update.decide import Schedule, polling_interval
from aggregator.websub.subscriber import (
    NOT_OURS,
    VERIFY_WAIT,
    Subscribe,
    Unsubscribe,
    Wanted,
    callback_url,
    check_verification,
    decide_upkeep,
    renew_margin,
    valid_signature,
    wanted_subscriptions,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HUB = "https://hub.example/"
TOPIC = "https://blog.example/feed/"
TEN_DAYS = 864000


def source(id: int = 1, **changes: object) -> Source:
    base = Source(
        id=id,
        url=f"https://blog{id}.example/",
        feed_url=f"https://blog{id}.example/feed.xml",
        site_url=None,
        title=None,
        feed_title=None,
        category="",
        note="",
        recommended=(),
        position=0,
        active=True,
        etag=None,
        last_modified=None,
        last_fetched_at=None,
        last_result="ok",
        last_http_status=200,
        last_error_kind=None,
        last_error=None,
        failure_count=0,
        next_check_at=None,
        hubs=(HUB,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def subscription(**changes: object) -> Subscription:
    base = Subscription(
        id=7,
        source_id=1,
        hub=HUB,
        topic=TOPIC,
        token="tok",
        secret="s3cret",
        state="active",
        lease_seconds=TEN_DAYS,
        lease_until=NOW + timedelta(days=5),
        requested_at=NOW - timedelta(days=5),
        failures=0,
        last_error=None,
        updated_at=NOW - timedelta(days=5),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


WANTED = Wanted(1, HUB, TOPIC)


# -- what each source wants ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, (Wanted(1, HUB, "https://blog1.example/feed.xml"),)),
        ({"self_url": TOPIC}, (Wanted(1, HUB, TOPIC),)),
        (
            {"hubs": ("https://a.example/", HUB)},
            (Wanted(1, "https://a.example/", "https://blog1.example/feed.xml"),),
        ),
        ({"hubs": ()}, ()),
        ({"active": False}, ()),
        ({"gone_at": NOW}, ()),
    ],
    ids=["feed-url-topic", "self-topic", "first-hub", "no-hub", "retired", "gone"],
)
def test_a_source_wants_one_subscription_at_its_first_hub(
    changes: dict[str, object], expected: tuple[Wanted, ...]
) -> None:
    assert wanted_subscriptions([source(**changes)]) == expected


# -- upkeep ----------------------------------------------------------------------------------


def test_a_wanted_topic_without_subscription_is_subscribed() -> None:
    upkeep = decide_upkeep([WANTED], [], NOW)
    assert upkeep.subscribe == (Subscribe(WANTED),)
    assert (upkeep.unsubscribe, upkeep.forget) == ((), ())


@pytest.mark.parametrize(
    ("lease", "margin"),
    [
        (timedelta(days=10), timedelta(days=1)),
        (timedelta(days=30), timedelta(days=3)),
        (timedelta(days=1), timedelta(hours=12)),
        (timedelta(seconds=6), timedelta(seconds=3)),
    ],
)
def test_a_lease_is_renewed_with_a_tenth_or_a_day_left_never_past_half(
    lease: timedelta, margin: timedelta
) -> None:
    assert renew_margin(lease) == margin


@pytest.mark.parametrize(
    ("changes", "action", "next_at"),
    [
        # Active, lease far from its end: nothing now; the renewal is when the next run is due.
        ({}, None, NOW + timedelta(days=4)),
        # Less than a day of a ten-day lease left: renewed.
        ({"lease_until": NOW + timedelta(hours=23)}, "subscribe", None),
        # The lease has ended without renewal, even with a renewal pending: asked again.
        ({"lease_until": NOW - timedelta(hours=1)}, "lapsed", None),
        (
            {"lease_until": NOW - timedelta(hours=1), "requested_at": NOW - timedelta(hours=1)},
            "lapsed",
            None,
        ),
        # A renewal asked for and not yet verified: waits for the hub.
        (
            {"lease_until": NOW + timedelta(hours=20), "requested_at": NOW - timedelta(minutes=5)},
            None,
            NOW - timedelta(minutes=5) + VERIFY_WAIT,
        ),
        # … but no longer than the lease lasts.
        (
            {
                "lease_until": NOW + timedelta(minutes=10),
                "requested_at": NOW - timedelta(minutes=5),
            },
            None,
            NOW + timedelta(minutes=10),
        ),
        # Requested, the hub said 202, no verification yet: waits, then asks again.
        ({"state": "requested", "lease_until": None, "requested_at": NOW}, None, NOW + VERIFY_WAIT),
        (
            {"state": "requested", "lease_until": None, "requested_at": NOW - VERIFY_WAIT},
            "subscribe",
            None,
        ),
        # The last request failed: asked again (the upkeep's own backoff spaces the runs).
        ({"state": "requested", "lease_until": None, "failures": 2}, "subscribe", None),
        # Refused by the hub: asked again a day later.
        (
            {"state": "denied", "lease_until": None, "updated_at": NOW - timedelta(hours=2)},
            None,
            NOW + timedelta(hours=22),
        ),
        (
            {"state": "denied", "lease_until": None, "updated_at": NOW - timedelta(days=2)},
            "subscribe",
            None,
        ),
    ],
    ids=[
        "active",
        "renew",
        "lapsed",
        "lapsed-renewal-pending",
        "renewal-pending",
        "renewal-pending-until-lapse",
        "requested-waiting",
        "requested-unanswered",
        "failed",
        "denied-waiting",
        "denied-retry",
    ],
)
def test_a_wanted_subscription_is_renewed_or_asked_again_when_due(
    changes: dict[str, object], action: str | None, next_at: datetime | None
) -> None:
    sub = subscription(**changes)
    upkeep = decide_upkeep([WANTED], [sub], NOW)
    expected = {"subscribe": Subscribe(WANTED, sub), "lapsed": Subscribe(WANTED, sub, True)}
    assert upkeep.subscribe == ((expected[action],) if action else ())
    assert upkeep.unsubscribe == upkeep.forget == ()
    assert upkeep.next_at == next_at


@pytest.mark.parametrize("state", ["active", "requested"])
def test_a_subscription_no_longer_wanted_is_ended(state: str) -> None:
    # The blog left the blogroll, or its feed stopped naming the hub (or names another one).
    sub = subscription(state=state)
    for wanted in ([], [Wanted(1, "https://other-hub.example/", TOPIC)]):
        upkeep = decide_upkeep(wanted, [sub], NOW)
        assert upkeep.unsubscribe == (Unsubscribe(sub),)
    assert decide_upkeep(
        [Wanted(1, "https://other-hub.example/", TOPIC)], [sub], NOW
    ).subscribe == (Subscribe(Wanted(1, "https://other-hub.example/", TOPIC)),)


def test_a_refusal_no_longer_wanted_is_forgotten() -> None:
    sub = subscription(state="denied")
    assert decide_upkeep([], [sub], NOW).forget == (sub,)


@pytest.mark.parametrize(
    ("changes", "action", "next_at"),
    [
        ({"requested_at": None}, "unsubscribe", None),
        ({"requested_at": NOW, "failures": 1}, "unsubscribe", None),
        # Accepted, not verified: kept while the lease runs, so its verification is answered.
        ({"requested_at": NOW - timedelta(hours=2)}, None, NOW + timedelta(days=5)),
        (
            {"requested_at": NOW - timedelta(hours=2), "lease_until": NOW - timedelta(minutes=1)},
            "forget",
            None,
        ),
    ],
    ids=["not-asked", "failed", "waiting", "over"],
)
def test_an_unsubscription_is_asked_until_accepted_and_forgotten_when_over(
    changes: dict[str, object], action: str | None, next_at: datetime | None
) -> None:
    sub = subscription(state="unsubscribing", **changes)
    upkeep = decide_upkeep([], [sub], NOW)
    assert upkeep.unsubscribe == ((Unsubscribe(sub),) if action == "unsubscribe" else ())
    assert upkeep.forget == ((sub,) if action == "forget" else ())
    assert upkeep.subscribe == ()
    assert upkeep.next_at == next_at


# -- the callback ----------------------------------------------------------------------------


def query(mode: str = "subscribe", topic: str = TOPIC, **more: str) -> dict[str, str]:
    return {"hub.mode": mode, "hub.topic": topic, "hub.challenge": "c-123", **more}


@pytest.mark.parametrize(
    ("sub", "asked", "action"),
    [
        (subscription(state="requested"), query(), "subscribe"),
        (subscription(state="active"), query(), "subscribe"),
        (subscription(state="unsubscribing"), query("unsubscribe"), "unsubscribe"),
        (subscription(state="requested"), query("denied", **{"hub.reason": "no"}), "denied"),
        # Not what we asked for: another topic, the wrong mode, no challenge, no subscription.
        (subscription(state="requested"), query(topic="https://evil.example/feed"), "not_found"),
        (subscription(state="active"), query("unsubscribe"), "not_found"),
        (subscription(state="unsubscribing"), query("subscribe"), "not_found"),
        (subscription(state="requested"), {**query(), "hub.challenge": ""}, "not_found"),
        (None, query(), "not_found"),
    ],
)
def test_only_a_verification_of_what_we_asked_for_is_answered(
    sub: Subscription | None, asked: dict[str, str], action: str
) -> None:
    assert check_verification(sub, asked, NOW).action == action


def test_the_lease_is_the_one_the_hub_grants_else_the_one_asked_for() -> None:
    sub = subscription(state="requested", lease_seconds=TEN_DAYS)
    granted = check_verification(sub, query(**{"hub.lease_seconds": "3600"}), NOW)
    assert (granted.challenge, granted.lease_until) == ("c-123", NOW + timedelta(hours=1))
    assert check_verification(sub, query(), NOW).lease_until == NOW + timedelta(days=10)
    assert check_verification(None, query(), NOW) == NOT_OURS


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha512"])
def test_a_push_signed_with_the_secret_is_valid(method: str) -> None:
    body = b"<feed/>"
    digest = hmac.new(b"s3cret", body, method).hexdigest()
    assert valid_signature("s3cret", body, f"{method}={digest}")
    assert not valid_signature("other", body, f"{method}={digest}")
    assert not valid_signature("s3cret", body + b" ", f"{method}={digest}")


@pytest.mark.parametrize(
    "header", [None, "", "sha256", "md5=" + hashlib.md5(b"x").hexdigest(), "sha256=zz"]
)
def test_a_push_without_a_valid_signature_is_not(header: str | None) -> None:
    assert not valid_signature("s3cret", b"x", header)


def test_the_callback_is_the_public_url_with_websub_and_the_token() -> None:
    assert callback_url("https://robin.example/", "abc") == "https://robin.example/websub/abc"
    assert callback_url("https://robin.example/planet", "abc") == (
        "https://robin.example/planet/websub/abc"
    )


# -- polling while subscribed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "subscribed", "polled"),
    [
        (timedelta(hours=2), False, timedelta(hours=2)),
        (timedelta(hours=2), True, timedelta(days=1)),
        (timedelta(days=1), True, timedelta(days=1)),
    ],
)
def test_a_subscribed_source_is_still_polled_at_the_longest_interval(
    interval: timedelta, subscribed: bool, polled: timedelta
) -> None:
    schedule = Schedule(min_interval=timedelta(minutes=30), max_interval=timedelta(days=1))
    assert polling_interval(interval, schedule, subscribed=subscribed) == polled
