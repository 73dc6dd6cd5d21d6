"""How Unifeed loads a GGUF file into llama.cpp: without llama.cpp's extra buffer types.

llama.cpp may move a model's weights into "extra" CPU buffer types that repack
them for a faster kernel: AMX tiles on Intel CPUs that have AMX, and
interleaved rows (CPU_REPACK) for a few quantisations. On this project's
Xeon (AMX_INT8 built in, since the wheel compiles with GGML_NATIVE) the AMX
buffer also takes SmolLM2's token embeddings, which the model then reads by
row, and the first `llama_decode` dies with a segmentation fault: the whole
process, not a Python exception. Loading with `use_extra_bufts = false`
keeps every weight in the plain CPU buffer; it costs SmolLM2's Q4_1 nothing
measurable (CPU_REPACK has no Q4_1 layout, and decoding one token reads the
whole model either way: docs/benchmarks.md, "llm-runtimes").

llama-cpp-python exposes no argument for it, but builds its model parameters
in `Llama.__init__` as `self.model_params = llama_model_default_params()`;
the property below turns the option off as that struct is assigned.
"""

from __future__ import annotations

from typing import Any

from llama_cpp import Llama

__all__ = ["PlainBufferLlama"]


class PlainBufferLlama(Llama):
    """`Llama` that loads every weight into llama.cpp's plain CPU buffer."""

    @property  # type: ignore[override]
    def model_params(self) -> Any:
        return self._plain_model_params

    @model_params.setter
    def model_params(self, params: Any) -> None:
        params.use_extra_bufts = False
        self._plain_model_params = params
