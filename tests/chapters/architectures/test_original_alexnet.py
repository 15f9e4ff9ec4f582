"""The 2012 AlexNet: LRN against torch, the two-GPU layer counts against a torch model."""

import numpy as np
import pytest
import torch
from torch import nn as tnn

from dlcourse import sizing
from dlcourse.chapters.architectures import original_alexnet as O

torch.set_num_threads(1)


def _lrn_by_loops(a, size, alpha, beta, k):
    """The paper's formula, one channel at a time (independent of the vectorised version)."""
    out = np.empty_like(a, dtype=np.float64)
    channels = a.shape[1]
    for i in range(channels):
        lo, hi = max(0, i - size // 2), min(channels - 1, i + (size - 1) // 2)
        out[:, i] = a[:, i] / (k + alpha * (a[:, lo:hi + 1].astype(np.float64) ** 2)
                               .sum(axis=1)) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_local_response_norm_matches_loops_and_torch_with_alpha_times_size(size):
    a = np.random.default_rng(size).standard_normal((2, 7, 3, 4)).astype(np.float32) * 10
    alpha, beta, k = 1e-2, 0.75, 2.0
    ours = O.local_response_norm(a, size, alpha, beta, k)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, _lrn_by_loops(a, size, alpha, beta, k), rtol=1e-5)
    theirs = tnn.LocalResponseNorm(size, alpha=size * alpha, beta=beta, k=k)(torch.from_numpy(a))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-5)


def test_local_response_norm_damps_a_map_whose_neighbours_respond():
    a = np.zeros((1, 3, 1, 1))
    a[0, 1] = 1.0
    alone = O.local_response_norm(a, **O.LRN_PAPER)[0, 1, 0, 0]
    a[0, 0] = a[0, 2] = 50.0
    crowded = O.local_response_norm(a, **O.LRN_PAPER)[0, 1, 0, 0]
    assert crowded < alone


def test_local_response_norm_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        O.local_response_norm(np.ones(3))
    with pytest.raises(ValueError, match="size"):
        O.local_response_norm(np.ones((1, 3, 2, 2)), size=0)
    with pytest.raises(TypeError, match="floating"):
        O.local_response_norm(np.ones((1, 3, 2, 2), dtype=int))


def test_hand_counted_layers_match_the_torch_model_and_the_papers_60_million():
    rows = O.original_alexnet_layers()
    model = O.original_alexnet()
    weighted = [m for m in model.modules() if isinstance(m, tnn.Conv2d | tnn.Linear)]
    assert [r.params for r in rows] == [sum(p.numel() for p in m.parameters())
                                       for m in weighted]
    assert sum(p.numel() for p in model.parameters()) == 60_965_224
    assert [r.per_gpu for r in rows[:5]] == [48, 128, 192, 192, 128]


def test_original_alexnet_gives_the_papers_map_sizes_on_227_pixels():
    with torch.device("meta"):
        s = sizing.summary(O.original_alexnet(), (1, 3, 227, 227))
    convs = [r.output_shape[1:] for r in s.rows if r.type == "Conv2d"]
    assert convs == [(96, 55, 55), (256, 27, 27), (384, 13, 13), (384, 13, 13), (256, 13, 13)]
    assert sum(r.type == "LocalResponseNorm" for r in s.rows) == 2
    neurons = sum(np.prod(r.output_shape) for r in s.rows if r.type in ("Conv2d", "Linear"))
    assert neurons == 659_272      # the paper: "650,000 neurons"

