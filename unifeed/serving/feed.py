"""The feed: which ranker answers, what it must leave out, and what was shown.

Every page served is recorded with its request id, so events that name the
request join what was shown with what was done. A cursor is the id of the
first page; later pages exclude everything the earlier ones showed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from unifeed.actions import POSITIVE_ACTIONS
from unifeed.ads.config import DeliveryConfig
from unifeed.ads.delivery import AdRequest, PlacedAd, eligible, place
from unifeed.ads.learner import AdLearner
from unifeed.ads.ledger import Ledger
from unifeed.ads.snapshot import AdSnapshot
from unifeed.ads.unreported import held_many
from unifeed.clock import Clock, WallClock
from unifeed.serving.catalogue import CatalogueView, LiveCatalogue
from unifeed.serving.rankers import (
    ModelRanker,
    PopularityRanker,
    PublishedModel,
    RandomRanker,
    Ranker,
    Ranking,
)
from unifeed.settings import Settings
from unifeed.store import Store
from unifeed.store.activity import UserActivity
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
        clock: Clock | None = None,
        delivery: DeliveryConfig | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or WallClock()
        if delivery is None:
            delivery = DeliveryConfig(report_lag=timedelta(minutes=settings.ads_report_lag_minutes))
        self.ads = AdLearner(store, self.clock, settings.reload_seconds, delivery)
        self._ad_rng = np.random.default_rng(0)  # throttling, the baselines' rotation
        self.ledger = Ledger(store)
        self.log = FeedLog(store)
        self.catalogue = LiveCatalogue(store, settings.reload_seconds, self.clock)
        self.popularity = PopularityRanker(store, settings.reload_seconds, self.clock)
        self.published = PublishedModel(store, settings, self.catalogue, self.clock)
        rankers: dict[str, Ranker] = {
            "model": self.published,
            "popularity": self.popularity,
            "random": RandomRanker(),
        }
        self.ranker = rankers[settings.ranker]

    @property
    def model(self) -> ModelRanker | None:
        """The checkpoint being served, if the model ranks and one is loaded."""
        return self.published.current

    def reload(self, force: bool = False) -> bool:
        """Load the published checkpoint if it changed; True when a new one loaded."""
        return self.ranker is self.published and self.published.reload(force)

    # ----------------------------------------------------------------- feed
    def feed(
        self, user_id: str, n: int, cursor: str | None = None, include_seen: bool = False
    ) -> FeedPage:
        root, page, shown = self._resume(user_id, cursor)
        last_ad = None if root is None else self.log.last_ad_position(root)
        # One time for the page: the auction asks the budget about the day the
        # ledger will book its slots to, which is when they are logged as served.
        now = self.clock.now()
        self.reload()
        self.catalogue.refresh()
        cat = self.catalogue.view()  # this request reads this view only
        user = self.store.activity(user_id)  # one read: attributes and events
        # Everything the user has an event on; ads need it even when the page may repeat items.
        seen = user.seen() if user is not None else {}
        exclude = cat.mask(shown if include_seen else seen.keys() | shown) | cat.is_ad
        ranked = self.ranker.rank(cat, user, n, exclude)
        if ranked is None:
            # No model yet, or a user with no history: popularity, labelled so.
            ranked = replace(self.popularity.rank(cat, user, n, exclude), ranker="fallback")
        rows, scores = list(ranked.rows), [float(s) for s in ranked.scores]
        query = ranked.query
        sponsored: dict[int, PlacedAd] = {}
        if query is not None and user is not None:
            ads = self.ads.refresh(now, ranked.model_version, cat.row_of_pk)
            if ads.campaigns:
                sponsored = self._place_ads(
                    ads, ranked, cat, user, seen, shown, scores, now, last_ad
                )
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
            ranker=ranked.ranker,
            model_version=ranked.model_version,
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
        return FeedPage(
            request_id, user_id, ranked.ranker, ranked.model_version, items, next_cursor
        )

    def _place_ads(
        self,
        ads: AdSnapshot,
        ranked: Ranking,
        cat: CatalogueView,
        user: UserActivity,
        seen: dict[int, int],
        shown: set[int],
        scores: list[float],
        now: datetime,
        last_ad: int | None,
    ) -> dict[int, PlacedAd]:
        """Ads for this page's slots, by position: the auction's winners."""
        # An ad may be seen again, but not after the user acted on it or hid it.
        acted = user.acted(AD_STOP_ACTIONS)
        excluded = cat.mask(set(acted) | shown)
        viewer = user.attributes
        live = eligible(ads, viewer, self.ads.config)
        if not live:
            return {}
        ads = self.ads.refit(ranked.model_version)  # when due
        # What each budget may still sell now, less the slots served but not
        # reported yet, read once for the page.
        config = self.ads.config
        budgets = {c.campaign.id: c.campaign.budget for c in live}
        pending = None
        if config.hold_unreported:
            pending = held_many(self.store, budgets, now, config.report_lag, ads.hold)
        remaining = self.ledger.remaining_many(budgets, now, pending)
        assert ranked.query is not None and ranked.item_vectors is not None
        request = AdRequest(
            viewer=viewer,
            query=ranked.query,
            item_vectors=ranked.item_vectors,
            row_of_pk=cat.row_of_pk,
            excluded_rows=excluded,
            page_scores=np.asarray(scores, dtype=np.float64),
            # Earlier pages of this feed were seen too, whether or not their
            # impressions have arrived yet.
            views={**{pk: 1 for pk in shown}, **seen},
            clicked={pk for pk, actions in acted.items() if "click" in actions},
            last_ad_position=last_ad,  # the gap holds across pages
        )
        placed = place(ads, request, remaining, self.ads.config, self._ad_rng)
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
            "model_error": self.published.error,
            "items": len(self.catalogue),
            "index": None if self.model is None else self.model.index.kind,
        }
