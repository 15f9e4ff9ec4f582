"""Chapter 06 numbers: architecture tables, Inception, 3x3 stacks, ZFNet, the C/L/R/P/B designs."""

import pytest
import torch
from torch import nn as tnn

from dlcourse import sizing
from dlcourse.chapters.architectures import tables as A

torch.set_num_threads(1)

# torchvision's model tables ("Params" and "GFLOPS" -- multiply-adds of one 224x224 image),
# https://pytorch.org/vision/stable/models.html, written down independently of dlcourse.
TORCHVISION = {
    "AlexNet": (61_100_840, 0.71),
    "VGG-16": (138_357_544, 15.47),
    "VGG-19": (143_667_240, 19.63),
    "GoogLeNet": (6_624_904, 1.50),
    "ResNet-18": (11_689_512, 1.81),
    "ResNet-50": (25_557_032, 4.09),
}


@pytest.mark.parametrize("name", list(TORCHVISION))
def test_architecture_tables_match_torchvisions_published_params_and_gflops(name):
    s = A.architecture_summary(name)
    params, gflops = TORCHVISION[name]
    assert s.total_params == params
    assert round(s.total_macs / 1e9, 2) == gflops
    assert sum(row.params for row in s.rows) == params   # every parameter sits in one row


def test_lenet5_table_counts_the_layers_of_the_1998_paper():
    # C1: 6(25+1) = 156; C3 (full connections): 16(150+1) = 2,416; C5: 120(400+1) = 48,120;
    # F6: 84(120+1) = 10,164; output: 10(84+1) = 850.
    names, params, macs = A.layer_profile("LeNet-5")
    assert params == [156, 2416, 48120, 10164, 850]
    assert macs[0] == 28 * 28 * 6 * 25 and macs[2] == 120 * 400


def test_unknown_architecture_is_rejected_by_name():
    with pytest.raises(ValueError, match="name must be one of"):
        A.architecture_summary("ResNet-1000")


def test_fully_connected_layers_hold_most_of_vgg16_and_alexnet_but_little_of_resnet():
    share = {r.name: r.classifier_share for r in A.overview()}
    # VGG-16 FC: (25088+1)4096 + (4096+1)4096 + (4096+1)1000 = 123,642,856 of 138,357,544
    assert share["VGG-16"] == round(123_642_856 / 138_357_544, 4)
    assert share["AlexNet"] > 0.9 and share["ResNet-18"] < 0.05
    assert A.stage_params(A.architecture_summary("ResNet-18"))[1] == 512 * 1000 + 1000


def test_resnet_weighted_layers_are_depth_plus_projection_shortcuts():
    layers = {r.name: r.weighted_layers for r in A.overview(["ResNet-18", "ResNet-50", "VGG-16"])}
    assert layers == {"ResNet-18": 18 + 3, "ResNet-50": 50 + 4, "VGG-16": 16}


def test_overview_table_prints_the_published_counts():
    text = A.format_overview(A.overview(["LeNet-5", "ResNet-18"]))
    assert "11,689,512" in text and "61,706" in text


def test_grouped_profile_adds_up_inception_modules_and_resnet_stages():
    names, params, _ = A.layer_profile("GoogLeNet")
    assert "inception3a" in names and len(names) == 13
    s = A.architecture_summary("GoogLeNet")
    assert sum(params) == sum(r.params for r in s.rows if r.type in ("Conv2d", "Linear"))
    names, params, macs = A.layer_profile("ResNet-18", group=False)
    assert len(names) == 21 and names[0] == "conv1" and params[0] == 7 * 7 * 3 * 64


def _torch_branch_counts(convs, size):
    """Params and MACs of a chain of plain torch convolutions (c_in, c_out, k), 'same' padding."""
    layers = [tnn.Conv2d(c_in, c_out, k, padding=k // 2) for c_in, c_out, k in convs]
    s = sizing.summary(tnn.Sequential(*layers), (1, convs[0][0], size, size))
    return s.total_params, s.total_macs


def test_inception_3a_branch_counts_match_torch_convolutions():
    rows = A.inception_branches()  # GoogLeNet 3a: 192 -> 64 | 96-128 | 16-32 | pool-32
    expected = [
        [(192, 64, 1)], [(192, 96, 1), (96, 128, 3)], [(192, 16, 1), (16, 32, 5)],
        [(192, 32, 1)],
    ]
    for row, convs in zip(rows, expected, strict=True):
        assert (row.params, row.macs) == _torch_branch_counts(convs, 28)
    assert sum(r.out_channels for r in rows) == 256   # the published 3a output depth


def test_inception_bottlenecks_cut_parameters_and_macs_of_the_naive_module():
    naive, reduced = A.inception_branches(reduce=False), A.inception_branches()
    expected = [[(192, 64, 1)], [(192, 128, 3)], [(192, 32, 5)]]
    for row, convs in zip(naive, expected, strict=False):
        assert (row.params, row.macs) == _torch_branch_counts(convs, 28)
    assert naive[3].params == 0 and naive[3].out_channels == 192   # pool passes channels on
    assert sum(r.params for r in reduced) < 0.5 * sum(r.params for r in naive)
    assert sum(r.macs for r in reduced) < 0.5 * sum(r.macs for r in naive)


@pytest.mark.parametrize("channels", [1, 16, 64, 256])
def test_three_3x3_convs_have_27c2_weights_against_49c2_for_one_7x7(channels):
    c = A.stack_vs_single(channels)
    assert (c.receptive_field, c.stack_weights, c.single_weights) == (7, 27 * channels ** 2,
                                                                    49 * channels ** 2)
    assert (c.stack_nonlinearities, c.single_nonlinearities) == (3, 1)
    stack = tnn.Sequential(*[tnn.Conv2d(channels, channels, 3, bias=False) for _ in range(3)])
    assert sum(p.numel() for p in stack.parameters()) == c.stack_weights


def test_two_3x3_convs_see_5x5_like_one_5x5():
    c = A.stack_vs_single(10, layers=2)
    assert (c.receptive_field, c.stack_weights, c.single_weights) == (5, 1800, 2500)


def test_zfnet_first_layer_has_fewer_weights_but_finer_maps_than_alexnets():
    alex, zf = A.first_layer_comparison()
    conv = {name: tnn.Conv2d(3, 96, k, stride=s, padding=p)
            for name, k, s, p in [("AlexNet", 11, 4, 0), ("ZFNet", 7, 2, 1)]}
    for row, size in [(alex, 227), (zf, 224)]:
        s = sizing.summary(conv[row.name], (1, 3, size, size))
        assert s.rows[0].output_shape == (1, 96, row.output_size, row.output_size)
        assert (row.params, row.macs) == (s.total_params, s.total_macs)
    assert (alex.output_size, zf.output_size) == (55, 110)   # the papers' map sizes
    assert zf.params < alex.params and zf.macs > alex.macs


def test_flatten_vs_gap_counts_match_torch_linear_layers():
    flat, gap = A.flatten_vs_gap(64, 4, 4, 10)
    assert flat == sum(p.numel() for p in tnn.Linear(64 * 16, 10).parameters())
    assert gap == sum(p.numel() for p in tnn.Linear(64, 10).parameters())


def test_parse_design_reads_the_notes_example_and_rejects_unknown_letters():
    assert A.parse_design("C16 R P L20") == [("C", 16), ("R", None), ("P", None), ("L", 20)]
    with pytest.raises(ValueError, match="cannot read"):
        A.parse_design("C16 X L10")
    with pytest.raises(ValueError, match="empty"):
        A.parse_design("  ")
    with pytest.raises(TypeError):
        A.parse_design(16)


def _torch_design_64():
    """DESIGN_64 written out by hand in torch (independent of the parser)."""
    def block(c_in, c_out):
        return [tnn.Conv2d(c_in, c_out, 3, padding=1), tnn.BatchNorm2d(c_out), tnn.ReLU()]
    return tnn.Sequential(
        *block(3, 32), *block(32, 32), tnn.MaxPool2d(2),
        *block(32, 64), *block(64, 64), tnn.MaxPool2d(2),
        *block(64, 128), *block(128, 128), tnn.MaxPool2d(2),
        *block(128, 128), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(128 * 4 * 4, 128), tnn.ReLU(), tnn.Linear(128, 10))


def test_design_64_count_matches_the_same_cnn_written_in_torch():
    rows = A.count_design(A.DESIGN_64)
    torch_summary = sizing.summary(_torch_design_64(), (1, 3, 64, 64))
    assert sum(r.params for r in rows) == torch_summary.total_params == 699_306
    assert sum(r.macs for r in rows) == torch_summary.total_macs
    assert rows[-1].output_shape == (10,)


@pytest.mark.parametrize("spec, shape", [
    (A.DESIGN_64, (3, 64, 64)), (A.DESIGN_64_GAP, (3, 64, 64)),
    ("C8 B R P C4 R G B L5", (1, 16, 16)), ("L7 R B L3", (2, 3, 3)),
])
def test_hand_count_of_a_design_equals_the_engine_model_summary(spec, shape):
    rows, s = A.count_design(spec, shape), A.design_summary(spec, shape)
    assert [r.params for r in rows] == [r.params for r in s.rows]
    assert [r.macs for r in rows] == [r.macs for r in s.rows]
    assert [(1, *r.output_shape) for r in rows] == [r.output_shape for r in s.rows]


def test_gap_head_shrinks_the_design_64_classifier():
    flat = sum(r.params for r in A.count_design(A.DESIGN_64))
    gap = sum(r.params for r in A.count_design(A.DESIGN_64_GAP))
    assert flat - gap == (2048 + 1) * 128   # the L128 after flattening 128x4x4 is gone


@pytest.mark.parametrize("spec, shape, message", [
    ("L10 C4", (3, 8, 8), "C needs feature maps"),
    ("P P P P", (3, 8, 8), "at least 2x2"),
    ("C4", (3, 8), "must be"),
])
def test_impossible_designs_are_rejected_with_the_reason(spec, shape, message):
    with pytest.raises(ValueError, match=message):
        A.count_design(spec, shape)


def test_ilsvrc_table_shows_the_drop_below_human_error():
    text = A.format_ilsvrc()
    assert "AlexNet" in text and "16.40" in text and "3.57" in text and "5.10" in text
