"""Flat JSON answers written field by field: what the schema fixes is prompt, not decoding.

A grammar over the whole answer makes the model decode every forced token one
at a time: the braces, keys, quotes and commas, and a prefix a pattern fixes
(the product name a headline starts with). About a third of an ad's tokens
were such punctuation, each costing a full decode step (about 23 CPU-ms for
SmolLM2 on this machine) although nothing was chosen. Here the forced text is
appended to the prompt, where llama.cpp evaluates it in one batch (about
6.6 CPU-ms a token), and only the free part of each value is decoded, with a
grammar for that value alone, up to its closing quote.

Only flat objects whose every property is a string (with an optional
``^literal[class]{m,n}$`` pattern or a maximum length) or an enum/const of
strings are written this way; `plan` returns None for anything else and the
caller uses the whole-answer grammar. The keys are written as
``json.dumps`` writes them (``{"a": "x", "b": "y"}``), the layout the worked
examples in Unifeed's prompts show the model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from unifeed.llm.model import JSONSchema

__all__ = ["JSON_CHAR", "Field", "plan", "value_grammar"]

# A pattern the planner understands: a literal start, one character class, a count.
_PATTERN = re.compile(
    r'\A\^(?P<lit>[^\[\]\\^$.|?*+(){}"]*)(?P<cls>\[[^\]]*\])\{(?P<lo>\d+),(?P<hi>\d+)\}\$\Z'
)
# The one character class it understands: JSON's own string character (no
# quote, no backslash, no control character), as unifeed.creative writes it.
JSON_CHAR = r'[^"\\\x00-\x1f\x7f]'


@dataclass(frozen=True, slots=True)
class Field:
    """One property: the text forced before its free part, and the grammar of that part.

    `forced` ends inside the value's opening quote (and any literal start the
    pattern fixes); `choices` is set for an enum, `most` bounds a free string.
    """

    name: str
    forced: str
    literal: str = ""
    least: int = 0
    most: int = 0
    choices: tuple[str, ...] = ()


def plan(schema: JSONSchema) -> list[Field] | None:
    """The fields of a flat object schema in order, or None when it is not one."""
    props = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(props, dict) or not props:
        return None
    if set(schema.get("required", props)) != set(props):
        return None
    fields: list[Field] = []
    for k, (name, spec) in enumerate(props.items()):
        opener = ("{" if k == 0 else '", ') + json.dumps(name) + ': "'
        field = _field(name, opener, spec)
        if field is None:
            return None
        fields.append(field)
    return fields


def _field(name: str, opener: str, spec: dict) -> Field | None:
    if not isinstance(spec, dict) or spec.get("type") not in ("string", None):
        return None
    options = spec.get("enum") or ([spec["const"]] if "const" in spec else None)
    if options is not None:
        if not all(isinstance(o, str) and o and '"' not in o and "\\" not in o for o in options):
            return None
        if len(options) == 1:
            return Field(name, opener + options[0], choices=(options[0],))
        return Field(name, opener, choices=tuple(options))
    if spec.get("type") != "string":
        return None
    pattern = spec.get("pattern")
    least, most = int(spec.get("minLength", 0)), spec.get("maxLength")
    literal = ""
    if pattern is not None:
        m = _PATTERN.match(pattern)
        if m is None or m["cls"] != JSON_CHAR:
            return None
        literal = m["lit"]
        least = max(least - len(literal), int(m["lo"]))
        most = int(m["hi"]) if most is None else min(int(m["hi"]), int(most) - len(literal))
    if most is None or int(most) < max(least, 1):
        return None
    return Field(name, opener + literal, literal=literal, least=least, most=int(most))


def value_grammar(field: Field) -> str:
    """GBNF for the free part of `field`'s value, up to its closing quote and what follows it.

    The model closes a value the way the worked examples show it, often with
    one token for the quote and the comma after it (``",``); a grammar that
    ended at the quote refused that token and the model, redrawn without it,
    wrote on to the length limit. So whatever JSON may follow a closing quote
    is allowed, and the writer stops at the quote.
    """
    after = "[ ,}\\n]*"
    if field.choices:
        alts = " | ".join(json.dumps(c[len(field.literal) :]) for c in field.choices)
        return f'root ::= ({alts}) "\\"" {after}'
    least = max(field.least, 0)
    return f'char ::= [^"\\\\\\x7F\\x00-\\x1F]\nroot ::= char{{{least},{field.most}}} "\\"" {after}'
