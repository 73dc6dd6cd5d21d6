"""The feed log: every page served, with its items and scores, and cursor chains.

Events name a page's request id, which joins what was shown with what was
done; a cursor names a chain's first page, whose followers must not repeat
what it and the pages after it showed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from unifeed.store import schema
from unifeed.store.db import as_utc, utcnow
from unifeed.store.store import Store

IN_CHUNK = 2000  # values per SQL IN list


@dataclass(frozen=True)
class ServedPage:
    """A page as it was served: when, by which ranker, and its items in order."""

    id: int
    request_id: str
    created_at: datetime  # by the server's clock, naive UTC
    page: int
    ranker: str
    model_version: str | None
    items: list[tuple[int, float]]  # (item pk, score) by position


class FeedLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        *,
        request_id: str,
        root_request_id: str,
        page: int,
        user_external_id: str,
        ranker: str,
        model_version: str | None,
        item_pks: Sequence[int],
        scores: Sequence[float],
        ad_slots: Sequence[Mapping[str, Any]] = (),
        at: datetime | None = None,
    ) -> int:
        """Log one page (and the auction's record of its ad slots) in one transaction.

        `at`: when it was served, by the service's clock (a simulation's
        clock too: the traffic curve the ads pace to is read from these
        times); now when None."""
        with self.store.write() as conn:
            pk = conn.execute(
                insert(schema.feed_requests)
                .values(
                    request_id=request_id,
                    root_request_id=root_request_id,
                    page=page,
                    user_external_id=user_external_id,
                    n=len(item_pks),
                    ranker=ranker,
                    model_version=model_version,
                    created_at=utcnow() if at is None else as_utc(at),
                )
                .returning(schema.feed_requests.c.id)
            ).scalar_one()
            if item_pks:
                conn.execute(
                    insert(schema.feed_items),
                    [
                        {
                            "feed_request_id": pk,
                            "position": i,
                            "item_id": int(it),
                            "score": float(s),
                        }
                        for i, (it, s) in enumerate(zip(item_pks, scores, strict=True))
                    ],
                )
            if ad_slots:
                conn.execute(
                    insert(schema.ad_slots), [{**a, "feed_request_id": pk} for a in ad_slots]
                )
            return int(pk)

    def request(self, request_id: str) -> Mapping[str, Any] | None:
        q = select(schema.feed_requests).where(schema.feed_requests.c.request_id == request_id)
        with self.store.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def recent_pages(self, user_external_id: str, limit: int) -> list[ServedPage]:
        """The newest `limit` pages served to this user, newest first."""
        r, fi = schema.feed_requests, schema.feed_items
        with self.store.engine.connect() as conn:
            pages = conn.execute(
                select(
                    r.c.id, r.c.request_id, r.c.created_at, r.c.page, r.c.ranker, r.c.model_version
                )
                .where(r.c.user_external_id == user_external_id)
                .order_by(r.c.id.desc())
                .limit(limit)
            ).all()
            items: dict[int, list[tuple[int, float]]] = {p.id: [] for p in pages}
            if items:
                for row in conn.execute(
                    select(fi.c.feed_request_id, fi.c.item_id, fi.c.score)
                    .where(fi.c.feed_request_id.in_(list(items)))
                    .order_by(fi.c.feed_request_id, fi.c.position)
                ).all():
                    items[row.feed_request_id].append((int(row.item_id), float(row.score)))
        return [ServedPage(*p, items=items[p.id]) for p in pages]

    def recent_users(self, limit: int) -> list[str]:
        """The users most recently served a page, newest first (each once)."""
        r = schema.feed_requests
        q = (
            select(r.c.user_external_id)
            .group_by(r.c.user_external_id)
            .order_by(func.max(r.c.id).desc())
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def chain(self, root_request_id: str) -> tuple[int, set[int]]:
        """(pages served, items shown) of a paginated feed."""
        r, fi = schema.feed_requests, schema.feed_items
        with self.store.engine.connect() as conn:
            pages = conn.execute(
                select(func.count()).where(r.c.root_request_id == root_request_id)
            ).scalar_one()
            shown = conn.execute(
                select(fi.c.item_id)
                .join(r, r.c.id == fi.c.feed_request_id)
                .where(r.c.root_request_id == root_request_id)
            ).scalars()
            return int(pages), set(shown)

    def last_ad_position(self, root_request_id: str) -> int | None:
        """Where a paginated feed's last ad stood, counted back from the end of
        its last page (so -1 is the last item shown), or None if it had none:
        the next page keeps the ad gap from there."""
        r, s = schema.feed_requests, schema.ad_slots
        with self.store.engine.connect() as conn:
            pages = conn.execute(
                select(r.c.id, r.c.n).where(r.c.root_request_id == root_request_id).order_by(r.c.id)
            ).all()
            last_on = dict(
                conn.execute(
                    select(s.c.feed_request_id, func.max(s.c.position))
                    .join(r, r.c.id == s.c.feed_request_id)
                    .where(r.c.root_request_id == root_request_id)
                    .group_by(s.c.feed_request_id)
                ).all()
            )
        offset, last = 0, None
        for pk, n in pages:
            if pk in last_on:
                last = offset + int(last_on[pk])
            offset += int(n)
        return None if last is None else last - offset

    def outcomes(
        self, actions: Sequence[str], limit: int = 50_000, model_version: str | None = None
    ) -> tuple[list[float], list[int]]:
        """(score, 1 if the user then did one of `actions` on it) for recently shown items.

        Only events that name the page's request id count, so the label is
        about that showing and not some other path to the item.
        """
        fr, fi = schema.feed_requests, schema.feed_items
        q = (
            select(fr.c.request_id, fi.c.item_id, fi.c.score)
            .join(fi, fi.c.feed_request_id == fr.c.id)
            .where(fr.c.ranker == "model")
            .order_by(fr.c.id.desc())
            .limit(limit)
        )
        if model_version is not None:
            q = q.where(fr.c.model_version == model_version)
        with self.store.engine.connect() as conn:
            shown = conn.execute(q).all()
        hits = self.acted_on({r.request_id for r in shown}, actions)
        return [float(r.score) for r in shown], [
            int((r.request_id, r.item_id) in hits) for r in shown
        ]

    def acted_on(self, request_ids: Iterable[str], actions: Sequence[str]) -> set[tuple[str, int]]:
        """(request id, item pk) of every item of these pages that someone
        then did one of `actions` on, naming the page's request id."""
        e = schema.events
        requests = list(request_ids)
        hits: set[tuple[str, int]] = set()
        with self.store.engine.connect() as conn:
            for start in range(0, len(requests), IN_CHUNK):
                hits.update(
                    (r.request_id, r.item_id)
                    for r in conn.execute(
                        select(e.c.request_id, e.c.item_id).where(
                            e.c.request_id.in_(requests[start : start + IN_CHUNK]),
                            e.c.action.in_(list(actions)),
                        )
                    )
                )
        return hits
