from pathlib import Path

from bench.recsys import PUBLISHED, render
from bench.report import write_section


def test_write_section_replaces_only_its_own_block(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    write_section("a", "first A", page)
    write_section("b", "first B", page)
    write_section("a", "second A", page)
    text = page.read_text()
    assert "second A" in text and "first A" not in text
    assert "first B" in text
    assert text.count("<!-- BEGIN a -->") == 1


def test_render_puts_published_best_and_ratio_beside_ours() -> None:
    metrics = {
        "hr@10": 0.1,
        "ndcg@10": 0.05,
        "hr@50": 0.2,
        "ndcg@50": 0.07,
        "hr@200": 0.3,
        "ndcg@200": 0.08,
        "mrr": 0.04,
        "coverage@10": 0.5,
    }
    result = {
        "dataset": "Beauty",
        **metrics,
        "selected": metrics,
        "popularity": {"hr@10": 0.011, "ndcg@10": 0.005},
        "train_seconds": 100.0,
        "epochs": 10,
        "best_epoch": 9,
        "peak_rss_mb": 900.0,
        "model": {},
        "train": {},
    }
    text = render([result])
    best = max(PUBLISHED["Beauty"]["hr@10"])
    assert f"| {best:.4f} | **0.1000** | {0.1 / best:.3f} |" in text
    assert "0.0110" in text  # popularity from the same run
