"""A campaign flight in a tiny market, over the real API: budgets, audiences, the report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench import ads_seeds
from bench.ads import analyse, arm_store, auctionnet, pacing
from bench.ads_report import render
from bench.audiences import audiences
from unifeed.ads.ledger import LIFETIME
from unifeed.sim.advertisers import OBJECTIVE_PLAN
from unifeed.sim.flight import FlightConfig, SimClock, run_flight
from unifeed.sim.world import START, SimConfig
from unifeed.store import schema

TINY = FlightConfig(
    sim=SimConfig(
        n_users=60,
        n_creators=10,
        n_topics=8,
        days=3,
        items_per_day=40,
        train_epochs=2,
        train_dim=16,
        diurnal=True,
    ),
    warmup_days=2,
    sessions_per_day=2.0,
    budget_minor=2_000,
    encoder="hashing",
)


@pytest.fixture(scope="module")
def flight(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("flight")
    return run_flight(TINY, out, audiences(["automatic", "demographic"]))


def test_every_campaign_runs_and_none_overspends(flight) -> None:
    _, advertisers, outcomes = flight
    assert len(advertisers) == len(OBJECTIVE_PLAN)
    assert outcomes["automatic"].feeds == outcomes["demographic"].feeds  # same sessions
    for o in outcomes.values():
        assert o.ad_impressions > 0
        store = arm_store(o)
        c, cs = schema.campaigns, schema.campaign_spend
        with store.engine.connect() as conn:
            spent = dict(
                conn.execute(
                    select(c.c.public_id, cs.c.spent_minor)
                    .join(cs, cs.c.campaign_id == c.c.id)
                    .where(cs.c.day == LIFETIME)
                ).all()
            )
        store.close()
        for a in advertisers:
            r = o.reports[a.id]
            assert r["spend_minor"] <= TINY.budget_minor
            assert r["spend_minor"] == spent.get(o.campaigns[a.id], 0)
            assert r["results"] <= r["impressions"] or a.objective == "awareness"


def test_the_demographic_baseline_reaches_only_the_picked_groups(flight) -> None:
    world, advertisers, outcomes = flight
    o = outcomes["demographic"]
    store = arm_store(o)
    lg, u, c = schema.ledger, schema.users, schema.campaigns
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(c.c.public_id, u.c.age, u.c.gender)
            .select_from(lg)
            .join(u, u.c.id == lg.c.user_id)
            .join(c, c.c.id == lg.c.campaign_id)
        ).all()
    store.close()
    assert rows
    group = {o.campaigns[a.id]: a.targeting(world) for a in advertisers}
    for public_id, age, gender in rows:
        t = group[public_id]
        assert t["age_min"] <= age <= t["age_max"] and gender in t["genders"]


def test_the_report_renders_every_part(flight) -> None:
    world, advertisers, outcomes = flight
    r = analyse(TINY, world, advertisers, outcomes)
    text = render(TINY, r, "python bench/ads.py", 1.0)
    assert "Part 1" in text and "Part 2" in text and "AuctionNet" in text
    assert "img/ads_pacing.png" in text  # the default run links its plots
    assert set(r["pacing"]) == {
        a.id for a in advertisers if a.bid_strategy["type"] == "highest_volume"
    }
    assert 0 <= r["calibration"]["n"] <= outcomes["automatic"].ad_impressions
    for p in r["pacing"].values():
        assert not p["overspent"] and 0 <= p["spent_share"] <= 1
    assert "automatic / manual" in text and "automatic / broad" not in text  # no broad arm


def test_a_one_arm_report_has_no_ratio_columns(flight) -> None:
    world, advertisers, outcomes = flight
    r = analyse(TINY, world, advertisers, {"automatic": outcomes["automatic"]})
    text = render(
        TINY, r, "python bench/ads.py --arms automatic", 1.0, intro="One arm only.", images=False
    )
    assert "automatic / " not in text and "One arm only." in text
    assert "img/" not in text  # the plots are the default run's
    header = next(line for line in text.splitlines() if line.startswith("| campaign | objective"))
    assert header.count("|") - 1 == 4  # campaign, objective, manual targeting, automatic


def test_the_spread_across_worlds_has_a_row_per_objective(flight) -> None:
    world, advertisers, outcomes = flight
    row = ads_seeds.summarise(7, analyse(TINY, world, advertisers, outcomes))
    volume = {o for o, s in OBJECTIVE_PLAN if s == "highest_volume"}
    assert set(row["ratios"]) == volume == set(row["pacing"])
    assert set(row["goals"]) == {o for o, s in OBJECTIVE_PLAN if s == "cost_per_result"}
    for objective, ratio in row["ratios"].items():
        a = next(x for x in advertisers if x.objective == objective)
        auto = outcomes["automatic"].reports[a.id]
        manual = outcomes["demographic"].reports[a.id]
        if manual["results"] and auto["spend_minor"]:
            expected = (auto["results"] / auto["spend_minor"]) / (
                manual["results"] / manual["spend_minor"]
            )
            assert ratio == pytest.approx(expected)
    text = ads_seeds.render([row, row], TINY, "python bench/ads_seeds.py", 1.0)
    assert "seed 7 | seed 7 | mean | lowest" in text
    assert all(f"| {o} |" in text for o in volume)


def test_pacing_and_score_arithmetic() -> None:
    curve = [
        {"spend_minor": s, "target_minor": t}
        for s, t in [(10, 10), (25, 20), (30, 30), (40, 40), (40, 50)]
    ]
    p = pacing({"pacing": curve, "budget_minor": 50, "spend_minor": 40, "impressions": 50})
    assert p["spent_share"] == 0.8 and not p["overspent"]
    assert p["impressions_per_hour"] == 10
    # Poisson(10): P(8 <= N <= 12) = 0.5713...
    assert p["poisson_within_20"] == pytest.approx(0.5713, abs=1e-3)
    assert p["max_cumulative_dev"] == pytest.approx(0.25)  # 25 against 20 (first 10% skipped)
    assert auctionnet(10, 50.0, 50.0) == 10
    assert auctionnet(10, 100.0, 50.0) == pytest.approx(2.5)
    assert auctionnet(0, None, 50.0) == 0.0


def test_the_sim_clock_moves_only_when_told() -> None:
    clock = SimClock(START)
    assert clock() == START
    with pytest.raises(ValueError, match="warmup_days"):
        FlightConfig(sim=SimConfig(days=2, diurnal=True), warmup_days=2)
    with pytest.raises(ValueError, match="diurnal"):
        FlightConfig(sim=SimConfig(days=5))


def test_a_flight_replays_exactly(flight, tmp_path) -> None:
    """On the simulated clock nothing depends on how fast the machine runs:
    the same flight run again buys the same impressions and results."""
    _, advertisers, outcomes = flight
    _, _, again = run_flight(TINY, tmp_path, audiences(["automatic"]))
    keys = ("spend_minor", "impressions", "reach", "results", "pacing")
    for a in advertisers:
        first, second = outcomes["automatic"].reports[a.id], again["automatic"].reports[a.id]
        assert {k: first[k] for k in keys} == {k: second[k] for k in keys}
    assert again["automatic"].ad_impressions == outcomes["automatic"].ad_impressions
