"""Item text: content embeddings that let the model place items it never saw."""

from unifeed.text.cache import default_cache_dir, embed_items
from unifeed.text.embeddings import HashingEncoder, MiniLMEncoder, TextEncoder

__all__ = [
    "HashingEncoder",
    "MiniLMEncoder",
    "TextEncoder",
    "default_cache_dir",
    "embed_items",
]
