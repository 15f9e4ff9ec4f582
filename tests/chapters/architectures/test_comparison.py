"""Chapter 06 comparison: activation memory counted by hand, published errors with sources."""

import pytest
import torch
from torch import nn as tnn

from dlcourse import zoo
from dlcourse.chapters.architectures import comparison as C
from dlcourse.chapters.architectures import tables as A

torch.set_num_threads(1)


def _vgg16_by_hand():
    """Every convolution, pooling and FC output of VGG-16 on 224x224, written out."""
    convs = [(224, 64)] * 2 + [(112, 128)] * 2 + [(56, 256)] * 3 + [(28, 512)] * 3 + \
        [(14, 512)] * 3
    pools = [(112, 64), (56, 128), (28, 256), (14, 512), (7, 512), (7, 512)]  # + adaptive 7x7
    return sum(s * s * c for s, c in convs + pools) + 4096 + 4096 + 1000


def _resnet50_by_hand():
    """Stem, then per bottleneck block: conv + batch norm outputs of its three (four) convs
    and the residual sum (torchvision: the stride sits in the 3x3 convolution)."""
    total = 2 * 112 * 112 * 64 + 56 * 56 * 64            # conv1, bn1, max pool
    size_in = 56
    for width, blocks, size in [(64, 3, 56), (128, 4, 28), (256, 6, 14), (512, 3, 7)]:
        for b in range(blocks):
            first = size_in if b == 0 else size
            total += 2 * first * first * width                # 1x1 reduce + bn
            total += 2 * size * size * width                 # 3x3 + bn
            total += 2 * size * size * 4 * width              # 1x1 expand + bn
            if b == 0:
                total += 2 * size * size * 4 * width          # projection shortcut + bn
            total += size * size * 4 * width                  # the sum y = F(x) + x
        size_in = size
    return total + 2048 + 1000                                # global average pool, fc


def _count(builder, shape):
    with torch.device("meta"):
        return C.activation_values(builder(), shape)


def test_vgg16_activations_equal_the_feature_maps_written_out_by_hand():
    assert _count(zoo.vgg16, (1, 3, 224, 224)) == _vgg16_by_hand() == 15_112_168


def test_resnet50_activations_count_batch_norm_outputs_and_residual_sums():
    assert _count(zoo.resnet50, (1, 3, 224, 224)) == _resnet50_by_hand()


def test_googlenet_activations_include_each_inception_concatenation():
    leaves = sum(r.output_shape[1] * r.output_shape[2] * r.output_shape[3]
                 for r in A.architecture_summary("GoogLeNet").rows
                 if r.type in ("Conv2d", "BatchNorm2d", "MaxPool2d", "AdaptiveAvgPool2d"))
    # the published output depths of modules 3a ... 5b (Szegedy et al., Table 1)
    concatenations = (256 + 480) * 28 * 28 + (512 + 512 + 512 + 528 + 832) * 14 * 14 + \
        (832 + 1024) * 7 * 7
    assert _count(zoo.googlenet, (1, 3, 224, 224)) == leaves + concatenations + 1000


def test_activations_scale_with_the_batch_and_skip_in_place_relu_and_views():
    net = tnn.Sequential(tnn.Conv2d(2, 4, 3), tnn.ReLU(inplace=True), tnn.Flatten(),
                         tnn.Dropout(), tnn.Linear(4 * 3 * 3, 5))
    assert C.activation_values(net, (1, 2, 5, 5)) == 4 * 3 * 3 + 5
    assert C.activation_values(net, (3, 2, 5, 5)) == 3 * (4 * 3 * 3 + 5)
    assert net.training    # the mode is restored


def test_comparison_rows_take_params_and_macs_from_the_layer_tables():
    rows = C.comparison()
    assert [r.name for r in rows] == ["AlexNet", "VGG-16", "GoogLeNet", "ResNet-50"]
    for r in rows:
        s = A.architecture_summary(r.name)
        assert (r.params, r.macs) == (s.total_params, s.total_macs)
        assert r.activation_mb == pytest.approx(r.activations * 4 / 1e6)
    vgg = rows[1]
    assert round(vgg.activation_mb, 1) == 60.4


def test_published_errors_say_which_model_which_split_and_which_paper():
    for name, (single, entry) in C.PUBLISHED_TOP5.items():
        assert single.split == "val" and entry.split == "test", name
        assert "1 " in single.models and "Table" in single.source and "Table" in entry.source
        assert entry.top5 < single.top5 or name == "VGG-16"   # VGG's entry: 7 nets, dense only
    # the papers' own numbers (Krizhevsky 2012 Table 2; He 2016 Table 5; Szegedy 2015 Table 2)
    assert C.PUBLISHED_TOP5["AlexNet"][1].top5 == 15.3
    assert C.PUBLISHED_TOP5["ResNet-50"][1].top5 == 3.57
    assert C.PUBLISHED_TOP5["GoogLeNet"][1].top5 == 6.67
    text = C.format_published(C.comparison(["AlexNet"]))
    assert "Krizhevsky et al., 2012" in text and "18.20 % val" in text


def test_comparison_rejects_an_architecture_without_a_published_error():
    with pytest.raises(ValueError, match="name must be one of"):
        C.comparison(["LeNet-5"])


def test_comparison_table_has_one_line_per_model():
    text = C.format_comparison(C.comparison())
    assert len(text.splitlines()) == 5 and "111.8" in text   # ResNet-50: 27.95 M numbers


def test_comparison_plot_shows_each_number_of_the_table_as_a_bar():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlcourse.chapters.architectures import plots as viz

    rows = C.comparison()
    fig = plt.figure(figsize=(12, 3.5))
    axes = viz.plot_comparison(fig, rows)
    heights = [[round(p.get_height(), 6) for p in ax.patches] for ax in axes]
    assert heights[0] == [round(r.params / 1e6, 6) for r in rows]
    assert heights[2] == [round(r.activation_mb, 6) for r in rows]
    assert heights[3] == [r.single.top5 for r in rows] + [r.entry.top5 for r in rows]
    assert [t.get_text() for t in axes[1].get_xticklabels()] == list(C.COMPARED)
    assert axes[3].get_legend() is not None and axes[3].get_ylabel().startswith("published")
    plt.close(fig)
