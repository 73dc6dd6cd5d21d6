"""The hidden response to ad text: angles, topic words and quality move clicks, per person."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from unifeed.sim import adtext
from unifeed.sim.adtext import ANGLES, AdTextResponse, angles_of, readability, within_length
from unifeed.sim.advertisers import PRODUCTS, AdResponses, build_advertisers
from unifeed.sim.response import ResponseModel
from unifeed.sim.topics import TOPICS
from unifeed.sim.world import SimConfig, build_world

WORLD = build_world(SimConfig(n_users=400, n_creators=10, n_topics=8, items_per_day=20))
TEXT = AdTextResponse(WORLD)
BRAND = "Copperleaf"

BY_ANGLE = {
    "benefit": "Copperleaf skillet\nDinner feels easy and you relax after work.",
    "feature": "Copperleaf skillet\nCast iron, made to last, with a long handle.",
    "offer": "Copperleaf skillet\nGet a gift box with every order this autumn.",
    "social_proof": "Copperleaf skillet\nPeople who cook at home keep reaching for it.",
    "urgency": "Copperleaf skillet\nOrder now: the autumn batch ends soon.",
}


@pytest.mark.parametrize("angle", ANGLES)
def test_each_angle_is_read_from_its_own_words(angle: str) -> None:
    assert angle in angles_of(BY_ANGLE[angle])
    assert angles_of("Copperleaf skillet\nA cast pan.") in ((), ("feature",))


def test_people_respond_most_to_the_angles_they_lean_to() -> None:
    pref = TEXT.angle_preference
    assert pref.shape == (WORLD.n_users, len(ANGLES))
    for a in ("feature", "urgency"):
        k = ANGLES.index(a)
        text = "Copperleaf\n" + {"feature": "Made of steel.", "urgency": "Order now."}[a]
        assert angles_of(text) == (a,)
        offsets = np.array([TEXT.offset(u, text, BRAND) for u in range(WORLD.n_users)])
        fans, others = pref[:, k] > 0.5, pref[:, k] < -0.5
        assert fans.sum() > 20 and others.sum() > 20
        assert offsets[fans].mean() > offsets[others].mean() + 0.8


def test_stuffing_every_angle_into_one_text_buys_nothing_on_average() -> None:
    every = "Copperleaf\nMade of steel, loved by people, free gift, order now, easy for you."
    assert set(angles_of(every)) == set(ANGLES)
    pref = TEXT.angle_preference
    # The mean over the angles used, not their sum: within the spread of one angle.
    gains = [TEXT.offset(u, every, BRAND) - TEXT.read(every, BRAND).quality for u in range(50)]
    topic = [TOPIC_PART(u, every) for u in range(50)]
    assert np.allclose(np.array(gains) - topic, pref[:50].mean(axis=1))


def TOPIC_PART(u: int, text: str) -> float:
    return adtext.TOPIC_WEIGHT * float(WORLD.interests[u] @ TEXT.read(text, BRAND).topic_match)


def test_topic_words_draw_the_people_who_like_the_topic() -> None:
    for t, topic in enumerate(WORLD.topics):
        words = [w for w in TOPICS[topic].split() if not angles_of(w)][:3]
        text = f"Acme box\nGreat with {words[0]}, {words[1]} and {words[2]} nights."
        assert TEXT.read(text, "Acme").topic_match[t] == 1.0
        plain = "Acme box\nGreat on quiet weekday nights at home."
        lift = np.array(
            [TEXT.offset(u, text, "Acme") - TEXT.offset(u, plain, "Acme") for u in range(400)]
        )
        theta = WORLD.interests[:, t]
        assert np.corrcoef(theta, lift)[0, 1] > 0.9
        assert lift[theta > 0.5].mean() > 0.4 > lift[theta < 0.05].mean()


def test_quality_naming_length_and_readability() -> None:
    good = "Copperleaf skillet\nHeats evenly on every hob."
    assert TEXT.read(good, BRAND).quality == 0.0
    unnamed = "A skillet\nHeats evenly on every hob."
    assert TEXT.read(unnamed, BRAND).quality == -adtext.NOT_NAMED
    long = "Copperleaf skillet, the one pan for every hob in every kitchen\nHeats evenly."
    assert not within_length(long) and TEXT.read(long, BRAND).quality == -adtext.OVER_LENGTH
    assert not within_length("Copperleaf " + "pan " * 50)
    assert readability(good) == 1.0
    for junk in ("Copperleaf , , 1234 5678 !!!", "Copperleaf PAN PAN PAN PAN", "Copperleaf"):
        assert readability(junk) < 1.0
        assert TEXT.read(junk, BRAND).quality < 0.0
    # The brand is read as a whole word, in any case.
    assert TEXT.read("COPPERLEAF skillet\nHeats evenly on every hob.", BRAND).named
    assert not TEXT.read("Copperleafs\nHeats evenly on every hob.", BRAND).named


def test_the_control_world_ignores_text() -> None:
    blind = AdTextResponse(WORLD, text_blind=True)
    for text in (*BY_ANGLE.values(), "junk ,,,, 123"):
        assert all(blind.offset(u, text, BRAND) == 0.0 for u in range(50))


def test_ad_responses_follow_the_text_and_ignore_it_in_the_control() -> None:
    adv = build_advertisers(world=WORLD, cost_goals_minor={"traffic": 100, "leads": 80})[1]
    _, product, *_ = PRODUCTS[WORLD.topics[adv.topic]]
    good = f"{product}\n{' '.join(TOPICS[WORLD.topics[adv.topic]].split()[:2])} every day."
    bad = "buy buy buy 1234 !!!! ???"

    def clicks(ads: AdResponses, text: str) -> int:
        return sum(
            "click" in ads.respond(u, adv, f"{adv.id}-c{k}", 0, 0, text)[0]
            for u in range(WORLD.n_users)
            for k in range(5)
        )

    reading = AdResponses(WORLD, ResponseModel(), text=AdTextResponse(WORLD))
    blind = AdResponses(WORLD, ResponseModel(), text=AdTextResponse(WORLD, text_blind=True))
    ignored = AdResponses(WORLD, ResponseModel())
    assert clicks(reading, good) > 1.3 * clicks(reading, bad)
    assert clicks(blind, good) == clicks(blind, bad) == clicks(ignored, good)


def test_the_ground_truth_reads_text_by_its_own_means() -> None:
    """No production encoder, model or review lexicon behind the simulator's reading."""
    tree = ast.parse(Path(adtext.__file__).read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m.startswith("unifeed.") and not m.startswith("unifeed.sim")}
