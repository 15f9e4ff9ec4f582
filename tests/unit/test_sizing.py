"""Output sizes, parameter counts, receptive fields and model summaries, checked with torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlcourse import nn
from dlcourse.nn import functional as F
from dlcourse.sizing import (
    Summary,
    conv_output_size,
    conv_params,
    conv_transpose_output_size,
    linear_params,
    pool_output_size,
    receptive_field,
    receptive_field_table,
    same_padding,
    summary,
)

torch.set_num_threads(1)

small = st.integers(1, 4)
FAST = settings(max_examples=60, deadline=None)


def _zeros(h, w, c=1):
    return torch.zeros(1, c, h, w, dtype=torch.float64)


@FAST
@given(h=st.integers(1, 20), w=st.integers(1, 20), kh=st.integers(1, 5), kw=st.integers(1, 5),
       s=small, p=st.integers(0, 3), d=st.integers(1, 3))
def test_conv_output_size_equals_torch_conv2d_output_shape(h, w, kh, kw, s, p, d):
    weight = torch.zeros(1, 1, kh, kw, dtype=torch.float64)
    try:
        want = tF.conv2d(_zeros(h, w), weight, stride=s, padding=p, dilation=d).shape[2:]
    except RuntimeError:  # torch refuses: the kernel is larger than the padded input
        with pytest.raises(ValueError, match="kernel covers"):
            conv_output_size((h, w), (kh, kw), s, p, d)
        return
    assert conv_output_size((h, w), (kh, kw), s, p, d) == tuple(want)
    assert conv_output_size(h, kh, s, p, d) == want[0]


@FAST
@given(h=st.integers(1, 20), w=st.integers(1, 20), k=st.integers(1, 5), s=small,
       p=st.integers(0, 2))
def test_pool_output_size_equals_torch_max_pool2d_output_shape(h, w, k, s, p):
    assume(2 * p <= k and k <= h + 2 * p and k <= w + 2 * p)
    want = tF.max_pool2d(_zeros(h, w), k, stride=s, padding=p).shape[2:]
    assert pool_output_size((h, w), k, stride=s, padding=p) == tuple(want)


@FAST
@given(h=st.integers(1, 10), k=st.integers(1, 4))
def test_pool_stride_defaults_to_the_kernel_size_like_torch(h, k):
    assume(k <= h)
    assert pool_output_size(h, k) == tF.max_pool2d(_zeros(h, h), k).shape[2]


@FAST
@given(h=st.integers(1, 10), w=st.integers(1, 10), k=st.integers(1, 5), s=small,
       p=st.integers(0, 3), op=st.integers(0, 3), d=st.integers(1, 3))
def test_conv_transpose_output_size_equals_torch_conv_transpose2d_shape(h, w, k, s, p, op, d):
    assume(op < max(s, d))
    weight = torch.zeros(1, 1, k, k, dtype=torch.float64)
    try:
        want = tF.conv_transpose2d(_zeros(h, w), weight, stride=s, padding=p,
                                   output_padding=op, dilation=d).shape[2:]
    except RuntimeError:  # torch refuses: the padding crops everything
        with pytest.raises(ValueError, match="crops"):
            conv_transpose_output_size((h, w), k, s, p, op, d)
        return
    assert conv_transpose_output_size((h, w), k, s, p, op, d) == tuple(want)


def test_output_sizes_for_32x32x3_input_with_f_1_3_7_11_32_are_32_30_26_22_1():
    # From the course notes: stride 1, no padding, a border of (F - 1)/2 is lost.
    x = torch.zeros(1, 3, 32, 32)
    for f, expected in zip((1, 3, 7, 11, 32), (32, 30, 26, 22, 1), strict=True):
        assert conv_output_size(32, f) == expected
        assert tF.conv2d(x, torch.zeros(1, 3, f, f)).shape[-1] == expected
        assert conv_output_size((32, 32), f) == (expected, expected)


def test_seven_by_seven_input_with_3x3_filter_gives_5x5():
    # From the notes: "for an 7x7 input with a 3x3 filter ... 5x5".
    assert conv_output_size(7, 3) == 5


def test_strict_mode_raises_when_the_stride_does_not_fit_and_shows_the_fraction():
    # (N - F + 2P)/S + 1 = (7 - 3 + 0)/3 + 1 = 4/3 + 1 = 7/3: torch silently gives 2.
    assert conv_output_size(7, 3, stride=3) == 2
    with pytest.raises(ValueError, match=r"stride 3 does not fit.*4/3 \+ 1 = 7/3"):
        conv_output_size(7, 3, stride=3, strict=True)
    assert conv_output_size(7, 3, stride=2, strict=True) == 3  # (7 - 3)/2 + 1 = 3 exactly
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size((7, 7), 3, stride=(2, 3), strict=True)


def test_invalid_sizes_are_rejected_with_the_argument_named():
    with pytest.raises(ValueError, match="kernel covers 5 pixels"):
        conv_output_size(4, 5)
    with pytest.raises(ValueError, match="stride must be positive"):
        conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be non-negative"):
        conv_output_size(8, 3, padding=-1)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        conv_output_size(8, 2.5)
    with pytest.raises(ValueError, match="at most half"):
        pool_output_size(8, 2, padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose_output_size(4, 3, stride=2, output_padding=2)


def test_pair_arguments_give_a_pair_and_ints_give_an_int():
    assert conv_output_size(9, 3, stride=2) == 4
    assert conv_output_size((9, 12), (3, 5), stride=(2, 1), padding=(1, 0)) == (5, 8)
    assert isinstance(conv_output_size(9, 3), int)


def test_same_padding_keeps_the_size_in_torch_and_rejects_even_kernels():
    for k, d in [(1, 1), (3, 1), (5, 1), (7, 1), (3, 2), (5, 3), (2, 2)]:
        p = same_padding(k, dilation=d)
        weight = torch.zeros(1, 1, k, k)
        assert tF.conv2d(torch.zeros(1, 1, 11, 11), weight, padding=p, dilation=d).shape[-1] == 11
        assert conv_output_size(11, k, padding=p, dilation=d) == 11
    assert same_padding((3, 5)) == (1, 2)
    with pytest.raises(ValueError, match=r"\(F - 1\)/2 = 3/2 is not an integer"):
        same_padding(4)


def test_parameter_counts_from_the_notes_match_torch():
    # From the notes: ten 5x5x3 filters -> 10 * 76 = 760; 3*3*3*32 = 864; 3*3*32*64 = 18,432.
    assert conv_params(3, 10, 5) == 760
    assert conv_params(3, 32, 3, bias=False) == 864
    assert conv_params(32, 64, 3, bias=False) == 18_432
    for c_in, c_out, k, bias in [(3, 10, 5, True), (3, 32, 3, False), (32, 64, 3, False),
                                 (5, 7, (1, 3), True)]:
        layer = torch.nn.Conv2d(c_in, c_out, k, bias=bias)
        assert conv_params(c_in, c_out, k, bias) == sum(p.numel() for p in layer.parameters())
    for n_in, n_out, bias in [(784, 10, True), (3, 1, False)]:
        layer = torch.nn.Linear(n_in, n_out, bias=bias)
        assert linear_params(n_in, n_out, bias) == sum(p.numel() for p in layer.parameters())


def test_receptive_field_of_three_3x3_convs_is_7():
    assert receptive_field([(3, 1)] * 3) == 7


def test_receptive_field_of_two_convs_pool_two_convs_is_14():
    # From the notes: conv3, conv3, 2x2 max-pool stride 2, conv3, conv3 -> 14.
    layers = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)]
    assert receptive_field(layers) == 14
    table = receptive_field_table(layers)
    assert [row.rf for row in table] == [3, 5, 6, 10, 14]
    assert [row.jump for row in table] == [1, 1, 2, 2, 2]


def _measured_receptive_field(layers):
    """Extent of the input that reaches the first output, measured with torch autograd."""
    span = receptive_field(layers)
    x = torch.ones(1, 1, span + 7, dtype=torch.float64, requires_grad=True)
    out = x
    for k, s, d in layers:
        out = tF.conv1d(out, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    out[0, 0, 0].backward()
    touched = torch.nonzero(x.grad[0, 0]).flatten()
    return int(touched[-1] - touched[0] + 1)


@FAST
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 2)),
                min_size=1, max_size=5))
def test_receptive_field_equals_the_input_extent_torch_backpropagates_to(layers):
    assert receptive_field(layers) == _measured_receptive_field(layers)


def test_receptive_field_rejects_malformed_layers():
    with pytest.raises(ValueError, match="layer 2 must be"):
        receptive_field([(3, 1), (3,)])
    with pytest.raises(ValueError, match="stride of layer 1"):
        receptive_field([(3, 0)])


class _SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, stride=2, bias=False), torch.nn.BatchNorm2d(16),
            torch.nn.Conv2d(16, 16, 1, groups=4),
        )
        self.head = torch.nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def test_summary_of_a_torch_cnn_counts_every_parameter_and_the_hand_computed_macs():
    torch.manual_seed(0)
    model = _SmallCNN()
    s = summary(model, (2, 3, 16, 16))
    assert s.total_params == sum(p.numel() for p in model.parameters())
    assert sum(row.params for row in s.rows) == s.total_params
    # By hand, batch 2: conv1 16x16 outputs x 8 channels, each 3*3*3 products;
    # pool -> 8x8; conv2 (8 - 3)//2 + 1 = 3 -> 3x3 x 16, each 3*3*8; the grouped 1x1 conv
    # reads 16/4 = 4 channels per output; the linear layer 10 outputs of 144 products.
    macs = {
        "features.0": 2 * 8 * 16 * 16 * 27,
        "features.3": 2 * 16 * 3 * 3 * 72,
        "features.5": 2 * 16 * 3 * 3 * 4,
        "head": 2 * 10 * 144,
    }
    assert {row.name: row.macs for row in s.rows if row.macs} == macs
    assert s.total_macs == sum(macs.values())
    shapes = {row.name: row.output_shape for row in s.rows}
    assert shapes["features.2"] == (2, 8, 8, 8) and shapes["head"] == (2, 10)
    assert [row.type for row in s.rows][:3] == ["Conv2d", "ReLU", "MaxPool2d"]


def test_summary_counts_transposed_convolution_macs_per_input_pixel():
    layer = torch.nn.ConvTranspose2d(4, 2, 3, stride=2)
    s = summary(layer, (1, 4, 5, 5))
    # Each of the 4*5*5 input numbers is multiplied into a 2 x 3 x 3 block of outputs.
    assert s.rows[0].macs == 4 * 5 * 5 * 2 * 9
    assert s.rows[0].output_shape == (1, 2, 11, 11)
    assert s.total_params == 4 * 2 * 9 + 2


def test_summary_leaves_train_mode_and_batch_norm_statistics_untouched():
    model = _SmallCNN()
    model.features[4].eval()  # a mixed state must come back exactly
    before = model.features[4].running_mean.clone()
    summary(model, (1, 3, 16, 16))
    assert model.training and model.head.training and not model.features[4].training
    assert torch.equal(model.features[4].running_mean, before)
    assert all(not m._forward_hooks for m in model.modules())


def test_summary_of_a_dlcourse_model_matches_the_same_torch_model():
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.BatchNorm1d(16), nn.ReLU(),
                        nn.Residual(nn.Sequential(nn.Linear(16, 16), nn.Tanh())),
                        nn.Linear(16, 3))
    body = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.Tanh())
    twin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 16),
                               torch.nn.BatchNorm1d(16), torch.nn.ReLU(), body,
                               torch.nn.Linear(16, 3))
    ours, theirs = summary(net, (4, 3, 2, 2)), summary(twin, (4, 3, 2, 2))
    assert ours.total_params == theirs.total_params == net.num_params()
    assert ours.total_macs == theirs.total_macs == 4 * (12 * 16 + 16 * 16 + 16 * 3)
    assert [r.output_shape for r in ours.rows] == [r.output_shape for r in theirs.rows]
    assert [r.name for r in ours.rows][4:6] == ["4.body.0", "4.body.1"]
    assert net.training and all(m.training for m in net.modules())
    assert all("forward" not in vars(m) for m in net.modules())  # the recorders are gone


def test_summary_of_a_dlcourse_cnn_matches_torch():
    if not hasattr(F, "conv2d"):
        pytest.skip("dlcourse.nn.functional.conv2d is not written yet")
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.ConvTranspose2d(8, 4, 2, stride=2), nn.GlobalAvgPool2d())
    twin = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.ConvTranspose2d(8, 4, 2, stride=2))
    ours, theirs = summary(net, (1, 3, 8, 8)), summary(twin, (1, 3, 8, 8))
    assert ours.total_params == theirs.total_params
    assert [r.macs for r in ours.rows][:4] == [r.macs for r in theirs.rows]
    assert [r.output_shape for r in ours.rows][:4] == [r.output_shape for r in theirs.rows]


def test_summary_prints_an_aligned_table_and_html():
    s = summary(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), (2, 4))
    assert isinstance(s, Summary)
    lines = str(s).splitlines()
    assert lines[0].startswith("Layer (type)") and "Mult-adds" in lines[0]
    assert len({len(line) for line in lines[:5]}) == 1  # header, rules and rows align
    assert "Total params: 15" in str(s) and "Total mult-adds: 24" in str(s)
    assert s._repr_html_().startswith("<table>") and "0 (Linear)" in s._repr_html_()


def test_summary_rejects_other_objects_and_bad_shapes():
    with pytest.raises(TypeError, match="torch.nn.Module or a dlcourse.nn Module"):
        summary(np.zeros(3), (1, 3))
    with pytest.raises(ValueError, match="input_shape must be positive"):
        summary(torch.nn.Linear(2, 2), (0, 2))
