"""Published assistant drafts in the simulator: engagement per impression against the
creators' own posts.

    nice python bench/assistant_drafts.py                 # writes docs/benchmarks.md
    nice python bench/assistant_drafts.py --no-write --creators 4 --days 3

A small seeded world (unifeed.sim). Before day `--day`, each of the most prolific
creators asks its assistant (`unifeed.assistants.write_draft`, the embedded SmolLM2)
for a post about its home topic, written from its posts so far, and publishes it: the
draft is posted that day as the creator's item, and the model arm's server ranks it
from its text like any new item (unifeed/sim/drafts.py says what its hidden quality and
topics are). Reported: feed impressions and engagement actions (clicks + likes + long
views) per impression of the drafts, of the same creators' own posts of that day, and
of all that day's posts, over the days from `--day` on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.assistants import no_amx_repack, uptime
from bench.report import REPO, commit, machine, today, write_section

sys.path.insert(0, str(REPO))
from unifeed.assistants import AssistantConfig, Knowledge, Post
from unifeed.assistants.drafts import write_draft
from unifeed.llm import EmbeddedModel, LanguageModelError
from unifeed.sim.drafts import Draft, FeedTally, TalliedResponse, with_drafts
from unifeed.sim.run import run_arm
from unifeed.sim.world import SimConfig, build_world
from unifeed.text.embeddings import MiniLMEncoder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--creators", type=int, default=8, help="creators who publish a draft")
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--day", type=int, default=1, help="the day the drafts are published")
    ap.add_argument("--items-per-day", type=int, default=100)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    load_before = uptime()
    cfg = SimConfig(
        seed=args.seed,
        n_users=args.users,
        n_creators=20,
        days=args.days,
        items_per_day=args.items_per_day,
    )
    world = build_world(cfg)
    enc = MiniLMEncoder()
    no_amx_repack()
    model = EmbeddedModel()

    before = world.item_day < args.day
    counts = np.bincount(world.item_creator[before], minlength=len(world.creator_ids))
    chosen = [int(c) for c in np.argsort(-counts, kind="stable")[: args.creators]]
    drafts, cpu = [], time.process_time()
    for c in chosen:
        mine = np.flatnonzero(before & (world.item_creator == c))
        posts = [Post(world.item_ids[i], world.item_text[i]) for i in mine]
        topic = world.topics[int(world.creator_topics[c, 0])]
        config = AssistantConfig(
            name=f"{world.creator_ids[c]}'s assistant", persona="Short, friendly, first person."
        )
        try:
            got = write_draft(model, config, topic, Knowledge.encode(posts, enc), enc, seed=c)
        except LanguageModelError as e:
            print(f"{world.creator_ids[c]}: no draft ({e})", file=sys.stderr)
            continue
        drafts.append(Draft(c, got.text))
        print(f"{world.creator_ids[c]} ({topic}): {got.text}", file=sys.stderr, flush=True)
    draft_cpu = (time.process_time() - cpu) / max(1, len(drafts))

    world, draft_items = with_drafts(world, drafts, args.day)
    tally = FeedTally()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_arm(
            world,
            "model",
            Path(tmp),
            encoder="minilm",
            response=TalliedResponse(tally=tally),
            observer=tally,
        )
    sim_seconds = time.perf_counter() - start

    later = world.item_day >= args.day
    is_draft = np.zeros(world.n_items, dtype=bool)
    is_draft[draft_items] = True
    writers = np.isin(world.item_creator, [d.creator for d in drafts])
    same_day = world.item_day == args.day
    groups = [
        ("published drafts", draft_items),
        (
            "the same creators' own posts of that day",
            np.flatnonzero(same_day & writers & ~is_draft),
        ),
        (
            "the same creators' own posts, from that day on",
            np.flatnonzero(later & writers & ~is_draft),
        ),
        ("every post of that day", np.flatnonzero(same_day & ~is_draft)),
    ]
    rows = []
    base = None
    for name, items in groups:
        shown, engaged, aff = tally.rate(items)
        rate = engaged / shown if shown else float("nan")
        if name.startswith("the same creators' own posts of that day"):
            base = rate
        seen = sum(tally.impressions.get(int(i), 0) > 0 for i in items)
        rows.append((name, len(items), seen, shown, engaged, rate, aff))
    lines = [
        "| items | count | shown in a feed at least once | feed impressions | engagement actions "
        "| per impression | ratio to the creators' own posts of that day "
        "| mean viewer affinity (hidden) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, n, seen, shown, engaged, rate, aff in rows:
        ratio = rate / base if base else float("nan")
        lines.append(
            f"| {name} | {n} | {seen} | {shown} | {engaged} | {rate:.3f} | {ratio:.2f} "
            f"| {aff:.3f} |"
        )
    per_draft = [
        "| creator | draft (first 90 characters) | impressions | engagement |",
        "|---|---|---|---|",
    ]
    for d, i in zip(drafts, draft_items.tolist(), strict=True):
        text = d.text.replace("|", "/").replace("\n", " ")[:90]
        per_draft.append(
            f"| {world.creator_ids[d.creator]} | {text} | {tally.impressions.get(i, 0)} "
            f"| {tally.engaged.get(i, 0)} |"
        )
    table, drafts_table = "\n".join(lines), "\n".join(per_draft)
    print(table)
    print(drafts_table)
    if not args.no_write:
        command = " ".join(["nice python bench/assistant_drafts.py", *sys.argv[1:]])
        write_section(
            "assistant-drafts",
            f"""## Assistant drafts in the simulator (`bench/assistant_drafts.py`)

`{command}` on {machine()}, commit {commit()}, {today()}; load average {load_before}
before, {uptime()} after. World: seed {cfg.seed}, {cfg.n_users} users, {cfg.n_creators}
creators, {cfg.days} days of {cfg.items_per_day} posts, the model arm only (MiniLM
content embeddings, retrained every night). On day {args.day}, {len(drafts)} creators
(the most prolific so far) publish one draft each, written by the embedded SmolLM2
from their earlier posts ({draft_cpu:.1f} CPU-s a draft); simulation {sim_seconds:.0f} s.
A draft's hidden quality is its creator's mean and its hidden topics the creator's home
topics (unifeed/sim/drafts.py), so the comparison is about how the ranker places a
model-written text, not about how readers would like it. Impressions and engagement are
the feed's, from day {args.day} on; the viewer affinity column is the hidden ground truth
(interest of the users shown the item in its topics), which explains the rates.

{table}

{drafts_table}
""",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
