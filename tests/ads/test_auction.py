"""Second-price auction on total value, and the ad-load policy."""

from __future__ import annotations

import pytest

from unifeed.ads.auction import AdLoad, Bidder, run_auction


def bidder(cid: int, bid: float, p: float, q: float = 0.0, row: int = 0) -> Bidder:
    return Bidder(cid, row or cid, bid, p, q)


def test_winner_pays_what_it_takes_to_beat_the_runner_up() -> None:
    win = run_auction([bidder(1, 100, 0.1), bidder(2, 100, 0.05)], displaced_value_minor=1)
    assert win is not None and win.bidder.campaign_id == 1
    # Runner-up value 5 = price × 0.1 → price 50 per result, 5 per impression.
    assert win.price_per_result_minor == pytest.approx(50)
    assert win.expected_cost_minor == pytest.approx(5)
    # The record of why: the runner-up that set the price, and the organic item.
    assert win.runner_up is not None and win.runner_up.campaign_id == 2
    assert win.runner_up.value == pytest.approx(5) and win.displaced_value_minor == 1


def test_price_never_exceeds_the_bid_and_reserve_binds() -> None:
    win = run_auction([bidder(1, 100, 0.1)], displaced_value_minor=0, reserve_minor=4)
    assert win is not None and win.price_per_result_minor == pytest.approx(40)
    assert run_auction([bidder(1, 100, 0.1)], displaced_value_minor=0, reserve_minor=11) is None


def test_a_tie_between_two_ads_still_fills_the_slot_at_the_tied_price() -> None:
    # Equal bids on equal predictions are common (two campaigns on their prior).
    win = run_auction([bidder(1, 100, 0.1), bidder(2, 100, 0.1)], displaced_value_minor=1)
    assert win is not None and win.bidder.campaign_id == 1
    assert win.price_per_result_minor == pytest.approx(100)


def test_an_ad_must_beat_the_organic_item_it_displaces() -> None:
    assert run_auction([bidder(1, 100, 0.1)], displaced_value_minor=10) is None
    assert run_auction([bidder(1, 100, 0.1)], displaced_value_minor=9.9) is not None


def test_quality_counts_and_a_hated_ad_loses_despite_its_bid() -> None:
    liked = bidder(1, 50, 0.1, q=3)  # value 8
    hated = bidder(2, 70, 0.1, q=-5)  # value 2
    win = run_auction([hated, liked], displaced_value_minor=0)
    assert win is not None and win.bidder.campaign_id == 1
    assert win.price_per_result_minor == 0.0  # its quality alone beats the runner-up


def test_a_campaign_does_not_raise_its_own_price() -> None:
    win = run_auction(
        [bidder(1, 100, 0.1, row=5), bidder(1, 90, 0.1, row=6), bidder(2, 10, 0.1)],
        displaced_value_minor=0,
    )
    assert win is not None and win.price_per_result_minor == pytest.approx(10)
    # The runner-up is another campaign, never the winner's other creative.
    assert win.runner_up is not None and win.runner_up.campaign_id == 2


def test_a_lone_bidder_has_no_runner_up() -> None:
    win = run_auction([bidder(1, 100, 0.1)], displaced_value_minor=2)
    assert win is not None and win.runner_up is None
    assert win.price_per_result_minor == pytest.approx(20)  # the organic item set it


def test_ad_load_spacing() -> None:
    policy = AdLoad(every=5, min_gap=3, first=2)
    assert policy.slots(20) == [2, 7, 12, 17]
    # Previous page's ad three items before this page: the first slot waits.
    assert policy.slots(10, last_ad_position=-1) == [4, 9]
    assert AdLoad(every=1, min_gap=2, first=0).slots(6) == [0, 2, 4]
    with pytest.raises(ValueError):
        AdLoad(every=0)
