"""The review (policy) check on the labelled creatives: precision and recall on rejections.

    python bench/creative_review.py [--errors] [--no-write]

Rejection is the positive class: precision is the share of the check's
rejections that the labels reject too, recall the share of labelled rejects
it catches. Briefs b03 b06 b09 b12 b15 b18 b21 were held out while the word
lists were written (tests/creative/evaluate.py); both splits are reported,
and hand-written and generated creatives apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # `python bench/NAME.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import commit, machine, today, write_section
from tests.creative import evaluate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="print every disagreement")
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    split = evaluate.splits()
    ms = (time.perf_counter() - start) * 1000 / len(split["all"])
    rows = [
        "| creatives | n | labelled rejects | precision | recall | false rejections "
        "| missed rejects |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    scored = {name: evaluate.score(pairs) for name, pairs in split.items()}
    for name, s in scored.items():
        rows.append(
            f"| {name} | {s.n} | {s.tp + s.fn} | {s.precision:.3f} | {s.recall:.3f} "
            f"| {s.fp} | {s.fn} |"
        )
    per_rule = ["| rule | labelled | caught (any split) |", "|---|---:|---:|"]
    every = scored["all"]
    for rule in sorted(every.rule_labelled):
        per_rule.append(f"| {rule} | {every.rule_labelled[rule]} | {every.per_rule[rule]} |")
    body = "\n".join(rows) + "\n\n" + "\n".join(per_rule)
    print(body)
    print(f"{ms:.2f} ms per creative")
    if args.errors:
        for name in ("development", "held out"):
            for line in scored[name].errors:
                print(f"{name}: {line}")
    if not args.no_write:
        write_section("creative-review", section(body, ms))
    return 0


def section(body: str, ms: float) -> str:
    command = " ".join(["python bench/creative_review.py", *sys.argv[1:]])
    return f"""## Review of creatives: precision and recall (`bench/creative_review.py`)

`{command}` on {machine()}, commit {commit()}, {today()}. The labelled set is
tests/creative/labelled (README there); rejection is the positive class. Targets:
precision >= 0.95, recall >= 0.90. The held-out briefs were not read while the
rules' word lists were written. {ms:.2f} ms per creative. "Caught" counts a labelled
reject whose rule the check names among its reasons (a reject caught under another
rule counts for recall above but not here).

{body}
"""


if __name__ == "__main__":
    raise SystemExit(main())
