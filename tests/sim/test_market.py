"""The demo's market phase against the real service and the real embedded model, tiny."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unifeed.sim import SimConfig, write_report
from unifeed.sim.demo import run_demo
from unifeed.sim.market import MarketConfig

TINY = SimConfig(
    n_users=40,
    n_creators=6,
    n_topics=6,
    days=2,
    items_per_day=30,
    feed_size=5,
    train_epochs=2,
    train_dim=16,
)


@pytest.mark.slow
def test_brief_only_ads_and_assistants_run_beside_the_arms(tmp_path: Path) -> None:
    from unifeed.ads.records.campaigns import CampaignRecords
    from unifeed.settings import Settings
    from unifeed.store import Store

    market = MarketConfig(advertisers=1, variants=1, creators=1, questions=2, budget_minor=300)
    sim, m = run_demo(TINY, tmp_path, market, encoder="hashing")
    assert list(sim.arms) == ["model", "popularity", "random"]
    assert m is not None and m.day == TINY.days

    # The followers asked, and every reply is labelled AI-generated.
    assert [e.question.kind for e in m.exchanges] == ["answerable", "unanswerable"]
    assert all(e.ai_generated and e.seconds > 0 for e in m.exchanges)
    assert all(e.kind in ("answered", "quoted", "not_in_posts", "declined") for e in m.exchanges)

    # The campaign gave only a brief: what serves is what the service wrote.
    (c,) = m.campaigns
    assert c.generation["status"] == "done" and c.generation["attempts"] >= 1
    assert all(x["origin"] == "generated" for x in c.creatives)
    if c.serving:
        assert m.day_ran and c.report is not None
        assert 0 <= c.report["spend_minor"] <= market.budget_minor
        assert c.served_nothing_because is None
    else:
        assert not m.day_ran and c.report is None
        assert "no variant passed parsing and review" in (c.served_nothing_because or "")

    # The market ran on a copy: the model arm's own store has no campaign.
    store = Store(
        Settings(data_dir=tmp_path / "arms" / "model", operator_key="x" * 16).resolved_database_url
    )
    try:
        assert CampaignRecords(store).list(None) == []
    finally:
        store.close()

    page = write_report(sim, tmp_path, market=m).read_text(encoding="utf-8")
    assert "Ads Unifeed wrote" in page and "Creators' assistants" in page
    saved = json.loads((tmp_path / "summary.json").read_text())["market"]
    assert saved["assistants"]["all"]["questions"] == 2
    assert saved["campaigns"][0]["generation"]["asked"] == 1


def test_brief_only_ads_without_a_language_model_stop_before_the_arms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIFEED_LLM", "none")
    with pytest.raises(ValueError, match=r"UNIFEED_LLM=none.*--no-ads"):
        run_demo(TINY, tmp_path, MarketConfig(advertisers=1), encoder="hashing")
    assert not (tmp_path / "arms").exists()  # nothing ran


def test_the_market_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="ships 4 creators"):
        MarketConfig(creators=5)
    with pytest.raises(ValueError, match="at least 1"):
        MarketConfig(variants=0)
