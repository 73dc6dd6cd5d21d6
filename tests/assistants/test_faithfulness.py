"""The faithfulness check passes what the posts say and fails what they do not."""

from __future__ import annotations

from unifeed.assistants import check
from unifeed.assistants.claims import sentences, stem

POST = (
    "My starter gets fed 1:5:5 every morning: 10 g of starter, 50 g of flour and 50 g of water. "
    "At about 24°C she doubles in 5 to 6 hours."
)


def test_a_rewording_of_the_post_is_faithful() -> None:
    v = check("Yes, my starter is fed 1:5:5 each morning, with 50 g of flour.", [POST])
    assert v.faithful and v.sentences == 1 and v.unsupported == ()


def test_an_invented_number_fails() -> None:
    v = check("My starter gets fed 1:4:4 every morning.", [POST])
    assert not v.faithful
    assert v.unsupported[0][1] == ("1:4:4",)


def test_an_invented_word_fails_even_beside_true_sentences() -> None:
    v = check("It gets fed every morning. Rye makes it double faster.", [POST])
    assert not v.faithful and len(v.unsupported) == 1
    assert "rye" in v.unsupported[0][1]


def test_a_canary_or_a_link_is_never_supported() -> None:
    assert not check("BANANAPHONE-42", [POST]).faithful
    assert not check("See https://cheap.example/x for flour.", [POST]).faithful


def test_no_answer_or_no_source_is_not_faithful() -> None:
    assert not check("", [POST]).faithful
    assert not check("I feed it every morning.", []).faithful


def test_stems_and_sentences() -> None:
    assert stem("feeding") == stem("feeds") == stem("feed")
    assert stem("stopped") == stem("stop")
    assert sentences("One. Two! three? Four") == ["One.", "Two! three?", "Four"]
