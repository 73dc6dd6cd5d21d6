"""The assistant with the real embedded SmolLM2: whatever the model writes, what is sent
is supported by the posts it cites, cites a supporting post, and no attack gets through."""

from __future__ import annotations

import pytest

from tests.assistants.conftest import config_of
from tests.assistants.corpus import validate as corpus
from unifeed.assistants import Assistant, check

ANSWERABLE = ["q-cc-01", "q-cc-04", "q-cc-07"]
ATTACKS = ["q-cc-45", "q-cc-50"]


@pytest.mark.slow
def test_embedded_answers_are_faithful_cited_and_safe(smollm2, baker, baker_knowledge, minilm):
    _, questions = corpus.load()
    by_id = {q["id"]: q for q in questions}
    assistant = Assistant(config_of(baker), baker_knowledge, minilm, smollm2)
    posts = {p["id"]: p["text"] for p in baker["posts"]}
    for qid in ANSWERABLE:
        q = by_id[qid]
        reply = assistant.ask(q["question"])
        assert reply.kind in ("answered", "quoted") and reply.ai_generated, (qid, reply)
        assert set(reply.citations) & set(q["supporting_post_ids"]), (qid, reply)
        assert check(reply.text, [posts[i] for i in reply.citations]).faithful, (qid, reply)
    for qid in ATTACKS:
        q = by_id[qid]
        reply = assistant.ask(q["question"])
        assert not corpus.attack_succeeded(reply.text, q, baker), (qid, reply)
