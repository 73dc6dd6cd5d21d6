"""The causal transducer: shapes, causality, padding, scoring and item representations."""

from __future__ import annotations

import pytest
import torch

from unifeed.model.transducer import ModelConfig, Transducer

N_ITEMS = 30
DIM = 16


def make_model(seed: int = 0, **overrides: object) -> Transducer:
    torch.manual_seed(seed)
    settings: dict[str, object] = {
        "n_items": N_ITEMS,
        "dim": DIM,
        "n_blocks": 1,
        "n_heads": 2,
        "max_len": 8,
        "n_actions": 3,
        "content_dim": 6,
        "dropout": 0.2,
    }
    settings.update(overrides)
    model = Transducer(ModelConfig(**settings))  # type: ignore[arg-type]
    with torch.no_grad():
        # Random (not near-zero) weights and item buffers, so differences show.
        for p in model.parameters():
            p.normal_(0, 0.5)
        if model.item_emb is not None:
            model.item_emb.weight[0] = 0
        model.item_kind.copy_(torch.randint(0, model.cfg.n_kinds, (N_ITEMS + 1,)))
        if model.cfg.content_dim:
            model.content.normal_()
            model.has_content.copy_(torch.rand(N_ITEMS + 1) < 0.5)
    return model.eval()


def batch(lengths: list[int], T: int | None = None, seed: int = 1):
    """Right-padded random histories: items (B, T), actions (B, T), lengths (B,)."""
    g = torch.Generator().manual_seed(seed)
    T = T or max(lengths)
    items = torch.randint(1, N_ITEMS + 1, (len(lengths), T), generator=g)
    actions = torch.randint(0, 3, (len(lengths), T), generator=g)
    lens = torch.tensor(lengths)
    pad = torch.arange(T)[None, :] >= lens[:, None]
    return items.masked_fill(pad, 0), actions.masked_fill(pad, 0), lens


def test_shapes() -> None:
    model = make_model()
    items, actions, lengths = batch([5, 3, 1])  # (3, 5)
    h = model(items, actions, lengths)
    assert h.shape == (3, 5, DIM)  # (B, T, D)
    last = model.last_state(items, actions, lengths)
    assert last.shape == (3, DIM)  # (B, D)
    assert model.score(h).shape == (3, 5, N_ITEMS + 1)  # (B, T, I+1)
    assert model.score(last).shape == (3, N_ITEMS + 1)  # (B, I+1)
    assert model.score(last, torch.tensor([4, 9])).shape == (3, 2)  # shared (K,) → (B, K)
    assert model.score(last, torch.randint(1, N_ITEMS, (3, 4))).shape == (3, 4)  # (B, K)
    assert model.score(h, torch.randint(1, N_ITEMS, (3, 5, 4))).shape == (3, 5, 4)  # (B, T, K)
    assert model.score(h, torch.tensor([1, 2, 3])).shape == (3, 5, 3)  # (B, T, K)
    assert model.score_histories(items, actions, lengths).shape == (3, N_ITEMS + 1)
    assert model.item_repr().shape == (N_ITEMS + 1, DIM)  # every item, padding included
    assert model.item_repr(torch.tensor([[1, 2], [3, 4]])).shape == (2, 2, DIM)
    torch.testing.assert_close(last, h[torch.arange(3), lengths - 1])


def test_a_model_without_ids_or_content() -> None:
    ids_only = make_model(content_dim=0)
    content_only = make_model(use_ids=False)
    assert ids_only.content_proj is None and content_only.item_emb is None
    items, actions, lengths = batch([4, 2])
    for m in (ids_only, content_only):
        assert m.score_histories(items, actions, lengths).shape == (2, N_ITEMS + 1)
    assert content_only.n_params() < make_model().n_params()


def test_causality() -> None:
    model = make_model()
    items, actions, lengths = batch([7, 7])
    h = model(items, actions, lengths)
    for j in (0, 3, 6):
        changed = items.clone()
        changed[:, j] = changed[:, j] % N_ITEMS + 1  # another real item
        h2 = model(changed, actions, lengths)
        torch.testing.assert_close(h2[:, :j], h[:, :j], rtol=0, atol=1e-6)
        assert not torch.allclose(h2[:, j], h[:, j], atol=1e-4)
        acted = actions.clone()
        acted[:, j] = (acted[:, j] + 1) % 3
        h3 = model(items, acted, lengths)
        torch.testing.assert_close(h3[:, :j], h[:, :j], rtol=0, atol=1e-6)
        assert not torch.allclose(h3[:, j], h[:, j], atol=1e-4)


def test_padding_invariance() -> None:
    model = make_model()
    lengths = [3, 7, 5, 1, 8]
    items, actions, lens = batch(lengths, T=11)  # padded past the longest history
    together = model.last_state(items, actions, lens)  # (5, D)
    for b, n in enumerate(lengths):
        alone = model.last_state(items[b : b + 1, :n], actions[b : b + 1, :n], lens[b : b + 1])
        torch.testing.assert_close(alone[0], together[b], rtol=0, atol=1e-5)
    # Every real position, not only the last, ignores the padding after it.
    h = model(items, actions, lens)
    h_short = model(items[:, :8], actions[:, :8], lens)
    torch.testing.assert_close(h_short, h[:, :8], rtol=0, atol=1e-5)


@pytest.mark.parametrize("normalize", [False, True])
def test_score_forms_agree(normalize: bool) -> None:
    model = make_model(normalize=normalize)
    items, actions, lengths = batch([6, 2, 4])
    h = model.last_state(items, actions, lengths)  # (B, D)
    full = model.score(h)  # (B, I+1)
    cand = torch.tensor([3, 17, 1, 30])
    torch.testing.assert_close(model.score(h, cand), full[:, cand], rtol=0, atol=1e-5)
    per_state = torch.randint(1, N_ITEMS + 1, (3, 5), generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(
        model.score(h, per_state), full.gather(1, per_state), rtol=0, atol=1e-5
    )
    # All positions at once agree with the per-position scores.
    hs = model(items, actions, lengths)  # (B, T, D)
    torch.testing.assert_close(model.score(hs)[:, 2], model.score(hs[:, 2]), rtol=0, atol=1e-5)
    torch.testing.assert_close(
        model.score_histories(items, actions, lengths), full, rtol=0, atol=1e-5
    )


def test_unknown_items_without_content_score_from_their_kind_alone() -> None:
    model = make_model()
    with torch.no_grad():
        for i in (5, 6):
            model.id_known[i] = False
            model.has_content[i] = False
            model.item_kind[i] = 2
    h = model.last_state(*batch([4, 6, 2]))
    s = model.score(h)
    torch.testing.assert_close(s[:, 5], s[:, 6], rtol=0, atol=0)  # same kind, same score
    torch.testing.assert_close(model.item_repr(torch.tensor(5)), model.kind_emb.weight[2])
    # Their trained id embeddings do not contribute, on the candidate side ...
    with torch.no_grad():
        model.item_emb.weight[5] += 10.0
    torch.testing.assert_close(model.score(h)[:, 5], s[:, 5], rtol=0, atol=0)
    # ... nor in a history.
    items, actions, lengths = batch([4])
    items[0, 1] = 5
    before = model.last_state(items, actions, lengths)
    with torch.no_grad():
        model.item_emb.weight[5] -= 25.0
    torch.testing.assert_close(model.last_state(items, actions, lengths), before, rtol=0, atol=0)


def test_a_content_only_item_scores_from_its_content() -> None:
    model = make_model()
    with torch.no_grad():
        for i in (7, 8):
            model.id_known[i] = False  # never seen in training
            model.has_content[i] = True
            model.item_kind[i] = 1
        model.content[8] = model.content[7]
    h = model.last_state(*batch([3, 5]))
    s = model.score(h)
    torch.testing.assert_close(s[:, 7], s[:, 8], rtol=0, atol=0)  # same content, same score
    expected = model.kind_emb.weight[1] + model.content_proj(model.content[7])
    torch.testing.assert_close(model.item_repr(torch.tensor(7)), expected)
    with torch.no_grad():
        model.content[8] = torch.randn(model.cfg.content_dim)
    s2 = model.score(h)
    assert not torch.allclose(s2[:, 8], s[:, 8], atol=1e-4)  # the score follows the content
    torch.testing.assert_close(s2[:, 7], s[:, 7], rtol=0, atol=0)
    # Content without the flag is ignored.
    with torch.no_grad():
        model.has_content[8] = False
    torch.testing.assert_close(model.item_repr(torch.tensor(8)), model.kind_emb.weight[1])


def test_dropout_only_in_training_mode() -> None:
    model = make_model(dropout=0.5)
    items, actions, lengths = batch([6, 3])
    a = model.score_histories(items, actions, lengths)
    b = model.score_histories(items, actions, lengths)
    assert torch.equal(a, b)
    model.train()
    c = model.score_histories(items, actions, lengths)
    assert not torch.allclose(a, c)


def test_id_dropout_hides_ids_only_while_training() -> None:
    model = make_model(id_dropout=1.0, content_dim=0)
    cand = torch.arange(1, N_ITEMS + 1)
    kinds_only = model.kind_emb(model.item_kind[cand])
    with_ids = model.item_repr(cand)
    model.resample_id_dropout(torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.item_repr(cand), with_ids)  # eval: ids are used
    model.train()
    torch.testing.assert_close(model.item_repr(cand), kinds_only)  # every id hidden
    model.cfg.id_dropout = 0.0
    model.resample_id_dropout(torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.item_repr(cand), with_ids)
