"""Compare two `unifeed demo` runs' figures: a seeded run must replay exactly.

    python scripts/demo_diff.py runs/demo-a runs/demo-b

Reads each folder's summary.json and prints every figure that differs,
leaving out what measures time (seconds, wall times) and the campaigns'
public ids (random by design); exits 1 when any figure differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TIMES = {
    "seconds",
    "began_s",
    "stage_seconds",
    "train_seconds",
    "wall_seconds",
    "generation_wall_s",
    "median_s",
    "max_s",
}
IDS = {"campaign"}  # a campaign's public id


def figures(x: Any) -> Any:
    """`x` without its timings and random ids."""
    if isinstance(x, dict):
        return {k: figures(v) for k, v in x.items() if k not in TIMES | IDS}
    if isinstance(x, list):
        return [figures(v) for v in x]
    return x


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(a.keys() | b.keys())
            for d in differences(a.get(k), b.get(k), f"{path}/{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} | {b!r}"]


def main(a: Path, b: Path) -> int:
    first, second = (figures(json.loads((d / "summary.json").read_text())) for d in (a, b))
    diff = differences(first, second)
    for line in diff:
        print(line[:200])
    arms = first["summary"]["arms"]
    for name, arm in arms.items():
        print(
            f"{name}: {arm['impressions']} impressions, {arm['engagement_actions']} engagement "
            f"actions, last day {arm['last_day_engagement']:.4f}"
        )
    print(f"ratio {first['summary']['ratio']:.4f}")
    market = first.get("market")
    if market:
        print(f"market: {market['feeds']} feeds, {market['ad_impressions']} ad impressions")
        for c in market["campaigns"]:
            print(
                f"  {c['product']}: {c['generation']['written']}/{c['generation']['asked']} "
                f"written, spent {c['spend_minor']}, {c['impressions']} impressions, "
                f"{c['clicks']} clicks, {c['results']} results"
            )
        print(f"  assistants: {market['assistants']['all']}")
    print("identical figures" if not diff else f"{len(diff)} figures differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
