"""The hidden response model: interest drives clicks, and draws are fixed per (user, item)."""

from __future__ import annotations

import numpy as np

from unifeed.sim.response import ResponseModel, response_uniforms
from unifeed.sim.world import SimConfig, build_world

WORLD = build_world(SimConfig(n_users=200, n_creators=10, n_topics=8, days=2, items_per_day=60))
MODEL = ResponseModel()


def _top_and_bottom(u: int) -> tuple[np.ndarray, np.ndarray]:
    """Items in the user's favourite topic and in their least favourite one."""
    theta = WORLD.interests[u]
    top = np.flatnonzero(WORLD.item_topic == theta.argmax())
    bottom = np.flatnonzero(WORLD.item_topic == theta.argmin())
    return top, bottom


def test_interest_drives_clicks_and_hides() -> None:
    items = np.arange(WORLD.n_items)
    for u in range(20):
        top, bottom = _top_and_bottom(u)
        p = MODEL.probabilities(WORLD, u, items)
        assert p["click"][top].mean() > 2 * p["click"][bottom].mean()
        assert p["hide"][bottom].mean() > p["hide"][top].mean()
        for key in ("click", "like", "long_view", "hide"):
            assert ((p[key] > 0) & (p[key] < 1)).all()


def test_quality_matters_to_everyone() -> None:
    worse = ResponseModel(click_quality=0.0)
    items = np.arange(WORLD.n_items)
    good = WORLD.item_quality > 1.0
    p = MODEL.probabilities(WORLD, 0, items)["click"]
    flat = worse.probabilities(WORLD, 0, items)["click"]
    assert (p[good] > flat[good]).all()


def test_responses_are_fixed_by_seed_user_and_item() -> None:
    items = np.arange(30)
    first = MODEL.respond(WORLD, 3, items)
    # Shown in another order or alongside other items, each item gets the same response.
    again = MODEL.respond(WORLD, 3, items[::-1])[::-1]
    assert first == again
    alone = [MODEL.respond(WORLD, 3, np.array([i]))[0] for i in items]
    assert first == alone


def test_response_shape() -> None:
    acts = MODEL.respond(WORLD, 0, np.arange(WORLD.n_items))
    assert len(acts) == WORLD.n_items
    for a in acts:
        # like and long_view only after a click; a hide never with a click
        assert set(a) <= {"click", "like", "long_view", "hide"}
        assert ("like" not in a and "long_view" not in a) or "click" in a
        assert not ("hide" in a and "click" in a)
    assert MODEL.respond(WORLD, 0, np.array([], dtype=np.int64)) == []


def test_observed_rates_match_the_probabilities() -> None:
    items = np.arange(WORLD.n_items)
    clicks = expected = 0.0
    for u in range(WORLD.n_users):
        acts = MODEL.respond(WORLD, u, items)
        clicks += sum("click" in a for a in acts)
        expected += MODEL.probabilities(WORLD, u, items)["click"].sum()
    n = WORLD.n_users * WORLD.n_items
    assert abs(clicks - expected) / n < 0.01


def test_uniforms() -> None:
    u = response_uniforms(0, "user1", "item1")
    assert u.shape == (4,) and ((u >= 0) & (u < 1)).all()
    np.testing.assert_array_equal(u, response_uniforms(0, "user1", "item1"))
    assert not np.array_equal(u, response_uniforms(1, "user1", "item1"))
    assert not np.array_equal(u, response_uniforms(0, "user1", "item2"))
