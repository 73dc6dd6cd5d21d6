"""Asking is an action the unified model learns: "ask" events enter training and serving."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import AUTH, make_settings
from tests.serving.test_model_feed import FAST, TOPICS, text, topic_of
from unifeed.actions import POSITIVE_ACTIONS
from unifeed.api import create_app
from unifeed.model.checkpoint import Checkpoint
from unifeed.serving.training import train_from_store


def test_ask_events_train_the_model_and_personalise_the_feed(tmp_path: Path) -> None:
    """Users who only ever asked about one topic's posts get that topic's posts."""
    assert "ask" in POSITIVE_ACTIONS
    settings = make_settings(tmp_path, None)
    with TestClient(create_app(settings), headers=AUTH) as client:
        items = [
            {"id": f"{t}-{k}", "kind": "post", "text": text(t, k)}
            for t in TOPICS
            for k in range(20)
        ]
        assert client.post("/v1/items", json={"items": items}).status_code == 200
        names = list(TOPICS)
        events = [
            {
                "event_id": f"u{u}-{j}",
                "user_id": f"u{u}",
                "item_id": f"{names[u % 3]}-{(u * 7 + j * 3) % 20}",
                "action": "ask" if u % 2 else "click",
                "timestamp": f"2026-01-01T10:{j:02d}:00Z",
            }
            for u in range(45)
            for j in range(8)
        ]
        assert client.post("/v1/events", json={"events": events}).json()["accepted"] == 360
        version = train_from_store(settings, FAST)
        ckpt = Checkpoint.load(settings.checkpoint_root / version)
        assert "ask" in ckpt.action_names
        time.sleep(0.1)
        for user, topic in (("u1", "cars"), ("u3", "food"), ("u5", "pets")):  # u % 3
            page = client.get("/v1/feed", params={"user_id": user, "n": 10}).json()
            assert page["ranker"] == "model"
            assert sum(topic_of(i["item_id"]) == topic for i in page["items"]) >= 7, page
