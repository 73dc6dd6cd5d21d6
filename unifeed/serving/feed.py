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
from unifeed.ads.calibration import Calibrator
from unifeed.ads.config import DeliveryConfig
from unifeed.ads.delivery import AdRequest, PlacedAd, Quote, eligible, place
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


@dataclass(frozen=True)
class ItemWhy:
    """Why an item is on a previewed page: its predicted click and its value
    (an ad's: bid × p(result) + quality), and for an ad the auction's record."""

    item: FeedItem
    p_click: float | None  # None: not ranked by the model, so nothing calibrated
    value_minor: float | None
    ad: PlacedAd | None = None


@dataclass(frozen=True)
class FeedPreview:
    page: FeedPage  # never logged: its request id names nothing
    items: list[ItemWhy]
    at: datetime
    calibrated: bool  # p(click) from a fitted calibration; False: the prior for every item


@dataclass(frozen=True)
class _Built:
    """A page before it is recorded."""

    page: FeedPage
    root: str
    page_number: int
    now: datetime
    item_pks: list[int]
    sponsored: dict[int, PlacedAd]
    cat: CatalogueView
    query: np.ndarray | None
    click: Calibrator


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
            "random": RandomRanker(np.random.default_rng(settings.random_seed)),
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
        built = self._build(user_id, n, cursor, include_seen, self._ad_rng)
        self._record(built)
        return built.page

    def preview(self, user_id: str, n: int) -> FeedPreview:
        """The page the feed would serve this user now, and why each item is on
        it, as a dry run: nothing is logged, so no ad slot holds budget or
        can be charged, and the feed's own random stream is left alone."""
        built = self._build(user_id, n, None, False, np.random.default_rng())
        model_ranked = built.page.ranker == "model"
        why = []
        for pos, item in enumerate(built.page.items):
            ad = built.sponsored.get(pos)
            p_click = None
            if ad is not None:
                p_click = ad.p_click
            elif model_ranked:
                p_click = float(built.click.predict(np.asarray([item.score]))[0])
            value = None if p_click is None else self.ads.config.engagement_value_minor * p_click
            why.append(ItemWhy(item, p_click, value if ad is None else ad.value_minor, ad))
        page = replace(built.page, next_cursor=None)
        return FeedPreview(page, why, built.now, built.click.n > 0)

    def _build(
        self,
        user_id: str,
        n: int,
        cursor: str | None,
        include_seen: bool,
        rng: np.random.Generator,
    ) -> _Built:
        """The page (ranked, ads placed), not yet recorded."""
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
        click = Calibrator()  # the prior, until the ads' snapshot has a fitted one
        if query is not None and user is not None:
            ads = self.ads.refresh(now, ranked.model_version, cat.row_of_pk)
            click = ads.prediction.click
            if ads.campaigns:
                sponsored = self._place_ads(
                    ads, ranked, cat, user, seen, shown, scores, now, last_ad, rng
                )
        for pos in sorted(sponsored):
            ad = sponsored[pos]
            rows.insert(pos, ad.item_row)
            scores.insert(pos, ad.score)
        rows, scores = rows[:n], scores[:n]
        sponsored = {p: a for p, a in sponsored.items() if p < n}
        request_id = uuid.uuid4().hex
        items = [
            FeedItem(str(cat.external_id[r]), s, str(cat.kind[r]), pos in sponsored)
            for pos, (r, s) in enumerate(zip(rows, scores, strict=True))
        ]
        # A short page means the catalogue has nothing more for this user.
        next_cursor = (root or request_id) if len(items) == n else None
        fp = FeedPage(request_id, user_id, ranked.ranker, ranked.model_version, items, next_cursor)
        pks = [int(cat.pk[r]) for r in rows]
        return _Built(fp, root or request_id, page, now, pks, sponsored, cat, query, click)

    def _record(self, built: _Built) -> None:
        """Log the page and the auction's record of its ad slots."""
        fp, cat = built.page, built.cat
        query = built.query
        ad_query = None if query is None else np.asarray(query, dtype=np.float32).tobytes()
        self.log.record(
            request_id=fp.request_id,
            root_request_id=built.root,
            page=built.page_number,
            user_external_id=fp.user_id,
            ranker=fp.ranker,
            model_version=fp.model_version,
            at=built.now,
            item_pks=built.item_pks,
            scores=[i.score for i in fp.items],
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
                    "runner_up_campaign_id": ad.runner_up_campaign_id,
                    "runner_up_value": ad.runner_up_value_minor,
                    "displaced_value": ad.displaced_value_minor,
                }
                for pos, ad in built.sponsored.items()
            ],
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
        rng: np.random.Generator,
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
        quotes: list[Quote] = []
        placed = place(ads, request, remaining, self.ads.config, rng, quotes)
        self.ads.observe(quotes)  # the market's prices, for the bidders' price books
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
