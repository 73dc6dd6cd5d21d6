"""The answerability judge: a close sentence and the question's terms in its post."""

from __future__ import annotations

import numpy as np

from unifeed.assistants import Knowledge, Post
from unifeed.assistants.answerability import Answerability, answerability_of


class CountingEncoder:
    """Wraps an encoder and counts the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.texts = inner, "counting-" + inner.name, inner.dim, 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts)


def judge(knowledge: Knowledge, minilm, question: str):
    return Answerability(knowledge, minilm).judge(question, minilm.encode([question])[0])


def test_a_question_a_post_answers_is_answerable(baker_knowledge, minilm):
    j = judge(baker_knowledge, minilm, "How many buns did you bake for the Easter fundraiser?")
    assert j.answerable, j.detail


def test_a_subject_no_post_names_is_not(baker_knowledge, minilm):
    # The sourdough posts are close; none says "panettone", the rarest term of all.
    j = judge(baker_knowledge, minilm, "Do you have a recipe for sourdough panettone?")
    assert not j.answerable and j.coverage < 0.4, j.detail


def test_coverage_weighs_rare_terms_and_ignores_the_kind_of_answer(baker_knowledge, minilm):
    a = Answerability(baker_knowledge, minilm)
    post = baker_knowledge.by_id["cc-01"]  # the starter feeding post
    assert a.coverage("How long do you feed your starter?", post) > a.coverage(
        "How long do you feed your panettone starter?", post
    )
    # "how long", "much" and "goes" name what is wanted, not what it is about.
    assert a.coverage("starter", post) == a.coverage("How long, how much goes in the starter", post)


def test_sentences_are_embedded_once_across_reloads(baker, minilm):
    enc = CountingEncoder(minilm)
    posts = [Post(p["id"], p["text"]) for p in baker["posts"][:5]]
    first = Knowledge.encode(posts, minilm)
    answerability_of(first, enc)
    assert enc.texts > 0
    seen = enc.texts
    assert answerability_of(first, enc) is answerability_of(first, enc)  # one per knowledge
    reloaded = Knowledge.encode([*posts, Post("new", "A brand new post. Two sentences.")], minilm)
    answerability_of(reloaded, enc)
    assert enc.texts == seen + 2  # only the new post's sentences
