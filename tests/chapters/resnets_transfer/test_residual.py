"""Chapter 08: residual blocks -- costs, sum vs concatenation, gradient flow, degradation."""

import numpy as np
import pytest
import torch

from dlcourse import zoo
from dlcourse.chapters.resnets_transfer import residual
from dlcourse.nn import Conv2d, load_torch_state
from dlcourse.nn import functional as F
from dlcourse.zoo import engine
from dlcourse.zoo.resnet import BasicBlock, Bottleneck, projection

torch.set_num_threads(1)


def torch_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("channels", [16, 64, 256])
def test_basic_block_params_match_torch_basic_block(channels):
    assert residual.basic_block_params(channels) == torch_params(BasicBlock(channels, channels))


@pytest.mark.parametrize("channels", [64, 256, 1024])
def test_bottleneck_params_match_torch_bottleneck(channels):
    block = Bottleneck(channels, channels // 4)    # in = out = channels, middle = channels / 4
    assert residual.bottleneck_params(channels) == torch_params(block)


def test_bottleneck_on_256_channels_costs_what_a_basic_block_on_64_costs():
    # He et al. (2016), Fig. 5: counted by hand, 256*64 + 3*3*64*64 + 64*256 = 69,632
    # weights against 2 * 3*3*64*64 = 73,728 for the basic block on 64 channels.
    assert residual.bottleneck_params(256, batch_norm=False) == 69_632
    assert residual.basic_block_params(64, batch_norm=False) == 73_728
    assert residual.basic_block_params(256, batch_norm=False) == 2 * 9 * 256 * 256


def test_projection_shortcut_params_and_shape_match_torch():
    assert residual.projection_params(64, 128) == torch_params(projection(64, 128))
    assert residual.projection_params(64, 128, batch_norm=False) == 64 * 128
    conv = Conv2d(64, 128, 1, stride=2, bias=False, rng=0)
    assert conv(np.zeros((1, 64, 7, 7), dtype=np.float32)).shape == (1, 128, 4, 4)


def test_skip_sum_refuses_different_shapes_and_concat_stacks_channels():
    x, fx = np.ones((2, 4, 3, 3)), np.full((2, 4, 3, 3), 2.0)
    np.testing.assert_array_equal(residual.skip_sum(x, fx), np.full((2, 4, 3, 3), 3.0))
    with pytest.raises(ValueError, match="projection"):
        residual.skip_sum(x, np.ones((2, 6, 3, 3)))
    out = residual.skip_concat(x, np.ones((2, 6, 3, 3)))
    assert out.shape == (2, 10, 3, 3)
    np.testing.assert_array_equal(out, torch.cat([torch.ones(2, 4, 3, 3),
                                                  torch.ones(2, 6, 3, 3)], 1).numpy())
    with pytest.raises(ValueError, match="spatial"):
        residual.skip_concat(x, np.ones((2, 6, 2, 2)))


def test_dense_block_params_match_torch_convs_with_growing_inputs():
    c, k, layers = 24, 12, 5
    table = residual.skip_growth_table(c, k, layers)
    convs = [torch.nn.Conv2d(c + i * k, k, 3, bias=False) for i in range(layers)]
    assert [r.concat_params for r in table] == [torch_params(m) for m in convs]
    assert all(r.sum_params == torch_params(torch.nn.Conv2d(c, c, 3, bias=False))
               for r in table)
    assert table[-1].concat_channels_in + k == c + layers * k   # the block's output width


@pytest.mark.slow
def test_residual_gradient_identity_holds_numerically():
    result = residual.residual_gradient_identity(channels=2, size=3, batch=2, seed=1)
    assert result.error_numerical < 1e-6 and result.error_formula < 1e-6


@pytest.mark.slow
def test_residual_gradient_identity_matches_torch_autograd():
    result = residual.residual_gradient_identity(seed=3)
    ours = engine.BasicBlockEngine(2, 2, rng=3, dtype="float64")    # the same weights as inside
    theirs = BasicBlock(2, 2).double().train()
    state = {k: torch.from_numpy(np.asarray(v)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=False)
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    g = torch.tensor(rng.standard_normal((2, 2, 3, 3)))
    y = theirs.bn2(theirs.conv2(theirs.relu(theirs.bn1(theirs.conv1(x))))) + x
    (y * g).sum().backward()
    np.testing.assert_allclose(result.backward, x.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_conv_gradient_norms_match_the_engine_twin():
    torch.manual_seed(0)
    net = zoo.plain_net(8, width=4).double()
    twin = engine.plain_net_engine(8, width=4, rng=0, dtype="float64")
    load_torch_state(twin, net)
    X, y = torch.randn(6, 1, 8, 8, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 4, 5])
    norms = residual.conv_gradient_norms(net, X, y)
    twin.train()
    logits = twin(X.numpy())
    twin.zero_grad()
    twin.backward(F.cross_entropy_backward(1.0, logits, y.numpy()))
    expected = [np.linalg.norm(p.grad) for name, p in twin.named_parameters()
                if "conv" in name and "downsample" not in name]
    assert len(norms) == 7                                   # 6n + 1 convolutions, n = 1
    np.testing.assert_allclose(norms, expected, rtol=1e-6)


@pytest.fixture(scope="module")
def small_data():
    X, y, X_test, y_test = residual.digits_split(seed=0)
    return X[:512], y[:512], X_test[:200], y_test[:200]


@pytest.mark.slow
def test_train_depth_is_deterministic_and_records_every_step(small_data):
    runs = [residual.train_depth(8, residual=True, width=4, epochs=2, data=small_data)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].step_losses, runs[1].step_losses)
    assert runs[0].step_losses.shape == (16,) and runs[0].epoch_losses.shape == (2,)
    assert runs[0].grad_norms_init.shape == (7,) and runs[0].name == "ResNet-8"
    assert runs[0].epoch_losses[-1] < runs[0].epoch_losses[0]


def test_train_depth_takes_colour_images_like_cifar10():
    import torch

    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(64, 3, 32, 32, generator=g), torch.randint(0, 10, (64,), generator=g)
    run = residual.train_depth(8, residual=False, width=4, epochs=1, data=(X, y, X, y))
    assert run.name == "plain-8" and run.step_losses.shape == (1,)
    assert run.grad_norms_init.shape == (7,)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_deeper_plain_net_trains_worse_but_resnet_does_not(small_data):
    runs = residual.degradation_experiment((8, 32), width=4, epochs=3, data=small_data)
    final = {(d, k): r.epoch_losses[-1] for d, pair in runs.items() for k, r in pair.items()}
    assert final[32, "plain"] > final[8, "plain"] + 0.3          # degradation
    assert final[32, "residual"] < final[32, "plain"] - 0.3      # shortcuts fix it
