"""The ledger never charges twice and never past the budget, on both back-ends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from unifeed.ads.campaign_spec import Brief, CampaignSpec
from unifeed.ads.ledger import Budget, Charge, ChargeOutcome, Ledger
from unifeed.ads.objective import OBJECTIVES
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.store import Store

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def budget_of(amount: int, kind: str = "lifetime") -> Budget:
    """The budget of `campaign` below: a flight of a week from T0."""
    return Budget(kind, amount, T0, T0 + timedelta(days=7))


def campaign(store: Store, budget: int, kind: str = "lifetime") -> int:
    repo = CampaignRecords(store)
    adv = repo.create_advertiser("acme", "Acme")
    c = repo.create(
        adv,
        CampaignSpec(
            name="spring",
            objective=OBJECTIVES["traffic"],
            currency="EUR",
            budget_kind=kind,
            budget_minor=budget,
            start_at=T0,
            end_at=T0 + timedelta(days=7),
            bid_strategy="highest_volume",
            brief=Brief(product="shoes"),
            click_window_days=7,
            view_window_days=1,
        ),
    )
    return c.id


def test_a_resent_charge_is_a_duplicate(store: Store) -> None:
    cid = campaign(store, 1000)
    ledger = Ledger(store)
    c = Charge("imp:r1:0", cid, "impression", 30, T0)
    assert ledger.charge(c, budget_of(1000)) is ChargeOutcome.charged
    assert ledger.charge(c, budget_of(1000)) is ChargeOutcome.duplicate
    assert ledger.spent(cid) == ledger.total(cid) == 30


def test_a_charge_the_budget_cannot_cover_leaves_no_trace(store: Store) -> None:
    cid = campaign(store, 100)
    ledger = Ledger(store)
    b = budget_of(100)
    assert ledger.charge(Charge("a", cid, "click", 60, T0), b) is ChargeOutcome.charged
    assert ledger.charge(Charge("b", cid, "click", 60, T0), b) is ChargeOutcome.over_budget
    assert ledger.charge(Charge("c", cid, "click", 40, T0), b) is ChargeOutcome.charged
    assert ledger.spent(cid) == ledger.total(cid) == 100
    assert ledger.remaining(cid, b, T0) == 0
    # The refused charge's key was rolled back with it, so it may succeed later.
    assert store.count("ledger") == 2


def test_daily_budget_resets_each_day(store: Store) -> None:
    cid = campaign(store, 50, kind="daily")
    ledger = Ledger(store)
    b = budget_of(50, "daily")
    assert ledger.charge(Charge("d1", cid, "click", 50, T0), b) is ChargeOutcome.charged
    assert ledger.charge(Charge("d1b", cid, "click", 1, T0), b) is ChargeOutcome.over_budget
    nxt = T0 + timedelta(days=1)
    assert ledger.charge(Charge("d2", cid, "click", 50, nxt), b) is ChargeOutcome.charged
    assert ledger.spent(cid) == 100 and ledger.remaining(cid, b, nxt) == 0


def test_nothing_served_outside_the_flight_is_charged(store: Store) -> None:
    cid = campaign(store, 1000)
    ledger, b = Ledger(store), budget_of(1000)
    for k, t in enumerate(
        [T0 - timedelta(seconds=1), T0 + timedelta(days=7), datetime(1970, 1, 1)]
    ):
        out = ledger.charge(Charge(f"o{k}", cid, "impression", 5, t), b)
        assert out is ChargeOutcome.outside_flight
    assert store.count("ledger") == 0
    assert ledger.remaining(cid, b, T0 + timedelta(days=7)) == 0
    assert ledger.remaining(cid, b, T0) == 1000


def test_a_daily_budget_is_bounded_by_its_day_and_its_flight(store: Store) -> None:
    """A week's flight from 09:00 touches eight UTC days: at most 8 x 50 in all."""
    cid = campaign(store, 50, kind="daily")
    ledger, b = Ledger(store), budget_of(50, "daily")
    assert (b.flight_days, b.total_minor) == (8, 400)
    assert [key for key, _ in b.caps(T0)] == ["all", "2026-03-01"]
    # The auction's view of a slot served now is the ledger's booking of it.
    assert ledger.remaining(cid, b, T0, held={"2026-03-01": 20}) == 30
    assert ledger.remaining(cid, b, T0, held={"all": 395}) == 5


def test_amounts_are_positive_integers() -> None:
    for bad in (0, -5, 1.5):
        with pytest.raises(ValueError, match="positive integer"):
            Charge("k", 1, "click", bad, T0)  # type: ignore[arg-type]


def test_eight_concurrent_chargers_never_overspend(store: Store) -> None:
    budget = 1_000
    cid = campaign(store, budget)
    ledger = Ledger(store)
    outcomes: list[ChargeOutcome] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        for k in range(40):
            out = ledger.charge(Charge(f"w{w}:{k}", cid, "impression", 7, T0), budget_of(budget))
            with lock:
                outcomes.append(out)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    charged = outcomes.count(ChargeOutcome.charged)
    assert charged == budget // 7  # 142 charges fit, and all of them were made
    assert ledger.spent(cid) == ledger.total(cid) == charged * 7 <= budget
