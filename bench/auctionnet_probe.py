"""One AuctionNet episode through the shared harness, recording what a hindsight ceiling needs.

Runs inside AuctionNet's own virtual environment (like `bench/auctionnet_strategy.py`):
it wraps the environment's `simulate_ad_bidding` and calls the harness's
`run_episode.py` unchanged (same arguments). For the player, it keeps, per
opportunity of each tick, its pValue and the three highest bids of the 47
others (what the player would pay for each slot in that GSP), from the last
auction of the tick (the harness reruns a tick's auction after cutting bids
over budget). `bench/auctionnet_ceiling.py` reads the file it writes.

    AUCTIONNET_PROBE=out.npz python bench/auctionnet_probe.py --strategy pid \\
        --player-index 0 --episode 0 --out out.json
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

import numpy as np

HOME = os.environ["AUCTIONNET_HOME"]
ROOT = os.environ["AUCTIONNET_ROOT"]
HARNESS = os.path.join(HOME, "harness", "run_episode.py")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--player-index", type=int, default=0)
    known, _ = ap.parse_known_args()
    player = known.player_index
    sys.path[:0] = [ROOT, os.path.join(ROOT, "strategy_train_env")]
    from simul_bidding_env.Environment.BiddingEnv import BiddingEnv

    ticks: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    original = BiddingEnv.simulate_ad_bidding

    def recorded(self, pv_values, p_value_sigmas, bids):
        others = np.array(bids, dtype=np.float64, copy=True)
        own = others[:, player].copy()
        others[:, player] = 0.0
        top = -np.partition(-others, 2, axis=1)[:, :3]
        top = -np.sort(-top, axis=1)
        # Keyed by the tick's pValue array (one per tick, kept by the generator):
        # a rerun of the tick's auction replaces its record.
        ticks[id(pv_values)] = (
            pv_values[:, player].astype(np.float32),
            top.astype(np.float32),
            own.astype(np.float32),
        )
        return original(self, pv_values, p_value_sigmas, bids)

    BiddingEnv.simulate_ad_bidding = recorded
    sys.argv = [HARNESS, *sys.argv[1:]]
    runpy.run_path(HARNESS, run_name="__main__")
    rows = list(ticks.values())
    np.savez_compressed(
        os.environ["AUCTIONNET_PROBE"],
        tick=np.concatenate([np.full(len(r[0]), i, dtype=np.int8) for i, r in enumerate(rows)]),
        pvalue=np.concatenate([r[0] for r in rows]),
        others=np.concatenate([r[1] for r in rows]),
        bid=np.concatenate([r[2] for r in rows]),
    )


if __name__ == "__main__":
    main()
