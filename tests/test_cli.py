"""The command line: train and eval, and its one-line errors (demo: tests/sim)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unifeed.cli import app
from unifeed.cli.display import METRICS
from unifeed.cli.support import aligned
from unifeed.data import make_synthetic, read_dataset
from unifeed.model import Checkpoint, evaluate, leave_one_out

runner = CliRunner()
SMALL = ["--epochs", "2", "--dim", "16", "--blocks", "1", "--batch-size", "16"]


@pytest.fixture
def seq_file(tmp_path: Path) -> Path:
    """A tiny sequence file: 40 users walking item chains, 8 events each."""
    data = make_synthetic(n_users=40, n_items=30, seq_len=8, n_chains=3, seed=0)
    path = tmp_path / "tiny.txt"
    lines = [
        " ".join([data.user_ids[u], *(data.item_ids[i] for i in data.sequence(u))])
        for u in range(data.n_users)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def ml_folder(tmp_path: Path) -> Path:
    """A tiny MovieLens 100K folder, so items carry text."""
    data = make_synthetic(n_users=30, n_items=24, seq_len=6, n_chains=3, seed=1)
    folder = tmp_path / "ml-tiny"
    folder.mkdir()
    rows = [
        f"{data.user_ids[u]}\t{data.item_ids[i][1:]}\t4\t{t}"
        for u, i, t in zip(data.user, data.item, data.timestamp, strict=True)
    ]
    (folder / "u.data").write_text("\n".join(rows) + "\n")
    flags = "|".join(["0"] * 18 + ["1"])
    items = [
        f"{k[1:]}|{data.item_text[c]} (1995)|01-Jan-1995||http://x|{flags}"
        for c, k in enumerate(data.item_ids)
    ]
    (folder / "u.item").write_text("\n".join(items) + "\n")
    return folder


def flat(output: str) -> str:
    """Output with every run of whitespace as one space (rich wraps to the terminal)."""
    return " ".join(output.split())


def model_row(output: str) -> str:
    """The table row of the learned model (first line starting with its label)."""
    return next(line for line in output.splitlines() if line.strip("│ ").startswith("model "))


def one_error_line(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_train_then_eval_reproduces_the_test_metrics(
    seq_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default --out is runs/<data name>
    trained = runner.invoke(app, ["train", str(seq_file), *SMALL, "--no-content"])
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "runs" / "tiny"
    config = json.loads((out / "config.json").read_text())
    meta = config["meta"]
    assert config["model"]["dim"] == 16 and config["model"]["n_blocks"] == 1
    assert meta["train"]["epochs"] == 2 and meta["exclude_seen"] is True
    assert meta["content_encoder"] is None
    assert "items a user has seen are excluded" in flat(trained.output)
    expected = [f"{meta['test'][key]:.4f}" for key, _ in METRICS]
    assert all(v in model_row(trained.output) for v in expected)

    evaluated = runner.invoke(app, ["eval", str(out), str(seq_file)])
    assert evaluated.exit_code == 0, evaluated.output
    assert model_row(evaluated.output) == model_row(trained.output)

    # Exactly, not only to four decimals: the checkpoint reproduces its scores.
    ckpt = Checkpoint.load(out)
    split = leave_one_out(aligned(read_dataset(seq_file), ckpt, out))
    again = evaluate(ckpt.model, split.test, split.n_items, max_len=ckpt.model.cfg.max_len)
    assert again == meta["test"]

    kept = runner.invoke(
        app, ["eval", str(out), str(seq_file), "--include-seen", "--split", "valid"]
    )
    assert kept.exit_code == 0, kept.output
    assert "kept (--include-seen)" in flat(kept.output)


def test_train_with_item_text_uses_content(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIFEED_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "ckpt"
    args = ["train", str(ml_folder), *SMALL, "--encoder", "hashing", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "content: hashing" in result.output
    ckpt = Checkpoint.load(out)
    assert ckpt.meta["content_encoder"].startswith("hashing")
    assert ckpt.model.cfg.content_dim > 0
    assert runner.invoke(app, ["eval", str(out), str(ml_folder)]).exit_code == 0


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    one_error_line(runner.invoke(app, ["train", str(missing)]), str(missing))
    one_error_line(runner.invoke(app, ["eval", str(tmp_path), str(missing)]), str(tmp_path))


def test_malformed_line_names_its_number(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("u1 a b c\nu2\n")
    one_error_line(runner.invoke(app, ["train", str(bad), *SMALL]), f"{bad}:2:")


def test_bad_settings_are_one_line(seq_file: Path) -> None:
    args = ["train", str(seq_file), "--dim", "10", "--heads", "3"]
    one_error_line(runner.invoke(app, args), "--heads")
    one_error_line(runner.invoke(app, ["train", str(seq_file), "--content"]), "no item has text")


def test_eval_rejects_items_the_checkpoint_does_not_know(seq_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "ckpt"
    assert runner.invoke(app, ["train", str(seq_file), *SMALL, "--out", str(out)]).exit_code == 0
    other = tmp_path / "other.txt"
    other.write_text(seq_file.read_text() + "u99 i0 new1 new2\n")
    n_items = read_dataset(other).n_items
    line = one_error_line(runner.invoke(app, ["eval", str(out), str(other)]), str(out))
    assert f"2 of {n_items} items" in line and "'new1'" in line
