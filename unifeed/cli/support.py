"""The command line's plumbing: error reporting, data alignment, CPUs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer

from unifeed.cli.display import print_error
from unifeed.data import DataFormatError, Interactions
from unifeed.model import Checkpoint, CheckpointError


@contextmanager
def reported_errors() -> Iterator[None]:
    """Errors a user can cause become one red line on stderr and exit code 2."""
    try:
        yield
    except FileNotFoundError as e:
        print_error(f"{e.filename}: no such file" if e.filename else str(e))
        raise typer.Exit(2) from None
    except (DataFormatError, CheckpointError, ValueError) as e:
        print_error(str(e))
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        print_error("interrupted")
        raise typer.Exit(130) from None


def aligned(data: Interactions, ckpt: Checkpoint, path: Path) -> Interactions:
    """`data` recoded to the item and action codes of the checkpoint at `path`."""
    try:
        data = data.with_item_order(ckpt.item_ids)
    except DataFormatError as e:
        raise DataFormatError(f"checkpoint {path} cannot score this data: {e}") from None
    if data.action_names != ckpt.action_names:
        known = {a: k for k, a in enumerate(ckpt.action_names)}
        unknown = [a for a in data.action_names if a not in known]
        if unknown:
            raise DataFormatError(
                f"checkpoint {path} cannot score this data: actions {unknown} are unknown "
                f"to it (it knows {list(ckpt.action_names)})"
            )
        recode = np.array([known[a] for a in data.action_names], dtype=np.int16)
        data = replace(data, action=recode[data.action], action_names=ckpt.action_names)
    return data


def cpu_budget() -> int:
    """CPUs this process may use: its affinity, capped by a cgroup v2 CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, n)
