"""Audience-written variants: responders grouped on their vectors, described, written for.

The model here is scripted (a `LanguageModel` like any other, as in
test_generation.py); the responders are read from a real store on both
back-ends. The real SmolLM2 writing for a group is the slow test at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from unifeed.ads.campaign_spec import Brief as CampaignBrief
from unifeed.ads.campaign_spec import CampaignSpec
from unifeed.ads.creatives import NewCreative, NewVersion
from unifeed.ads.objective import OBJECTIVES
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.ads.records.creatives import CreativeRecords
from unifeed.creative import Brief, review
from unifeed.creative.audience import (
    AudienceGroup,
    Responder,
    describe,
    group_responders,
    kmeans,
    read_responders,
    write_for_audiences,
)
from unifeed.llm import Completion, EmbeddedModel, Message
from unifeed.store import Store
from unifeed.store.feed_log import FeedLog

BRIEF = Brief(
    product_name="Copperleaf skillet",
    product="a cast-iron pan for every hob",
    description="A cast-iron skillet for every hob and the oven. Pre-seasoned. Free delivery.",
    landing_url="https://copperleaf.test",
    objective="traffic",
)
RNG = np.random.default_rng(0)
CENTRES = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])


def blobs(n: int = 10, noise: float = 0.1) -> np.ndarray:
    """(3n, 4) points around three orthogonal centres, n each, in centre order."""
    return np.concatenate([c + noise * RNG.normal(size=(n, 4)) for c in CENTRES])


def test_kmeans_finds_separate_groups_and_is_deterministic() -> None:
    x = blobs()
    labels, centres = kmeans(x, 3)
    assert centres.shape == (3, 4)
    groups = [set(np.flatnonzero(labels == j)) for j in range(3)]
    assert sorted(map(sorted, groups)) == [list(range(k * 10, k * 10 + 10)) for k in range(3)]
    again, _ = kmeans(x, 3)
    assert (again == labels).all()
    with pytest.raises(ValueError, match="k must be"):
        kmeans(x, 31)


def test_describe_names_what_sets_a_group_apart_not_what_all_share() -> None:
    histories = [["skillet garlic pasta", "beach flight passport"] for _ in range(5)] + [
        ["skillet garlic oven", "guitar album chorus"] for _ in range(5)
    ]
    labels = np.array([0] * 5 + [1] * 5)
    words = describe(histories, labels, words=3)
    assert set(words[0]) <= {"beach", "flight", "passport", "pasta"}
    assert set(words[1]) <= {"guitar", "album", "chorus", "oven"}
    # What everyone engages with (the product's own topic) sets no group apart.
    assert "skillet" not in words[0] + words[1] and "garlic" not in words[0] + words[1]


def test_groups_need_enough_responders() -> None:
    x = blobs(n=4)
    names = ("beach", "guitar", "garden")
    responders = [Responder(f"u{i}", v, (f"{names[i // 4]} posts",)) for i, v in enumerate(x)]
    assert len(group_responders(responders, k=3, min_size=4)) == 3
    assert len(group_responders(responders, k=3, min_size=5)) == 2
    assert group_responders(responders[:4], k=3, min_size=5) == []
    groups = group_responders(responders, k=3, min_size=4)
    assert sum(len(g.user_ids) for g in groups) == 12
    assert sorted(g.description for g in groups) == [
        f"people who engage with posts about {n}" for n in sorted(names)
    ]


def answer(headline: str, text: str) -> str:
    return json.dumps({"headline": headline, "primary_text": text, "call_to_action": "Learn more"})


@dataclass
class Scripted:
    script: list[str]
    name: str = "scripted"
    asked: list[list[Message]] = field(default_factory=list)

    def complete(self, messages: list[Message], **kw: Any) -> Completion:
        self.asked.append(messages)
        return Completion(self.script.pop(0), "scripted", 100, 30, 0.4, "stop")


def group(index: int, words: tuple[str, ...]) -> AudienceGroup:
    return AudienceGroup(index, (f"u{index}",), np.zeros(4), words)


def test_each_group_gets_variants_written_for_its_description_and_reviewed() -> None:
    model = Scripted(
        [
            answer(
                "Copperleaf skillet for trips", "Copperleaf skillet cooks on the campsite fire."
            ),
            answer(
                "Copperleaf skillet for trips", "Copperleaf skillet cooks on the campsite fire."
            ),
            answer("Copperleaf skillet, guitar night", "Dinner before the gig in one pan."),
        ]
    )
    groups = [group(0, ("beach", "flight")), group(1, ("guitar", "album"))]
    written = write_for_audiences(model, BRIEF, groups, variants=1, attempts=2)
    assert [w.group.index for w in written] == [0, 1]
    assert "beach, flight" in model.asked[0][-1].content
    assert "guitar, album" in model.asked[1][-1].content
    # The brief's part of the prompt is the same for every group (llama.cpp keeps it).
    assert model.asked[0][0] == model.asked[1][0]
    first, second = written[0].generation, written[1].generation
    assert len(first.attempts) == 1 and len(first.approved) == 1
    # The second group's first answer copies the first group's variant: rejected.
    assert [a.outcome for a in second.attempts] == ["rejected", "approved"]
    assert "near_duplicate" in second.attempts[0].review.rules  # type: ignore[union-attr]
    assert all(review(c, BRIEF).approved for w in written for c in w.generation.approved)


def test_a_copy_of_the_campaigns_earlier_variant_is_rejected() -> None:
    same = answer("Copperleaf skillet for trips", "Copperleaf skillet cooks on the campsite fire.")
    earlier = write_for_audiences(Scripted([same]), BRIEF, [group(0, ("beach",))])
    (kept,) = earlier[0].generation.approved
    (written,) = write_for_audiences(
        Scripted([same]), BRIEF, [group(1, ("flight",))], attempts=1, earlier=[kept]
    )
    assert written.generation.approved == []
    assert written.generation.attempts[0].outcome == "rejected"


T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_responders_are_the_clickers_with_their_latest_vector_and_history(store: Store) -> None:
    repo = CampaignRecords(store)
    adv = repo.create_advertiser("acme", "Acme")
    spec = CampaignSpec(
        name="pans",
        objective=OBJECTIVES["traffic"],
        currency="EUR",
        budget_kind="lifetime",
        budget_minor=1000,
        start_at=T0,
        end_at=T0 + timedelta(days=7),
        bid_strategy="highest_volume",
        brief=CampaignBrief(product="pans"),
        click_window_days=7,
        view_window_days=1,
    )
    c = repo.create(adv, spec)
    first = NewVersion(None, "Copperleaf skillet", "Learn more", None, (), None, None)
    (variant,) = CreativeRecords(store).add(c, [NewCreative(first, "approved")])
    ad = variant.current.item_id
    store.upsert_users([{"id": u} for u in ("ann", "bob", "cy")])
    store.upsert_items(
        [
            {"id": "p1", "kind": "post", "text": "beach flight passport"},
            {"id": "p2", "kind": "post", "text": "guitar album"},
        ]
    )
    pks = store.item_pks({ad, "p1", "p2"})
    log = FeedLog(store)
    for k, (user, vec) in enumerate([("ann", [1, 0]), ("bob", [0, 1]), ("ann", [2, 0])]):
        log.record(
            request_id=f"r{k}",
            root_request_id=f"r{k}",
            page=0,
            user_external_id=user,
            ranker="model",
            model_version=None,
            item_pks=[pks["p1"]],
            scores=[0.0],
            ad_slots=[
                {
                    "position": 1,
                    "campaign_id": c.id,
                    "item_id": pks[ad],
                    "price_minor": 10,
                    "charge_on": "impression",
                    "score": 0.5,
                    "p_result": 0.1,
                    "bid_minor": 50.0,
                    "query": np.array(vec, dtype=np.float32).tobytes(),
                }
            ],
            at=T0 + timedelta(minutes=k),
        )

    def ev(i: int, user: str, item: str, action: str) -> dict[str, Any]:
        at = T0 + timedelta(minutes=10 + i)
        return {
            "event_id": f"e{i}",
            "user_id": user,
            "item_id": item,
            "action": action,
            "timestamp": at,
        }

    store.add_events(
        [
            ev(0, "ann", ad, "click"),
            ev(1, "bob", ad, "impression"),  # seen, not clicked: no responder
            ev(2, "ann", "p1", "like"),
            ev(3, "ann", "p2", "click"),
            ev(4, "bob", "p2", "click"),
            ev(5, "cy", ad, "click"),  # clicked, but no vector logged: left out
        ]
    )
    (ann,) = read_responders(store, c.id)
    assert ann.user_id == "ann"
    assert ann.vector.tolist() == [2.0, 0.0]  # the latest slot's vector
    assert ann.texts == ("guitar album", "beach flight passport")  # newest first, no ads
    assert read_responders(store, c.id + 1) == []


@pytest.mark.slow
def test_the_embedded_model_writes_for_a_group(smollm2: EmbeddedModel) -> None:
    groups = [group(0, ("beach", "flight", "passport"))]
    (written,) = write_for_audiences(smollm2, BRIEF, groups, variants=2, attempts=3, seed=1)
    g = written.generation
    assert 2 <= len(g.attempts) <= 6
    assert all(a.seconds > 0 and a.completion_tokens > 0 for a in g.attempts)
    for c in g.approved:
        assert review(c, BRIEF).approved and c.origin == "generated"
    again = write_for_audiences(smollm2, BRIEF, groups, variants=2, attempts=3, seed=1)
    assert [a.creative for a in again[0].generation.attempts] == [a.creative for a in g.attempts]
