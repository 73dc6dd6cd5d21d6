"""The demo: the arms' comparison, and the market phase on the model arm's store.

`run_simulation` (`unifeed.sim.run`) runs the arms; the market phase
(`unifeed.sim.market`: brief-only advertisers and creators' assistants) starts
on its own thread as soon as the model arm is done, on a copy of its store.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any, Literal

from unifeed.sim.market import MarketConfig, Progress, _quiet, run_market
from unifeed.sim.market_result import MarketResult
from unifeed.sim.run import OPERATOR_KEY, SimObserver, SimResult, run_simulation
from unifeed.sim.world import SimConfig, build_world


def run_demo(
    config: SimConfig,
    out_dir: Path,
    market: MarketConfig | None,
    *,
    encoder: Literal["minilm", "hashing"] = "minilm",
    observer: SimObserver | None = None,
    progress: Progress = _quiet,
) -> tuple[SimResult, MarketResult | None]:
    """The arms (`run_simulation`), and the market phase on the model arm's store.

    The phase starts as soon as the model arm is done and runs on its own
    thread beside the other arms: the language model works on one core
    while they serve on the other. It touches only its copy of the store
    (``out_dir/market``), so the arms' figures are those they would be without it.
    """
    if market is None:
        return run_simulation(config, out_dir, encoder=encoder, observer=observer), None
    market = dataclasses.replace(market, encoder=encoder)
    if market.advertisers:
        _needs_a_model(out_dir)
    world = build_world(config)
    box: dict[str, Any] = {}
    threads: list[threading.Thread] = []
    began = time.perf_counter()

    def phase(model_dir: Path) -> None:
        at = time.perf_counter() - began
        try:
            box["result"] = run_market(world, market, model_dir, out_dir / "market", progress)
            box["result"].began_s = at
        except BaseException as e:  # handed to the caller's thread, which raises it
            box["error"] = e

    def after(arm: str, data_dir: Path) -> None:
        if arm == "model":
            t = threading.Thread(target=phase, args=(data_dir,), name="unifeed-demo-market")
            t.daemon = True
            t.start()
            threads.append(t)

    sim = run_simulation(config, out_dir, encoder=encoder, observer=observer, after_arm=after)
    if not threads:
        raise ValueError("the market phase runs on the model arm's store: include the model arm")
    threads[0].join()
    if "error" in box:
        raise box["error"]
    return sim, box["result"]


def _needs_a_model(out_dir: Path) -> None:
    """Brief-only campaigns need the service's language model: say so before the arms run."""
    from unifeed.settings import Settings

    if Settings(data_dir=out_dir, operator_key=OPERATOR_KEY).llm == "none":
        raise ValueError(
            "the demo's advertisers give only a brief, which needs a language model, and "
            "UNIFEED_LLM=none: set UNIFEED_LLM=embedded or openai (docs/llm.md), or pass --no-ads"
        )
