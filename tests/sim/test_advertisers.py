"""How simulated people respond to ads: wear-out with repeated exposure."""

from __future__ import annotations

import numpy as np
import pytest

from unifeed.sim.advertisers import AdResponses, build_advertisers
from unifeed.sim.response import ResponseModel
from unifeed.sim.world import SimConfig, build_world


def test_each_earlier_view_of_an_advertiser_cuts_clicks_by_the_wearout() -> None:
    world = build_world(SimConfig(n_users=400, n_creators=10, n_topics=8, items_per_day=20))
    adv = build_advertisers(world, {"traffic": 100, "leads": 80})[1]
    ads = AdResponses(world, ResponseModel(), wearout=0.5)

    def clicks(exposures: int) -> int:
        return sum(
            "click" in ads.respond(u, adv, f"{adv.id}-c{k}", 0, exposures)[0]
            for u in range(world.n_users)
            for k in range(10)
        )

    first, third = clicks(0), clicks(2)
    assert first > 200  # enough clicks for the ratio to mean something
    assert 0.25 * 0.75 < third / first < 0.25 * 1.25
    # The same uniforms decide: a repeat view never clicks where a first would not.
    assert clicks(1) <= first


def test_wearout_must_be_a_fraction() -> None:
    world = build_world(SimConfig(n_users=20, n_creators=5, n_topics=8, items_per_day=10))
    with pytest.raises(ValueError, match="wearout"):
        AdResponses(world, ResponseModel(), wearout=1.5)
    assert np.isfinite(AdResponses(world, ResponseModel(), wearout=1.0).wearout)
