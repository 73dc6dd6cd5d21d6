"""The ad auction of one feed slot, on total value.

An ad's value is its effective bid times the predicted probability of the
campaign's result, plus the same organic quality term every item gets (so an
ad people hide loses even with a high bid). Ads compete in a second-price
auction with a reserve; the winner takes the slot only when its value beats
the organic item it would displace, and pays the least that would still have
won: the price that makes its value equal the runner-up's (or the reserve,
or the displaced organic item's), never more than its own bid.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bidder:
    campaign_id: int
    item_row: int  # the creative's row in the catalogue
    bid_minor: float  # effective bid per result, minor units
    p_result: float  # predicted p(campaign's result | this user sees the ad)
    quality_minor: float  # organic quality term, in the same money units

    @property
    def value(self) -> float:
        return self.bid_minor * self.p_result + self.quality_minor


@dataclass(frozen=True)
class Win:
    bidder: Bidder
    price_per_result_minor: float  # second price, per result
    expected_cost_minor: float  # price × p_result: what one impression of it is worth
    # What set the price, kept so a page can say why its ad won: the best
    # other campaign's bid (None: none bid), and the organic item's value.
    runner_up: Bidder | None = None
    displaced_value_minor: float = 0.0

    @property
    def value(self) -> float:
        return self.bidder.value


def run_auction(
    bidders: list[Bidder], displaced_value_minor: float, reserve_minor: float = 0.0
) -> Win | None:
    """The winning ad for one slot, or None when no ad beats the organic item."""
    live = [b for b in bidders if b.p_result > 0 and b.bid_minor > 0]
    if not live:
        return None
    live.sort(key=lambda b: (-b.value, b.campaign_id, b.item_row))
    best = live[0]
    # A campaign never competes with itself for one slot: the runner-up is
    # the best bid of another campaign.
    second = next((b for b in live[1:] if b.campaign_id != best.campaign_id), None)
    runner = 0.0 if second is None else second.value
    # The ad must beat the organic item and the reserve outright; a tie with
    # another ad still has a winner (the sort's), who pays the tied value.
    if best.value <= max(reserve_minor, displaced_value_minor):
        return None
    floor = max(runner, reserve_minor, displaced_value_minor)
    price = (floor - best.quality_minor) / best.p_result
    price = min(max(price, 0.0), best.bid_minor)
    return Win(best, price, price * best.p_result, second, displaced_value_minor)


@dataclass(frozen=True)
class AdLoad:
    """Where ads may go: at most one in every `every` items, `min_gap` apart."""

    every: int = 5
    min_gap: int = 3
    first: int = 2  # the first position (0-based) an ad may take

    def __post_init__(self) -> None:
        if self.every < 1 or self.min_gap < 1 or self.first < 0:
            raise ValueError("ad load: every and min_gap must be ≥ 1 and first ≥ 0")

    def slots(self, n: int, last_ad_position: int | None = None) -> list[int]:
        """Positions of a page of n items that may hold an ad.

        `last_ad_position` is where the previous page's last ad stood, counted
        from this page's start (negative), so the gap holds across pages.
        """
        out: list[int] = []
        prev = last_ad_position
        for pos in range(self.first, n):
            if prev is not None and pos - prev < max(self.min_gap, self.every):
                continue
            out.append(pos)
            prev = pos
        return out
