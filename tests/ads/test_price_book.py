"""The price book: its threshold holds the average cost per result at the aim."""

from __future__ import annotations

import numpy as np

from unifeed.ads.price_book import PriceBook

GOAL = 1_000.0  # minor units per result


def test_price_book_threshold_holds_the_average_cost() -> None:
    rng = np.random.default_rng(4)
    book = PriceBook(scale=GOAL)
    needed = GOAL * np.exp(rng.normal(0.0, 0.7, 5_000))
    p = rng.uniform(0.001, 0.02, 5_000)
    for n, q in zip(needed, p, strict=True):
        book.add(float(n * q), float(q))
    t = book.threshold(GOAL)
    won = needed <= t
    assert t > GOAL  # the marginal result may cost more than the goal...
    assert np.sum(needed[won] * p[won]) / np.sum(p[won]) <= GOAL  # ...the average does not
    # One bin more would have broken it (the threshold is the largest such bid).
    wider = needed <= t * book.span ** (2 / book.bins) * 1.0001
    assert np.sum(needed[wider] * p[wider]) / np.sum(p[wider]) > 0.97 * GOAL
