"""What the command line draws: progress bars, tables and one-line errors.

Library code never prints; it reports progress through callbacks (the
`TrainObserver` protocol, `on_eval_batch`, `embed_items(progress=...)`) and
these helpers turn the callbacks into rich bars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table
from rich.text import Text

from unifeed.data import Interactions
from unifeed.model import TrainResult

# Consoles resolve sys.stdout / sys.stderr when they write, so test runners
# that swap the streams still capture everything.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

# (metric key, column title) of the tables.
METRICS: tuple[tuple[str, str], ...] = (
    ("hr@10", "HR@10"),
    ("ndcg@10", "NDCG@10"),
    ("mrr", "MRR"),
    ("coverage@10", "coverage@10"),
)


def print_error(message: str) -> None:
    """One red line on stderr, never wrapped, never read as markup."""
    err_console.print(f"error: {message}", style="red", markup=False, soft_wrap=True)


def run_progress() -> Progress:
    # Only the info column may wrap, so a narrow terminal never truncates the counts.
    return Progress(
        TextColumn("{task.description}", markup=False, table_column=Column(no_wrap=True)),
        BarColumn(bar_width=20, table_column=Column(no_wrap=True)),
        MofNCompleteColumn(table_column=Column(no_wrap=True)),
        TimeElapsedColumn(table_column=Column(no_wrap=True)),
        TextColumn("{task.fields[info]}", markup=False, table_column=Column(no_wrap=False)),
        console=console,
    )


class TrainProgress:
    """A `TrainObserver` drawing an epoch bar and a batch bar for the current epoch."""

    def __init__(self, progress: Progress, epochs: int, label: str = "train") -> None:
        self.progress = progress
        self.epochs_task = progress.add_task(label, total=epochs, info="")
        self.batch_task = progress.add_task("  epoch 1", total=None, info="")
        self.last_ndcg: float | None = None
        self.best: float | None = None
        self._loss = 0.0
        self._n = 0

    def _valid_text(self) -> str:
        return "" if self.last_ndcg is None else f", NDCG@10 {self.last_ndcg:.4f}"

    def epoch_start(self, epoch: int, n_batches: int) -> None:
        self._loss, self._n = 0.0, 0
        self.progress.reset(
            self.batch_task, total=n_batches, description=f"  epoch {epoch}", info=""
        )

    def batch_end(self, loss: float) -> None:
        self._loss += loss
        self._n += 1
        self.progress.update(
            self.batch_task,
            advance=1,
            info=f"loss {self._loss / self._n:.4f}{self._valid_text()}",
        )

    def epoch_end(self, record: dict[str, float]) -> None:
        ndcg = record.get("valid_ndcg@10")
        if ndcg is not None:
            self.last_ndcg = ndcg
            self.best = ndcg if self.best is None else max(self.best, ndcg)
        best = "" if self.best is None else f" (best {self.best:.4f})"
        self.progress.update(
            self.epochs_task,
            advance=1,
            info=f"loss {record['loss']:.4f}{self._valid_text()}{best}",
        )

    def finish(self, result: TrainResult) -> None:
        """Close the bars; an early stop leaves the epoch bar short of its end."""
        ndcg = result.best_valid.get("ndcg@10", float("nan"))
        stop = "" if result.stopped == "epochs" else f", stopped: {result.stopped}"
        self.progress.update(
            self.epochs_task, info=f"best epoch {result.best_epoch}: NDCG@10 {ndcg:.4f}{stop}"
        )
        self.progress.update(self.batch_task, visible=False)


def counter(progress: Progress, label: str, total: int) -> Callable[[int], None]:
    """A callback advancing a new bar by its argument (evaluation batches)."""
    # Hidden until the first batch, so a bar made before training stays out of sight.
    task = progress.add_task(label, total=total, info="users", visible=False)

    def advance(n: int) -> None:
        progress.update(task, advance=n, visible=True)

    return advance


def done_of_total(progress: Progress, label: str) -> Callable[[int, int], None]:
    """A `progress(done, total)` callback on a new bar (text embedding)."""
    task: TaskID = progress.add_task(label, total=None, info="texts")

    def update(done: int, total: int) -> None:
        progress.update(task, total=total, completed=done)

    return update


def data_summary(data: Interactions, source: str) -> Table:
    s = data.summary()
    table = Table(title="data", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = (
        ("source", source),
        ("name", str(s["name"])),
        ("users", f"{s['users']:,}"),
        ("items", f"{s['items']:,}"),
        ("interactions", f"{s['interactions']:,}"),
        ("events per user", f"{s['avg_length']:.2f}"),
        ("items with text", f"{s['items_with_text']:,}"),
        ("actions", ", ".join(data.action_names)),
    )
    for key, value in rows:
        table.add_row(key, Text(value))
    return table


def metrics_table(
    title: str, rows: Iterable[tuple[str, dict[str, float]]], caption: str | None = None
) -> Table:
    table = Table(
        title=Text(title),
        caption=None if caption is None else Text(caption),
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("model")
    for _, name in METRICS:
        table.add_column(name, justify="right")
    for label, metrics in rows:
        table.add_row(Text(label), *(_fmt(metrics.get(key)) for key, _ in METRICS))
    return table


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def seen_caption(exclude_seen: bool, n_users: int, split: str = "test") -> str:
    seen = "excluded" if exclude_seen else "kept (--include-seen)"
    held = "last item" if split == "test" else "second-to-last item"
    return (
        f"{split}: {n_users:,} users, {held} held out, full ranking over all items; "
        f"items a user has seen are {seen}"
    )


def evaluable_users(data: Interactions) -> int:
    """Users leave-one-out can test (three or more events)."""
    return int((np.diff(data.offsets) >= 3).sum())
