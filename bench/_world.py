"""The serving benchmark's synthetic world: items on topics, users with histories.

Item texts name their topic, and users act mostly on two topics, so a model
trained on the store has something real to learn; the ids follow the API's
rules, so the same rows can be written to the store or sent over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "pe", "zu", "do", "fa", "ge", "hi"]
KINDS, KIND_P = ("post", "video", "ad", "creator"), (0.6, 0.25, 0.1, 0.05)
ACTIONS, ACTION_P = ("click", "like", "long_view", "share"), (0.6, 0.2, 0.15, 0.05)


@dataclass
class World:
    items: list[dict[str, Any]]  # id, kind, text
    users: list[str]
    events: list[dict[str, Any]]  # event_id, user_id, item_id, action, timestamp (datetime)


def make_world(n_items: int, n_users: int, seed: int = 0) -> World:
    """Items on topics (their text names the topic), users who mostly act on two topics."""
    rng = np.random.default_rng(seed)

    def words(count: int) -> list[str]:
        return ["".join(rng.choice(SYLLABLES, size=3)) for _ in range(count)]

    n_topics = max(5, n_items // 500)
    topic_words, filler = [words(3) for _ in range(n_topics)], words(1000)
    topic = rng.integers(n_topics, size=n_items)
    kinds = rng.choice(KINDS, size=n_items, p=KIND_P)
    items = []
    for i in range(n_items):
        t = topic_words[topic[i]]
        text = [t[0], t[rng.integers(1, 3)], filler[rng.integers(1000)], filler[rng.integers(1000)]]
        items.append({"id": f"i{i}", "kind": str(kinds[i]), "text": " ".join(text)})
    by_topic = [np.flatnonzero(topic == t) for t in range(n_topics)]
    by_topic = [b if len(b) else np.arange(n_items) for b in by_topic]

    start = datetime(2025, 1, 1, tzinfo=UTC)
    events: list[dict[str, Any]] = []
    for u in range(n_users):
        favourite = rng.choice(n_topics, size=2)
        count = int(rng.integers(10, 21))
        offsets = np.sort(rng.integers(0, 30 * 86400, size=count))
        actions = rng.choice(ACTIONS, size=count, p=ACTION_P)
        for k in range(count):
            t = favourite[k % 2] if rng.random() < 0.8 else rng.integers(n_topics)
            pool = by_topic[t]
            # Squaring skews each topic towards its first items: some are popular.
            item = pool[int(len(pool) * rng.random() ** 2)]
            events.append(
                {
                    "event_id": f"e{u}-{k}",
                    "user_id": f"u{u}",
                    "item_id": f"i{item}",
                    "action": str(actions[k]),
                    "timestamp": start + timedelta(seconds=int(offsets[k])),
                }
            )
    return World(items, [f"u{u}" for u in range(n_users)], events)


def load_store(url: str, world: World, batch: int = 5000) -> None:
    """Write the world straight into the store, items embedded as the server would."""
    from unifeed.store import Store
    from unifeed.text import HashingEncoder

    store, encoder = Store(url), HashingEncoder()
    try:
        store.migrate()
        for s in range(0, len(world.items), batch):
            rows = world.items[s : s + batch]
            vectors = encoder.encode([r["text"] for r in rows])
            store.upsert_items(
                [
                    {**r, "embedding": v.tobytes(), "encoder": encoder.name}
                    for r, v in zip(rows, vectors, strict=True)
                ]
            )
        for s in range(0, len(world.events), batch):
            store.add_events(world.events[s : s + batch])
    finally:
        store.close()


def ingest_batches(
    world: World, n_batches: int, size: int, prefix: str, seed: int
) -> list[list[dict[str, Any]]]:
    """Fresh events (new ids) on known users and items, as JSON-ready dicts."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC).isoformat()
    users = rng.integers(len(world.users), size=n_batches * size)
    items = rng.integers(len(world.items), size=n_batches * size)
    return [
        [
            {
                "event_id": f"{prefix}{b}-{k}",
                "user_id": world.users[users[b * size + k]],
                "item_id": world.items[items[b * size + k]]["id"],
                "action": "impression" if k % 3 else "click",
                "timestamp": now,
            }
            for k in range(size)
        ]
        for b in range(n_batches)
    ]
