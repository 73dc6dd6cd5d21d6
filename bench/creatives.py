"""Generated creatives benchmark: who writes the ads, in a world that reads them.

    python bench/creatives.py [--seeds 0,1,2] [--users 400] [--flight-days 2] [--no-write]

The ads flight of `unifeed.sim.flight`, with the world reading ad texts
(`unifeed.sim.adtext`: angles, topic words and quality move each person's
p(click)), three arms from the same warmed-up store, same budgets, same
delivery (the model's audience, each viewer shown the creative the model
scores highest for them):

  advertiser   one competent ad per campaign, written by hand from the brief
               (bench/creatives_briefs.json)
  generated    the variants the embedded model writes from the same brief
               (`unifeed.creative.generate`, reviewed; no templates, no fallback:
               a brief with no approved variant is reported as failed)
  audience     the generated arm, plus variants written after the first flight
               day for the groups of people who clicked
               (`unifeed.creative.audience`)

and the same three arms again in the control world, whose people ignore ad
text (`AdTextResponse(text_blind=True)`): any lift there is the simulator's
noise. Model answers are cached under runs/creatives/llm/ by prompt and seed,
so a rerun replays the same variants in seconds; the figures of the first
call (seconds, tokens) are kept with them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import pickle
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if __name__ == "__main__":  # `python bench/NAME.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import REPO, commit, machine, today, write_section
from unifeed.creative import Brief, Creative, Generation, generate, review
from unifeed.llm import Completion, LanguageModel, Message

BRIEFS = REPO / "bench" / "creatives_briefs.json"
ARMS = ("advertiser", "generated", "audience")
WORLDS = ("read", "blind")
# Objectives whose result follows a click: the targets are over these.
CLICK_FOLLOWING = ("traffic", "engagement", "leads", "app_promotion", "sales")
SPEND_UNIT = 100  # results per 100 minor units (per euro)
TARGETS = {"generated/advertiser": 1.10, "audience/generated": 1.05}


# --- the model, cached by prompt -------------------------------------------------------


class CachedModel:
    """A language model whose answers are kept on disk by (messages, options).

    The real model loads on the first miss only, so a rerun with every answer
    cached never loads it. A cached answer keeps the seconds and tokens of the
    call that made it: the generation figures stay those measured.
    """

    def __init__(self, path: Path, open_model: Callable[[], LanguageModel], name: str) -> None:
        self.path = path
        self.name = name
        self._open = open_model
        self._model: LanguageModel | None = None
        self._answers: dict[str, dict[str, Any]] = {}
        self.hits = self.misses = 0
        self._load()

    def _load(self) -> None:
        """Read the answers on disk (another run may be adding to them)."""
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line another process is still writing
            self._answers[row["key"]] = row["completion"]

    @staticmethod
    def key(messages: list[Message], options: dict[str, Any]) -> str:
        raw = json.dumps(
            {"m": [[m.role, m.content] for m in messages], "o": options}, sort_keys=True
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def complete(self, messages: list[Message], **options: Any) -> Completion:
        k = self.key(messages, options)
        got = self._answers.get(k)
        if got is None:
            self._load()
            got = self._answers.get(k)
        if got is not None:
            self.hits += 1
            return Completion(**got)
        if self._model is None:
            self._model = self._open()
        c = self._model.complete(messages, **options)
        self.misses += 1
        row = dataclasses.asdict(c)
        self._answers[k] = row
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"key": k, "completion": row}) + "\n")
        return c


def embedded() -> LanguageModel:
    from unifeed.llm import EmbeddedModel

    return EmbeddedModel()


def embedded_name() -> str:
    from unifeed.llm import smollm2_path

    return f"{smollm2_path().stem} (llama.cpp, 1 thread)"


# --- briefs and texts ------------------------------------------------------------------


def load_briefs() -> dict[str, dict[str, str]]:
    data = json.loads(BRIEFS.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def brief_of(topic: str, objective: str, data: dict[str, dict[str, str]]) -> Brief:
    from unifeed.sim.advertisers import PRODUCTS, _slug

    brand, product, line, _ = PRODUCTS[topic]
    return Brief(
        product_name=product,
        product=line,
        description=data[topic]["description"],
        landing_url=f"https://{_slug(brand)}.example",
        advertiser=brand,
        objective=objective,  # type: ignore[arg-type]
        tone="friendly, plain",
    )


def ad_text(headline: str, primary_text: str) -> str:
    """How a creative goes to the API and the simulated people: headline, then text."""
    return f"{headline}\n{primary_text}"


def advertiser_creative(topic: str, brief: Brief, data: dict[str, dict[str, str]]) -> Creative:
    return Creative(
        headline=data[topic]["headline"],
        primary_text=data[topic]["primary_text"],
        call_to_action="Learn more",
        landing_url=str(brief.landing_url),
        origin="typed",
    )


# --- figures ---------------------------------------------------------------------------


def results_per_euro(r: dict[str, Any]) -> float | None:
    return SPEND_UNIT * r["results"] / r["spend_minor"] if r["spend_minor"] else None


def geomean(xs: Sequence[float]) -> float | None:
    xs = [x for x in xs if x is not None and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def ratios(
    rows: list[dict[str, Any]], top: str, bottom: str, objectives: Sequence[str]
) -> list[float]:
    """Per campaign of these objectives: results per euro of arm `top` over `bottom`,
    where both ran and bought something (a failed brief has no row in `top`)."""
    out = []
    for r in rows:
        if r["objective"] not in objectives:
            continue
        a, b = r["arms"].get(top), r["arms"].get(bottom)
        if not a or not b or not a["results_per_euro"] or not b["results_per_euro"]:
            continue
        out.append(a["results_per_euro"] / b["results_per_euro"])
    return out


def pooled(
    rows: list[dict[str, Any]], top: str, bottom: str, objectives: Sequence[str]
) -> float | None:
    """Results per euro of `top` over `bottom`, summed over the campaigns both ran
    (zero results included, which a geometric mean cannot hold)."""
    pairs = [
        (r["arms"][top], r["arms"][bottom])
        for r in rows
        if r["objective"] in objectives and top in r["arms"] and bottom in r["arms"]
    ]
    spend_t, spend_b = (
        sum(t["spend_minor"] for t, _ in pairs),
        sum(b["spend_minor"] for _, b in pairs),
    )
    res_t, res_b = sum(t["results"] for t, _ in pairs), sum(b["results"] for _, b in pairs)
    if not spend_t or not spend_b or not res_b:
        return None
    return (res_t / spend_t) / (res_b / spend_b)


def generation_figures(gens: Sequence[Generation], asked: int) -> dict[str, Any]:
    attempts = [a for g in gens for a in g.attempts]
    secs = [a.seconds for a in attempts if a.seconds > 0]
    tps = [a.completion_tokens / a.seconds for a in attempts if a.seconds > 0]
    answered = [a for a in attempts if a.outcome != "failed"]
    parsed = [a for a in answered if a.outcome != "invalid"]
    reviewed = [a for a in attempts if a.review is not None]
    passed = [a for a in reviewed if a.review and a.review.approved]
    approved = sum(len(g.approved) for g in gens)
    return {
        "briefs": len(gens),
        "attempts": len(attempts),
        "median_s_per_attempt": statistics.median(secs) if secs else None,
        "median_tokens_per_s": statistics.median(tps) if tps else None,
        "parsed": len(parsed),
        "answered": len(answered),
        "reviewed": len(reviewed),
        "review_passed": len(passed),
        "approved": approved,
        "asked": asked,
        "s_per_approved": sum(secs) / approved if approved else None,
        "failed_briefs": sum(not g.approved for g in gens),
        "outcomes": dict(Counter(a.outcome for a in attempts).most_common()),
        "errors": dict(
            Counter(
                (a.error or "").split(",")[0] for a in attempts if a.outcome == "invalid"
            ).most_common(4)
        ),
        "rules": dict(
            Counter(
                str(r.rule) for a in attempts if a.review for r in a.review.rejections
            ).most_common(5)
        ),
    }


# --- one seed --------------------------------------------------------------------------


@dataclass
class Options:
    seeds: list[int]
    users: int
    flight_days: int
    warmup_days: int
    budget_minor: int
    variants: int
    attempts: int
    groups: int
    min_group: int
    gen_seed: int
    worlds: list[str]
    out: Path
    encoder: str = "minilm"
    audience_log: list[dict[str, Any]] = field(default_factory=list)


def pregenerate(opts: Options, seed: int, model: CachedModel, log: Callable[[str], None]) -> None:
    """The generated arm's variants for this seed's campaigns, into the cache."""
    from unifeed.sim.advertisers import build_advertisers
    from unifeed.sim.world import SimConfig, build_world

    world = build_world(SimConfig(seed=seed, n_users=opts.users, diurnal=True))
    data = load_briefs()
    for a in build_advertisers(world, {"traffic": 100, "leads": 80}, 1):
        t0 = time.perf_counter()
        g = generate(
            model,
            brief_of(world.topics[a.topic], a.objective, data),
            variants=opts.variants,
            attempts=opts.attempts,
            seed=opts.gen_seed,
        )
        log(
            f"seed {seed}: {world.topics[a.topic]} ({a.objective}): {len(g.approved)} approved "
            f"of {len(g.attempts)} attempts ({time.perf_counter() - t0:.0f} s)"
        )


def run_seed(opts: Options, seed: int, model: CachedModel, log: Callable[[str], None]) -> dict:
    from bench.audiences import audiences
    from unifeed.sim.advertisers import build_advertisers
    from unifeed.sim.flight import FlightConfig, run_arm, warm_up
    from unifeed.sim.world import SimConfig, build_world

    base = FlightConfig(
        sim=SimConfig(
            seed=seed, n_users=opts.users, days=opts.warmup_days + opts.flight_days, diurnal=True
        ),
        warmup_days=opts.warmup_days,
        budget_minor=opts.budget_minor,
        encoder=opts.encoder,  # type: ignore[arg-type]
    )
    world = build_world(base.sim)
    advertisers = build_advertisers(world, base.cost_goals_minor, 1)
    data = load_briefs()
    briefs = {a.id: brief_of(world.topics[a.topic], a.objective, data) for a in advertisers}
    typed = {
        a.id: advertiser_creative(world.topics[a.topic], briefs[a.id], data) for a in advertisers
    }

    gens: dict[str, Generation] = {}
    for a in advertisers:
        t0 = time.perf_counter()
        gens[a.id] = generate(
            model, briefs[a.id], variants=opts.variants, attempts=opts.attempts, seed=opts.gen_seed
        )
        log(
            f"seed {seed}: {a.id} {world.topics[a.topic]}: {len(gens[a.id].approved)} approved "
            f"of {len(gens[a.id].attempts)} attempts ({time.perf_counter() - t0:.0f} s)"
        )
    # A brief with no approved variant failed in the generated and audience arms: its
    # campaign is reported as failed there and left out of every ratio. It still runs
    # with the advertiser's text in every arm, as the rest of the market: without it the
    # other campaigns would meet less competition in those arms than in the advertiser's,
    # a lift that has nothing to do with text (the first run's control showed 1.63x).
    failed = {a.id for a in advertisers if not gens[a.id].approved}
    typed_text = {
        a.id: (ad_text(typed[a.id].headline, typed[a.id].primary_text),) for a in advertisers
    }
    texts = {
        "advertiser": typed_text,
        "generated": {
            a.id: tuple(ad_text(c.headline, c.primary_text) for c in gens[a.id].approved)
            or typed_text[a.id]
            for a in advertisers
        },
    }
    texts["audience"] = texts["generated"]

    warm_dir = opts.out / f"seed{seed}" / "warm"
    # The warm-up is the same organic market whatever the arms (no ads yet): kept.
    done = warm_dir.parent / f"warm-{opts.users}-{opts.warmup_days}.done"
    if not done.exists():
        t0 = time.perf_counter()
        warm_up(base, world, warm_dir)
        done.write_text("ok")
        log(f"seed {seed}: warm-up {time.perf_counter() - t0:.0f} s")
    audience_gens: dict[str, list[dict[str, Any]]] = {}
    result: dict[str, Any] = {"seed": seed, "topics": {}, "worlds": {}}
    for a in advertisers:
        result["topics"][a.id] = world.topics[a.topic]
    delivery = audiences(["automatic"])["automatic"]
    for w in opts.worlds:
        cfg = dataclasses.replace(base, ad_text=w)
        outcomes: dict[str, Any] = {}
        for arm in ARMS:
            advs = [dataclasses.replace(a, texts=texts[arm][a.id]) for a in advertisers]
            hook = None
            if arm == "audience":
                log_w: list[dict[str, Any]] = []
                audience_gens[w] = log_w
                hook = audience_hook(
                    opts, model, [a for a in advs if a.id not in failed], briefs, gens, log_w, log
                )
            t0 = time.perf_counter()
            outcomes[arm] = run_arm(
                cfg,
                world,
                advs,
                arm,
                delivery,
                warm_dir,
                opts.out / f"seed{seed}" / w / arm,
                after_day=hook,
            )
            log(f"seed {seed} {w} {arm}: {time.perf_counter() - t0:.0f} s")
        rows = []
        for a in advertisers:
            row = {
                "advertiser": a.id,
                "objective": a.objective,
                "strategy": a.bid_strategy["type"],
                "topic": world.topics[a.topic],
                "arms": {},
            }
            for arm in ARMS:
                if arm != "advertiser" and a.id in failed:
                    continue  # a failed brief: no figures for this arm
                r = outcomes[arm].reports[a.id]
                row["arms"][arm] = {
                    "spend_minor": r["spend_minor"],
                    "impressions": r["impressions"],
                    "clicks": r["clicks"],
                    "ctr": r["ctr"],
                    "results": r["results"],
                    "results_per_euro": results_per_euro(r),
                }
            rows.append(row)
        result["worlds"][w] = {"campaigns": rows, "audience_variants": audience_gens.get(w, [])}
    result["generation"] = {a.id: gens[a.id] for a in advertisers}
    result["typed_rejections"] = {
        world.topics[a.topic]: [str(r) for r in review(typed[a.id], briefs[a.id]).rejections]
        for a in advertisers
        if not review(typed[a.id], briefs[a.id]).approved
    }
    result["typed"] = {
        a.id: ad_text(typed[a.id].headline, typed[a.id].primary_text) for a in advertisers
    }
    return result


def from_stores(opts: Options, seed: int, model: CachedModel, log: Callable[[str], None]) -> dict:
    """A seed's result read back from the stores its arms left under --out.

    For a run stopped before it could save: an arm counts when its flight
    finished, which the next arm's store (or the seed's saved result) shows;
    the campaigns' figures are the report the API gives, computed from the
    store at the same moment the flight asked for it. The generated variants
    come back from the answer cache; what was written for groups is not kept
    in the store, so a salvaged audience arm lists its groups from nothing.
    """
    from unifeed.ads.records.campaigns import CampaignRecords
    from unifeed.ads.report import campaign_report
    from unifeed.settings import Settings
    from unifeed.sim.advertisers import build_advertisers
    from unifeed.sim.flight import FlightConfig
    from unifeed.sim.world import SimConfig, build_world
    from unifeed.store import Store

    cfg = FlightConfig(
        sim=SimConfig(
            seed=seed, n_users=opts.users, days=opts.warmup_days + opts.flight_days, diurnal=True
        ),
        warmup_days=opts.warmup_days,
    )
    world = build_world(cfg.sim)
    advertisers = build_advertisers(world, cfg.cost_goals_minor, 1)
    data = load_briefs()
    briefs = {a.id: brief_of(world.topics[a.topic], a.objective, data) for a in advertisers}
    typed = {
        a.id: advertiser_creative(world.topics[a.topic], briefs[a.id], data) for a in advertisers
    }
    gens = {
        a.id: generate(
            model, briefs[a.id], variants=opts.variants, attempts=opts.attempts, seed=opts.gen_seed
        )
        for a in advertisers
    }
    failed = {a.id for a in advertisers if not gens[a.id].approved}
    now = cfg.flight_end + dt.timedelta(hours=6)
    result: dict[str, Any] = {"seed": seed, "worlds": {}, "seconds": 0.0}
    result["topics"] = {a.id: world.topics[a.topic] for a in advertisers}
    for w in opts.worlds:
        base = opts.out / f"seed{seed}" / w
        finished = [
            arm for k, arm in enumerate(ARMS) if k + 1 < len(ARMS) and (base / ARMS[k + 1]).exists()
        ]
        log(f"seed {seed} {w}: finished arms {finished}")
        reports: dict[str, dict[str, Any]] = {}
        for arm in finished:
            store = Store(
                Settings(data_dir=base / arm, operator_key="x" * 16).resolved_database_url
            )
            try:
                by_name = {c.name: c for c in CampaignRecords(store).list(None)}
                reports[arm] = {
                    a.id: campaign_report(
                        store, by_name[a.campaign_name], now, audience_breakdown=False
                    )
                    for a in advertisers
                }
            finally:
                store.close()
        rows = []
        for a in advertisers:
            row: dict[str, Any] = {
                "advertiser": a.id,
                "objective": a.objective,
                "strategy": a.bid_strategy["type"],
                "topic": world.topics[a.topic],
                "arms": {},
            }
            for arm in finished:
                if arm != "advertiser" and a.id in failed:
                    continue
                r = reports[arm][a.id]
                row["arms"][arm] = {
                    "spend_minor": r["spend_minor"],
                    "impressions": r["impressions"],
                    "clicks": r["clicks"],
                    "ctr": r["ctr"],
                    "results": r["results"],
                    "results_per_euro": results_per_euro(r),
                }
            rows.append(row)
        result["worlds"][w] = {"campaigns": rows, "audience_variants": []}
    result["generation"] = gens
    result["typed_rejections"] = {
        world.topics[a.topic]: [str(r) for r in review(typed[a.id], briefs[a.id]).rejections]
        for a in advertisers
        if not review(typed[a.id], briefs[a.id]).approved
    }
    result["typed"] = {
        a.id: ad_text(typed[a.id].headline, typed[a.id].primary_text) for a in advertisers
    }
    return result


def audience_hook(
    opts: Options,
    model: CachedModel,
    advertisers: list[Any],
    briefs: dict[str, Brief],
    gens: dict[str, Generation],
    record: list[dict[str, Any]],
    log: Callable[[str], None],
) -> Callable[[Any, int], None]:
    """After the first flight day: group each campaign's clickers, write for each group."""
    from sqlalchemy import select

    from unifeed.creative.audience import group_responders, read_responders, write_for_audiences
    from unifeed.settings import Settings
    from unifeed.store import Store, schema

    def hook(flight: Any, day: int) -> None:
        if day != flight.cfg.warmup_days:
            return
        store = Store(
            Settings(data_dir=flight.data_dir, operator_key="x" * 16).resolved_database_url
        )
        try:
            with store.engine.connect() as conn:
                pk = dict(
                    conn.execute(select(schema.campaigns.c.public_id, schema.campaigns.c.id)).all()
                )
            for a in advertisers:
                if a.objective not in CLICK_FOLLOWING or not a.texts:
                    continue
                responders = read_responders(store, pk[flight.campaigns[a.id]])
                groups = group_responders(responders, k=opts.groups, min_size=opts.min_group)
                t0 = time.perf_counter()
                written = write_for_audiences(
                    model,
                    briefs[a.id],
                    groups,
                    variants=1,
                    attempts=opts.attempts,
                    seed=opts.gen_seed,
                    earlier=gens[a.id].approved,
                )
                new = [c for w in written for c in w.generation.approved]
                if new:
                    flight.add_creatives(
                        a, [ad_text(c.headline, c.primary_text) for c in new], prefix="aud"
                    )
                record.append(
                    {
                        "advertiser": a.id,
                        "responders": len(responders),
                        "groups": [
                            {
                                "size": len(w.group.user_ids),
                                "description": w.group.description,
                                "approved": [
                                    ad_text(c.headline, c.primary_text)
                                    for c in w.generation.approved
                                ],
                            }
                            for w in written
                        ],
                        "generation": [w.generation for w in written],
                    }
                )
                log(
                    f"  audience {a.id}: {len(responders)} responders, {len(groups)} groups, "
                    f"{len(new)} approved ({time.perf_counter() - t0:.0f} s)"
                )
        finally:
            store.close()

    return hook


# --- summary and report ----------------------------------------------------------------


def summarise(results: list[dict[str, Any]], opts: Options) -> dict[str, Any]:
    out: dict[str, Any] = {"worlds": {}}
    objectives = list(
        dict.fromkeys(r["objective"] for r in results[0]["worlds"][opts.worlds[0]]["campaigns"])
    )
    for w in opts.worlds:
        per_seed = []
        for res in results:
            rows = res["worlds"][w]["campaigns"]
            per_seed.append(
                {
                    "seed": res["seed"],
                    "generated/advertiser": geomean(
                        ratios(rows, "generated", "advertiser", CLICK_FOLLOWING)
                    ),
                    "audience/generated": geomean(
                        ratios(rows, "audience", "generated", CLICK_FOLLOWING)
                    ),
                    "pooled generated/advertiser": pooled(
                        rows, "generated", "advertiser", CLICK_FOLLOWING
                    ),
                    "pooled audience/generated": pooled(
                        rows, "audience", "generated", CLICK_FOLLOWING
                    ),
                    "n_generated": len(ratios(rows, "generated", "advertiser", CLICK_FOLLOWING)),
                    "n_audience": len(ratios(rows, "audience", "generated", CLICK_FOLLOWING)),
                }
            )
        all_rows = [r for res in results for r in res["worlds"][w]["campaigns"]]
        overall = {
            k: geomean(ratios(all_rows, top, bottom, CLICK_FOLLOWING))
            for k, (top, bottom) in {
                "generated/advertiser": ("generated", "advertiser"),
                "audience/generated": ("audience", "generated"),
                "audience/advertiser": ("audience", "advertiser"),
            }.items()
        }
        by_objective: dict[str, Any] = {}
        for obj in objectives:
            cell: dict[str, Any] = {}
            for arm in ARMS:
                rpe = [
                    r["arms"][arm]["results_per_euro"]
                    for r in all_rows
                    if r["objective"] == obj and arm in r["arms"]
                ]
                ctr = [
                    r["arms"][arm]["ctr"]
                    for r in all_rows
                    if r["objective"] == obj and arm in r["arms"]
                ]
                rpe = [x for x in rpe if x is not None]
                ctr = [x for x in ctr if x is not None]
                cell[arm] = {
                    "rpe_mean": float(np.mean(rpe)) if rpe else None,
                    "rpe_min": min(rpe) if rpe else None,
                    "rpe_max": max(rpe) if rpe else None,
                    "ctr_mean": float(np.mean(ctr)) if ctr else None,
                    "n": len(rpe),
                }
            for k, (top, bottom) in {
                "generated/advertiser": ("generated", "advertiser"),
                "audience/generated": ("audience", "generated"),
            }.items():
                rs = ratios(all_rows, top, bottom, [obj])
                cell[k] = {
                    "geomean": geomean(rs),
                    "min": min(rs) if rs else None,
                    "max": max(rs) if rs else None,
                }
            by_objective[obj] = cell
        out["worlds"][w] = {"per_seed": per_seed, "overall": overall, "by_objective": by_objective}
    gens = [g for res in results for g in res["generation"].values()]
    # A brief met in several seeds is generated once (the same prompts and seed).
    uniq = {g.brief.model_dump_json(): g for g in gens}
    out["generation"] = generation_figures(list(uniq.values()), opts.variants * len(uniq))
    aud = [
        g
        for res in results
        for w in opts.worlds
        for rec in res["worlds"][w]["audience_variants"]
        for g in rec["generation"]
    ]
    out["audience_generation"] = generation_figures(aud, len(aud))
    out["failed_briefs"] = sorted(
        {
            res["topics"][a]
            for res in results
            for a, g in res["generation"].items()
            if not g.approved
        }
    )
    return out


def _x(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}x"


def _n(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


INTRO = (
    "World: {users} users, seeds {seeds}; {warmup} organic days, then a {days}-day flight "
    "of 8 campaigns (one per objective, two with cost goals), each with a lifetime budget "
    "of {budget:.2f} EUR, delivered by the model's audience (each viewer is shown the "
    "campaign's creative the model scores highest for them). People respond to ad text by "
    'the simulator\'s own rules (docs/creative.md, "The simulated response to ad text"): '
    "angles they lean to, words of topics they like, the brand named, length and "
    "readability.\n\n"
    "Arms: **advertiser**: one ad per campaign written by hand from the brief "
    "(bench/creatives_briefs.json); **generated**: the variants SmolLM2-135M writes from "
    "the same brief ({variants} slots over the five angles, at most {attempts} attempts "
    "each, reviewed); **audience**: the generated arm plus, after the first flight day, "
    "one variant per group of the campaign's clickers (k-means on the model's user "
    "vectors, k <= {groups}, groups of >= {min_group}), written from the group's "
    "description (`unifeed.creative.audience`). **Control**: the same arms in a world "
    "whose people ignore ad text. Results per euro = attributed results per 100 minor "
    "units spent. Ratios are geometric means over the campaigns whose result follows a "
    "click (traffic, engagement, leads, app promotion, sales; awareness buys reach, which "
    "a creative does not change); a campaign whose brief got no approved variant is left "
    "out of them. The geometric mean leaves out campaigns with no result in either arm; "
    "the pooled ratio (results over spend, summed over the campaigns compared) keeps them."
    "\n\n"
    "A failed brief's campaign still runs, with the advertiser's text, in every arm, as the "
    "rest of the market. The first run (seed 0, commit 872f2f1) dropped such campaigns "
    "from the generated and audience arms instead, and its control caught the flaw: "
    "generated / advertiser was 1.63x in the world that ignores text (1.20x in the one "
    "that reads it), because the remaining campaigns met less competition for the same "
    "slots, not because of their text."
)


def _seed_table(ws: dict[str, Any]) -> list[str]:
    lines = [
        "| seed | generated / advertiser | audience / generated | campaigns compared "
        "| pooled: generated / advertiser, audience / generated |",
        "|---|---|---|---|---|",
    ]
    for p in ws["per_seed"]:
        ga, ag = _x(p["generated/advertiser"]), _x(p["audience/generated"])
        pool = f"{_x(p['pooled generated/advertiser'])}, {_x(p['pooled audience/generated'])}"
        lines.append(
            f"| {p['seed']} | {ga} | {ag} | {p['n_generated']}, {p['n_audience']} | {pool} |"
        )
    cells = []
    for key in ("generated/advertiser", "audience/generated"):
        seeds = [p[key] for p in ws["per_seed"] if p[key]]
        lo, hi = _x(min(seeds, default=None)), _x(max(seeds, default=None))
        cells.append(
            f"**{_x(ws['overall'][key])}** (seeds {lo} to {hi}; target {TARGETS[key]:.2f}x)"
        )
    lines.append(f"| all | {cells[0]} | {cells[1]} | | |")
    return lines


def _arm_cell(c: dict[str, Any]) -> str:
    if not c["n"]:
        return "–"
    ctr = None if c["ctr_mean"] is None else 100 * c["ctr_mean"]
    spread = f"{_n(c['rpe_min'])} to {_n(c['rpe_max'])}"
    return f"{_n(c['rpe_mean'])} ({spread}), CTR {_n(ctr)}%"


def _objective_table(ws: dict[str, Any]) -> list[str]:
    lines = [
        "| objective | advertiser | generated | audience | generated / advertiser "
        "| audience / generated |",
        "|---|---|---|---|---|---|",
    ]
    for obj, cell in ws["by_objective"].items():
        arms = " | ".join(_arm_cell(cell[arm]) for arm in ARMS)
        rs = []
        for key in ("generated/advertiser", "audience/generated"):
            r = cell[key]
            rs.append(f"{_x(r['geomean'])} ({_x(r['min'])} to {_x(r['max'])})")
        lines.append(f"| {obj} | {arms} | {rs[0]} | {rs[1]} |")
    return lines


def _gen_row(label: str, f: dict[str, Any]) -> str:
    parsed = f"{f['parsed']}/{f['answered']} ({f['parsed'] / max(f['answered'], 1):.0%})"
    passed = (
        f"{f['review_passed']}/{f['reviewed']} ({f['review_passed'] / max(f['reviewed'], 1):.0%})"
    )
    return (
        f"| {label} | {f['briefs']} | {f['attempts']} | {_n(f['median_s_per_attempt'])} "
        f"| {_n(f['median_tokens_per_s'], 1)} | {parsed} | {passed} "
        f"| {f['approved']}/{f['asked']} | {_n(f['s_per_approved'], 1)} | {f['failed_briefs']} |"
    )


def _counts(c: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in c.items()) or "none"


def _one_line(text: str) -> str:
    return text.replace("\n", " / ")


def render(
    results: list[dict[str, Any]], s: dict[str, Any], opts: Options, command: str, seconds: float
) -> str:
    lines = [
        "## Generated creatives in the simulated marketplace (`bench/creatives.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Date: {today()}, commit {commit()}, {seconds / 60:.1f} min of runs (each "
        "seed and world in its own process with `--save`, then `--merge`). Model answers come "
        "from the cache under runs/creatives/llm/ where present; their seconds are those "
        "measured when first asked.",
        "",
        INTRO.format(
            users=opts.users,
            seeds=", ".join(map(str, opts.seeds)),
            warmup=opts.warmup_days,
            days=opts.flight_days,
            budget=opts.budget_minor / 100,
            variants=opts.variants,
            attempts=opts.attempts,
            groups=opts.groups,
            min_group=opts.min_group,
        ),
        "",
    ]
    for w in opts.worlds:
        ws = s["worlds"][w]
        title = (
            "World that reads ad text" if w == "read" else "Control: a world that ignores ad text"
        )
        lines += [f"### {title}", "", *_seed_table(ws), ""]
        lines += [
            "Per objective, over the seeds: results per euro (mean, lowest to highest) and "
            "CTR (mean) per arm; ratios as geometric means (lowest to highest).",
            "",
            *_objective_table(ws),
            "",
        ]
    lines += [
        "### Generation (SmolLM2-135M, llama.cpp, one thread, grammar-constrained)",
        "",
        "Wall seconds on the shared machine, as measured when each answer was first asked.",
        "",
        "| written | briefs or groups | attempts | median s/attempt | tokens/s (median) "
        "| parsed | review passed | approved / asked | s per approved variant "
        "| with none approved |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        _gen_row("from the brief (generated arm)", s["generation"]),
        _gen_row("for a group (audience arm)", s["audience_generation"]),
        "",
        *[
            f"How the attempts {label} ended: {_counts(f['outcomes'])}; invalid because "
            f"{_counts(f['errors'])}; review's rejections by rule: {_counts(f['rules'])}."
            for label, f in (
                ("from the brief", s["generation"]),
                ("for a group", s["audience_generation"]),
            )
        ],
        "",
        "Briefs with no approved variant (failed in the generated and audience arms: their "
        "campaign served nothing there and is left out of the ratios): "
        + (", ".join(s["failed_briefs"]) or "none")
        + ".",
        "",
    ]
    rejected = {t: r for res in results for t, r in res["typed_rejections"].items()}
    lines += [
        "The advertiser's texts pass review: "
        + (
            "all of them."
            if not rejected
            else "all but " + "; ".join(f"{t} ({', '.join(r)})" for t, r in rejected.items())
        ),
        "",
    ]
    first = results[0]
    lines += [f"Seed {first['seed']}'s texts:", ""]
    for a, topic in first["topics"].items():
        gen = first["generation"][a]
        made = "; ".join(f'"{c.headline} / {c.primary_text}"' for c in gen.approved)
        lines.append(
            f'- {topic}: advertiser "{_one_line(first["typed"][a])}"; generated: '
            + (made or "none approved")
        )
    for r in first["worlds"][opts.worlds[0]]["audience_variants"]:
        for grp in r["groups"]:
            made = "; ".join(f'"{_one_line(t)}"' for t in grp["approved"])
            lines.append(
                f"  - {first['topics'][r['advertiser']]}, for a group of {grp['size']} "
                f"({grp['description']}): " + (made or "none approved")
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--users", type=int, default=400)
    p.add_argument("--flight-days", type=int, default=2)
    p.add_argument("--warmup-days", type=int, default=2)
    p.add_argument(
        "--budget-minor",
        type=int,
        default=None,
        help="each campaign's; default scales with users and days",
    )
    p.add_argument("--variants", type=int, default=4)
    p.add_argument("--attempts", type=int, default=3)
    p.add_argument("--groups", type=int, default=2)
    p.add_argument("--min-group", type=int, default=5)
    p.add_argument("--gen-seed", type=int, default=0)
    p.add_argument("--worlds", default="read,blind")
    p.add_argument("--encoder", default="minilm", choices=["minilm", "hashing"])
    p.add_argument("--out", type=Path, default=REPO / "runs" / "creatives")
    p.add_argument("--no-write", action="store_true")
    p.add_argument(
        "--generate-only", action="store_true", help="fill the answer cache for the seeds' briefs"
    )
    p.add_argument(
        "--save", type=Path, help="keep the seeds' results in this file (pickle) and stop"
    )
    p.add_argument(
        "--merge", type=Path, nargs="+", help="report on results kept by earlier --save runs"
    )
    p.add_argument(
        "--from-stores",
        action="store_true",
        help="report on the finished arms of stopped runs, read from their stores under --out",
    )
    args = p.parse_args(argv)
    budget = args.budget_minor or int(8000 * args.users / 1200 * args.flight_days / 3)
    opts = Options(
        seeds=[int(x) for x in args.seeds.split(",") if x.strip()],
        users=args.users,
        flight_days=args.flight_days,
        warmup_days=args.warmup_days,
        budget_minor=budget,
        variants=args.variants,
        attempts=args.attempts,
        groups=args.groups,
        min_group=args.min_group,
        gen_seed=args.gen_seed,
        worlds=[w for w in args.worlds.split(",") if w],
        out=args.out,
        encoder=args.encoder,
    )
    command = "python bench/creatives.py" + (" " + " ".join(argv) if argv else "")
    model = CachedModel(args.out / "llm" / "answers.jsonl", embedded, embedded_name())
    start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - start:6.0f} s] {msg}", flush=True)

    if args.generate_only:
        for seed in opts.seeds:
            pregenerate(opts, seed, model, log)
        log(f"model answers: {model.hits} cached, {model.misses} asked")
        return 0
    if args.from_stores:
        results = [from_stores(opts, seed, model, log) for seed in opts.seeds]
        seconds = time.perf_counter() - start
    elif args.merge:
        by_seed: dict[int, dict[str, Any]] = {}
        for f in args.merge:  # a seed's worlds may come from separate runs
            for r in pickle.loads(f.read_bytes()):
                if r["seed"] in by_seed:
                    kept = by_seed[r["seed"]]
                    kept["worlds"].update(r["worlds"])
                    kept["seconds"] = max(kept["seconds"], r["seconds"])
                else:
                    by_seed[r["seed"]] = r
        results = [by_seed[k] for k in sorted(by_seed)]
        opts.seeds = [r["seed"] for r in results]
        seconds = sum(r["seconds"] for r in results)
    else:
        results = []
        for seed in opts.seeds:
            t0 = time.perf_counter()
            results.append(run_seed(opts, seed, model, log))
            results[-1]["seconds"] = time.perf_counter() - t0
        seconds = time.perf_counter() - start
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_bytes(pickle.dumps(results))
        log(f"saved to {args.save}; model answers: {model.hits} cached, {model.misses} asked")
        return 0
    s = summarise(results, opts)
    body = render(results, s, opts, command, seconds)
    print(body)
    log(f"model answers: {model.hits} cached, {model.misses} asked")
    (args.out / "summary.json").write_text(json.dumps(s, indent=1, default=str))
    if not args.no_write:
        write_section("creatives-sim", body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
