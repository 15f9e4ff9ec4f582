"""Receptive fields, checked against torch autograd: which pixels reach one output neuron."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.convolutions.receptive_fields import (
    Layer,
    influence_map,
    parse_layers,
    receptive_field_explorer,
)

torch.set_num_threads(1)


def _torch_gradient_map(spec, image_size):
    """|d neuron / d image| for the centre neuron of the last layer, all-ones weights.

    Poolings are average pools: a linear stand-in whose gradient reaches the whole window.
    """
    modules = []
    for layer in parse_layers(spec):
        if layer.kind == "conv":
            conv = torch.nn.Conv2d(1, 1, layer.kernel_size, layer.stride,
                                   dilation=layer.dilation, bias=False).double()
            torch.nn.init.ones_(conv.weight)
            modules.append(conv)
        else:
            modules.append(torch.nn.AvgPool2d(layer.kernel_size, layer.stride))
    x = torch.zeros(1, 1, image_size, image_size, dtype=torch.float64, requires_grad=True)
    out = torch.nn.Sequential(*modules)(x)
    centre = out.shape[-1] // 2
    out[0, 0, centre, centre].backward()
    grad = x.grad[0, 0].numpy()
    return grad / grad.max(), out.shape[-1]


def _support_box(mask):
    rows, cols = np.nonzero(mask)
    return rows.min(), cols.min(), rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_receptive_field_of_two_convs_pool_two_convs_is_14():
    # seeds/001: "1 -> 3 -> 5 -> 10 -> 12 -> 14" (from the last layer back to the input)
    out = receptive_field_explorer("c3 c3 p2 c3 c3", 28)
    grad, _ = _torch_gradient_map("c3 c3 p2 c3 c3", 28)
    assert out["rf"] == 14 == _support_box(grad > 0)[2]
    assert [row.rf for row in out["table"]] == [3, 5, 6, 10, 14]


def test_receptive_field_of_three_3x3_convs_is_7():
    # seeds/000: "a stack of 3x3 convolutional layers has an effective receptive field of 7x7"
    grad, _ = _torch_gradient_map("c3 c3 c3", 20)
    assert receptive_field_explorer("c3 c3 c3", 20)["rf"] == 7 == _support_box(grad > 0)[2]


@pytest.mark.parametrize("spec", ["c3 c3 p2 c3 c3", "c5s2 c3", "c3 c3d2 c3d4", "p3s2 c3 p2",
                                  "c3s2 c3s2 c3s2", "c7"])
def test_influence_map_and_boxes_match_torch_gradients(spec):
    size = 31
    out = receptive_field_explorer(spec, size)
    grad, out_size = _torch_gradient_map(spec, size)
    np.testing.assert_allclose(out["influence"], grad, rtol=1e-12, atol=1e-15)
    assert out["sizes"][-1] == out_size
    top, left, height, width = _support_box(grad > 0)
    assert out["boxes"][-1] == (top, left, out["rf"]) and height == width == out["rf"]


def test_every_layer_box_is_that_layers_own_field():
    out = receptive_field_explorer("c3 c3 p2 c3", 28)
    for i, box in enumerate(out["boxes"], start=1):
        spec = " ".join(str_token for str_token in "c3 c3 p2 c3".split()[:i])
        grad, _ = _torch_gradient_map(spec, 28)
        top, left, size, _ = _support_box(grad > 0)
        assert box == (top, left, size)


def test_parse_layers_reads_kernel_stride_and_dilation():
    assert parse_layers("c3, c5s2 p2 p3s2 c3d2") == [
        Layer("conv", 3, 1, 1), Layer("conv", 5, 2, 1), Layer("pool", 2, 2, 1),
        Layer("pool", 3, 2, 1), Layer("conv", 3, 1, 2)]
    assert parse_layers("") == []


@pytest.mark.parametrize("bad", ["x3", "c", "c0", "c3s0", "p2d2"])
def test_parse_layers_names_the_token_it_cannot_read(bad):
    with pytest.raises(ValueError, match="cannot|at least|dilated"):
        parse_layers(bad)


def test_a_stack_too_deep_for_the_image_is_refused_with_the_layer_named():
    with pytest.raises(ValueError, match="layer 3"):
        receptive_field_explorer("c5 c5 c5", 9)


def test_an_empty_stack_sees_one_pixel():
    out = receptive_field_explorer("", 5)
    assert out["rf"] == 1 and out["table"] == [] and influence_map([], 5)[2, 2] == 1.0
