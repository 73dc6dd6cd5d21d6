"""The serving benchmark at toy scale, so the script cannot rot between real runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.serve import Setup, make_world, render, run, sustained


def test_world_users_have_histories_on_known_items() -> None:
    world = make_world(n_items=200, n_users=30, seed=1)
    ids = {i["id"] for i in world.items}
    per_user = Counter(e["user_id"] for e in world.events)
    assert set(per_user) == set(world.users)
    assert all(10 <= c <= 20 for c in per_user.values())
    assert all(e["item_id"] in ids for e in world.events)
    assert len({e["event_id"] for e in world.events}) == len(world.events)
    assert make_world(n_items=200, n_users=30, seed=1).events == world.events


def test_sustained_is_the_fastest_clean_step_under_budget() -> None:
    steps = [
        {"rate": 10.0, "errors": 0, "p99_ms": 20.0},
        {"rate": 50.0, "errors": 0, "p99_ms": 45.0},
        {"rate": 100.0, "errors": 0, "p99_ms": 80.0},
        {"rate": 150.0, "errors": 3, "p99_ms": 30.0},
    ]
    assert sustained(steps) == 50.0
    assert sustained(steps[2:]) is None


def test_the_whole_benchmark_runs_at_toy_scale(tmp_path: Path) -> None:
    r = run(
        500,
        50,
        rates=(20.0,),
        step_seconds=1.0,
        rounds=1,
        train={"dim": 8, "n_blocks": 1, "epochs": 1},
        setups=(Setup("model, exact", 10**9, 2.0),),
        ingest_batches_seq=2,
        ingest_senders=2,
        ingest_batches_conc=4,
        batch_size=100,
        workdir=tmp_path,
    )
    (setup,) = r["setups"]
    ((step,),) = setup["rounds"]
    assert step["errors"] == 0, step["error_kinds"]
    assert step["ok"] == step["sent"] == 20
    assert step["rankers"] == {"model": 20}  # every user has a history
    seq, conc = r["ingest"]
    assert (seq["accepted"], seq["errors"]) == (200, 0)
    assert (conc["accepted"], conc["errors"]) == (400, 0)
    text = render(r, "python bench/serve.py --items 500")
    assert "| model, exact | exact | 20 |" in text
    assert "| 2 | 4 × 100 |" in text


def _step(rate: float, p99: float, errors: int = 0) -> dict:
    return {
        "rate": rate,
        "achieved_rps": rate,
        "ok": int(rate),
        "p50_ms": p99 / 4,
        "p99_ms": p99,
        "errors": errors,
        "rankers": {"model": int(rate)},
    }


def test_render_shows_every_round_and_counts_only_what_all_rounds_met() -> None:
    def setup(label: str, rounds: list[list[dict]]) -> dict:
        per_round = [sustained(r) for r in rounds]
        return {
            "label": label,
            "index": "exact",
            "rounds": rounds,
            "sustained_rps": None if None in per_round else min(per_round),
            "peak_rps": 50.0,
            "startup_seconds": 1.0,
            "server_peak_rss_mb": 100.0,
        }

    fast = setup("a", [[_step(10, 20), _step(50, 40)], [_step(10, 30), _step(50, 45)]])
    slow = setup("b", [[_step(10, 20), _step(50, 90)], [_step(10, 30)]])
    r = {
        "items": 10,
        "users": 2,
        "events": 20,
        "load_seconds": 0.1,
        "train": {},
        "train_seconds": 0.1,
        "step_seconds": 1.0,
        "load_before": (0.0,),
        "load_after": (0.0,),
        "setups": [slow, fast, fast],
        "ingest": [],
    }
    assert (fast["sustained_rps"], slow["sustained_rps"]) == (50, 10)
    text = render(r, "python bench/serve.py")
    assert "| b | exact | 50 | 50.0 / – | 22.5 / – | 90.0 / – | 0 / – |" in text
    # HNSW / exact is setups[1] / setups[2]; every 2 s / hourly is setups[0] / setups[1].
    assert "| HNSW / exact search, both polling hourly | 1.00 | 1.00 | 1.00 (at 50 req/s) |" in text
    assert "| polling every 2 s / hourly, both HNSW | 0.20 | 1.00 | 1.00 (at 10 req/s) |" in text
