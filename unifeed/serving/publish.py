"""Publishing checkpoints so a running server can pick them up without a restart.

Each checkpoint goes to its own folder under the checkpoint root; the file
CURRENT names the one to serve and is replaced atomically, so a server never
reads a checkpoint that is still being written.
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from unifeed.model.checkpoint import Checkpoint

log = logging.getLogger(__name__)

KEEP = 3  # published checkpoints kept on disk, newest first


def publish(ckpt: Checkpoint, root: Path) -> str:
    """Save `ckpt` under `root` and make it the current one; returns its version."""
    root.mkdir(parents=True, exist_ok=True)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    ckpt.meta["version"] = version
    ckpt.save(root / version)
    tmp = root / f"CURRENT.{os.getpid()}.tmp"
    tmp.write_text(version + "\n")
    tmp.replace(root / "CURRENT")
    log.info("published checkpoint %s", version)
    _prune(root, version)
    return version


def current_version(root: Path) -> str | None:
    try:
        version = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return version or None


def _prune(root: Path, keep_version: str) -> None:
    folders = sorted((p for p in root.iterdir() if p.is_dir()), reverse=True)
    for old in folders[KEEP:]:
        if old.name != keep_version:
            shutil.rmtree(old, ignore_errors=True)
