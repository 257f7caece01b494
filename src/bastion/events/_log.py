"""The event log: emit inside a write transaction, deliver to subscribers after commit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bastion.clock import Clock, aware
from bastion.db import Database
from bastion.events._catalogue import Event, Subscriber, lookup_event, subscribers
from bastion.events._tables import event_deliveries, events

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""A handler that failed this many times on one event gives up on it (status ``failed``)."""
BATCH = 500


def _event(row: Any) -> Event:
    return Event(
        seq=int(row.seq),
        kind=row.kind,
        time=aware(row.time),
        account_id=row.account_id,
        subject=row.subject,
        detail=dict(row.detail),
    )


class EventLog:
    """Durable events for one database; rooms emit, subscribers are delivered at least once."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._pending = False

    def emit(
        self,
        conn: Connection,
        *,
        kind: str,
        subject: str,
        account_id: str,
        detail: Mapping[str, Any],
    ) -> None:
        """Add an event to the caller's write transaction (it exists iff the change commits)."""
        if lookup_event(kind) is None:
            raise ValueError(f"event kind {kind!r} is not declared; declare_event() it first")
        conn.execute(
            events.insert().values(
                kind=kind,
                time=self.clock.now(),
                account_id=account_id,
                subject=subject,
                detail=dict(detail),
            )
        )
        self._pending = True

    @property
    def pending(self) -> bool:
        """Whether this process emitted events not yet delivered."""
        return self._pending

    def deliver_if_pending(self) -> int:
        """Deliver when this process emitted something since its last delivery (the gate's hook)."""
        return self.deliver() if self._pending else 0

    def deliver(self) -> int:
        """Run every subscriber over its undelivered events, oldest first; returns how many
        (subscriber, event) pairs were handled. A failing handler is logged and retried on the
        next delivery, up to :data:`MAX_ATTEMPTS`."""
        self._pending = False
        handled = 0
        for subscriber in subscribers():
            handled += self._deliver_to(subscriber)
        return handled

    def _deliver_to(self, subscriber: Subscriber) -> int:
        done = 0
        while True:
            batch = self._undelivered(subscriber)
            if not batch:
                return done
            for event in batch:
                self._handle(subscriber, event)
                done += 1
            if len(batch) < BATCH:
                return done

    def _undelivered(self, subscriber: Subscriber) -> list[Event]:
        handled = (
            sa.select(event_deliveries.c.seq)
            .where(event_deliveries.c.subscriber == subscriber.name)
            .where(
                sa.or_(
                    event_deliveries.c.status != "retry",
                    event_deliveries.c.attempts >= MAX_ATTEMPTS,
                )
            )
        )
        query = (
            sa.select(events)
            .where(events.c.kind.in_(subscriber.kinds))
            .where(events.c.seq.not_in(handled))
            .order_by(events.c.seq)
            .limit(BATCH)
        )
        with self.db.read() as conn:
            return [_event(r) for r in conn.execute(query)]

    def _handle(self, subscriber: Subscriber, event: Event) -> None:
        error: str | None = None
        try:
            subscriber.handler(self.db, event)
        except Exception as exc:  # a listener must never fail the emitter
            error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "events.handler_failed subscriber=%s seq=%d kind=%s error=%s",
                subscriber.name,
                event.seq,
                event.kind,
                error,
            )
        self._record(subscriber.name, event.seq, error)

    def _record(self, name: str, seq: int, error: str | None) -> None:
        key = (event_deliveries.c.subscriber == name) & (event_deliveries.c.seq == seq)
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, f"events:{name}")
            row = conn.execute(sa.select(event_deliveries.c.attempts).where(key)).first()
            attempts = (row.attempts if row else 0) + 1
            status = "done" if error is None else "retry"
            if error is not None and attempts >= MAX_ATTEMPTS:
                status = "failed"
            values = {"status": status, "attempts": attempts, "error": error, "updated_at": now}
            if row is None:
                conn.execute(event_deliveries.insert().values(subscriber=name, seq=seq, **values))
            else:
                conn.execute(event_deliveries.update().where(key).values(**values))

    def history(
        self, *, after: int = 0, kinds: tuple[str, ...] | None = None, limit: int = 1000
    ) -> list[Event]:
        """Events with ``seq > after`` (optionally of some kinds), oldest first."""
        query = sa.select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
        if kinds:
            query = query.where(events.c.kind.in_(kinds))
        with self.db.read() as conn:
            return [_event(r) for r in conn.execute(query)]

    def failures(self) -> list[dict[str, Any]]:
        """Deliveries that are being retried or were given up, with their last error."""
        query = (
            sa.select(event_deliveries)
            .where(event_deliveries.c.status != "done")
            .order_by(event_deliveries.c.seq)
        )
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
