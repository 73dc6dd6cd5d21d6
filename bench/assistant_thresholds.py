"""How the assistants' refusal thresholds were chosen, and what they do on held-out creators.

    nice python bench/assistant_thresholds.py            # prints and writes docs/benchmarks.md
    nice python bench/assistant_thresholds.py --no-write

No language model: the guard and the answerability judge only read embeddings
(all-MiniLM-L6-v2) and words. For each threshold pair it counts, on the two
calibration creators and on the two held-out ones apart, the answerable
questions kept and the unanswerable ones declined (answerability), and the
avoided-topic questions declined and the answerable ones wrongly declined
(guard). The rule for choosing, applied to the calibration creators only:

- answerability: the pair that keeps the most answerable questions among
  those declining >= 0.9 of the unanswerable ones;
- guard: declines every avoided-topic question and no answerable one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np

from bench.assistants import CALIBRATION, config_of, knowledge_of
from bench.report import REPO, commit, machine, today, write_section

sys.path.insert(0, str(REPO))
from tests.assistants.corpus import validate as corpus
from unifeed.assistants import answerability as judge_mod
from unifeed.assistants import guard as guard_mod
from unifeed.assistants.answerability import Answerability
from unifeed.assistants.guard import Guard
from unifeed.text.embeddings import MiniLMEncoder

SENTENCES = np.round(np.arange(0.40, 0.76, 0.02), 2)
COVERS = np.round(np.arange(0.0, 0.71, 0.05), 2)
TOPICS = np.round(np.arange(0.27, 0.44, 0.01), 2)
MARGINS = np.round(np.arange(0.0, 0.21, 0.01), 2)


@dataclass
class Row:
    qid: str
    kind: str
    calibration: bool
    similarity: float  # closest sentence
    coverage: float
    best_post: float
    vector: np.ndarray


def rows_of(creators: dict, questions: list[dict], enc) -> tuple[list[Row], dict]:
    knowledge = knowledge_of(creators, enc)
    judges = {cid: Answerability(k, enc) for cid, k in knowledge.items()}
    vectors = enc.encode([q["question"] for q in questions])
    rows = []
    for q, v in zip(questions, vectors, strict=True):
        if q["kind"] == "attack":
            continue
        cid = q["creator_id"]
        j = judges[cid].judge(q["question"], v)
        best_post = knowledge[cid].search(v, 1)[0].score
        rows.append(
            Row(q["id"], q["kind"], cid in CALIBRATION, j.similarity, j.coverage, best_post, v)
        )
    return rows, knowledge


def share(xs: list[bool]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def answerability_grid(rows: list[Row]) -> list[tuple]:
    """(sentence, covered, calib kept, calib declined, held kept, held declined) per pair."""
    out = []
    for s in SENTENCES:
        for c in COVERS:
            fig = []
            for calib in (True, False):
                sel = [r for r in rows if r.calibration == calib]
                ok = [r.similarity >= s and r.coverage >= c for r in sel]
                pairs = list(zip(ok, sel, strict=True))
                kept = share([o for o, r in pairs if r.kind == "answerable"])
                dec = share([not o for o, r in pairs if r.kind == "unanswerable"])
                fig += [kept, dec]
            out.append((float(s), float(c), *fig))
    return out


def guard_grid(rows: list[Row], creators: dict, qtext: dict, enc) -> list[tuple]:
    """(similarity, margin, calib avoided declined, calib answerable declined, held ...)."""
    guards = {cid: Guard(config_of(c), enc) for cid, c in creators.items()}
    cid_of = {q["id"]: q["creator_id"] for q in qtext.values()}
    out = []
    for t in TOPICS:
        for m in MARGINS:
            fig = []
            for calib in (True, False):
                avoided, wrong = [], []
                for r in rows:
                    if r.calibration != calib or r.kind not in ("avoided", "answerable"):
                        continue
                    g = guards[cid_of[r.qid]]
                    g.topic_similarity, g.topic_margin = float(t), float(m)
                    d = g.avoided(qtext[r.qid]["question"], r.vector, r.best_post) is not None
                    (avoided if r.kind == "avoided" else wrong).append(d)
                fig += [share(avoided), sum(wrong)]
            out.append((float(t), float(m), *fig))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    creators, questions = corpus.load()
    enc = MiniLMEncoder()
    rows, _ = rows_of(creators, questions, enc)
    qtext = {q["id"]: q for q in questions}

    grid = answerability_grid(rows)
    feasible = [g for g in grid if g[3] >= 0.9]
    chosen = max(feasible, key=lambda g: (g[2], g[3], -g[0]))
    current = next(g for g in grid if (g[0], g[1]) == (judge_mod.SENTENCE, judge_mod.COVERED))
    frontier = []
    for target in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        ok = [g for g in grid if g[3] >= target]
        if ok:
            frontier.append((target, max(ok, key=lambda g: (g[2], g[3]))))
    # One cosine alone (the rule before: best post >= threshold), for comparison.
    post_only = []
    for th in (0.45, 0.50, 0.55, 0.60, 0.65):
        fig = []
        for calib in (True, False):
            sel = [r for r in rows if r.calibration == calib]
            fig += [
                share([r.best_post >= th for r in sel if r.kind == "answerable"]),
                share([r.best_post < th for r in sel if r.kind == "unanswerable"]),
            ]
        post_only.append((th, *fig))

    ggrid = guard_grid(rows, creators, qtext, enc)
    gfeasible = [g for g in ggrid if g[2] == 1.0 and g[3] == 0]
    gcurrent = next(
        g for g in ggrid if (g[0], g[1]) == (guard_mod.TOPIC_SIMILARITY, guard_mod.TOPIC_MARGIN)
    )

    def f(x: float) -> str:
        return "n/a" if x != x else f"{x:.2f}"

    lines = [
        "Answerability (closest sentence cosine >= S and IDF-weighted coverage >= C), "
        "answerable kept / unanswerable declined:",
        "",
        "| rule | calibration: kept | calibration: declined | held-out: kept "
        "| held-out: declined |",
        "|---|---|---|---|---|",
    ]
    for th, *fig in post_only:
        figs = " | ".join(map(f, fig))
        lines.append(f"| best post cosine >= {th:.2f} (one threshold) | {figs} |")
    for target, g in frontier:
        lines.append(
            f"| S={g[0]:.2f}, C={g[1]:.2f} (most kept with calibration declined >= {target}) | "
            + " | ".join(map(f, g[2:]))
            + " |"
        )
    lines.append(
        f"| **in use: S={current[0]:.2f}, C={current[1]:.2f}** | "
        + " | ".join(map(f, current[2:]))
        + " |"
    )
    lines += [
        "",
        f"Chosen by the rule on the calibration creators: S={chosen[0]:.2f}, C={chosen[1]:.2f}.",
        "",
        "Guard (topic cosine >= T, and >= best post cosine - M; lexical rules as well): "
        "avoided declined / answerable wrongly declined:",
        "",
        "| T, M | calibration: avoided declined | calibration: answerable declined "
        "| held-out: avoided declined | held-out: answerable declined |",
        "|---|---|---|---|---|",
        f"| **in use: {gcurrent[0]:.2f}, {gcurrent[1]:.2f}** | {f(gcurrent[2])} | {gcurrent[3]} "
        f"| {f(gcurrent[4])} | {gcurrent[5]} |",
    ]
    region = sorted({(g[0], g[1]) for g in gfeasible})
    held_avoided = sorted({g[4] for g in gfeasible})
    held_wrong = sorted({g[5] for g in gfeasible})
    lines += [
        "",
        f"Pairs meeting the guard's rule on the calibration creators: {len(region)} of "
        f"{len(ggrid)}"
        + (
            f", T in [{region[0][0]:.2f}, {region[-1][0]:.2f}], M in "
            f"[{min(m for _, m in region):.2f}, {max(m for _, m in region):.2f}]; on the held-out "
            f"creators they decline {f(held_avoided[0])} to {f(held_avoided[-1])} of the avoided "
            f"questions and {held_wrong[0]} to {held_wrong[-1]} answerable ones. In use: the "
            "smallest margin of the region (the least eager), and a T inside it."
            if region
            else " (none)."
        ),
    ]
    out = "\n".join(lines)
    print(out)
    if not args.no_write:
        write_section(
            "assistant-thresholds",
            "## Assistant refusal thresholds (`bench/assistant_thresholds.py`)\n\n"
            f"`nice python bench/assistant_thresholds.py` on {machine()}, commit {commit()}, "
            f"{today()}. No language model. Calibration creators: {', '.join(CALIBRATION)}; "
            "held-out: the other two. Answerable, unanswerable and avoided-topic questions of "
            "tests/assistants/corpus (attacks are the guard's patterns, not these "
            "thresholds).\n\n" + out + "\n",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
