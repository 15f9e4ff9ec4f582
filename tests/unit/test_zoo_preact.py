"""The pre-activation residual block: shapes, parameters, and its clean identity path."""

import pytest
import torch

from dlcourse.zoo import BasicBlock, PreActBlock, projection

torch.manual_seed(0)


@pytest.mark.parametrize("in_channels, channels, stride", [(8, 8, 1), (8, 16, 2), (8, 16, 1)])
def test_shapes_and_parameters_match_the_two_3x3_convs_and_the_1x1_shortcut(in_channels,
                                                                             channels, stride):
    block = PreActBlock(in_channels, channels, stride)
    assert block(torch.zeros(2, in_channels, 8, 8)).shape == (2, channels, 8 // stride,
                                                               8 // stride)
    shortcut = in_channels * channels if (stride, in_channels) != (1, channels) else 0
    expected = (9 * in_channels * channels + 9 * channels * channels + shortcut
                + 2 * (in_channels + channels))                    # two batch norms: gamma, beta
    assert sum(p.numel() for p in block.parameters()) == expected


def _zero_residual(block):
    torch.nn.init.zeros_(block.conv2.weight)
    return block


def test_with_a_silent_residual_branch_the_gradient_reaches_x_unchanged():
    x = torch.randn(4, 8, 6, 6, requires_grad=True)
    g = torch.randn(4, 8, 6, 6)
    preact = _zero_residual(PreActBlock(8, 8)).train()
    (preact(x) * g).sum().backward()
    assert torch.equal(x.grad, g)                       # dy/dx = I: nothing after the sum
    x.grad = None
    basic = BasicBlock(8, 8).train()
    torch.nn.init.zeros_(basic.bn2.weight)               # F(x) = 0: y = relu(x)
    (basic(x) * g).sum().backward()
    assert torch.equal(x.grad, g * (x > 0))              # the ReLU after the sum masks it


def test_the_original_block_with_a_projection_still_works_alongside():
    block = BasicBlock(8, 16, stride=2, downsample=projection(8, 16))
    assert block(torch.zeros(1, 8, 8, 8)).shape == (1, 16, 4, 4)


def test_the_chapter_measure_counts_the_kept_gradient_entries():
    from dlcourse.chapters.resnets_transfer.preactivation import shortcut_gradient_kept

    assert shortcut_gradient_kept("pre-activation") == 1.0
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 8, 6, 6, generator=generator)
    assert shortcut_gradient_kept("original") == pytest.approx(float((x > 0).double().mean()))
    with pytest.raises(ValueError, match="kind"):
        shortcut_gradient_kept("plain")
