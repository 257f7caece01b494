"""Walks over the association graph: one recursive CTE that runs on SQLite and PostgreSQL.

A walk from the start ARNs follows associations forward (descendants) or backward (ascendants).
Both forms end on every graph, cycles included:

* with a depth bound, rows are ``(arn, depth)`` and the recursive step stops at the bound;
  ``UNION`` drops repeated rows, so a cycle adds at most one row per entity and depth;
* without a bound, rows are ``(arn)`` alone and ``UNION`` drops every entity already reached,
  so the walk visits each entity once; depths are then counted from the edges it crossed.

Only entities that exist are started from, so a walk never returns an ARN of nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bastion.registry.lineage._models import AssociationType, Direction, Edge
from bastion.registry.lineage._tables import lineage_associations
from bastion.types import Arn

CHUNK = 2000
"""ARNs per ``IN (…)`` list (well under SQLite's and PostgreSQL's parameter limits)."""

_BOUNDED = """
WITH RECURSIVE walk(arn, depth) AS (
    SELECT e.arn, 0 FROM lineage_entities e WHERE e.arn IN :starts
    UNION
    SELECT a.{far}, w.depth + 1
    FROM walk w JOIN lineage_associations a ON a.{near} = w.arn
    WHERE w.depth < :max_depth
)
SELECT arn, MIN(depth) AS depth FROM walk GROUP BY arn
"""

_UNBOUNDED = """
WITH RECURSIVE walk(arn) AS (
    SELECT e.arn FROM lineage_entities e WHERE e.arn IN :starts
    UNION
    SELECT a.{far} FROM walk w JOIN lineage_associations a ON a.{near} = w.arn
)
SELECT arn FROM walk
"""

_REACHES = """
WITH RECURSIVE walk(arn) AS (
    SELECT e.arn FROM lineage_entities e WHERE e.arn = :origin
    UNION
    SELECT a.destination_arn FROM walk w JOIN lineage_associations a ON a.source_arn = w.arn
)
SELECT 1 FROM walk WHERE arn = :target
"""

_KINDS = {kind.value: kind for kind in AssociationType}

_ENDS = {
    Direction.DESCENDANTS: ("source_arn", "destination_arn"),
    Direction.ASCENDANTS: ("destination_arn", "source_arn"),
}


@dataclass(frozen=True, kw_only=True)
class Walk:
    """What one walk reached: each entity's smallest depth, and the edges it crossed."""

    depths: dict[Arn, int]
    edges: tuple[Edge, ...]


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _edges_from(conn: Connection, column: sa.Column[str], arns: Sequence[str]) -> list[Edge]:
    found: list[Edge] = []
    t = lineage_associations.c
    for part in chunks(arns):
        rows = conn.execute(
            sa.select(t.source_arn, t.destination_arn, t.association_type).where(column.in_(part))
        )
        found += [
            Edge(
                source_arn=Arn(r.source_arn),
                destination_arn=Arn(r.destination_arn),
                association_type=_KINDS[r.association_type],
            )
            for r in rows
        ]
    return found


def _far(edge: Edge, direction: Direction) -> Arn:
    return edge.destination_arn if direction is Direction.DESCENDANTS else edge.source_arn


def _near(edge: Edge, direction: Direction) -> Arn:
    return edge.source_arn if direction is Direction.DESCENDANTS else edge.destination_arn


def _bfs_depths(
    starts: Iterable[Arn], edges: Iterable[Edge], direction: Direction
) -> dict[Arn, int]:
    nexts: dict[Arn, list[Arn]] = {}
    for edge in edges:
        nexts.setdefault(_near(edge, direction), []).append(_far(edge, direction))
    depths = {arn: 0 for arn in starts}
    queue = deque(depths)
    while queue:
        arn = queue.popleft()
        for far in nexts.get(arn, ()):
            if far not in depths:
                depths[far] = depths[arn] + 1
                queue.append(far)
    return depths


def walk(
    conn: Connection, starts: Sequence[Arn], direction: Direction, max_depth: int | None
) -> Walk:
    """Walk one way (``ASCENDANTS`` or ``DESCENDANTS``) from ``starts``, at most ``max_depth``
    associations far (``None``: as far as the graph goes)."""
    near, far = _ENDS[direction]
    params: dict[str, object] = {"starts": list(starts)}
    if max_depth is None:
        sql = _UNBOUNDED.format(near=near, far=far)
    else:
        sql = _BOUNDED.format(near=near, far=far)
        params["max_depth"] = max_depth
    statement = sa.text(sql).bindparams(sa.bindparam("starts", expanding=True))
    rows = conn.execute(statement, params).all()
    if max_depth is None:
        reached = [Arn(r.arn) for r in rows]
        edges = _edges_from(conn, lineage_associations.c[near], reached)
        present = [a for a in starts if a in set(reached)]
        return Walk(depths=_bfs_depths(present, edges, direction), edges=tuple(edges))
    depths = {Arn(r.arn): int(r.depth) for r in rows}
    inner = [arn for arn, depth in depths.items() if depth < max_depth]
    edges = _edges_from(conn, lineage_associations.c[near], inner)
    return Walk(depths=depths, edges=tuple(edges))


def reaches(conn: Connection, origin: Arn, target: Arn) -> bool:
    """Whether ``target`` is ``origin`` or lies downstream of it (any depth, cycle-safe)."""
    found = conn.execute(sa.text(_REACHES), {"origin": origin, "target": target}).first()
    return found is not None


def on_paths(matches: Iterable[Arn], edges: Iterable[Edge], direction: Direction) -> set[Arn]:
    """The entities on a walk's paths from ``starts`` to ``matches``: those from which a match
    can be reached along the crossed ``edges`` in the walk's direction (matches included)."""
    back: dict[Arn, list[Arn]] = {}
    for edge in edges:
        back.setdefault(_far(edge, direction), []).append(_near(edge, direction))
    keep = set(matches)
    queue = deque(keep)
    while queue:
        arn = queue.popleft()
        for near in back.get(arn, ()):
            if near not in keep:
                keep.add(near)
                queue.append(near)
    return keep


def adjacency(edges: Iterable[Edge]) -> Mapping[Arn, list[Edge]]:
    """Edges by destination (what flows into each entity)."""
    into: dict[Arn, list[Edge]] = {}
    for edge in edges:
        into.setdefault(edge.destination_arn, []).append(edge)
    return into


__all__ = ["CHUNK", "Walk", "adjacency", "chunks", "on_paths", "reaches", "walk"]
