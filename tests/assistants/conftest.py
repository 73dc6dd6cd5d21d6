"""Shared pieces of the assistant tests: the real encoder, one corpus creator as knowledge."""

from __future__ import annotations

import pytest

from tests.assistants.corpus import validate as corpus
from unifeed.assistants import AssistantConfig, Knowledge, Link, Post
from unifeed.text.embeddings import MiniLMEncoder


@pytest.fixture(scope="session")
def minilm() -> MiniLMEncoder:
    return MiniLMEncoder()


@pytest.fixture(scope="session")
def baker() -> dict:
    creators, _ = corpus.load()
    return creators["crumb-and-crust"]


def config_of(creator: dict) -> AssistantConfig:
    return AssistantConfig(
        name=creator["assistant_name"],
        persona=creator["persona"],
        avoid_topics=tuple(creator["avoid_topics"]),
        links=tuple(Link(x["url"], x["title"]) for x in creator["links"]),
        audience=creator["audience"],
    )


@pytest.fixture(scope="session")
def baker_knowledge(baker: dict, minilm: MiniLMEncoder) -> Knowledge:
    return Knowledge.encode([Post(p["id"], p["text"]) for p in baker["posts"]], minilm)
