"""WebSub subscriptions: what the subscriber decided (``websub.subscriber``), applied.

The store decides nothing here: each method records one step of a subscription's life
(requested, accepted by the hub, verified, refused, being ended, forgotten).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from aggregator.models import Subscription, SubscriptionState
from aggregator.store.rows import StoreBase, update_one
from aggregator.store.schema import SUBSCRIPTIONS


class SubscriptionsMixin(StoreBase):
    def list_subscriptions(self) -> list[Subscription]:
        """Every subscription, by source then hub."""
        with self._connection() as connection:
            rows = connection.execute(
                select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.source_id, SUBSCRIPTIONS.c.id)
            )
            return [_subscription(row) for row in rows]

    def subscription_by_token(self, token: str) -> Subscription | None:
        """The subscription a callback URL names, if any."""
        with self._connection() as connection:
            query = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.token == token)
            row = connection.execute(query).first()
            return _subscription(row) if row is not None else None

    def add_subscription(
        self,
        source_id: int,
        hub: str,
        topic: str,
        *,
        token: str,
        secret: str,
        lease_seconds: int,
        now: datetime,
    ) -> Subscription:
        """A new subscription in state ``requested``, stored before the hub is asked, so
        that a hub verifying at once finds it."""
        with self._connection() as connection:
            added = connection.execute(
                insert(SUBSCRIPTIONS),
                dict(
                    source_id=source_id,
                    hub=hub,
                    topic=topic,
                    token=token,
                    secret=secret,
                    state="requested",
                    lease_seconds=lease_seconds,
                    failures=0,
                    created_at=now,
                    updated_at=now,
                ),
            )
            (new_id,) = added.inserted_primary_key or (None,)
            query = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == new_id)
            row = connection.execute(query).one()
            return _subscription(row)

    def subscription_state(
        self, subscription_id: int, state: SubscriptionState, now: datetime
    ) -> None:
        """Set the state (e.g. ``unsubscribing`` before asking the hub to end it)."""
        with self._connection() as connection:
            _change(connection, subscription_id, state=state, updated_at=now, requested_at=None)

    def subscription_asked(self, subscription_id: int, now: datetime) -> None:
        """The hub accepted our request (2xx); its verification follows."""
        with self._connection() as connection:
            _change(
                connection,
                subscription_id,
                requested_at=now,
                updated_at=now,
                failures=0,
                last_error=None,
            )

    def subscription_failed(self, subscription_id: int, error: str, now: datetime) -> None:
        """The hub could not be asked (down, refused, an error status)."""
        with self._connection() as connection:
            _change(
                connection,
                subscription_id,
                failures=func.coalesce(SUBSCRIPTIONS.c.failures, 0) + 1,
                last_error=error,
                updated_at=now,
            )

    def subscription_verified(
        self, subscription_id: int, lease_until: datetime, lease_seconds: int, now: datetime
    ) -> None:
        """The hub verified the subscription (or its renewal): a lease of ``lease_seconds``
        until ``lease_until``."""
        with self._connection() as connection:
            _change(
                connection,
                subscription_id,
                state="active",
                lease_until=lease_until,
                updated_at=now,
                lease_seconds=lease_seconds,
                failures=0,
                last_error=None,
            )

    def subscription_denied(self, subscription_id: int, reason: str | None, now: datetime) -> None:
        """The hub refused the subscription."""
        with self._connection() as connection:
            _change(
                connection,
                subscription_id,
                state="denied",
                updated_at=now,
                lease_until=None,
                last_error=f"denied by the hub: {reason}" if reason else "denied by the hub",
            )

    def forget_subscription(self, subscription_id: int) -> None:
        """The subscription is over (unsubscribed, or its lease ran out)."""
        with self._connection() as connection:
            connection.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id))


def _change(connection: Connection, subscription_id: int, **values: Any) -> None:
    update_one(connection, SUBSCRIPTIONS, subscription_id, values, what="subscription")


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        source_id=row.source_id,
        hub=row.hub,
        topic=row.topic,
        token=row.token,
        secret=row.secret,
        state=row.state,
        lease_seconds=row.lease_seconds,
        lease_until=row.lease_until,
        requested_at=row.requested_at,
        failures=row.failures or 0,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )
