"""The engine twins of the zoo's small models: same weights in, same numbers out as PyTorch."""

import numpy as np
import pytest
import torch

from dlcourse import zoo
from dlcourse.gradcheck import check_gradient, relative_error
from dlcourse.nn import BatchNorm2d, Conv2d, Sequential, load_torch_state
from dlcourse.sizing import summary
from dlcourse.zoo import engine

torch.set_num_threads(1)

# (torch builder, engine builder, positional args, keyword args, input shape); narrow widths
# keep the float64 runs fast, odd sizes exercise the floor rule of the strided layers.
TWINS = [
    (zoo.small_cnn, engine.small_cnn_engine, (), {"width": 4}, (3, 1, 8, 8)),
    (zoo.small_cnn, engine.small_cnn_engine, (3, 5), {"width": 3}, (2, 3, 10, 9)),
    (zoo.small_resnet, engine.small_resnet_engine, (8,), {"width": 4}, (3, 1, 8, 8)),
    (zoo.small_resnet, engine.small_resnet_engine, (14, 2, 4), {"width": 3}, (2, 2, 7, 7)),
    (zoo.plain_net, engine.plain_net_engine, (8,), {"width": 4}, (3, 1, 8, 8)),
    (zoo.plain_net, engine.plain_net_engine, (14, 2, 4), {"width": 3}, (2, 2, 7, 7)),
]
IDS = ["small_cnn", "small_cnn_rgb_odd", "small_resnet8", "small_resnet14_odd", "plain_net8",
       "plain_net14_odd"]


def twins(torch_builder, engine_builder, args, kwargs, seed=0):
    """A float64 torch model with random BN statistics/affines, and its engine twin loaded."""
    torch.manual_seed(seed)
    theirs = torch_builder(*args, **kwargs).double()
    with torch.no_grad():  # non-trivial BN parameters and running statistics
        for m in theirs.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    ours = engine_builder(*args, **kwargs, rng=seed, dtype="float64")
    load_torch_state(ours, theirs)
    return ours, theirs


def random_input(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def assert_close(ours, theirs, name=""):
    """Relative error below 1e-6 -- or both zero up to rounding, where a relative error
    means nothing (a conv bias followed by training-mode batch norm gets gradient 0)."""
    if max(np.abs(ours).max(), np.abs(theirs).max()) < 1e-12:
        return
    assert relative_error(ours, theirs) < 1e-6, name


@pytest.mark.parametrize(("tb", "eb", "args", "kwargs", "shape"), TWINS, ids=IDS)
def test_engine_twin_has_the_torch_models_parameter_and_buffer_names(tb, eb, args, kwargs,
                                                                     shape):
    ours, theirs = twins(tb, eb, args, kwargs)
    assert [name for name, _ in ours.named_parameters()] == [
        name for name, _ in theirs.named_parameters()]
    assert [name for name, _ in ours.named_buffers()] == [
        name for name, _ in theirs.named_buffers() if not name.endswith("num_batches_tracked")]


@pytest.mark.parametrize(("tb", "eb", "args", "kwargs", "shape"), TWINS, ids=IDS)
def test_engine_twin_has_the_same_parameter_count_and_summary_totals(tb, eb, args, kwargs,
                                                                     shape):
    ours, theirs = twins(tb, eb, args, kwargs)
    assert ours.num_params() == sum(p.numel() for p in theirs.parameters())
    s_ours, s_theirs = summary(ours, shape), summary(theirs, shape)
    assert s_ours.total_params == s_theirs.total_params == ours.num_params()
    assert s_ours.total_macs == s_theirs.total_macs > 0


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize(("tb", "eb", "args", "kwargs", "shape"), TWINS, ids=IDS)
def test_same_weights_give_the_same_outputs_and_gradients_as_torch(tb, eb, args, kwargs, shape,
                                                                    mode):
    ours, theirs = twins(tb, eb, args, kwargs)
    getattr(ours, mode)(), getattr(theirs, mode)()
    x = random_input(shape)
    x_t = torch.tensor(x, requires_grad=True)
    out_t = theirs(x_t)
    out = ours(x)
    assert out.dtype == np.float64
    assert relative_error(out, out_t.detach().numpy()) < 1e-6

    dout = np.random.default_rng(2).standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    dx = ours.backward(dout)
    assert_close(dx, x_t.grad.numpy())
    for (name, ours_p), (_, p) in zip(ours.named_parameters(), theirs.named_parameters(),
                                      strict=True):
        assert_close(ours_p.grad, p.grad.numpy(), name)


def test_conv_bias_before_training_batch_norm_gets_no_gradient():
    # Batch norm subtracts the batch mean, and with it any constant the bias added.
    ours, _ = twins(zoo.small_cnn, engine.small_cnn_engine, (), {"width": 4})
    out = ours.train()(random_input((4, 1, 8, 8)))
    ours.backward(np.ones_like(out))
    assert np.abs(ours[0].bias.grad).max() < 1e-12
    assert np.abs(ours[0].weight.grad).max() > 1e-6


@pytest.mark.parametrize(("tb", "eb", "args", "kwargs", "shape"), TWINS[2:4], ids=IDS[2:4])
def test_training_forwards_move_the_running_statistics_like_torch(tb, eb, args, kwargs, shape):
    ours, theirs = twins(tb, eb, args, kwargs)
    for seed in (1, 2):  # two training batches, then an evaluation
        x = random_input(shape, seed)
        ours(x), theirs(torch.tensor(x))
    for name, buffer in ours.named_buffers():
        assert relative_error(buffer, theirs.get_buffer(name).numpy()) < 1e-6, name
    x = random_input(shape, 3)
    with torch.no_grad():
        expected = theirs.eval()(torch.tensor(x)).numpy()
    assert relative_error(ours.eval()(x), expected) < 1e-6


@pytest.mark.parametrize("block", [engine.BasicBlockEngine, engine.PlainBlockEngine])
def test_block_backward_passes_gradcheck_in_training_mode(block):
    rng = np.random.default_rng(0)
    downsample = None
    if block is engine.BasicBlockEngine:
        downsample = Sequential(Conv2d(2, 3, 1, stride=2, bias=False, rng=1, dtype="float64"),
                                BatchNorm2d(3, dtype="float64"))
    layer = block(2, 3, 2, downsample, rng=rng, dtype="float64")
    x = rng.standard_normal((2, 2, 5, 5))
    dout = rng.standard_normal(layer(x).shape)
    analytic = layer.backward(dout)
    assert check_gradient(layer, x, analytic, dout).ok


def test_float32_models_keep_float32():
    net = engine.small_resnet_engine(8, width=4, rng=0)
    x = np.zeros((2, 1, 8, 8), dtype=np.float32)
    assert net(x).dtype == np.float32
    assert net.backward(np.ones((2, 10), dtype=np.float32)).dtype == np.float32
    assert all(p.dtype == np.float32 for p in net.parameters())


def test_resnet_twin_uses_he_normal_fan_out_initialisation():
    net = engine.small_resnet_engine(20, width=16, rng=0)
    w = net.layer3[1].conv1.weight.data  # (64, 64, 3, 3): fan_out = 64 * 9, std = sqrt(2 / 576)
    assert abs(float(w.std()) - np.sqrt(2 / 576)) < 0.05 * np.sqrt(2 / 576)


@pytest.mark.parametrize("depth", [7, 10, 2])
def test_depth_that_is_not_6n_plus_2_is_rejected(depth):
    with pytest.raises(ValueError, match="6n \\+ 2"):
        engine.small_resnet_engine(depth)
