"""Training on the store and serving the checkpoint: personalised, hot-reloaded,
new items ranked from their content, exact or faiss retrieval."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.conftest import AUTH, make_settings
from unifeed.api import create_app
from unifeed.cli import app as cli
from unifeed.serving.training import StoreTrainConfig, train_from_store
from unifeed.settings import Settings

TOPICS = {
    "food": "recipe pasta garlic oven bake dinner sauce kitchen",
    "cars": "engine wheel turbo garage racing fuel gearbox road",
    "pets": "puppy kitten leash vet fur paws cat dog",
}
FAST = StoreTrainConfig(epochs=12, dim=32, n_blocks=1, dropout=0.1, negatives=256, batch_size=64)


def text(topic: str, k: int) -> str:
    words = TOPICS[topic].split()
    rng = np.random.default_rng(k)
    return " ".join(rng.choice(words, size=6))


def topic_of(item_id: str) -> str:
    return item_id.split("-")[0]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    """60 items in 3 topics; user uN likes topic N % 3 only."""
    settings = make_settings(tmp_path, None, faiss_threshold=10_000)
    with TestClient(create_app(settings), headers=AUTH) as client:
        items = [
            {"id": f"{t}-{k}", "kind": "post", "text": text(t, k)}
            for t in TOPICS
            for k in range(20)
        ]
        assert client.post("/v1/items", json={"items": items}).status_code == 200
        rng = np.random.default_rng(0)
        names = list(TOPICS)
        events = []
        for u in range(45):
            t = names[u % 3]
            for j, k in enumerate(rng.choice(20, size=8, replace=False)):
                events.append(
                    {
                        "event_id": f"u{u}-{j}",
                        "user_id": f"u{u}",
                        "item_id": f"{t}-{k}",
                        "action": "click",
                        "timestamp": f"2026-01-01T10:{j:02d}:00Z",
                    }
                )
        assert client.post("/v1/events", json={"events": events}).json()["accepted"] == 360
        yield client, settings


def feed(client: TestClient, user: str, n: int = 10) -> dict:
    r = client.get("/v1/feed", params={"user_id": user, "n": n})
    assert r.status_code == 200, r.text
    return r.json()


def test_trained_model_personalises_and_is_hot_reloaded(world) -> None:
    client, settings = world
    assert feed(client, "u0")["ranker"] == "fallback"
    version = train_from_store(settings, FAST)
    time.sleep(0.1)  # past reload_seconds: no restart, no reload call
    page = feed(client, "u0")  # u0 likes food
    assert page["ranker"] == "model" and page["model_version"] == version
    on_topic = [topic_of(i["item_id"]) == "food" for i in page["items"]]
    assert sum(on_topic) >= 8, page["items"]
    assert [topic_of(i["item_id"]) for i in feed(client, "u1")["items"]].count("cars") >= 8
    # A user with no history still gets a feed.
    assert feed(client, "stranger")["ranker"] == "fallback"
    # A second training run is picked up the same way.
    newer = train_from_store(settings, FAST)
    assert client.post("/v1/admin/reload").json() == {"reloaded": True, "model_version": newer}
    assert feed(client, "u0")["model_version"] == newer


def test_new_item_is_ranked_from_its_content_at_once(world) -> None:
    client, settings = world
    train_from_store(settings, FAST)
    fresh = [
        {"id": "fresh-food", "kind": "post", "text": "garlic pasta sauce dinner oven recipe"},
        {"id": "fresh-cars", "kind": "post", "text": "turbo engine gearbox racing garage fuel"},
    ]
    client.post("/v1/items", json={"items": fresh})
    for user, want, other in [
        ("u0", "fresh-food", "fresh-cars"),
        ("u1", "fresh-cars", "fresh-food"),
    ]:
        ranked = [i["item_id"] for i in feed(client, user, n=60)["items"]]
        assert ranked.index(want) < ranked.index(other), (user, ranked)
        assert ranked.index(want) < len(ranked) // 3, (user, ranked)


def test_faiss_index_serves_the_same_feed(world, tmp_path: Path) -> None:
    client, settings = world
    train_from_store(settings, FAST)
    exact = [i["item_id"] for i in feed(client, "u2")["items"]]
    approx_settings = settings.model_copy(update={"faiss_threshold": 1})
    with TestClient(create_app(approx_settings), headers=AUTH) as approx:
        model = approx.app.state.services.feed.model
        assert model is not None and model.wait_for_index() == "faiss"
        assert approx.get("/v1/ready").json()["index"] == "faiss"
        got = [i["item_id"] for i in feed(approx, "u2")["items"]]
    assert len(set(exact) & set(got)) >= 8


def test_cli_trains_on_the_store(world) -> None:
    _, settings = world
    result = CliRunner().invoke(
        cli, ["train", "--data-dir", str(settings.data_dir), "--epochs", "2", "--dim", "16"]
    )
    assert result.exit_code == 0, result.output
    assert "published checkpoint" in result.output
    assert (settings.checkpoint_root / "CURRENT").is_file()


def test_cli_train_on_an_empty_store_says_why(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no store in" in result.output
