"""Headlines and primary texts end where a phrase ends, never mid-phrase.

The cases are the simulator's generated ads of commit 2ed9677 (docs/benchmarks.md,
creatives-sim) and the demo's, which the old cut-back let through.
"""

from __future__ import annotations

import pytest

from unifeed.creative.fitting import dangles, fit_headline, fit_text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("An aluminium, an", "en"),
        ("Ledgerly app is free to download, and no", "en"),
        ("Remappable back buttons, a wired and a wireless mode, and a", "en"),
        ("Atelier Nord jacket, tailored for", "en"),
        ("Lernwerk für die", "de"),
        ("Codéo, formation de", "fr"),
        ("Pika 2 con una", "es"),
        ("Tallo lights,", "en"),
        ("The Greenroot seed box is a month-long box of seasonal.", "en"),
        ("Lumo Luxe: Luxe Lamp, a bright", "en"),
        ("Tonehaus headphones (studio sound", "en"),
        ("Codéo, formation d'", "fr"),
    ],
)
def test_endings_that_need_another_word_dangle(text: str, language: str) -> None:
    assert dangles(text, language)


@pytest.mark.parametrize(
    "text", ["A pro gamepad that works with every console and PC.", "Tonehaus headphones"]
)
def test_whole_phrases_do_not_dangle(text: str) -> None:
    assert not dangles(text, "en")


@pytest.mark.parametrize(
    ("raw", "name", "fitted"),
    [
        # Written past 40 by the model: cut back to the last whole phrase.
        (
            "Atelier Nord jacket, a tailored denim jacket",
            "Atelier Nord jacket",
            "Atelier Nord jacket",
        ),
        (
            "Copperleaf skillet: a cast-iron pan for every",
            "Copperleaf skillet",
            "Copperleaf skillet",
        ),
        (
            "Wayfarer backpack, a carry-on, a laptop sleeve",
            "Wayfarer backpack",
            "Wayfarer backpack, a carry-on",
        ),
        # A 21-character name leaves no room: the name alone (it was 0 of 9 in the demo).
        (
            "Pixelforge controller, a pro gamepad for every",
            "Pixelforge controller",
            "Pixelforge controller",
        ),
        # Closed by the model inside the limit on a whole phrase: as written.
        (
            "Tonehaus headphones, studio sound",
            "Tonehaus headphones",
            "Tonehaus headphones, studio sound",
        ),
        # Closed by the model on an article: back to the phrase before it.
        ("Circuitry laptop stand, an", "Circuitry laptop stand", "Circuitry laptop stand"),
        (
            "Ledgerly app, free to download, and no",
            "Ledgerly app",
            "Ledgerly app, free to download",
        ),
    ],
)
def test_a_headline_is_a_whole_phrase_within_40_characters(
    raw: str, name: str, fitted: str
) -> None:
    got = fit_headline(raw, 40, 48, name, "en")
    assert got == fitted
    assert got is not None and len(got) <= 40 and not dangles(got, "en")


def test_a_headline_without_its_name_and_no_whole_phrase_is_refused() -> None:
    assert fit_headline("The best of all the things you can buy for", 40, 48, "", "en") is None


@pytest.mark.parametrize(
    ("raw", "fitted"),
    [
        ("An aluminium, an", None),
        ("Ledgerly app is free to download, and no", "Ledgerly app is free to download."),
        (
            "Remappable back buttons, a wired and a wireless mode, and a long-lasting battery",
            "Remappable back buttons, a wired and a wireless mode, and a long-lasting battery.",
        ),
        (
            "A pro gamepad for every console. It has remappable back buttons, a wired and a "
            "wireless mode, and a battery that lasts for d",
            "A pro gamepad for every console.",
        ),
        (
            "A pro gamepad for every console and PC with remappable back buttons, a wired and a "
            "wireless mode, and a battery that lasts for d",
            "A pro gamepad for every console and PC with remappable back buttons, a wired and a "
            "wireless mode.",
        ),
    ],
)
def test_a_primary_text_ends_a_sentence(raw: str, fitted: str | None) -> None:
    got = fit_text(raw[:125], 125, 125, "en")
    assert got == fitted
    if got is not None:
        assert len(got) <= 125 and got[-1] in ".!?" and not dangles(got, "en")
