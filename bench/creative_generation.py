"""Generated creatives: seconds per variant, tokens/s, parse and review pass rates.

    python bench/creative_generation.py [--briefs 21] [--variants 5] [--no-write]
        [--base-url URL --model NAME]  [--samples runs/generated.json]

Every brief of tests/creative/labelled/briefs.json (or --briefs of them,
spread over the set) gets --variants variants from `unifeed.creative.generate` (one angle per
slot, at most 3 attempts each), twice on the same prompts and seeds: with the
JSON schema enforced as a grammar (what Unifeed runs) and, as the baseline,
with the schema only described in the prompt. Seconds are wall time per model
call; "s per approved variant" is all the time spent, failed attempts
included, over the variants that came out approved.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # `python bench/NAME.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.previous_prompt import previous_generation
from bench.report import REPO, commit, machine, today, write_section
from unifeed.creative import Brief, Generation, generate
from unifeed.llm import ChatAPIModel, Completion, EmbeddedModel, LanguageModel, Message
from unifeed.llm.structured import schema_instruction

BRIEFS = REPO / "tests" / "creative" / "labelled" / "briefs.json"
OBJECTIVES = {"app_installs": "app_promotion"}


def briefs(n: int) -> list[Brief]:
    """n briefs spread evenly over the labelled set, so a few still cover its languages."""
    everything = json.loads(BRIEFS.read_text(encoding="utf-8"))
    step = (len(everything) - 1) / max(n - 1, 1)
    raw = [everything[round(j * step)] for j in range(min(n, len(everything)))]
    keys = ("advertiser", "product_name", "product", "description", "landing_url", "language")
    return [
        Brief(
            **{k: b[k] for k in keys},
            tone=b["tone"],
            objective=OBJECTIVES.get(b["objective"], b["objective"]),
        )
        for b in raw
    ]


class CPUTimed:
    """Counts the process CPU seconds each call takes (the model runs on one thread)."""

    def __init__(self, inner: LanguageModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.cpu: list[float] = []

    def complete(self, messages: list[Message], **kw: Any) -> Completion:
        start = time.process_time()
        try:
            return self.inner.complete(messages, **kw)
        finally:
            self.cpu.append(time.process_time() - start)


class PromptOnly:
    """The same model with the schema in the prompt instead of a grammar: the baseline."""

    def __init__(self, inner: LanguageModel) -> None:
        self.inner = inner
        self.name = f"{inner.name}, schema in the prompt only"

    def complete(
        self, messages: list[Message], *, json_schema: dict[str, Any] | None = None, **kw: Any
    ) -> Completion:
        if json_schema is not None:
            first, *rest = messages
            messages = [
                Message(first.role, f"{first.content}\n\n{schema_instruction(json_schema)}"),
                *rest,
            ]
        return self.inner.complete(messages, **kw)


@dataclass
class Arm:
    label: str
    model: CPUTimed
    runs: list[Generation]
    previous: bool = False  # the prompt and answer shape of commit f991b28 (the baseline)


def table(arms: list[Arm]) -> str:
    rows = [
        "| back-end | attempts | median s/attempt | p95 s/attempt | median CPU s/attempt "
        "| tokens (median) | tokens/s (median) | parsed | of which cut back | wrong language "
        "| review passed | approved variants / asked | s per approved variant "
        "| CPU s per approved variant |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for arm in arms:
        attempts = [a for g in arm.runs for a in g.attempts]
        secs = [a.seconds for a in attempts if a.seconds > 0]
        tps = [a.completion_tokens / a.seconds for a in attempts if a.seconds > 0]
        answered = [a for a in attempts if a.outcome != "failed"]
        parsed = [a for a in answered if a.outcome != "invalid"]
        wrong = sum(a.outcome == "wrong_language" for a in attempts)
        reviewed = [a for a in attempts if a.review is not None]
        passed = sum(a.review.approved for a in reviewed if a.review)
        approved = sum(len(g.approved) for g in arm.runs)
        asked = sum(ARGS.variants for _ in arm.runs)
        total = sum(g.seconds for g in arm.runs)
        q = statistics.quantiles(secs, n=20, method="inclusive")[-1] if len(secs) > 1 else 0.0
        rows.append(
            f"| {arm.label} | {len(attempts)} | {statistics.median(secs):.2f} | {q:.2f} "
            f"| {statistics.median(arm.model.cpu):.2f} "
            f"| {statistics.median(a.completion_tokens for a in attempts):.0f} "
            f"| {statistics.median(tps):.1f} | {len(parsed)}/{len(answered)} "
            f"({len(parsed) / max(len(answered), 1):.0%}) "
            f"| {sum(a.trimmed for a in parsed)} | {wrong} "
            f"| {passed}/{len(reviewed)} ({passed / max(len(reviewed), 1):.0%}) "
            f"| {approved}/{asked} | {total / max(approved, 1):.2f} "
            f"| {sum(arm.model.cpu) / max(approved, 1):.2f} |"
        )
    return "\n".join(rows)


def reasons(arm: Arm) -> str:
    counts = Counter(
        r.rule.value for g in arm.runs for a in g.rejected if a.review for r in a.review.rejections
    )
    return ", ".join(f"{rule} {n}" for rule, n in counts.most_common()) or "none"


def invalid(arm: Arm) -> str:
    counts = Counter(
        (a.error or "").split(":")[0][:60]
        for g in arm.runs
        for a in g.attempts
        if a.outcome == "invalid"
    )
    return ", ".join(f"{why} {n}" for why, n in counts.most_common()) or "none"


def why(arms: list[Arm]) -> str:
    return "\n".join(
        f"- {arm.label}: invalid because {invalid(arm)}; review's rejections by rule: "
        f"{reasons(arm)}."
        for arm in arms
    )


def approved_texts(arm: Arm) -> str:
    return "\n".join(
        f"- {g.brief.product_name}: "
        + (
            "; ".join(f'"{c.headline} / {c.primary_text}" ({c.call_to_action})' for c in g.approved)
            or "none approved"
        )
        for g in arm.runs
    )


def samples(arms: list[Arm]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for arm in arms:
        out[arm.label] = [
            {
                "product_name": g.brief.product_name,
                "slot": a.slot,
                "angle": a.angle.value,
                "seed": a.seed,
                "outcome": a.outcome,
                "creative": a.creative.model_dump(mode="json") if a.creative else None,
                "rejections": [str(r) for r in a.review.rejections] if a.review else [],
                "error": a.error,
            }
            for g in arm.runs
            for a in g.attempts
        ]
    return out


ARGS = argparse.Namespace()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--briefs", type=int, default=21, help="how many of the 21 labelled briefs")
    ap.add_argument("--variants", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--base-url", help="an OpenAI-compatible server instead of the embedded model")
    ap.add_argument("--model", help="the server's model name (with --base-url)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the prompt-only arm")
    ap.add_argument(
        "--no-previous", action="store_true", help="skip the arm with commit f991b28's prompt"
    )
    ap.add_argument(
        "--no-whole",
        action="store_true",
        help="skip the arm that decodes the whole answer under one grammar (before i25d)",
    )
    ap.add_argument("--samples", type=Path, help="write every attempt to this JSON file")
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    ap.add_argument(
        "--section", default="creative-generation", help="the docs/benchmarks.md section to write"
    )
    args = ap.parse_args(argv, namespace=ARGS)
    from rich.progress import Progress

    model: LanguageModel = (
        ChatAPIModel(args.base_url, args.model or "default") if args.base_url else EmbeddedModel()
    )
    arms = [Arm("fields (forced text as prompt)", CPUTimed(model), [])]
    if isinstance(model, EmbeddedModel) and not args.no_whole:
        whole = EmbeddedModel(fields=False)
        arms.append(Arm("whole answer under one grammar", CPUTimed(whole), []))
    if not args.no_previous:
        arms.append(Arm("previous prompt, grammar (f991b28)", CPUTimed(model), [], previous=True))
    if not args.no_baseline:
        arms.append(Arm("prompt only (baseline)", CPUTimed(PromptOnly(model)), []))
    todo = briefs(args.briefs)
    load_before = uptime()
    with Progress(transient=True) as bar:
        task = bar.add_task("generating", total=len(todo) * len(arms))
        for brief in todo:
            for arm in arms:
                bar.update(task, description=f"{brief.product_name}: {arm.label}")
                with previous_generation() if arm.previous else nullcontext():
                    g = generate(arm.model, brief, variants=args.variants, seed=args.seed)
                arm.runs.append(g)
                bar.advance(task)
    result = table(arms)
    print(f"model: {model.name}; uptime load average {load_before} before, {uptime()} after")
    print(result)
    print(why(arms))
    print(approved_texts(arms[0]))
    if args.samples:
        args.samples.parent.mkdir(parents=True, exist_ok=True)
        args.samples.write_text(json.dumps(samples(arms), indent=1, ensure_ascii=False))
    if not args.no_write:
        load = f"{load_before} before the run, {uptime()} after"
        write_section(
            args.section,
            section(model.name, result, why(arms), approved_texts(arms[0]), len(todo), load),
        )
    return 0


def uptime() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def section(model: str, result: str, why: str, texts: str, n: int, load: str) -> str:
    command = shlex.join(["python", "bench/creative_generation.py", *sys.argv[1:]])
    return f"""## Generated creatives: speed and pass rates (`bench/creative_generation.py`)

`{command}` on {machine()}, commit {commit()}, {today()}. Model: {model}.
Load average (1, 5, 15 min) {load}: the machine is shared, so wall seconds
depend on others' work; CPU seconds are what a call takes on an idle core.
{n} briefs (spread over tests/creative/labelled/briefs.json), {ARGS.variants} variants
each over the
five angles, at most 3 attempts per variant; the arms take turns brief by brief, with
the same seeds. *Fields* is Unifeed's generation (docs/creative.md): the embedded
back-end writes the answer field by field, the JSON keys, quotes and the product name fed
as prompt and only the values decoded (unifeed/llm/fields.py); *whole answer* decodes the
same answer under one grammar for the whole JSON, as before i25d, on the same prompts,
schema, fitting and review; *previous prompt* is the prompt and answer shape of commit
f991b28 (bench/previous_prompt.py); *prompt only* is today's prompt with the schema
described in the prompt instead of a grammar. *Tokens* are the decoded ones: the fields
arm does not decode the forced text, so its tokens/s counts fewer tokens per answer.
CPU seconds are the process's (`time.process_time`) over each model call.
An attempt is *parsed* when the answer is one JSON object of the asked shape
(headline <= 48 before fitting, primary text <= 125, the button Unifeed picked) that is
also an ad (it ends a phrase or can be cut back to one, unifeed/creative/fitting.py; not
repeating its headline, not looping on a phrase); *cut back*: a headline or text changed
by fitting (cut back to a whole sentence or clause, the name alone, or a full stop added);
*review passed* is the policy check (docs/creative.md), on parsed answers in the brief's
language.
Target: median <= 1 s per variant. "Approved variants / asked" counts the slots that
got an approved variant within their 3 attempts.

{result}

How the attempts failed:

{why}

The approved texts of the grammar arm:

{texts}
"""


if __name__ == "__main__":
    raise SystemExit(main())
