"""The unified sequential recommender: one causal transformer over action histories.

A user's history is a sequence of (item, action) tokens. The model reads it
with causal self-attention (SASRec/HSTU family) and, at every position, emits a
state h that scores every candidate item by a dot product with that item's
representation. Training and serving share `forward` and `score`.

An item's representation is the sum of
  * a learned id embedding (zeroed for items never seen in training, so they
    do not score from untrained noise),
  * a projection of its content embedding (text, when the item has any), and
  * an embedding of its kind (post, video, ad, ...),
so an item nobody has touched yet is ranked from its content on day one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    n_items: int  # catalogue size; item codes are 1..n_items, 0 is padding
    dim: int = 64
    n_blocks: int = 2
    n_heads: int = 1
    ffn_mult: int = 1
    max_len: int = 50
    dropout: float = 0.3
    n_actions: int = 1
    n_kinds: int = 5
    content_dim: int = 0  # 0: the model uses no content embeddings
    use_ids: bool = True  # False: a content-only model (no id embeddings at all)
    # Share of items whose id embedding is hidden in each training step, so the
    # content projection has to carry the signal that cold items rely on.
    id_dropout: float = 0.0
    normalize: bool = False  # score by cosine similarity / temperature instead of dot product
    temperature: float = 0.05

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Block(nn.Module):
    """Pre-norm transformer block with causal self-attention."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.ln1 = nn.LayerNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)
        self.ln2 = nn.LayerNorm(cfg.dim)
        hidden = cfg.dim * cfg.ffn_mult
        self.ffn = nn.Sequential(
            nn.Linear(cfg.dim, hidden),
            nn.GELU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(hidden, cfg.dim),
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.attn_dropout = cfg.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)  # 3 × (B, T, D)
        q, k, v = (t.view(B, T, self.n_heads, D // self.n_heads).transpose(1, 2) for t in (q, k, v))
        # Sequences are right-padded, so a causal mask alone keeps every real
        # position from attending to padding.
        a = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.attn_dropout if self.training else 0.0
        )  # (B, H, T, D/H)
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(B, T, D)))
        return x + self.drop(self.ffn(self.ln2(x)))


class Transducer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        n = cfg.n_items + 1
        self.item_emb = nn.Embedding(n, cfg.dim, padding_idx=0) if cfg.use_ids else None
        self.kind_emb = nn.Embedding(cfg.n_kinds, cfg.dim)
        self.action_emb = nn.Embedding(cfg.n_actions, cfg.dim)
        self.pos_emb = nn.Embedding(cfg.max_len, cfg.dim)
        self.content_proj = nn.Linear(cfg.content_dim, cfg.dim) if cfg.content_dim else None
        # Item side data lives in buffers so a checkpoint carries it.
        self.register_buffer("item_kind", torch.zeros(n, dtype=torch.long))
        self.register_buffer("id_known", torch.ones(n, dtype=torch.bool))
        if cfg.content_dim:
            self.register_buffer("content", torch.zeros(n, cfg.content_dim))
            self.register_buffer("has_content", torch.zeros(n, dtype=torch.bool))
        self.emb_drop = nn.Dropout(cfg.dropout)
        self._id_keep: torch.Tensor | None = None  # (I+1,) this step's id-dropout mask
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_blocks))
        self.ln_f = nn.LayerNorm(cfg.dim)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
            if m.padding_idx is not None:
                nn.init.zeros_(m.weight[m.padding_idx])

    # ------------------------------------------------------------- items
    def item_repr(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """Representations of item codes (any shape → shape + (D,)); all items when None."""
        if items is None:
            items = torch.arange(self.cfg.n_items + 1, device=self.kind_emb.weight.device)
        e = self.kind_emb(self.item_kind[items])
        if self.item_emb is not None:
            known = self.id_known
            if self.training and self._id_keep is not None:
                known = known & self._id_keep
            e = e + self.item_emb(items) * known[items].unsqueeze(-1)
        if self.content_proj is not None:
            c = self.content_proj(self.content[items])
            e = e + c * self.has_content[items].unsqueeze(-1)
        return e

    def resample_id_dropout(self, gen: torch.Generator) -> None:
        """Draw which items hide their id embedding in the next training step."""
        if self.cfg.id_dropout <= 0:
            self._id_keep = None
            return
        u = torch.rand(self.cfg.n_items + 1, generator=gen)
        self._id_keep = (u >= self.cfg.id_dropout).to(self.id_known.device)

    # ------------------------------------------------------------- sequence
    def forward(
        self,
        items: torch.Tensor,
        actions: torch.Tensor,
        lengths: torch.Tensor,
        item_vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """States after each position of right-padded histories.

        items, actions: (B, T) codes, 0-padded on the right; lengths: (B,).
        item_vectors (B, T, D), when given, replaces item_repr(items): the
        server passes it for items that arrived after training (and so have no
        code), built from their content.
        Returns (B, T, D); state [b, t] reads only items[b, :t+1] (causal), with
        positions counted back from the history's newest event.
        """
        T = items.shape[1]
        t = torch.arange(T, device=items.device)
        # Position counts back from the newest event, so the state that serves
        # a feed request (the last one) always sits at position 0.
        recency = (lengths.unsqueeze(1) - 1 - t).clamp(0, self.cfg.max_len - 1)  # (B, T)
        e = self.item_repr(items) if item_vectors is None else item_vectors  # (B, T, D)
        x = e + self.action_emb(actions) + self.pos_emb(recency)  # (B, T, D)
        x = self.emb_drop(x * (items > 0).unsqueeze(-1))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)

    def score(self, h: torch.Tensor, cand: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of candidates for states h (..., D).

        cand None: every item, (..., I+1). cand (K,): a shared candidate list,
        (..., K). cand of h's leading shape + (K,): per-state candidates.
        """
        e = self.item_repr(cand)  # (I+1, D) | (K, D) | (..., K, D)
        if self.cfg.normalize:
            h = F.normalize(h, dim=-1) / self.cfg.temperature
            e = F.normalize(e, dim=-1)
        if e.dim() == 2:
            return h @ e.T
        return (h.unsqueeze(-2) * e).sum(-1)

    def last_state(
        self,
        items: torch.Tensor,
        actions: torch.Tensor,
        lengths: torch.Tensor,
        item_vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, D) state after each history's newest event: what ranks the next item."""
        h = self.forward(items, actions, lengths, item_vectors)  # (B, T, D)
        return h[torch.arange(len(lengths), device=h.device), lengths - 1]

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def score_histories(
        self, items: torch.Tensor, actions: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """(B, I+1) scores of every item as the next one for each history."""
        return self.score(self.last_state(items, actions, lengths))
