"""The worked examples the prompt shows before a brief: two short ads for made-up products.

A 135-million-parameter model copies far better than it follows rules: told
to keep a headline short and name the product, it wrote 125 characters of
the brief and left the name out; shown two finished ads, it writes ones of
their size and shape. The products (a Brightwell kettle, a Tallo bike light
set) exist nowhere else in Unifeed, so an ad that copies their words names
the wrong product or a number its own brief lacks, and review rejects it.
Every fact in an example answer is in the example's own facts, so the
examples teach what review asks: the product named, nothing added. They
state no time ("this month"): the model copied such words into ads whose
briefs set no time limit, which review cannot tell from a stated one.

Each language has its own pair, written for this project, with the field
labels in that language, so a French brief is answered in French.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXAMPLES", "LABELS", "Example", "Labels"]


@dataclass(frozen=True, slots=True)
class Labels:
    product: str
    facts: str
    audience: str


@dataclass(frozen=True, slots=True)
class Example:
    product_name: str
    product: str
    facts: str
    headline: str
    primary_text: str
    call_to_action: str


LABELS: dict[str, Labels] = {
    "en": Labels("Product", "Facts", "For"),
    "fr": Labels("Produit", "Faits", "Pour"),
    "de": Labels("Produkt", "Fakten", "Für"),
    "es": Labels("Producto", "Datos", "Para"),
}

EXAMPLES: dict[str, tuple[Example, Example]] = {
    "en": (
        Example(
            "Brightwell",
            "Brightwell glass kettle",
            "The Brightwell kettle boils 1.7 litres in three minutes and switches itself off.",
            "Brightwell: a three-minute kettle",
            "The Brightwell glass kettle boils 1.7 litres in three minutes, "
            "then switches itself off.",
            "Learn more",
        ),
        Example(
            "Tallo",
            "Tallo bike light set",
            "The Tallo set costs £29, with free delivery.",
            "Tallo bike lights, £29",
            "The Tallo bike light set costs £29, and delivery is free.",
            "Shop now",
        ),
    ),
    "fr": (
        Example(
            "Brightwell",
            "bouilloire en verre Brightwell",
            "La bouilloire Brightwell fait bouillir 1,7 litre en trois minutes et s'éteint seule.",
            "Brightwell en trois minutes",
            "La bouilloire en verre Brightwell fait bouillir 1,7 litre en trois minutes, "
            "puis s'éteint seule.",
            "Learn more",
        ),
        Example(
            "Tallo",
            "set d'éclairage vélo Tallo",
            "Le set Tallo coûte 29 €, livraison offerte.",
            "Lumières vélo Tallo, 29 €",
            "Le set d'éclairage vélo Tallo coûte 29 €, et la livraison est offerte.",
            "Shop now",
        ),
    ),
    "de": (
        Example(
            "Brightwell",
            "Glaswasserkocher Brightwell",
            "Der Brightwell kocht 1,7 Liter Wasser in drei Minuten und schaltet sich selbst ab.",
            "Brightwell: in drei Minuten heiß",
            "Der Glaswasserkocher Brightwell kocht 1,7 Liter in drei Minuten und schaltet "
            "sich dann selbst ab.",
            "Learn more",
        ),
        Example(
            "Tallo",
            "Fahrradlicht-Set Tallo",
            "Das Tallo-Set kostet 29 €, der Versand ist kostenlos.",
            "Tallo Fahrradlichter, 29 €",
            "Das Fahrradlicht-Set Tallo kostet 29 €, und der Versand ist kostenlos.",
            "Shop now",
        ),
    ),
    "es": (
        Example(
            "Brightwell",
            "hervidor de vidrio Brightwell",
            "El hervidor Brightwell hierve 1,7 litros en tres minutos y se apaga solo.",
            "Brightwell: listo en tres minutos",
            "El hervidor de vidrio Brightwell hierve 1,7 litros en tres minutos "
            "y después se apaga solo.",
            "Learn more",
        ),
        Example(
            "Tallo",
            "juego de luces para bici Tallo",
            "El juego Tallo cuesta 29 €, con envío gratis.",
            "Luces de bici Tallo, 29 €",
            "El juego de luces para bici Tallo cuesta 29 €, con envío gratis.",
            "Shop now",
        ),
    ),
}
