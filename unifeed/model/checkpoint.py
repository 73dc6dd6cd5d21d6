"""Checkpoints: weights as safetensors plus a JSON file with everything else.

A checkpoint is a folder:
  model.safetensors  every parameter and buffer (item kinds, content embeddings, ...)
  config.json        model config, training config, item and user ids, metrics
Loading one rebuilds the same model, so it reproduces the same scores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from unifeed.data.interactions import Interactions
from unifeed.model.transducer import ModelConfig, Transducer

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint folder is missing, incomplete or of an unknown format."""


@dataclass
class Checkpoint:
    model: Transducer
    item_ids: np.ndarray  # (I,) source id of each item code (model code - 1)
    user_ids: np.ndarray | None = None
    action_names: tuple[str, ...] = ("interact",)
    meta: dict[str, Any] = field(default_factory=dict)  # train config, metrics, data summary

    @classmethod
    def of(cls, model: Transducer, data: Interactions, meta: dict[str, Any]) -> Checkpoint:
        """A checkpoint of `model` trained on `data`, with its id tables."""
        return cls(
            model=model,
            item_ids=data.item_ids,
            user_ids=data.user_ids,
            action_names=data.action_names,
            meta=meta,
        )

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        # Write-then-rename, so a server polling the folder never reads half a file.
        tmp_weights = folder / "model.safetensors.tmp"
        save_file(state, str(tmp_weights))
        tmp_weights.replace(folder / "model.safetensors")
        config = {
            "format_version": FORMAT_VERSION,
            "model": self.model.cfg.to_dict(),
            "item_ids": [str(i) for i in self.item_ids],
            "user_ids": None if self.user_ids is None else [str(u) for u in self.user_ids],
            "action_names": list(self.action_names),
            "meta": self.meta,
        }
        tmp = folder / "config.json.tmp"
        tmp.write_text(json.dumps(config, indent=1))
        tmp.replace(folder / "config.json")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Checkpoint:
        folder = Path(folder)
        weights, config_path = folder / "model.safetensors", folder / "config.json"
        for p in (weights, config_path):
            if not p.is_file():
                raise CheckpointError(f"{folder}: not a checkpoint ({p.name} is missing)")
        try:
            config = json.loads(config_path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError(f"{config_path}: unreadable ({e})") from None
        if not isinstance(config, dict) or config.get("format_version") != FORMAT_VERSION:
            version = config.get("format_version") if isinstance(config, dict) else None
            raise CheckpointError(
                f"{folder}: checkpoint format {version!r}, expected {FORMAT_VERSION}"
            )
        try:
            model = Transducer(ModelConfig(**config["model"]))
            model.load_state_dict(load_file(str(weights)))
        except (KeyError, TypeError, ValueError, RuntimeError, OSError, SafetensorError) as e:
            raise CheckpointError(f"{folder}: damaged or mismatched checkpoint ({e})") from None
        model.eval()
        user_ids = config.get("user_ids")
        return cls(
            model=model,
            item_ids=np.array(config["item_ids"], dtype=object),
            user_ids=None if user_ids is None else np.array(user_ids, dtype=object),
            action_names=tuple(config.get("action_names", ["interact"])),
            meta=config.get("meta", {}),
        )
