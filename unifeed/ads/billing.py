"""From events to money and results: impression charges and attribution.

Both run on every event of a batch, new or re-sent, and both are idempotent:
a slot's impression is charged once whatever events report it (the ledger's
entry key is the slot), and a result is credited to at most one campaign
(the attribution's key is the result event), and an awareness campaign's
result, a person reached, counts once per person. So a batch re-sent after a
crash completes what the crash interrupted and changes nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from unifeed.ads.campaign_spec import MAX_CLICK_WINDOW_DAYS
from unifeed.ads.ledger import Budget, Charge, ChargeOutcome, Ledger
from unifeed.ads.objective import RESULT_ACTIONS
from unifeed.ads.records.attribution import AdEvent, AttributionRecords, Credit, Touch
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.ads.records.slots import ServedSlot, SlotRecords
from unifeed.store import Store

log = logging.getLogger(__name__)

SEEN_ACTIONS = ("impression", "click")  # events that prove an ad slot was seen


class Billing:
    def __init__(self, store: Store) -> None:
        self.ledger = Ledger(store)
        self.campaigns = CampaignRecords(store)
        self.slots = SlotRecords(store)
        self.attribution = AttributionRecords(store)

    def on_events(self, event_ids: Sequence[str]) -> dict[str, int]:
        """Charge ad impressions and attribute results among these events."""
        counts = {"charged": 0, "attributed": 0}
        # Only events on ads can be charged or be an ad's result.
        rows = self.attribution.ad_events(event_ids)
        # A click on an ad is proof it was seen: it charges the slot as its
        # impression does, so an app that reports only clicks gets no free ads.
        seen = [r for r in rows if r.action in SEEN_ACTIONS and r.request_id]
        if seen:
            counts["charged"] = self._charge(seen)
        results = [r for r in rows if r.action in RESULT_ACTIONS]
        if results:
            counts["attributed"] = self._attribute(results)
        return counts

    def _charge(self, seen: Sequence[AdEvent]) -> int:
        """Charge each ad slot these events saw, once, at its auction price.

        The slot is found by (request id, item) and must have been served to
        the event's own user: an event naming someone else's page charges
        nothing (nor uses up the slot for its real viewer). The charge is
        booked at the time the slot was served, by the server's clock; the
        event's timestamp, which the client sends, plays no part.
        """
        found = self.slots.served(list({r.request_id for r in seen}))
        by_key = {(f.request_id, f.item_id): f for f in found}
        # (slot, the event that saw it), each slot once, in the order served
        slots: dict[tuple[int, int], tuple[ServedSlot, AdEvent]] = {}
        for r in seen:
            f = by_key.get((r.request_id, r.item_id))
            if f is not None and f.user_external_id == r.viewer:
                slots.setdefault((f.feed_request_id, f.position), (f, r))
        charged = 0
        budgets: dict[int, Budget] = {}
        for key in sorted(slots):
            f, r = slots[key]
            if f.campaign_id not in budgets:
                budgets[f.campaign_id] = self.campaigns.by_id(f.campaign_id).budget
            out = self.ledger.charge(
                Charge(
                    entry_key=f"impression:{f.feed_request_id}:{f.position}",
                    campaign_id=f.campaign_id,
                    kind="impression",
                    amount_minor=int(f.price_minor),
                    served_at=f.created_at,
                    user_id=r.user_id,
                    item_id=r.item_id,
                    request_id=r.request_id,
                ),
                budgets[f.campaign_id],
            )
            charged += out is ChargeOutcome.charged
        return charged

    def _attribute(self, results: Sequence[AdEvent]) -> int:
        """Credit each result to the campaign whose ad led to it, if one did.

        A result counts when it follows a click on the campaign's ad within
        the campaign's click window, or an impression within its view window;
        a click beats an impression, and the latest touch wins. The result
        must name the ad's own item (an advertiser reports a conversion
        against the ad that led to it), so a like of a post seen after an ad
        is not that ad's engagement. A touch counts only on a slot served to
        that viewer and charged by the ledger: a click on an ad nobody
        showed them, or one the budget could not pay for, leads to nothing.
        A result's value counts only in its campaign's currency. Touches are
        read in one query outside the write transaction, which then only
        inserts.
        """
        users = list({r.user_id for r in results})
        first = min(r.timestamp for r in results) - timedelta(days=MAX_CLICK_WINDOW_DAYS)
        last = max(r.timestamp for r in results)
        touches = self.attribution.touches(
            users, list({r.item_id for r in results}), list(SEEN_ACTIONS), first, last
        )
        by_user: dict[int, list[Touch]] = {}
        for t in touches:
            by_user.setdefault(t.user_id, []).append(t)
        # An impression is a result (awareness) only if it was paid for: its
        # own slot charged, which makes the impression a touch itself.
        paid = {t.id for t in touches}
        currency = {t.campaign_id: t.currency for t in touches}
        credits = []
        # Oldest first: of one person's impressions in a batch, the first is the reach.
        for r in sorted(results, key=lambda r: (r.timestamp, r.id)):
            if r.action == "impression" and r.id not in paid:
                continue
            touch = best_touch(r, by_user.get(r.user_id, []))
            if touch is not None:
                credits.append(
                    Credit(
                        event_id=r.id,
                        campaign_id=touch[0],
                        touch=touch[1],
                        # A value in another currency is not added to this one's.
                        value=r.value if r.currency == currency[touch[0]] else None,
                        # Awareness buys people reached: one result per person.
                        reach_key=f"{touch[0]}:{r.user_id}" if r.action == "impression" else None,
                    )
                )
        if not credits:
            return 0
        return self.attribution.credit(credits)


def best_touch(result: AdEvent, touches: Sequence[Touch]) -> tuple[int, str] | None:
    """(campaign, "click" | "view") for a result, from the user's touches of ads, newest first."""
    best: tuple[int, str] | None = None
    for t in touches:
        if (
            t.item_id != result.item_id
            or t.timestamp > result.timestamp
            or result.action not in t.objective.result_actions
        ):
            continue
        age = result.timestamp - t.timestamp
        if t.action == "click" and age <= timedelta(days=t.click_window_days):
            return t.campaign_id, "click"  # the newest click: nothing beats it
        if best is None and t.action == "impression" and age <= timedelta(days=t.view_window_days):
            best = (t.campaign_id, "view")
    return best
