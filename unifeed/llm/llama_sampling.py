"""Grammar-constrained sampling that checks the drawn token instead of the whole vocabulary.

llama-cpp-python puts the grammar first in its sampler chain, so every token
tests all 49,152 vocabulary entries against the grammar; on this machine that
cost about as much as the model itself. Here the token is drawn without the
grammar and then checked alone; only when the grammar rejects it (a forced
quote, a length limit) is the full vocabulary filtered and the token drawn
again. The answer obeys the grammar either way; llama.cpp's own common
sampler works the same way.

One difference from the stock path: when a draw is refused, the unconstrained
chain has already accepted it. Its only stateful member is the repetition
penalty, which is neutral at the settings Unifeed uses (repeat_penalty 1.0, no
frequency or presence penalty); with a penalty the history would count the
refused token instead of the redrawn one.

This reaches into llama-cpp-python's sampler hook (`Llama._init_sampler`), so
the version is pinned in requirements.lock and the embedded tests exercise it.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np
from llama_cpp import Llama, LlamaGrammar
from llama_cpp import llama_cpp as C

from unifeed.llm.llama_loading import PlainBufferLlama

__all__ = ["CheckedGrammarLlama"]

# llama_token_data, as numpy sees it: {int32 id; float logit; float p}.
_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class _CheckedGrammarSampler:
    """Stands in for llama-cpp-python's sampler object: `sample(ctx, idx) -> token`."""

    def __init__(self, llama: Llama, chain: Any, grammar: LlamaGrammar) -> None:
        self._chain = chain  # the unconstrained chain: top-k, top-p, min-p, temperature, draw
        # Held here: at interpreter exit the module's globals are cleared
        # before a leftover sampler's finaliser runs.
        self._free = C.llama_sampler_free
        self._grammar = C.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode(), grammar._root.encode()
        )
        if not self._grammar:  # llama.cpp could not parse it, and would sample unconstrained
            raise ValueError("llama.cpp refused the grammar")
        self._n_vocab = llama.n_vocab()
        self._one = (C.llama_token_data * 1)()
        self._one_array = C.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )
        self._all = np.zeros(self._n_vocab, dtype=_TOKEN_DATA)
        self.drawn = 0
        self.redrawn = 0

    def __del__(self) -> None:
        if getattr(self, "_grammar", None) is not None:
            self._free(self._grammar)
            self._grammar = None

    def sample(self, ctx: Any, idx: int = -1) -> int:
        token = C.llama_sampler_sample(self._chain.sampler, ctx.ctx, idx)
        self.drawn += 1
        self._one[0].id, self._one[0].logit, self._one[0].p = token, 0.0, 0.0
        self._one_array.size, self._one_array.selected = 1, -1
        C.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        if not math.isfinite(self._one[0].logit):
            token = self._redraw(ctx, idx)
        C.llama_sampler_accept(self._grammar, token)
        return token

    def _redraw(self, ctx: Any, idx: int) -> int:
        self.redrawn += 1
        logits = C.llama_get_logits_ith(ctx.ctx, idx)
        self._all["id"] = np.arange(self._n_vocab, dtype=np.intc)
        self._all["logit"] = np.ctypeslib.as_array(logits, shape=(self._n_vocab,))
        self._all["p"] = 0.0
        array = C.llama_token_data_array(
            data=self._all.ctypes.data_as(C.llama_token_data_p),
            size=self._n_vocab,
            selected=-1,
            sorted=False,
        )
        C.llama_sampler_apply(self._grammar, ctypes.byref(array))
        C.llama_sampler_apply(self._chain.sampler, ctypes.byref(array))
        return int(array.data[array.selected].id)


class CheckedGrammarLlama(PlainBufferLlama):
    """`Llama` whose grammar-constrained generation uses `_CheckedGrammarSampler`."""

    def _init_sampler(self, *args: Any, grammar: LlamaGrammar | None = None, **kwargs: Any) -> Any:
        chain = super()._init_sampler(*args, grammar=None, **kwargs)
        if grammar is None:
            return chain
        return _CheckedGrammarSampler(self, chain, grammar)
