"""The feed: which ranker answers, what it must leave out, and what was shown.

Every page served is recorded with its request id, so events that name the
request join what was shown with what was done. A cursor is the id of the
first page; later pages exclude everything the earlier ones showed.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from unifeed.ads.delivery import AdDelivery, DeliveryConfig, PlacedAd
from unifeed.ads.ledger import Ledger
from unifeed.ads.unreported import held_many, report_frontier
from unifeed.model.checkpoint import Checkpoint, CheckpointError
from unifeed.serving.actions import POSITIVE_ACTIONS
from unifeed.serving.catalogue import CatalogueView, LiveCatalogue
from unifeed.serving.publish import current_version
from unifeed.serving.rankers import ModelRanker, PopularityRanker, RandomRanker, ScoredItems
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.store.db import utcnow
from unifeed.store.feed_log import FeedLog

log = logging.getLogger(__name__)

# Actions after which the same ad is not shown to that user again.
AD_STOP_ACTIONS: tuple[str, ...] = (*POSITIVE_ACTIONS, "hide")


class CursorError(ValueError):
    """A cursor that this server did not issue, or issued to another user."""


@dataclass
class FeedItem:
    item_id: str
    score: float
    kind: str
    sponsored: bool = False


@dataclass
class FeedPage:
    request_id: str
    user_id: str
    ranker: str
    model_version: str | None
    items: list[FeedItem]
    next_cursor: str | None


class FeedService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
        delivery: DeliveryConfig | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or utcnow
        # On a simulation's clock, what refreshes on a timer (ad state,
        # popularity) follows that clock alone, so a simulated run does not
        # depend on how fast the machine runs it.
        if delivery is None:
            delivery = DeliveryConfig(report_lag=timedelta(minutes=settings.ads_report_lag_minutes))
        self.ads = AdDelivery(
            store, self.clock, settings.reload_seconds if clock is None else None, delivery
        )
        self.ledger = Ledger(store)
        self.log = FeedLog(store)
        self.catalogue = LiveCatalogue(store, settings.reload_seconds)
        self.popularity = PopularityRanker(
            store,
            settings.reload_seconds,
            time.monotonic if clock is None else lambda: self.clock().timestamp(),
        )
        self.random = RandomRanker()
        self.model: ModelRanker | None = None
        self.model_error: str | None = None
        self._checked = -1e18
        self._reload_lock = threading.Lock()

    # ---------------------------------------------------------------- model
    def reload(self, force: bool = False) -> bool:
        """Load the published checkpoint if it changed; True when a new one loaded."""
        if self.settings.ranker != "model":
            return False
        if not force and time.monotonic() - self._checked < self.settings.reload_seconds:
            return False
        with self._reload_lock:
            self._checked = time.monotonic()
            root = Path(self.settings.checkpoint_root)
            version = current_version(root)
            if version is None or (self.model is not None and self.model.version == version):
                return False
            try:
                ckpt = Checkpoint.load(root / version)
            except CheckpointError as e:
                # Keep serving the previous model; readiness reports the problem.
                self.model_error = str(e)
                log.error("cannot load checkpoint %s: %s", version, e)
                return False
            ranker = ModelRanker(ckpt, version, self.settings.faiss_threshold)
            self.catalogue.refresh()
            ranker.sync(self.catalogue.view())
            self.model, self.model_error = ranker, None
            log.info("serving checkpoint %s", version)
            return True

    # ----------------------------------------------------------------- feed
    def feed(
        self, user_id: str, n: int, cursor: str | None = None, include_seen: bool = False
    ) -> FeedPage:
        root, page, shown = self._resume(user_id, cursor)
        # One time for the page: the auction asks the budget about the day the
        # ledger will book its slots to, which is when they are logged as served.
        now = self.clock()
        self.reload()
        self.catalogue.refresh()
        cat = self.catalogue.view()  # this request reads this view only
        user_pk = self.store.user_pk(user_id)
        # Everything the user has an event on; ads need it even when the page may repeat items.
        seen = self.store.seen_items(user_pk) if user_pk is not None else {}
        exclude = cat.mask(shown if include_seen else seen.keys() | shown) | cat.is_ad
        query = None
        model = None
        scored: ScoredItems | None = None

        ranker_name, version = self.settings.ranker, None
        rows = scores = None
        if ranker_name == "model":
            model = self.model
            if model is not None and user_pk is not None:
                scored = model.sync(cat)
                history = self.store.history(user_pk, POSITIVE_ACTIONS, model.model.cfg.max_len)
                pairs = [(cat.row_of_pk.get(pk), a) for pk, a in history]
                pairs = [(r, a) for r, a in pairs if r is not None]
                query = model.state(scored, [r for r, _ in pairs], [a for _, a in pairs])
            if model is not None and query is not None and scored is not None:
                rows, scores = model.rank(scored, query, n, exclude)
                version = model.version
            else:
                # No model yet, or a user with no history: popularity, labelled so.
                ranker_name = "fallback"
        if rows is None:
            source = self.random if ranker_name == "random" else self.popularity
            rows, scores = source.rank(cat, n, exclude)
        assert scores is not None
        rows, scores = list(rows), [float(s) for s in scores]
        sponsored: dict[int, PlacedAd] = {}
        ads_possible = scored is not None and query is not None and user_pk is not None
        if ads_possible and self.ads.has_live_campaigns(cat.row_of_pk):
            assert scored is not None and query is not None and user_pk is not None
            sponsored = self._place_ads(cat, user_pk, seen, shown, scores, scored, query, now)
        for pos in sorted(sponsored):
            ad = sponsored[pos]
            rows.insert(pos, ad.item_row)
            scores.insert(pos, ad.score)
        rows, scores = rows[:n], scores[:n]
        sponsored = {p: a for p, a in sponsored.items() if p < n}

        ad_query = None if query is None else np.asarray(query, dtype=np.float32).tobytes()
        request_id = uuid.uuid4().hex
        root = root or request_id
        self.log.record(
            request_id=request_id,
            root_request_id=root,
            page=page,
            user_external_id=user_id,
            ranker=ranker_name,
            model_version=version,
            at=now,
            item_pks=[int(cat.pk[r]) for r in rows],
            scores=scores,
            ad_slots=[
                {
                    "position": pos,
                    "campaign_id": ad.campaign_id,
                    "item_id": int(cat.pk[ad.item_row]),
                    "price_minor": ad.charge_minor,
                    "charge_on": "impression",
                    "score": ad.score,
                    "p_result": ad.p_result,
                    "bid_minor": ad.bid_minor,
                    "exposures": ad.exposures,
                    "clicked_before": ad.clicked_before,
                    "query": ad_query,
                }
                for pos, ad in sponsored.items()
            ],
        )
        items = [
            FeedItem(str(cat.external_id[r]), s, str(cat.kind[r]), pos in sponsored)
            for pos, (r, s) in enumerate(zip(rows, scores, strict=True))
        ]
        # A short page means the catalogue has nothing more for this user.
        next_cursor = root if len(items) == n else None
        return FeedPage(request_id, user_id, ranker_name, version, items, next_cursor)

    def _place_ads(
        self,
        cat: CatalogueView,
        user_pk: int,
        seen: dict[int, int],
        shown: set[int],
        scores: list[float],
        scored: ScoredItems,
        query: np.ndarray,
        now: datetime,
    ) -> dict[int, PlacedAd]:
        """Ads for this page's slots, by position: the auction's winners."""
        # An ad may be seen again, but not after the user acted on it or hid it.
        acted = self.store.items_with_actions(user_pk, AD_STOP_ACTIONS)
        excluded = cat.mask(set(acted) | shown)
        config = self.ads.config
        room: dict[int, int] = {}  # read once per page, for every live campaign

        def remaining(campaign_id: int) -> int:
            """What the budget may still sell now, less the slots served but not reported."""
            if not room:
                budgets = self.ads.budgets()
                pending = None
                if config.hold_unreported:
                    frontier = report_frontier(self.store)
                    pending = held_many(self.store, budgets, now, config.report_lag, frontier)
                room.update(self.ledger.remaining_many(budgets, now, pending))
            return room.get(campaign_id, 0)

        placed = self.ads.place(
            model_version=self.model.version if self.model else None,
            user=self.store.user_attributes(user_pk),
            excluded_rows=excluded,
            # Earlier pages of this feed were seen too, whether or not their
            # impressions have arrived yet.
            views={**{pk: 1 for pk in shown}, **seen},
            clicked={pk for pk, actions in acted.items() if "click" in actions},
            query=query,
            page_scores=np.asarray(scores, dtype=np.float64),
            score_rows=lambda r: scored.vectors[r] @ query,
            row_of_pk=cat.row_of_pk,
            remaining_minor=remaining,
        )
        return {ad.position: ad for ad in placed}

    def _resume(self, user_id: str, cursor: str | None) -> tuple[str | None, int, set[int]]:
        if cursor is None:
            return None, 0, set()
        first = self.log.request(cursor)
        if first is None or first["page"] != 0 or first["user_external_id"] != user_id:
            raise CursorError("cursor is not one this server issued for this user")
        pages, shown = self.log.chain(cursor)
        return cursor, pages, shown

    def status(self) -> dict[str, object]:
        return {
            "ranker": self.settings.ranker,
            "model_version": None if self.model is None else self.model.version,
            "model_error": self.model_error,
            "items": len(self.catalogue),
            "index": None if self.model is None else self.model.index.kind,
        }
