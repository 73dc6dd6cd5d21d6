"""Item text: content embeddings that let the model place items it never saw."""

from unifeed.text.embeddings import (
    HashingEncoder,
    MiniLMEncoder,
    TextEncoder,
    default_cache_dir,
    embed_items,
)

__all__ = [
    "HashingEncoder",
    "MiniLMEncoder",
    "TextEncoder",
    "default_cache_dir",
    "embed_items",
]
