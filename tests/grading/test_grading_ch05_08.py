"""Chapters 05-08 exercises: the references agree with PyTorch (values and gradients), the
hidden cases are valid for any seed, the checks explain typical mistakes, and library
convolutions are refused by the checks and by the grader."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from grading_helpers import FAST

from dlcourse.grading import exercises
from dlcourse.grading.checks import run_checks
from dlcourse.grading.exercises import ch05, ch06, ch07, ch08
from dlcourse.grading.grader import grade_file
from dlcourse.grading.guard import scan_source
from dlcourse.grading.spec import Case

torch.set_num_threads(1)
rng = np.random.default_rng(5)
LATER = ("ch05", "ch06", "ch07", "ch08")


def tensors(*arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def torch_grads(f, dout, *arrays):
    """Values of f(*tensors) and the gradients of sum(f * dout) by torch autograd."""
    ts = tensors(*arrays)
    out = f(*ts)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def test_chapters_05_to_08_have_at_least_twelve_graded_functions():
    later = [n for n in exercises.names() if n.split(".")[0] in LATER]
    assert len(later) >= 12
    assert exercises.chapters()[:8] == ["ch01", "ch02", "ch03", "ch04", *LATER]


# --- the references agree with PyTorch ------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_conv2d_and_its_backward_match_torch_on_random_shapes_strides_and_padding(seed):
    r = np.random.default_rng(seed)
    n, c, f = (int(v) for v in r.integers(1, 4, size=3))
    kh, kw, stride, padding = int(r.integers(1, 4)), int(r.integers(1, 4)), int(r.integers(1, 3)), \
        int(r.integers(0, 3))
    x = r.normal(size=(n, c, int(r.integers(kh, 9)), int(r.integers(kw, 9))))
    w, b = r.normal(size=(f, c, kh, kw)), r.normal(size=f)
    out = ch05.conv2d(x, w, b, stride=stride, padding=padding)
    dout = r.normal(size=out.shape)
    expected, grads = torch_grads(lambda *t: TF.conv2d(*t, stride=stride, padding=padding),
                                  dout, x, w, b)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    for got, want in zip(ch05.conv2d_backward(dout, x, w, b, stride, padding), grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_conv_and_pool_references_match_torch_on_every_fixed_case():
    for name, torch_f in [("ch05.conv2d", TF.conv2d), ("ch05.max_pool2d", TF.max_pool2d)]:
        ex = exercises.get(name)
        for case in ex.public() + ex.edge():
            expected = torch_f(*(torch.tensor(a) if isinstance(a, np.ndarray) else a
                                 for a in case.args), **case.kwargs).numpy()
            np.testing.assert_allclose(ex.reference(*case.args, **case.kwargs), expected,
                                       rtol=1e-5, atol=1e-6, err_msg=case.label)


def test_conv2d_keeps_float32():
    x, w, b = (a.astype(np.float32) for a in (rng.normal(size=(1, 2, 5, 5)),
                                              rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)))
    assert ch05.conv2d(x, w, b, padding=1).dtype == np.float32
    assert all(g.dtype == np.float32 for g in ch05.conv2d_backward(
        np.ones((1, 3, 5, 5), np.float32), x, w, b, padding=1))


@pytest.mark.parametrize("kernel_size, stride", [(2, None), (2, 1), (3, 2), (3, 1), (1, None)])
def test_max_pool2d_and_its_backward_match_torch_including_overlap_and_ties(kernel_size, stride):
    x = rng.integers(0, 4, size=(2, 3, 7, 6)).astype(float)  # small integers: many ties
    out = ch05.max_pool2d(x, kernel_size, stride)
    dout = rng.normal(size=out.shape)
    expected, (dx,) = torch_grads(lambda t: TF.max_pool2d(t, kernel_size, stride), dout, x)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(ch05.max_pool2d_backward(dout, x, kernel_size, stride), dx,
                               rtol=1e-12)


def test_conv_output_size_and_conv_params_match_torch_layers():
    for _ in range(40):
        k, s, p, d = (int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(0, 3)),
                      int(rng.integers(1, 3)))
        n = int(rng.integers(d * (k - 1) + 1, 20))
        layer = torch.nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d, bias=bool(k % 2))
        assert layer(torch.zeros(1, 2, n, n)).shape[-1] == ch05.conv_output_size(n, k, s, p, d)
        assert sum(t.numel() for t in layer.parameters()) == ch05.conv_params(2, 3, k,
                                                                              bias=bool(k % 2))
    assert ch05.conv_params(16, 8, (3, 5)) == sum(
        t.numel() for t in torch.nn.Conv2d(16, 8, (3, 5)).parameters())


def test_conv_sizes_and_parameters_of_the_notes():
    # the notes: 32x32x3 with F = 1, 3, 7, 11, 32 (stride 1, no padding) -> 32, 30, 26, 22, 1;
    # ten 5x5x3 filters have 760 parameters; 3x3x3x32 = 864; 3x3x64x32 = 18,432
    assert [ch05.conv_output_size(32, f) for f in (1, 3, 7, 11, 32)] == [32, 30, 26, 22, 1]
    assert ch05.conv_params(3, 10, 5) == 760
    assert ch05.conv_params(3, 32, 3, bias=False) == 864
    assert ch05.conv_params(64, 32, 3, bias=False) == 18_432


def test_receptive_field_of_three_convs_is_7_and_of_two_convs_pool_two_convs_is_14():
    assert ch05.receptive_field([(3, 1)] * 3) == 7
    assert ch05.receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)]) == 14


@pytest.mark.parametrize("seed", range(4))
def test_receptive_field_matches_the_input_pixels_a_torch_output_unit_depends_on(seed):
    r = np.random.default_rng(seed)
    layers = [(int(r.integers(1, 5)), int(r.integers(1, 3))) for _ in range(int(r.integers(1, 5)))]
    net = torch.nn.Sequential(*(torch.nn.Conv2d(1, 1, k, s, bias=False) for k, s in layers))
    for layer in net:
        torch.nn.init.constant_(layer.weight, 1.0)
    x = torch.ones(1, 1, 64, 64, requires_grad=True)
    net(x)[0, 0, 0, 0].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(1))
    assert int(rows.max() - rows.min()) + 1 == ch05.receptive_field(layers)


def test_conv1x1_matches_torch_conv2d():
    x, w, b = rng.normal(size=(2, 5, 3, 4)), rng.normal(size=(7, 5, 1, 1)), rng.normal(size=7)
    np.testing.assert_allclose(ch06.conv1x1(x, w, b), TF.conv2d(*map(torch.tensor, (x, w, b)))
                               .numpy(), rtol=1e-12)


def _torch_model(input_shape, layers):
    modules, c = [], input_shape[0]
    for kind, *args in layers:
        if kind == "conv":
            modules.append(torch.nn.Conv2d(c, args[0], args[1], args[2], args[3]))
            c = args[0]
        elif kind == "pool":
            modules.append(torch.nn.MaxPool2d(*args))
        elif kind == "relu":
            modules.append(torch.nn.ReLU())
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
        else:
            modules.append(torch.nn.LazyLinear(args[0]))
    return modules


def test_network_table_matches_torch_shapes_and_parameter_counts():
    ex = exercises.get("ch06.network_table")
    cases = ex.public() + ex.hidden(np.random.default_rng(1), "s")
    for case in cases:
        input_shape, layers = case.args
        x = torch.zeros(1, *input_shape)
        expected = []
        for module in _torch_model(input_shape, layers):
            x = module(x)
            expected.append((tuple(x.shape[1:]), sum(p.numel() for p in module.parameters())))
        assert ch06.network_table(input_shape, layers) == expected, case.label
    # LeNet-5's classic count: 61,706 parameters
    assert sum(p for _, p in ch06.network_table((1, 28, 28), ch06.LENET)) == 61_706


def test_network_macs_match_torchs_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    ex = exercises.get("ch06.network_macs")
    for case in ex.public() + ex.hidden(np.random.default_rng(2), "s") + ch06._table_public():
        input_shape, layers = case.args
        x, expected = torch.zeros(1, *input_shape), []
        for module in _torch_model(input_shape, layers):
            with FlopCounterMode(display=False) as counter:
                x = module(x)
            expected.append(counter.get_total_flops() // 2)  # a multiply-add is 2 FLOPs
        assert ch06.network_macs(input_shape, layers) == expected, case.label


def test_network_macs_that_count_one_filter_per_channel_not_per_output_number_is_told():
    def network_macs(input_shape, layers):
        channels, macs = input_shape[0], []
        for layer in layers:
            if layer[0] == "conv":
                macs.append(layer[1] * channels * layer[2] * layer[2])  # one output pixel only
                channels = layer[1]
            elif layer[0] == "linear":
                macs.append(layer[1] * 0)
            else:
                macs.append(0)
        return macs

    report = run_checks("ch06.network_macs", network_macs).report()
    assert "for EVERY number of its output" in report


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 4, 5), (2, 1, 3, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_forward_matches_torch_including_running_statistics(shape, training):
    c = shape[1]
    x = rng.normal(2.0, 3.0, size=shape)
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    mean, var = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    t_mean, t_var = torch.tensor(mean), torch.tensor(var)
    expected = TF.batch_norm(torch.tensor(x), t_mean, t_var, torch.tensor(gamma),
                             torch.tensor(beta), training=training, momentum=0.3, eps=1e-3)
    out, new_mean, new_var = ch07.batch_norm_forward(x, gamma, beta, mean, var,
                                                     training=training, momentum=0.3, eps=1e-3)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(new_mean, t_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(new_var, t_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4, 4), (4, 1)])
def test_batch_norm_backward_matches_torch_autograd(shape):
    c = shape[1]
    x, gamma, beta = rng.normal(1.0, 2.0, size=shape), rng.normal(size=c), rng.normal(size=c)
    dout = rng.normal(size=shape)
    _, grads = torch_grads(lambda xt, g, bt: TF.batch_norm(xt, None, None, g, bt, training=True),
                           dout, x, gamma, beta)
    for got, want in zip(ch07.batch_norm_backward(dout, x, gamma), grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_dropout_matches_torch_given_torchs_own_mask():
    x = rng.normal(size=(20, 30))
    for p in (0.1, 0.5, 0.8):
        torch.manual_seed(0)
        expected = TF.dropout(torch.tensor(x), p, training=True).numpy()
        u = np.where(expected != 0, 0.999, 0.0)  # a uniform draw for torch's mask
        np.testing.assert_allclose(ch07.dropout(x, p, u), expected, rtol=1e-12)
    assert np.array_equal(ch07.dropout(x, 0.5, u, training=False), x)
    assert not ch07.dropout(x, 1.0, u).any()


def test_dropout_keeps_the_expected_value():
    x = np.full(200_000, 3.0)
    out = ch07.dropout(x, 0.3, np.random.default_rng(0).random(x.shape))
    assert abs(out.mean() - 3.0) < 0.03 and abs((out == 0).mean() - 0.3) < 0.005


@pytest.mark.parametrize("shape", [(100, 50), (64, 32, 3, 3), (7, 1, 5, 5)])
def test_xavier_bound_and_he_std_match_torch_init(shape):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    gain = torch.nn.init.calculate_gain("tanh")
    assert ch07.xavier_uniform_bound(shape, gain) == pytest.approx(
        gain * math.sqrt(6 / (fan_in + fan_out)), rel=1e-12)
    slope_gain = torch.nn.init.calculate_gain("leaky_relu", 0.2)
    assert ch07.he_normal_std(shape, 0.2) == pytest.approx(slope_gain / math.sqrt(fan_in),
                                                           rel=1e-12)
    weights = torch.nn.init.xavier_uniform_(torch.empty(shape)).abs().max().item()
    assert weights <= ch07.xavier_uniform_bound(shape)


def test_he_std_agrees_with_the_spread_of_torch_kaiming_normal():
    torch.manual_seed(0)
    w = torch.nn.init.kaiming_normal_(torch.empty(512, 64, 3, 3), nonlinearity="relu")
    assert w.std().item() == pytest.approx(ch07.he_normal_std((512, 64, 3, 3)), rel=0.01)
    w = torch.nn.init.xavier_uniform_(torch.empty(512, 256))
    assert w.abs().max().item() == pytest.approx(ch07.xavier_uniform_bound((512, 256)), rel=0.01)


@pytest.mark.parametrize("scale", [1.0, 500.0])
def test_weighted_cross_entropy_and_its_gradient_match_torch(scale):
    logits, target = rng.normal(0, scale, size=(9, 4)), rng.integers(0, 4, size=9)
    weight = rng.uniform(0.1, 3.0, size=4)
    t_logits = torch.tensor(logits, requires_grad=True)
    loss = TF.cross_entropy(t_logits, torch.tensor(target), weight=torch.tensor(weight))
    loss.backward()
    got_loss, got_grad = ch07.weighted_cross_entropy(logits, target, weight)
    assert got_loss == pytest.approx(loss.item(), rel=1e-10)
    np.testing.assert_allclose(got_grad, t_logits.grad.numpy(), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_residual_block_and_its_backward_match_torch_autograd(seed):
    r = np.random.default_rng(seed)
    n, d, h = (int(v) for v in r.integers(1, 7, size=3))
    args = (r.normal(size=(n, d)), r.normal(size=(h, d)), r.normal(size=h),
            r.normal(size=(d, h)), r.normal(size=d))
    dout = r.normal(size=(n, d))

    def block(x, W1, b1, W2, b2):
        return torch.relu(x + TF.linear(torch.relu(TF.linear(x, W1, b1)), W2, b2))

    expected, grads = torch_grads(block, dout, *args)
    np.testing.assert_allclose(ch08.residual_block(*args), expected, rtol=1e-12)
    for got, want in zip(ch08.residual_block_backward(dout, *args), grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)



# --- friendly messages for typical mistakes --------------------------------------------------

def test_dropout_without_the_inverted_scaling_is_told_to_scale_by_one_over_keep():
    def dropout(x, p, u, *, training=True):
        return x * (u >= p) if training else x.copy()

    report = run_checks("ch07.dropout", dropout).report()
    assert "is wrong at index" in report and "scales the kept entries by 1 / (1 - p)" in report


def test_output_size_rounded_the_wrong_way_is_told_to_round_down():
    def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
        return math.ceil((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1

    report = run_checks("ch05.conv_output_size", conv_output_size).report()
    assert "stride 4 does not divide 10 - 3" in report and "round down" in report
    assert "is 3 but should be 2" in report


def test_a_flipped_kernel_is_told_that_pytorch_does_not_flip():
    def conv2d(x, w, b, stride=1, padding=0):
        w = w[:, :, ::-1, ::-1]
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        kh, kw = w.shape[2:]
        ho, wo = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
        out = np.zeros((x.shape[0], w.shape[0], ho, wo), x.dtype)
        for i in range(ho):
            for j in range(wo):
                win = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[:, :, i, j] = np.einsum("nchw,fchw->nf", win, w) + b
        return out

    report = run_checks("ch05.conv2d", conv2d).report()
    assert "by hand" in report and "do not flip" in report


def test_overwriting_instead_of_accumulating_in_max_pool_backward_is_told_to_add():
    def max_pool2d_backward(dout, x, kernel_size, stride=None):
        stride = stride or kernel_size
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                for n in range(x.shape[0]):
                    for c in range(x.shape[1]):
                        win = x[n, c, i * stride:i * stride + kernel_size,
                                j * stride:j * stride + kernel_size]
                        r, s = np.unravel_index(np.argmax(win), win.shape)
                        dx[n, c, i * stride + r, j * stride + s] = dout[n, c, i, j]
        return dx

    report = run_checks("ch05.max_pool2d_backward", max_pool2d_backward).report()
    assert "overlapping windows" in report and "use +=, not =" in report


def test_a_batch_norm_backward_that_forgets_the_batch_statistics_gets_the_formula():
    def batch_norm_backward(dout, x, gamma, eps=1e-5):
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        x_hat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
        dx = gamma.reshape(shape) * dout / np.sqrt(x.var(axes, keepdims=True) + eps)
        return dx, (dout * x_hat).sum(axes), dout.sum(axes)

    report = run_checks("ch07.batch_norm_backward", batch_norm_backward).report()
    assert "4 of 4 checks failed" in report and "dx is wrong" in report
    assert "NOT just gamma * dout / sqrt(var + eps)" in report


def test_a_residual_backward_without_the_skip_term_is_told_about_the_skip_connection():
    def residual_block_backward(dout, x, W1, b1, W2, b2):
        z1 = x @ W1.T + b1
        h = np.maximum(z1, 0)
        g = dout * (x + h @ W2.T + b2 > 0)
        dz1 = (g @ W2) * (z1 > 0)
        return dz1 @ W1, dz1.T @ x, dz1.sum(0), g.T @ h, g.sum(0)

    report = run_checks("ch08.residual_block_backward", residual_block_backward).report()
    assert "a branch of zeros" in report and "skip connection passes the gradient" in report


def test_a_weighted_loss_divided_by_n_is_told_what_pytorch_divides_by():
    def weighted_cross_entropy(logits, target, weight):
        z = logits - logits.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        rows = np.arange(len(target))
        grad = np.exp(logp)
        grad[rows, target] -= 1
        w = weight[target]
        return -(w * logp[rows, target]).mean(), grad * w[:, None] / len(target)

    report = run_checks("ch07.weighted_cross_entropy", weighted_cross_entropy).report()
    assert "class 1 weighs 5 times more" in report and "not by N" in report


# --- library convolutions are refused ---------------------------------------------------------

@pytest.mark.parametrize("imports, call, refused", [
    ("import numpy as np", "np.convolve(x.ravel(), w.ravel())", "numpy.convolve"),
    ("import numpy as np", "np.correlate(x.ravel(), w.ravel())", "numpy.correlate"),
    ("import numpy as np", "np.lib.stride_tricks.as_strided(x, (2, 2), (8, 8))",
     "numpy.lib.stride_tricks.as_strided"),
    ("from scipy import signal", "signal.convolve(x, w)", "scipy.signal.convolve"),
    ("import scipy.ndimage as ndi", "ndi.correlate(x, w)", "scipy.ndimage.correlate"),
    ("from dlcourse import backend", "backend.sliding_window_view(x, (2, 2), (2, 3))",
     "dlcourse.backend.sliding_window_view"),
    ("from dlcourse.nn import functional as F", "F.conv2d(x, w, b)",
     "dlcourse.nn.functional.conv2d"),
])
def test_every_library_convolution_is_refused_by_the_static_scan(imports, call, refused):
    cells = [imports, f"def conv2d(x, w, b, stride=1, padding=0):\n    return {call}"]
    assert scan_source(cells, "conv2d", exercises.get("ch05.conv2d").forbidden) == [refused]


def test_a_convolution_by_scipy_signal_is_refused_by_the_check():
    import scipy.signal

    def conv2d(x, w, b, stride=1, padding=0):
        out = [[sum(scipy.signal.correlate2d(x[n, c], w[f, c], mode="valid")
                    for c in range(x.shape[1])) + b[f] for f in range(w.shape[0])]
               for n in range(x.shape[0])]
        return np.array(out)

    report = run_checks("ch05.conv2d", conv2d).report()
    assert "uses scipy.signal.correlate2d" in report and "does not allow" in report


def test_torch_and_the_courses_own_conv2d_are_refused_by_the_check():
    from dlcourse.nn import functional as F

    def conv2d(x, w, b, stride=1, padding=0):
        return TF.conv2d(*map(torch.from_numpy, (x, w, b)), stride=stride,
                         padding=padding).numpy()

    report = run_checks("ch05.conv2d", conv2d).report()
    assert "conv2d uses torch." in report and "does not allow" in report

    def max_pool2d(x, kernel_size, stride=None):
        return F.max_pool2d(x, kernel_size, stride)

    report = run_checks("ch05.max_pool2d", max_pool2d).report()
    assert "uses dlcourse.nn.functional.max_pool2d" in report


def test_sliding_window_view_is_refused_even_when_hidden_from_a_reader():
    def conv2d(x, w, b, stride=1, padding=0):
        view = getattr(np.lib.stride_tricks, "sliding_" + "window_view")
        windows = view(x, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
        return np.einsum("nchwuv,fcuv->nfhw", windows, w) + b[:, None, None]

    report = run_checks("ch05.conv2d", conv2d).report()
    assert "sliding_window_view" in report and "does not allow" in report


def test_the_grader_gives_a_library_convolution_no_points(make_submission):
    cell = ("from numpy.lib.stride_tricks import sliding_window_view\n\n"
            "def conv2d(x, w, b, stride=1, padding=0):\n"
            "    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n"
            "    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))\n"
            "    windows = windows[:, :, ::stride, ::stride]\n"
            "    return np.einsum('nchwuv,fcuv->nfhw', windows, w) + b[:, None, None]")
    result = grade_file(make_submission("library", "05", replace={"ch05.conv2d": cell}),
                        seed=4242, limits=FAST)
    scores = {e.name: e.score for e in result.exercises}
    assert scores["ch05.conv2d"] == 0
    assert scores["ch05.conv2d_backward"] == 3 and result.score == result.max_score - 3
    feedback = next(e.feedback for e in result.exercises if e.name == "ch05.conv2d")
    assert "uses numpy.lib.stride_tricks.sliding_window_view" in feedback


def _early_stopping_by_running_minimum(losses, patience):
    """Oracle for min_delta = 0: epoch e improves iff its loss is below every earlier one;
    training stops at the first epoch that ends a run of ``patience`` non-improvements."""
    losses = np.asarray(losses, dtype=float)
    before = np.concatenate([[np.inf], np.fmin.accumulate(losses)[:-1]])
    improved = losses < before
    best = [int(np.flatnonzero(improved[:e + 1])[-1]) for e in range(len(losses))]
    for e in range(patience - 1, len(losses)):
        if not improved[e - patience + 1:e + 1].any():
            return e, best[e]
    return len(losses) - 1, best[-1]


def test_early_stopping_reference_matches_the_running_minimum_oracle():
    rng = np.random.default_rng(7)
    cases = [c for c in ch07._es_public() + ch07._es_edge() + ch07._es_hidden(rng, "s")
             if not c.kwargs.get("min_delta")]
    for _ in range(50):
        n = int(rng.integers(2, 30))
        cases.append(Case(
            (ch07._curve(rng, n).tolist() if n > 4 else rng.random(n).tolist(),
             int(rng.integers(1, 6)))))
    for case in cases:
        assert ch07.early_stopping(*case.args) == _early_stopping_by_running_minimum(
            *case.args), case.args


def test_early_stopping_that_resets_on_an_equal_loss_is_told_what_an_improvement_is():
    def early_stopping(val_losses, patience, min_delta=0.0):
        best, best_epoch, waited = float("inf"), 0, 0
        for epoch, loss in enumerate(val_losses):
            if loss <= best - min_delta:  # an equal loss counted as progress
                best, best_epoch, waited = loss, epoch, 0
            else:
                waited += 1
                if waited >= patience:
                    return epoch, best_epoch
        return len(val_losses) - 1, best_epoch

    report = run_checks("ch07.early_stopping", early_stopping).report()
    assert "equal to the best is not an improvement" in report
    assert "strictly lower than the best so far" in report
