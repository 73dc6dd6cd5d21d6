"""Hyper-parameter sweep: train many configurations in parallel worker processes.

    python bench/sweep.py CONFIGS.json --data-dir DIR --workers 8 --out results.jsonl

CONFIGS.json is a list of objects: {"dataset": "Beauty", ...ModelConfig and
TrainConfig fields...}. Each line of the output holds the configuration, the
best validation epoch, validation and test metrics and the training time. Runs
on the GPU when there is one (the figures that matter are CPU runs of
bench/recsys.py; a sweep only narrows the search).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run_one(args: tuple[dict, str, int]) -> dict:
    import torch

    from unifeed.data import read_sequences
    from unifeed.model.evaluate import evaluate
    from unifeed.model.split import leave_one_out
    from unifeed.model.train import TrainConfig, fit
    from unifeed.model.transducer import ModelConfig, Transducer

    conf, data_dir, threads = args
    torch.set_num_threads(threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = read_sequences(Path(data_dir) / f"{conf['dataset']}.txt")
    split = leave_one_out(data)
    mk = {k: v for k, v in conf.items() if k in ModelConfig.__dataclass_fields__}
    tk = {k: v for k, v in conf.items() if k in TrainConfig.__dataclass_fields__}
    model = Transducer(ModelConfig(n_items=split.n_items, **mk))
    t0 = time.perf_counter()
    result = fit(model, split, TrainConfig(**tk), device=device)
    test = evaluate(model, split.test, split.n_items, max_len=model.cfg.max_len, device=device)
    curve = [(r["epoch"], round(r.get("valid_ndcg@10", 0.0), 4)) for r in result.history]
    return {
        "config": conf,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "seconds": round(time.perf_counter() - t0, 1),
        "valid": {k: round(v, 4) for k, v in result.best_valid.items()},
        "test": {k: round(v, 4) for k, v in test.items()},
        "curve": curve[:: max(1, len(curve) // 20)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", type=Path)
    ap.add_argument("--data-dir", default="../shared/data/amazon-s3rec")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("sweep.jsonl"))
    a = ap.parse_args()
    confs = json.loads(a.configs.read_text())
    ctx = mp.get_context("spawn")
    with ctx.Pool(a.workers) as pool, a.out.open("a") as out:
        jobs = [(c, a.data_dir, a.threads) for c in confs]
        for res in pool.imap_unordered(run_one, jobs):
            line = json.dumps(res)
            out.write(line + "\n")
            out.flush()
            t = res["test"]
            print(f"{res['config']} -> test hr@10 {t['hr@10']} ndcg@10 {t['ndcg@10']} "
                  f"best@{res['best_epoch']}/{res['epochs_run']} {res['seconds']}s", flush=True)


if __name__ == "__main__":
    main()
