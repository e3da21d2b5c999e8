"""WebSub subscriptions: what the subscriber decided (``websub.subscriber``), applied.

The store decides nothing here: each method records one step of a subscription's life
(requested, accepted by the hub, verified, refused, being ended, forgotten).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from aggregator.models import Subscription, SubscriptionState
from aggregator.store.rows import StoreBase
from aggregator.store.schema import SubscriptionRow


class SubscriptionsMixin(StoreBase):
    def list_subscriptions(self) -> list[Subscription]:
        """Every subscription, by source then hub."""
        with self._session() as session:
            rows = session.scalars(
                select(SubscriptionRow).order_by(SubscriptionRow.source_id, SubscriptionRow.id)
            )
            return [_subscription(row) for row in rows]

    def subscription_by_token(self, token: str) -> Subscription | None:
        """The subscription a callback URL names, if any."""
        with self._session() as session:
            row = session.scalar(select(SubscriptionRow).where(SubscriptionRow.token == token))
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
        with self._session() as session:
            row = SubscriptionRow(
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
            )
            session.add(row)
            session.flush()
            return _subscription(row)

    def subscription_state(
        self, subscription_id: int, state: SubscriptionState, now: datetime
    ) -> None:
        """Set the state (e.g. ``unsubscribing`` before asking the hub to end it)."""
        with self._session() as session:
            row = session.get_one(SubscriptionRow, subscription_id)
            row.state, row.updated_at = state, now
            row.requested_at = None

    def subscription_asked(self, subscription_id: int, now: datetime) -> None:
        """The hub accepted our request (2xx); its verification follows."""
        with self._session() as session:
            row = session.get_one(SubscriptionRow, subscription_id)
            row.requested_at, row.updated_at = now, now
            row.failures, row.last_error = 0, None

    def subscription_failed(self, subscription_id: int, error: str, now: datetime) -> None:
        """The hub could not be asked (down, refused, an error status)."""
        with self._session() as session:
            row = session.get_one(SubscriptionRow, subscription_id)
            row.failures = (row.failures or 0) + 1
            row.last_error, row.updated_at = error, now

    def subscription_verified(
        self, subscription_id: int, lease_until: datetime, lease_seconds: int, now: datetime
    ) -> None:
        """The hub verified the subscription (or its renewal): a lease of ``lease_seconds``
        until ``lease_until``."""
        with self._session() as session:
            row = session.get_one(SubscriptionRow, subscription_id)
            row.state, row.lease_until, row.updated_at = "active", lease_until, now
            row.lease_seconds = lease_seconds
            row.failures, row.last_error = 0, None

    def subscription_denied(self, subscription_id: int, reason: str | None, now: datetime) -> None:
        """The hub refused the subscription."""
        with self._session() as session:
            row = session.get_one(SubscriptionRow, subscription_id)
            row.state, row.updated_at, row.lease_until = "denied", now, None
            row.last_error = f"denied by the hub: {reason}" if reason else "denied by the hub"

    def forget_subscription(self, subscription_id: int) -> None:
        """The subscription is over (unsubscribed, or its lease ran out)."""
        with self._session() as session:
            session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id))


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        source_id=row.source_id,
        hub=row.hub,
        topic=row.topic,
        token=row.token,
        secret=row.secret,
        state=row.state,  # type: ignore[arg-type]
        lease_seconds=row.lease_seconds,
        lease_until=row.lease_until,
        requested_at=row.requested_at,
        failures=row.failures or 0,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )
