"""Declared events between rooms: an outbox written with each change, delivered after commit.

Rooms talk in events (``store.ObjectCreated``, ``registry.ModelPackageStatusChanged``): the
emitter writes the event in its own transaction, subscribers registered at import time are run
after the commit (by the gate after each write, or by ``EventLog.deliver``), at least once each.
Adding a listener never edits the emitter.
"""

from bastion.events._catalogue import (
    Event,
    EventKind,
    Handler,
    Subscriber,
    declare_event,
    declared_events,
    lookup_event,
    subscribe,
    subscribers,
    unsubscribe,
)
from bastion.events._log import MAX_ATTEMPTS, EventLog

__all__ = [
    "MAX_ATTEMPTS",
    "Event",
    "EventKind",
    "EventLog",
    "Handler",
    "Subscriber",
    "declare_event",
    "declared_events",
    "lookup_event",
    "subscribe",
    "subscribers",
    "unsubscribe",
]
