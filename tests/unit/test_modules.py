"""dlcourse.nn modules against torch.nn: same weights in, same outputs and gradients out."""

import numpy as np
import pytest
import torch

from dlcourse import nn, optim
from dlcourse.gradcheck import check_gradient
from dlcourse.nn import functional as F

torch.set_num_threads(1)
f64 = np.float64


def compare_with_torch(ours, theirs, x_shape, seed=0, rtol=1e-8):
    """Copy theirs' weights into ours, run both forward and backward, compare everything."""
    rng = np.random.default_rng(seed)
    theirs = theirs.double()
    nn.load_torch_state(ours, theirs)
    x = rng.standard_normal(x_shape)
    out = ours(x)
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=rtol, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = ours.backward(dout)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=rtol, atol=1e-12)
    torch_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    our_grads = {name: p.grad for name, p in ours.named_parameters()}
    assert our_grads.keys() == torch_grads.keys()
    for name, grad in our_grads.items():
        np.testing.assert_allclose(grad, torch_grads[name], rtol=rtol, atol=1e-12, err_msg=name)
    for name, buffer in ours.named_buffers():
        np.testing.assert_allclose(buffer, theirs.state_dict()[name].numpy(), rtol=rtol)
    return out, dx


LAYER_CASES = [
    (lambda: nn.Linear(5, 3, dtype=f64), lambda: torch.nn.Linear(5, 3), (4, 5)),
    (lambda: nn.Linear(5, 3, bias=False, dtype=f64),
     lambda: torch.nn.Linear(5, 3, bias=False), (2, 3, 5)),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1, dtype=f64),
     lambda: torch.nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 6)),
    (lambda: nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=(2, 0), dilation=2, bias=False,
                       dtype=f64),
     lambda: torch.nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=(2, 0), dilation=2,
                             bias=False), (3, 2, 8, 9)),
    (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1, dtype=f64),
     lambda: torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
     (2, 3, 4, 5)),
    (lambda: nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), dilation=2, bias=False, dtype=f64),
     lambda: torch.nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), dilation=2, bias=False),
     (1, 2, 3, 4)),
    (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 3, 6, 5)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1),
     lambda: torch.nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7)),
    (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 3, 6, 4)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1),
     lambda: torch.nn.AvgPool2d(3, stride=2, padding=1), (1, 2, 7, 6)),
    (lambda: nn.GlobalAvgPool2d(),
     lambda: torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()),
     (3, 4, 5, 2)),
    (lambda: nn.BatchNorm1d(4, dtype=f64), lambda: torch.nn.BatchNorm1d(4), (6, 4)),
    (lambda: nn.BatchNorm1d(3, eps=1e-3, momentum=0.3, dtype=f64),
     lambda: torch.nn.BatchNorm1d(3, eps=1e-3, momentum=0.3), (5, 3, 4)),
    (lambda: nn.BatchNorm2d(3, dtype=f64), lambda: torch.nn.BatchNorm2d(3), (4, 3, 5, 2)),
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU(), (3, 7)),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (3, 7)),
    (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5), (3, 7)),
    (lambda: nn.SELU(), lambda: torch.nn.SELU(), (3, 7)),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (3, 7)),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh(), (3, 7)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (3, 4, 2)),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 4, 5)),
    (lambda: nn.Flatten(1, 2), lambda: torch.nn.Flatten(1, 2), (2, 3, 4, 5)),
]


@pytest.mark.parametrize(("ours", "theirs", "x_shape"), LAYER_CASES,
                         ids=[f"{i}-{c[1]().__class__.__name__}" for i, c in
                              enumerate(LAYER_CASES)])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_layer_matches_torch_forward_and_backward(ours, theirs, x_shape, training):
    ours, theirs = ours(), theirs()
    rng = np.random.default_rng(1)
    for name, buffer in theirs.named_buffers():  # non-trivial running statistics
        if name in ("running_mean", "running_var"):
            buffer.copy_(torch.tensor(rng.uniform(0.5, 1.5, buffer.shape)))
    ours.train(training)
    theirs.train(training)
    compare_with_torch(ours, theirs, x_shape)


def torch_conv_net():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 4, 5))


def conv_net():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, dtype=f64), nn.BatchNorm2d(4, dtype=f64), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 4, 5, dtype=f64))


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_conv_bn_relu_pool_flatten_linear_matches_torch_end_to_end_for_three_sgd_steps():
    rng = np.random.default_rng(0)
    ours, theirs = conv_net(), torch_conv_net().double()
    nn.load_torch_state(ours, theirs)
    x, y = rng.standard_normal((6, 3, 6, 8)), rng.integers(0, 5, size=6)
    criterion = nn.CrossEntropyLoss()
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = criterion(ours(x), y)
        opt.zero_grad()
        ours.backward(criterion.backward())
        torch_opt.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        torch_loss.backward()
        assert float(loss) == pytest.approx(torch_loss.item(), rel=1e-10)
        for (name, ours_p), (_, p) in zip(ours.named_parameters(), theirs.named_parameters(),
                                          strict=True):
            np.testing.assert_allclose(ours_p.grad, p.grad.numpy(), rtol=1e-8, atol=1e-12,
                                       err_msg=name)
        opt.step()
        torch_opt.step()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[name].numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


class TorchResidual(torch.nn.Module):
    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


def test_residual_with_identity_matches_torch():
    ours = nn.Residual(nn.Sequential(nn.Linear(4, 4, dtype=f64), nn.Tanh(),
                                     nn.Linear(4, 4, dtype=f64)))
    theirs = TorchResidual(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(),
                                               torch.nn.Linear(4, 4)))
    compare_with_torch(ours, theirs, (5, 4))


def test_residual_with_projection_shortcut_matches_torch():
    ours = nn.Residual(
        nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=f64), nn.ReLU()),
        shortcut=nn.Conv2d(2, 3, 1, stride=2, dtype=f64))
    theirs = TorchResidual(
        torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, stride=2, padding=1), torch.nn.ReLU()),
        shortcut=torch.nn.Conv2d(2, 3, 1, stride=2))
    compare_with_torch(ours, theirs, (2, 2, 6, 5))


def test_residual_gradient_is_body_gradient_plus_identity():
    rng = np.random.default_rng(0)
    body = nn.Sequential(nn.Linear(3, 3, rng=0, dtype=f64), nn.Tanh())
    block = nn.Residual(body)
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    block(x)
    dx = block.backward(dout)
    body(x)
    np.testing.assert_allclose(dx, body.backward(dout) + dout, rtol=1e-14)


def test_residual_gradient_passes_gradcheck():
    rng = np.random.default_rng(1)
    block = nn.Residual(nn.Sequential(nn.Linear(3, 3, rng=0, dtype=f64), nn.Tanh()),
                        shortcut=nn.Linear(3, 3, rng=1, dtype=f64))
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    block(x)
    assert check_gradient(block, x, block.backward(dout), dout).ok
    weight = block.body[0].weight
    assert check_gradient(lambda _: block(x), weight.data, weight.grad, dout).ok


def test_residual_rejects_a_body_that_changes_the_shape_without_shortcut():
    block = nn.Residual(nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"body output has shape \(2, 3\) but the shortcut"):
        block(np.zeros((2, 4), dtype=np.float32))


def test_gradients_accumulate_over_two_backward_passes_until_zero_grad():
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(3, 4, rng=0, dtype=f64), nn.ReLU(),
                        nn.Linear(4, 2, rng=1, dtype=f64))
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    assert all(p.grad is None for p in net.parameters())      # no backward yet
    net(x)
    net.backward(dout)
    once = [p.grad.copy() for p in net.parameters()]
    net(x)
    net.backward(dout)
    for p, g1 in zip(net.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-14)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(x)
    net.backward(dout)
    for p, g1 in zip(net.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, g1, rtol=1e-14)


def test_a_second_backward_of_one_forward_raises_instead_of_reusing_the_cache():
    net = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh())
    net(np.ones((4, 3), dtype=np.float32))
    net.backward(np.ones((4, 2), dtype=np.float32))
    with pytest.raises(RuntimeError, match="Tanh.backward was called more often than forward"):
        net.backward(np.ones((4, 2), dtype=np.float32))


def test_parameters_are_the_objects_the_layers_hold_and_carry_their_gradients():
    net = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    params = list(net.parameters())
    assert params == [net[0].weight, net[0].bias, net[2].weight, net[2].bias]
    net(np.ones((4, 3), dtype=np.float32))
    net.backward(np.ones((4, 1), dtype=np.float32))
    assert all(p.grad.shape == p.shape and p.grad.dtype == np.float32 for p in params)
    assert any(np.any(p.grad != 0) for p in params)


def test_dropout_is_identity_in_eval_and_masks_in_train():
    x = np.ones((200, 50))
    layer = nn.Dropout(0.3, rng=0)
    out = layer(x)
    kept = out != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(out[kept], 1 / 0.7)
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)), 2 * out)
    layer.eval()
    assert np.array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_batchnorm_uses_batch_stats_in_train_and_running_stats_in_eval():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, dtype=f64)
    x = 3 + 2 * rng.standard_normal((8, 3, 4, 4))
    out = bn(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    stats = [bn.running_mean.copy(), bn.running_var.copy()]
    bn.eval()
    out_eval = bn(x)
    np.testing.assert_array_equal(bn.running_mean, stats[0])  # eval does not update
    np.testing.assert_array_equal(bn.running_var, stats[1])
    expected = (x - stats[0].reshape(1, 3, 1, 1)) / np.sqrt(stats[1].reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(out_eval, expected, rtol=1e-12)


def test_sequential_indexing_and_slicing_share_the_layers():
    net = conv_net()
    assert net[0] is net.layers[0] and len(net) == 6
    body = net[:-1]
    assert isinstance(body, nn.Sequential) and body[0] is net[0] and len(body) == 5


def test_train_and_eval_reach_every_nested_module():
    net = nn.Sequential(nn.Linear(2, 2), nn.Residual(nn.Sequential(nn.Dropout(), nn.ReLU())),
                        nn.BatchNorm1d(2))
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_param_names_order_and_count_match_torch():
    ours, theirs = conv_net(), torch_conv_net()
    assert [name for name, _ in ours.named_parameters()] == \
        [name for name, _ in theirs.named_parameters()]
    assert ours.num_params() == sum(p.numel() for p in theirs.parameters())
    assert len(list(ours.parameters())) == 6


def test_repr_reads_like_torch():
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LeakyReLU(0.2), nn.Flatten(), nn.ELU(),
                         nn.Softmax(dim=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.LeakyReLU(0.2),
                                 torch.nn.Flatten(), torch.nn.ELU(), torch.nn.Softmax(dim=1))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(lambda: nn.Linear(400, 300, rng=0), lambda: torch.nn.Linear(400, 300)),
     (lambda: nn.Conv2d(32, 64, 3, rng=0), lambda: torch.nn.Conv2d(32, 64, 3)),
     (lambda: nn.ConvTranspose2d(64, 32, 4, rng=0), lambda: torch.nn.ConvTranspose2d(64, 32, 4))],
)
def test_default_init_has_torchs_bounds_and_spread(ours, theirs):
    torch.manual_seed(0)
    ours, theirs = ours(), theirs()
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters(),
                                  strict=True):
        p, tp = p.data, tp.detach().numpy()
        bound = np.abs(tp).max()  # torch's bound, 1/sqrt(fan_in), up to sampling
        assert p.dtype == np.float32 and p.shape == tp.shape
        assert np.abs(p).max() <= bound * 1.05, name
        if p.size > 1000:
            assert p.std() == pytest.approx(tp.std(), rel=0.03), name


def test_modules_keep_float32():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.BatchNorm2d(2), nn.ReLU(),
                        nn.GlobalAvgPool2d(), nn.Linear(2, 3, rng=1))
    out = net(np.ones((2, 1, 5, 5), dtype=np.float32))
    assert out.dtype == np.float32
    assert net.backward(np.ones_like(out)).dtype == np.float32


def test_state_dict_round_trip_keeps_the_same_parameters():
    net, other = conv_net(), conv_net()
    params = list(net.parameters())
    net.load_state_dict(other.state_dict())
    assert params == list(net.parameters())
    for name, value in other.state_dict().items():
        np.testing.assert_array_equal(net.state_dict()[name], value)


def test_load_state_dict_names_missing_and_mismatched_entries():
    net = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(ValueError, match=r"missing \['0.bias'\]"):
        net.load_state_dict({"0.weight": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"0.weight has shape \(2, 3\) but the state holds"):
        net.load_state_dict({"0.weight": np.zeros((3, 2)), "0.bias": np.zeros(2)})


def test_loss_modules_match_the_functions_they_wrap():
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    weight = np.array([1.0, 2.0, 0.5])
    ce = nn.CrossEntropyLoss(weight=weight)
    assert float(ce(logits, target)) == float(F.cross_entropy(logits, target, weight))
    np.testing.assert_array_equal(ce.backward(),
                                  F.cross_entropy_backward(1.0, logits, target, weight))
    pred, goal = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    for loss, f, f_backward in [(nn.MSELoss(), F.mse_loss, F.mse_loss_backward),
                                (nn.L1Loss(), F.l1_loss, F.l1_loss_backward)]:
        assert float(loss(pred, goal)) == float(f(pred, goal))
        np.testing.assert_array_equal(loss.backward(2.0), f_backward(2.0, pred, goal))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [(lambda: nn.ReLU().backward(np.ones(2)), RuntimeError, "before any forward"),
     (lambda: nn.Sequential(nn.ReLU(), np.tanh), TypeError, "layer 1 must be"),
     (lambda: nn.Linear(0, 3), ValueError, "in_features must be a positive integer"),
     (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size must be positive"),
     (lambda: nn.Dropout(1.5), ValueError, "p must lie in"),
     (lambda: nn.BatchNorm2d(3)(np.zeros((2, 4, 3, 3), dtype=np.float32)), ValueError,
      "x has 4 channels"),
     (lambda: nn.BatchNorm1d(3)(np.zeros((2, 3, 3, 3), dtype=np.float32)), ValueError,
      "must be 2 or 3-dimensional")],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_layer_used_twice_in_one_pass_gets_torchs_gradients():
    # Sequential(lin, tanh, lin, tanh): one Linear, one Tanh, each applied twice.
    lin, act = nn.Linear(4, 4, rng=0, dtype=f64), nn.Tanh()
    ours = nn.Sequential(lin, act, lin, act)
    t_lin = torch.nn.Linear(4, 4).double()
    nn.load_torch_state(lin, t_lin)
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.tanh(t_lin(torch.tanh(t_lin(tx))))
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(ours(x), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.backward(dout), tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(lin.weight.grad, t_lin.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(lin.bias.grad, t_lin.bias.grad.numpy(), rtol=1e-10)
    assert [name for name, _ in ours.named_parameters()] == ["0.weight", "0.bias"]  # listed once


def test_a_layer_shared_by_both_paths_of_a_residual_gets_torchs_gradients():
    lin = nn.Linear(3, 3, rng=1, dtype=f64)
    ours = nn.Residual(nn.Sequential(lin, nn.Tanh()), shortcut=lin)
    t_lin = torch.nn.Linear(3, 3).double()
    nn.load_torch_state(lin, t_lin)
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    tx = torch.tensor(x, requires_grad=True)
    (torch.tanh(t_lin(tx)) + t_lin(tx)).backward(torch.tensor(dout))
    ours(x)
    np.testing.assert_allclose(ours.backward(dout), tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(lin.weight.grad, t_lin.weight.grad.numpy(), rtol=1e-10)


def test_a_new_outer_call_forgets_the_caches_of_the_previous_pass():
    # Two separate calls of one layer are two forward passes: the first one's cache is
    # dropped, so a second backward raises instead of silently using the wrong input.
    lin = nn.Linear(2, 2, rng=0, dtype=f64)
    lin(np.ones((1, 2)))
    lin(np.zeros((1, 2)))
    lin.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(lin.weight.grad, 0.0)        # the input of the latest call
    with pytest.raises(RuntimeError, match="more often than forward"):
        lin.backward(np.ones((1, 2)))


def test_mlp_builds_linear_activation_dropout_blocks_with_torch_names():
    net = nn.mlp(3, [5, 4], 2, activation="elu", dropout=0.25, rng=0)
    assert [type(m).__name__ for m in net] == ["Linear", "ELU", "Dropout", "Linear", "ELU",
                                               "Dropout", "Linear"]
    assert [name for name, _ in net.named_parameters()] == [
        "0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    assert net.num_params() == (3 * 5 + 5) + (5 * 4 + 4) + (4 * 2 + 2)
    stack = nn.mlp(4, [4, 4], None, activation="tanh")
    assert [type(m).__name__ for m in stack] == ["Linear", "Tanh", "Linear", "Tanh"]
    # the same seed gives the same weights as layers drawn one after the other
    rng = np.random.default_rng(7)
    first, second = nn.Linear(3, 5, rng=rng), nn.Linear(5, 4, rng=rng)
    again = nn.mlp(3, [5], 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(again[0].weight.data, first.weight.data)
    np.testing.assert_array_equal(again[2].weight.data, second.weight.data)


@pytest.mark.parametrize("name", list(nn.ACTIVATIONS))
def test_activation_registry_builds_each_layer_like_torch(name):
    layer = nn.activation(name)
    torch_layer = {"identity": torch.nn.Identity, "sigmoid": torch.nn.Sigmoid,
                   "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "leaky_relu": torch.nn.LeakyReLU,
                   "elu": torch.nn.ELU, "selu": torch.nn.SELU}[name]()
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(layer(x), torch_layer(torch.tensor(x)).numpy(), rtol=1e-12)


def test_unknown_activation_and_bad_mlp_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown activation 'swish': choose one of tanh"):
        nn.activation("swish")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.mlp(2, [3], 1, activation="swish")
    with pytest.raises(ValueError, match="dropout must lie in"):
        nn.mlp(2, [3], 1, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_sizes"):
        nn.mlp(2, [0], 1)


def test_named_sequential_names_its_layers_and_slices_keep_the_names():
    net = nn.NamedSequential(("fc1", nn.Linear(2, 3, rng=0)), ("act", nn.ReLU()),
                             ("fc2", nn.Linear(3, 1, rng=1)))
    assert net.fc2 is net[2] and len(net) == 3
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                      "fc2.bias"]
    assert [n for n, _ in net[1:].named_children()] == ["act", "fc2"]
    with pytest.raises(ValueError, match="distinct"):
        nn.NamedSequential(("a", nn.ReLU()), ("a", nn.Tanh()))


def test_a_parameter_is_not_silently_used_as_an_array():
    with pytest.raises(TypeError, match="use its values, p.data"):
        np.asarray(nn.Linear(2, 2).weight)
