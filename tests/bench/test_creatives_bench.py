"""The creatives benchmark's own parts: the answer cache, ratios, the hand-written briefs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.creatives import (
    CachedModel,
    ad_text,
    advertiser_creative,
    brief_of,
    geomean,
    load_briefs,
    pooled,
    ratios,
)
from unifeed.creative import review
from unifeed.llm import Completion, Message
from unifeed.sim.adtext import within_length
from unifeed.sim.advertisers import PRODUCTS


@dataclass
class Counting:
    name: str = "counting"
    calls: list[Any] = field(default_factory=list)

    def complete(self, messages: list[Message], **kw: Any) -> Completion:
        self.calls.append((messages, kw))
        return Completion(f"answer {len(self.calls)}", "counting", 10, 5, 0.25, "stop")


def test_answers_are_cached_on_disk_by_prompt_and_options(tmp_path: Path) -> None:
    inner = Counting()
    path = tmp_path / "answers.jsonl"
    model = CachedModel(path, lambda: inner, "counting")
    ask = [Message("user", "write an ad")]
    first = model.complete(ask, seed=1, temperature=0.7)
    assert model.complete(ask, seed=1, temperature=0.7) == first
    assert model.complete(ask, seed=2, temperature=0.7) != first
    assert len(inner.calls) == 2
    # A new process reads the answers back, with their measured seconds, and never
    # opens the model.
    again = CachedModel(path, lambda: (_ for _ in ()).throw(AssertionError("opened")), "x")
    got = again.complete(ask, seed=1, temperature=0.7)
    assert got == first and got.seconds == 0.25 and again.hits == 1


def test_ratios_skip_failed_briefs_and_other_objectives() -> None:
    def row(obj: str, **arms: float | None) -> dict[str, Any]:
        return {"objective": obj, "arms": {a: {"results_per_euro": v} for a, v in arms.items()}}

    rows = [
        row("traffic", advertiser=1.0, generated=1.2),
        row("sales", advertiser=2.0, generated=1.0),
        row("leads", advertiser=1.0),  # the brief failed: no generated arm
        row("awareness", advertiser=10.0, generated=20.0),
    ]
    got = ratios(rows, "generated", "advertiser", ("traffic", "sales", "leads"))
    assert got == [1.2, 0.5]
    assert abs(geomean(got) - (0.6**0.5)) < 1e-12
    assert geomean([]) is None


def test_the_pooled_ratio_keeps_campaigns_with_no_results() -> None:
    def arm(results: int, spend: int) -> dict[str, Any]:
        return {"results": results, "spend_minor": spend, "results_per_euro": None}

    rows = [
        {"objective": "traffic", "arms": {"advertiser": arm(10, 100), "generated": arm(0, 100)}},
        {"objective": "sales", "arms": {"advertiser": arm(10, 100), "generated": arm(30, 100)}},
        {"objective": "leads", "arms": {"advertiser": arm(5, 100)}},  # failed brief
    ]
    got = pooled(rows, "generated", "advertiser", ("traffic", "sales", "leads"))
    assert got is not None and abs(got - 1.5) < 1e-12
    assert pooled(rows, "generated", "advertiser", ("leads",)) is None


def test_every_product_has_a_brief_and_a_competent_text_that_passes_review() -> None:
    data = load_briefs()
    assert set(data) == set(PRODUCTS)
    for topic in PRODUCTS:
        brief = brief_of(topic, "traffic", data)
        typed = advertiser_creative(topic, brief, data)
        assert review(typed, brief).approved, (topic, review(typed, brief).rejections)
        assert within_length(ad_text(typed.headline, typed.primary_text))
