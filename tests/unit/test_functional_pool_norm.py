"""Pooling and batch norm of dlcourse.nn.functional against PyTorch (values and gradients)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from dlcourse.gradcheck import check_gradient, relative_error
from dlcourse.nn import functional as F

torch.set_num_threads(1)
RTOL = 1e-6


def rng(seed=0):
    return np.random.default_rng(seed)


def torch_forward_backward(fn, arrays, dout):
    """Run ``fn`` on float64 tensors made from ``arrays``; return output and input grads."""
    tensors = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(torch.tensor(dout))
    grads = [None if t is None else t.grad.numpy() for t in tensors]
    return out.detach().numpy(), grads


def assert_close(ours, theirs):
    assert ours.shape == theirs.shape
    assert relative_error(ours, theirs) < RTOL


# ---------------------------------------------------------------- max pooling

POOL_CASES = [  # (shape, kernel_size, stride, padding)
    ((2, 3, 8, 8), 2, None, 0),          # the classic non-overlapping 2x2 pool
    ((2, 3, 9, 7), 3, 2, 1),             # overlapping windows, padding, odd sizes
    ((1, 2, 7, 10), (3, 2), (1, 2), (1, 0)),  # non-square everything
    ((2, 2, 6, 5), 3, 1, 0),             # heavy overlap
    ((1, 2, 7, 5), 2, None, 0),          # sizes not divisible: floor rule drops the edge
    ((1, 1, 5, 5), 4, 3, 2),             # padding exactly half the kernel
]


@pytest.mark.parametrize("shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_matches_torch_values_and_gradients(shape, kernel, stride, padding):
    x = rng(1).standard_normal(shape)
    out = F.max_pool2d(x, kernel, stride, padding)
    dout = rng(2).standard_normal(out.shape)
    ref, (dx_ref,) = torch_forward_backward(
        lambda t: TF.max_pool2d(t, kernel, stride, padding), [x], dout)
    assert_close(out, ref)
    assert_close(F.max_pool2d_backward(dout, x, kernel, stride, padding), dx_ref)


@pytest.mark.parametrize("shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_with_indices_matches_torch_return_indices(shape, kernel, stride, padding):
    x = rng(3).standard_normal(shape)
    out, idx = F.max_pool2d_with_indices(x, kernel, stride, padding)
    ref, ref_idx = TF.max_pool2d(torch.tensor(x), kernel, stride, padding, return_indices=True)
    assert_close(out, ref.numpy())
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx, ref_idx.numpy())


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_max_pool2d_ties_route_gradient_to_first_maximum_like_torch(kernel, stride, padding):
    x = rng(4).integers(0, 3, size=(2, 3, 7, 6)).astype(np.float64)  # many equal values
    out, idx = F.max_pool2d_with_indices(x, kernel, stride, padding)
    dout = rng(5).standard_normal(out.shape)
    ref, (dx_ref,) = torch_forward_backward(
        lambda t: TF.max_pool2d(t, kernel, stride, padding), [x], dout)
    _, ref_idx = TF.max_pool2d(torch.tensor(x), kernel, stride, padding, return_indices=True)
    np.testing.assert_array_equal(idx, ref_idx.numpy())
    assert_close(F.max_pool2d_backward(dout, x, kernel, stride, padding), dx_ref)


def test_max_pool2d_backward_accepts_precomputed_indices():
    x = rng(6).standard_normal((2, 2, 7, 7))
    _, idx = F.max_pool2d_with_indices(x, 3, 2, 1)
    dout = rng(7).standard_normal((2, 2, 4, 4))
    np.testing.assert_array_equal(F.max_pool2d_backward(dout, x, 3, 2, 1, indices=idx),
                                  F.max_pool2d_backward(dout, x, 3, 2, 1))


def test_max_pool2d_of_all_minus_inf_window_names_first_real_element_like_torch():
    x = np.full((1, 1, 3, 3), -np.inf)
    _, idx = F.max_pool2d_with_indices(x, 2, 2, 1)
    _, ref_idx = TF.max_pool2d(torch.tensor(x), 2, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx, ref_idx.numpy())


def test_max_pool_exam_notes_example_4x4_with_2x2_pool_stride_2():
    # Input and expected output quoted from the course's exam notes (max-pooling question).
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)
    expected = [[6, 8], [3, 4]]
    out = F.max_pool2d(x[None, None], 2, stride=2)
    assert out[0, 0].tolist() == expected
    assert TF.max_pool2d(torch.tensor(x)[None, None], 2, 2)[0, 0].tolist() == expected


@pytest.mark.parametrize("shape, output_size", [
    ((2, 3, 8, 6), None),
    ((2, 3, 9, 7), (9, 7)),  # odd sizes: unpool back to the size before pooling
])
def test_max_unpool2d_matches_torch_values_and_gradients(shape, output_size):
    x = rng(8).standard_normal(shape)
    pooled, idx = F.max_pool2d_with_indices(x, 2)
    dout = rng(9).standard_normal(shape)
    ref, (dx_ref,) = torch_forward_backward(
        lambda t: TF.max_unpool2d(t, torch.tensor(idx), 2, output_size=output_size),
        [pooled], dout)
    out = F.max_unpool2d(pooled, idx, 2, output_size=output_size)
    assert_close(out, ref)
    dx = F.max_unpool2d_backward(dout, pooled, idx, 2, output_size=output_size)
    assert_close(dx, dx_ref)


def test_max_unpool2d_undoes_pooling_at_the_maxima():
    x = rng(10).standard_normal((1, 2, 6, 6))
    out, idx = F.max_pool2d_with_indices(x, 2)
    unpooled = F.max_unpool2d(out, idx, 2)
    kept = unpooled != 0
    np.testing.assert_array_equal(unpooled[kept], x[kept])
    assert kept.sum() == out.size


# ---------------------------------------------------------------- average pooling

@pytest.mark.parametrize("shape, kernel, stride, padding", POOL_CASES)
def test_avg_pool2d_matches_torch_values_and_gradients(shape, kernel, stride, padding):
    x = rng(11).standard_normal(shape)
    out = F.avg_pool2d(x, kernel, stride, padding)
    dout = rng(12).standard_normal(out.shape)
    ref, (dx_ref,) = torch_forward_backward(
        lambda t: TF.avg_pool2d(t, kernel, stride, padding), [x], dout)
    assert_close(out, ref)
    assert_close(F.avg_pool2d_backward(dout, x, kernel, stride, padding), dx_ref)


@pytest.mark.parametrize("shape, output_size", [
    ((2, 3, 7, 5), (3, 4)),   # sizes that do not divide the input: windows overlap
    ((1, 2, 8, 8), 4),        # the divisible case: plain 2x2 average pooling
    ((1, 2, 5, 6), 1),
    ((1, 1, 3, 4), (5, 7)),   # output larger than input
])
def test_adaptive_avg_pool2d_matches_torch_values_and_gradients(shape, output_size):
    x = rng(13).standard_normal(shape)
    out = F.adaptive_avg_pool2d(x, output_size)
    dout = rng(14).standard_normal(out.shape)
    ref, (dx_ref,) = torch_forward_backward(
        lambda t: TF.adaptive_avg_pool2d(t, output_size), [x], dout)
    assert_close(out, ref)
    assert_close(F.adaptive_avg_pool2d_backward(dout, x, output_size), dx_ref)


def test_global_avg_pool2d_is_adaptive_pool_to_one_without_the_unit_axes():
    x = rng(15).standard_normal((3, 4, 5, 6))
    out = F.global_avg_pool2d(x)
    dout = rng(16).standard_normal((3, 4))
    ref, (dx_ref,) = torch_forward_backward(
        lambda t: TF.adaptive_avg_pool2d(t, 1).flatten(1), [x], dout)
    assert out.shape == (3, 4)
    assert_close(out, ref)
    assert_close(F.global_avg_pool2d_backward(dout, x), dx_ref)


# ---------------------------------------------------------------- batch norm

def channel_vectors(c, seed):
    r = rng(seed)
    return (r.standard_normal(c), r.uniform(0.5, 2.0, c),  # running_mean, running_var
            r.standard_normal(c), r.standard_normal(c))    # weight, bias


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch_values_gradients_and_running_stats(shape, affine):
    x = rng(17).standard_normal(shape) * 3 + 1
    mean, var, weight, bias = channel_vectors(shape[1], 18)
    if not affine:
        weight = bias = None
    ours_mean, ours_var = mean.copy(), var.copy()
    torch_mean, torch_var = torch.tensor(mean), torch.tensor(var)
    out = F.batch_norm(x, ours_mean, ours_var, weight, bias, training=True, momentum=0.3)
    dout = rng(19).standard_normal(shape)
    ref, grads = torch_forward_backward(
        lambda t, w, b: TF.batch_norm(t, torch_mean, torch_var, w, b, training=True,
                                      momentum=0.3), [x, weight, bias], dout)
    assert_close(out, ref)
    assert_close(ours_mean, torch_mean.numpy())
    assert_close(ours_var, torch_var.numpy())
    dx, dweight, dbias = F.batch_norm_backward(dout, x, ours_mean, ours_var, weight, bias,
                                               training=True)
    assert_close(dx, grads[0])
    if affine:
        assert_close(dweight, grads[1])
        assert_close(dbias, grads[2])
    else:
        assert dweight is None and dbias is None


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
def test_batch_norm_eval_uses_running_stats_as_constants_like_torch(shape):
    x = rng(20).standard_normal(shape)
    mean, var, weight, bias = channel_vectors(shape[1], 21)
    before = mean.copy(), var.copy()
    out = F.batch_norm(x, mean, var, weight, bias)
    np.testing.assert_array_equal(mean, before[0])
    np.testing.assert_array_equal(var, before[1])
    dout = rng(22).standard_normal(shape)
    ref, grads = torch_forward_backward(
        lambda t, w, b: TF.batch_norm(t, torch.tensor(mean), torch.tensor(var), w, b),
        [x, weight, bias], dout)
    assert_close(out, ref)
    for ours, theirs in zip(F.batch_norm_backward(dout, x, mean, var, weight, bias), grads,
                            strict=True):
        assert_close(ours, theirs)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_naive_equals_the_fast_one_in_values_gradients_and_running_stats(seed,
                                                                                    training):
    r = rng(100 + seed)
    ndim = int(r.integers(2, 5))                        # (N, C), (N, C, L) or (N, C, H, W)
    shape = tuple(int(d) for d in r.integers(2, 6, size=ndim))
    x = r.standard_normal(shape) * r.uniform(0.5, 3) + r.uniform(-2, 2)
    mean, var, weight, bias = channel_vectors(shape[1], 200 + seed)
    if seed % 3 == 0:
        weight = bias = None                             # no affine part
    dout = r.standard_normal(shape)
    fast_stats, naive_stats = (mean.copy(), var.copy()), (mean.copy(), var.copy())
    opts = {"training": training, "momentum": 0.2, "eps": 1e-3}
    np.testing.assert_allclose(F.batch_norm_naive(x, *naive_stats, weight, bias, **opts),
                               F.batch_norm(x, *fast_stats, weight, bias, **opts),
                               rtol=1e-12, atol=1e-12)
    for ours, fast in zip(naive_stats, fast_stats, strict=True):
        np.testing.assert_allclose(ours, fast, rtol=1e-12)
    naive = F.batch_norm_naive_backward(dout, x, *naive_stats, weight, bias, **opts)
    fast = F.batch_norm_backward(dout, x, *fast_stats, weight, bias, **opts)
    for ours, theirs in zip(naive, fast, strict=True):
        if theirs is None:
            assert ours is None
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_batch_norm_naive_backward_passes_gradcheck_in_training():
    x = rng(300).standard_normal((4, 3, 2, 2))
    _, _, weight, bias = channel_vectors(3, 301)
    dout = rng(302).standard_normal(x.shape)
    dx, _, _ = F.batch_norm_naive_backward(dout, x, None, None, weight, bias, training=True)
    assert check_gradient(
        lambda v: F.batch_norm_naive(v, None, None, weight, bias, training=True), x, dx,
        dout).ok


def test_batch_norm_without_running_stats_normalises_with_batch_stats():
    x = rng(23).standard_normal((6, 2, 3, 3))
    out = F.batch_norm(x, None, None, training=True)
    ref = TF.batch_norm(torch.tensor(x), None, None, training=True).numpy()
    assert_close(out, ref)


def test_batch_norm_backward_leaves_running_stats_alone_and_accepts_cached_stats():
    x = rng(24).standard_normal((5, 3, 4, 4))
    mean, var, weight, bias = channel_vectors(3, 25)
    out, batch_mean, inv_std = F.batch_norm_with_stats(x, mean, var, weight, bias,
                                                       training=True)
    np.testing.assert_array_equal(out, F.batch_norm(x, mean.copy(), var.copy(), weight, bias,
                                                    training=True))
    np.testing.assert_allclose(batch_mean, x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(inv_std, 1 / np.sqrt(x.var(axis=(0, 2, 3)) + 1e-5))
    before = mean.copy(), var.copy()
    dout = rng(26).standard_normal(x.shape)
    recomputed = F.batch_norm_backward(dout, x, mean, var, weight, bias, training=True)
    cached = F.batch_norm_backward(dout, x, mean, var, weight, bias, training=True,
                                   mean=batch_mean, inv_std=inv_std)
    np.testing.assert_array_equal(mean, before[0])
    np.testing.assert_array_equal(var, before[1])
    for a, b in zip(recomputed, cached, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- finite differences

def small_input(shape, seed=27):
    return rng(seed).standard_normal(shape)


@pytest.mark.parametrize("name, forward, backward", [
    ("max_pool2d k3 s2 p1", lambda x: F.max_pool2d(x, 3, 2, 1),
     lambda d, x: F.max_pool2d_backward(d, x, 3, 2, 1)),
    ("avg_pool2d k3 s2 p1", lambda x: F.avg_pool2d(x, 3, 2, 1),
     lambda d, x: F.avg_pool2d_backward(d, x, 3, 2, 1)),
    ("adaptive_avg_pool2d (2, 3)", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
     lambda d, x: F.adaptive_avg_pool2d_backward(d, x, (2, 3))),
    ("global_avg_pool2d", F.global_avg_pool2d, F.global_avg_pool2d_backward),
    ("batch_norm train", lambda x: F.batch_norm(x, None, None, training=True),
     lambda d, x: F.batch_norm_backward(d, x, None, None, training=True)[0]),
])
def test_backward_passes_gradcheck(name, forward, backward):
    x = small_input((2, 2, 5, 5))
    dout = rng(28).standard_normal(forward(x).shape)
    result = check_gradient(forward, x, backward(dout, x), dout)
    assert result.ok, f"{name}: {result}"


def test_batch_norm_weight_and_bias_gradients_pass_gradcheck():
    x = small_input((4, 3, 2, 2))
    weight, bias = rng(29).standard_normal(3), rng(30).standard_normal(3)
    dout = rng(31).standard_normal(x.shape)
    _, dweight, dbias = F.batch_norm_backward(dout, x, None, None, weight, bias, training=True)
    assert check_gradient(lambda w: F.batch_norm(x, None, None, w, bias, training=True),
                          weight, dweight, dout).ok
    assert check_gradient(lambda b: F.batch_norm(x, None, None, weight, b, training=True),
                          bias, dbias, dout).ok


# ---------------------------------------------------------------- dtype

@pytest.mark.parametrize("forward, backward", [
    (lambda x: F.max_pool2d(x, 3, 2, 1), lambda d, x: F.max_pool2d_backward(d, x, 3, 2, 1)),
    (lambda x: F.avg_pool2d(x, 2), lambda d, x: F.avg_pool2d_backward(d, x, 2)),
    (lambda x: F.adaptive_avg_pool2d(x, 3), lambda d, x: F.adaptive_avg_pool2d_backward(d, x, 3)),
    (F.global_avg_pool2d, F.global_avg_pool2d_backward),
    (lambda x: F.batch_norm(x, np.zeros(2), np.ones(2), np.ones(2), np.zeros(2), training=True),
     lambda d, x: F.batch_norm_backward(d, x, np.zeros(2), np.ones(2), np.ones(2), np.zeros(2),
                                        training=True)[0]),
])
def test_float32_in_gives_float32_out_forward_and_backward(forward, backward):
    x = small_input((2, 2, 6, 6)).astype(np.float32)
    out = forward(x)
    assert out.dtype == np.float32
    assert backward(np.ones_like(out), x).dtype == np.float32


def test_max_unpool2d_and_batch_norm_stats_keep_float32():
    x = small_input((1, 2, 4, 4)).astype(np.float32)
    out, idx = F.max_pool2d_with_indices(x, 2)
    assert F.max_unpool2d(out, idx, 2).dtype == np.float32
    _, mean, inv_std = F.batch_norm_with_stats(x, None, None, training=True)
    assert mean.dtype == inv_std.dtype == np.float32


# ---------------------------------------------------------------- errors

X = np.zeros((1, 3, 4, 4))


@pytest.mark.parametrize("call, message", [
    (lambda: F.max_pool2d(X, 5), "larger than the padded input"),
    (lambda: F.avg_pool2d(X, 7, padding=1), "larger than the padded input"),
    (lambda: F.max_pool2d(X, 2, stride=0), "stride must be positive"),
    (lambda: F.max_pool2d(X, 0), "kernel_size must be positive"),
    (lambda: F.max_pool2d(X, 3, padding=2), "at most half of kernel_size"),
    (lambda: F.avg_pool2d(X, 2, padding=-1), "padding must be non-negative"),
    (lambda: F.max_pool2d(X[0], 2), "must be 4-dimensional"),
    (lambda: F.adaptive_avg_pool2d(X, 0), "output_size must be positive"),
    (lambda: F.max_pool2d_backward(np.zeros((1, 3, 3, 3)), X, 2), "dout has shape"),
    (lambda: F.max_pool2d_backward(np.zeros((1, 3, 2, 2)), X, 2,
                                   indices=np.zeros((1, 3, 1, 1), dtype=int)),
     "indices has shape"),
    (lambda: F.batch_norm(X, np.zeros(4), np.ones(4)),
     "x has 3 channels but running_mean has 4"),
    (lambda: F.batch_norm(X, np.zeros(3), np.ones(3), weight=np.ones(2)),
     "x has 3 channels but weight has 2"),
    (lambda: F.batch_norm(X, None, None), "required when training=False"),
    (lambda: F.batch_norm_backward(X, X, None, None, training=True, mean=np.zeros(2),
                                   inv_std=np.ones(2)), "x has 3 channels but mean has 2"),
    (lambda: F.batch_norm(np.zeros((1, 3)), None, None, training=True),
     "more than 1 value per channel"),
    (lambda: F.batch_norm(np.zeros(3), None, None, training=True), "dimensional"),
    (lambda: F.max_unpool2d(X, np.full(X.shape, 99), 2), "indices must lie in"),
    (lambda: F.max_unpool2d(X, np.zeros(X.shape, int), 2, output_size=(4, 4)),
     "output_size (4, 4) must lie strictly between"),
])
def test_bad_arguments_raise_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_integer_input_is_a_type_error():
    with pytest.raises(TypeError, match="floating dtype"):
        F.max_pool2d(np.zeros((1, 1, 4, 4), dtype=int), 2)


# --- the GPU path -------------------------------------------------------------------------------

def test_pooling_and_batch_norm_on_cupy_match_numpy(cupy):
    x = rng(9).standard_normal((2, 3, 6, 6))
    gx = cupy.asarray(x)
    for forward, backward, args in (
            (F.max_pool2d, F.max_pool2d_backward, (2, 2)),
            (F.avg_pool2d, F.avg_pool2d_backward, (3, 1, 1)),
            (F.adaptive_avg_pool2d, F.adaptive_avg_pool2d_backward, ((2, 3),)),
            (F.global_avg_pool2d, F.global_avg_pool2d_backward, ())):
        out = forward(gx, *args)
        assert isinstance(out, cupy.ndarray)
        np.testing.assert_allclose(out.get(), forward(x, *args), rtol=1e-12)
        dout = np.ones(out.shape)
        np.testing.assert_allclose(backward(cupy.asarray(dout), gx, *args).get(),
                                   backward(dout, x, *args), rtol=1e-12)
    stats = [np.zeros(3), np.ones(3)]
    gpu_stats = [cupy.asarray(s) for s in stats]
    out = F.batch_norm(gx, *gpu_stats, training=True)
    np.testing.assert_allclose(out.get(), F.batch_norm(x, *stats, training=True), atol=1e-12)
    for ours, ref in zip(gpu_stats, stats, strict=True):      # running stats moved alike
        np.testing.assert_allclose(ours.get(), ref, rtol=1e-12)
    dout = rng(10).standard_normal(x.shape)
    dx, _, _ = F.batch_norm_backward(cupy.asarray(dout), gx, *gpu_stats, training=True)
    np.testing.assert_allclose(dx.get(), F.batch_norm_backward(dout, x, *stats,
                                                               training=True)[0], atol=1e-12)
