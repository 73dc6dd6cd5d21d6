"""Drafts join a simulated world as their creator's items; the tally counts feed reactions."""

from __future__ import annotations

import numpy as np

from unifeed.sim.drafts import Draft, FeedTally, TalliedResponse, with_drafts
from unifeed.sim.response import ResponseModel
from unifeed.sim.world import SimConfig, build_world


def small_world():
    return build_world(SimConfig(seed=3, n_users=30, n_creators=5, days=3, items_per_day=20))


def test_a_draft_is_its_creators_item_on_the_day_it_is_published():
    world = small_world()
    grown, idx = with_drafts(world, [Draft(2, "A new post about my bread."), Draft(4, "Hi.")], 1)
    assert grown.n_items == world.n_items + 2 and idx.tolist() == [world.n_items, world.n_items + 1]
    i = int(idx[0])
    assert grown.item_creator[i] == 2 and grown.item_day[i] == 1
    assert grown.item_text[i] == "A new post about my bread." and grown.item_kind[i] == "post"
    assert grown.item_topic[i] == world.creator_topics[2, 0]
    assert np.isclose(grown.item_quality[i], world.item_quality[world.item_creator == 2].mean())
    assert i in grown.items_of_day(1).tolist()
    assert grown.item_payload(i)["author"] == world.creator_ids[2]
    assert with_drafts(world, [], 1)[0] is world


def test_the_tally_counts_the_feed_and_not_what_users_find_outside_it():
    world = small_world()
    tally = FeedTally()
    response = TalliedResponse(tally=tally)
    plain = ResponseModel()
    feed, found = np.arange(0, 10), np.arange(10, 13)
    tally.day_start("model", 0, 1)
    assert response.respond(world, 0, feed) == plain.respond(world, 0, feed)  # same answers
    response.respond(world, 0, found)  # after the feed: found outside it
    tally.feeds_done(1)
    shown, engaged, _ = tally.rate(np.arange(0, 13))
    assert shown == 10 and set(tally.impressions) == set(feed.tolist())
    expected = sum(len([a for a in acts if a != "hide"]) for acts in plain.respond(world, 0, feed))
    assert engaged == expected
