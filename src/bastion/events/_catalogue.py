"""Declared event kinds and the subscribers that listen to them.

Rooms declare the events they emit (``declare_event``) and subscribe handlers at import time
(``subscribe``), the way they register actions: emitting an undeclared kind is a programming error,
and ``docs/events.md`` is generated from this catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bastion.db import Database

_KIND = re.compile(r"^[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9]+$")
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,127}$")


@dataclass(frozen=True, kw_only=True)
class Event:
    """One committed change, as subscribers receive it."""

    seq: int
    kind: str
    time: datetime
    account_id: str
    subject: str
    detail: dict[str, Any]


Handler = Callable[[Database, Event], None]
"""A subscriber's handler: runs after the emitting transaction committed, at least once per event
(handlers must be idempotent); an exception leaves the event pending for a later delivery."""


@dataclass(frozen=True, kw_only=True)
class EventKind:
    """A declared event: ``room.Name`` and what it means."""

    kind: str
    doc: str


@dataclass(frozen=True, kw_only=True)
class Subscriber:
    """A named handler for some kinds; its name keys its delivery records."""

    name: str
    kinds: tuple[str, ...]
    handler: Handler


_KINDS: dict[str, EventKind] = {}
_SUBSCRIBERS: dict[str, Subscriber] = {}


def declare_event(kind: str, doc: str) -> EventKind:
    """Declare an event kind (``room.PastTenseName``); re-declaring the same kind is a no-op."""
    if not _KIND.match(kind):
        raise ValueError(f"event kind {kind!r} must look like 'room.ThingHappened'")
    declared = EventKind(kind=kind, doc=doc)
    _KINDS.setdefault(kind, declared)
    return _KINDS[kind]


def declared_events() -> list[EventKind]:
    """Every declared event kind, sorted."""
    return [_KINDS[k] for k in sorted(_KINDS)]


def lookup_event(kind: str) -> EventKind | None:
    """The declared kind, or ``None``."""
    return _KINDS.get(kind)


def subscribe(name: str, kinds: tuple[str, ...], handler: Handler) -> Subscriber:
    """Register ``handler`` for ``kinds`` under ``name`` (re-registering replaces the handler)."""
    if not _NAME.match(name):
        raise ValueError(f"subscriber name {name!r} must be lower-case letters, digits, _ . -")
    if not kinds:
        raise ValueError(f"subscriber {name!r} must listen to at least one kind")
    subscriber = Subscriber(name=name, kinds=tuple(sorted(set(kinds))), handler=handler)
    _SUBSCRIBERS[name] = subscriber
    return subscriber


def subscribers() -> list[Subscriber]:
    """Every registered subscriber, by name."""
    return [_SUBSCRIBERS[n] for n in sorted(_SUBSCRIBERS)]


def unsubscribe(name: str) -> None:
    """Forget a subscriber (its delivery records stay)."""
    _SUBSCRIBERS.pop(name, None)
