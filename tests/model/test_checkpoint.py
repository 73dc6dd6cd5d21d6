"""Checkpoints: a saved and reloaded model reproduces the same scores."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from unifeed.data.synthetic import make_synthetic
from unifeed.model.checkpoint import FORMAT_VERSION, Checkpoint, CheckpointError
from unifeed.model.evaluate import evaluate
from unifeed.model.pipeline import RunResult, train_and_evaluate
from unifeed.model.train import TrainConfig

CONTENT_DIM = 8


@pytest.fixture(scope="module")
def run() -> RunResult:
    data = make_synthetic(n_users=60, n_items=40, seq_len=10, n_chains=4, seed=2)
    rng = np.random.default_rng(0)
    content = rng.standard_normal((data.n_items, CONTENT_DIM)).astype(np.float32)
    has_content = rng.random(data.n_items) < 0.7
    torch.manual_seed(0)
    return train_and_evaluate(
        data,
        TrainConfig(epochs=2, batch_size=16, warmup_steps=1),
        model_overrides={"dim": 16, "n_blocks": 1, "max_len": 10, "id_dropout": 0.2},
        content=content,
        has_content=has_content,
    )


@pytest.fixture(scope="module")
def saved(run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run.checkpoint.save(tmp_path_factory.mktemp("ckpt") / "model")


def test_the_trained_model_carries_item_buffers(run: RunResult) -> None:
    model = run.checkpoint.model
    assert model.cfg.content_dim == CONTENT_DIM
    assert model.item_kind[1:].unique().numel() > 1  # post / video / ad
    assert model.has_content.any() and not model.has_content[1:].all()
    assert model.content.abs().sum() > 0


def test_round_trip_reproduces_scores(run: RunResult, saved: Path) -> None:
    original = run.checkpoint.model
    loaded = Checkpoint.load(saved)
    assert loaded.model.cfg == original.cfg
    assert not loaded.model.training
    s1, s2 = original.state_dict(), loaded.model.state_dict()
    assert s1.keys() == s2.keys()
    for k in s1:
        assert s1[k].dtype == s2[k].dtype, k
        assert torch.equal(s1[k], s2[k]), k

    split = run.split
    items, actions, lengths = split.test.histories.padded(np.arange(len(split.test.targets)), 10)
    args = (torch.from_numpy(items), torch.from_numpy(actions), torch.from_numpy(lengths))
    original.eval()
    assert torch.equal(loaded.model.score_histories(*args), original.score_histories(*args))
    again = evaluate(loaded.model, split.test, split.n_items, max_len=10)
    assert again == run.test


def test_round_trip_keeps_ids_and_metadata(run: RunResult, saved: Path) -> None:
    loaded = Checkpoint.load(saved)
    ckpt = run.checkpoint
    assert loaded.item_ids.tolist() == [str(i) for i in ckpt.item_ids]
    assert ckpt.user_ids is not None and loaded.user_ids is not None
    assert loaded.user_ids.tolist() == [str(u) for u in ckpt.user_ids]
    assert loaded.action_names == ckpt.action_names
    assert loaded.meta == ckpt.meta
    assert loaded.meta["test"] == run.test
    assert not (saved / "config.json.tmp").exists()


def test_a_missing_file_is_a_clear_error(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"model\.safetensors is missing"):
        Checkpoint.load(tmp_path)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        Checkpoint.load(tmp_path / "nowhere")
    (tmp_path / "model.safetensors").write_bytes((saved / "model.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match=r"config\.json is missing"):
        Checkpoint.load(tmp_path)
    assert issubclass(CheckpointError, ValueError)


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, None, "1"])
def test_a_wrong_format_version_is_a_clear_error(
    saved: Path, tmp_path: Path, version: object
) -> None:
    copy_checkpoint(saved, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    if version is None:
        del config["format_version"]
    else:
        config["format_version"] = version
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=rf"format {version!r}, expected {FORMAT_VERSION}"):
        Checkpoint.load(tmp_path)


def test_saving_again_overwrites(run: RunResult, tmp_path: Path) -> None:
    folder = run.checkpoint.save(tmp_path / "a")
    first = (folder / "model.safetensors").read_bytes()
    run.checkpoint.save(folder)
    assert (folder / "model.safetensors").read_bytes() == first
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]


def copy_checkpoint(saved: Path, to: Path) -> Path:
    for name in ("model.safetensors", "config.json"):
        (to / name).write_bytes((saved / name).read_bytes())
    return to


def truncate_weights(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])


def truncate_config(folder: Path) -> None:
    text = (folder / "config.json").read_text()
    (folder / "config.json").write_text(text[: len(text) // 2])


def resize_catalogue(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    config["model"]["n_items"] += 1  # the weights no longer fit the config
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("damage", [truncate_weights, truncate_config, resize_catalogue])
def test_a_damaged_checkpoint_is_a_checkpoint_error(
    saved: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    folder = copy_checkpoint(saved, tmp_path)
    damage(folder)
    with pytest.raises(CheckpointError):
        Checkpoint.load(folder)
