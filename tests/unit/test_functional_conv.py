"""Convolution, transposed convolution, upsampling and pixel shuffle against PyTorch.

Every value and every gradient is compared with torch autograd in float64, on both of the
engine's input layouts (the copy-free stride-1 shortcut and the strided-copy path), with the
batch in one im2col chunk and in one chunk per image.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from dlcourse.gradcheck import check_gradient
from dlcourse.nn import functional as F
from dlcourse.nn.functional import _im2col


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=["shift-shortcut", "strided-copy"])
def layout(request, monkeypatch):
    """Run a test once with the stride-1 shortcut forced on, once with it off."""
    overhead = float("inf") if request.param == "shift-shortcut" else 0.0
    monkeypatch.setattr(_im2col, "MAX_SHIFT_OVERHEAD", overhead)
    return request.param


@pytest.fixture(params=["whole-batch", "image-by-image"])
def chunking(request, monkeypatch):
    """Run a test once with the batch in one im2col chunk, once with a chunk per image."""
    monkeypatch.setattr(_im2col, "CHUNK_BYTES", 2**62 if request.param == "whole-batch" else 1)
    return request.param


def assert_close(ours, ref):
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    assert ours.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-10 * scale)


def leaf(a):
    return None if a is None else torch.tensor(a, requires_grad=True)


def random_cases(seed, count):
    """Random conv geometries (pairs for every argument) that keep the output non-empty."""
    rng, cases = np.random.default_rng(seed), []
    while len(cases) < count:
        kh, kw = rng.integers(1, 4, size=2)
        s, p, d = (tuple(int(v) for v in rng.integers(lo, hi, size=2))
                   for lo, hi in ((1, 4), (0, 3), (1, 3)))
        h, w = rng.integers(3, 12, size=2)
        if all(dd * (k - 1) + 1 <= n + 2 * pp for dd, k, n, pp in
               zip(d, (kh, kw), (h, w), p, strict=True)):
            cases.append((int(rng.integers(1, 3)), int(rng.integers(1, 4)),
                          int(rng.integers(1, 4)), int(h), int(w), int(kh), int(kw), s, p, d,
                          bool(rng.integers(2))))
    return cases


# (N, C_in, C_out, H, W, kh, kw, stride, padding, dilation, bias)
CONV_CASES = [
    (2, 3, 4, 8, 9, 3, 3, 1, 1, 1, True),            # "same" 3x3
    (2, 3, 4, 9, 7, 3, 2, 2, 0, 1, True),            # stride 2, non-square kernel and input
    (1, 2, 3, 11, 10, 3, 3, 3, 2, 1, False),         # stride 3, padding 2
    (2, 3, 2, 10, 9, 3, 3, 1, 2, 2, True),           # dilation 2
    (2, 2, 3, 6, 6, 3, 3, 2, 1, 2, False),           # stride and dilation together
    (2, 2, 3, 9, 12, 2, 3, (2, 1), (1, 0), (1, 2), True),
    (3, 4, 5, 6, 5, 1, 1, 1, 0, 1, False),           # 1x1 kernel
    (1, 2, 2, 5, 5, 5, 5, 1, 0, 1, True),            # kernel as large as the input
] + random_cases(seed=0, count=6)


# --- conv2d ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch_with_stride_padding_dilation(case, layout, chunking):
    n, c_in, c_out, h, w_, kh, kw, stride, padding, dilation, bias = case
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((n, c_in, h, w_)), rng.standard_normal((c_out, c_in, kh, kw))
    b = rng.standard_normal(c_out) if bias else None
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    ref = TF.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    dout = rng.standard_normal(ref.shape)
    ref.backward(torch.tensor(dout))

    out = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    dx, dw, db = F.conv2d_backward(dout, x, w, b, stride=stride, padding=padding,
                                   dilation=dilation)
    assert_close(out, ref)
    assert_close(dx, xt.grad)
    assert_close(dw, wt.grad)
    if bias:
        assert_close(db, bt.grad)
    else:
        assert db is None


@pytest.mark.parametrize("case", CONV_CASES[:6])
def test_conv2d_naive_equals_fast_conv(case):
    n, c_in, c_out, h, w_, kh, kw, stride, padding, dilation, bias = case
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((n, c_in, h, w_)), rng.standard_normal((c_out, c_in, kh, kw))
    b = rng.standard_normal(c_out) if bias else None
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(F.conv2d_naive(x, w, b, **kwargs), F.conv2d(x, w, b, **kwargs),
                               rtol=1e-12, atol=1e-12)


def test_conv2d_backward_passes_gradcheck(layout):
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(shape) for shape in ((2, 2, 5, 4), (3, 2, 3, 2), (3,)))
    kwargs = dict(stride=(1, 2), padding=1, dilation=(2, 1))
    dout = rng.standard_normal(F.conv2d(x, w, b, **kwargs).shape)
    dx, dw, db = F.conv2d_backward(dout, x, w, b, **kwargs)
    assert check_gradient(lambda v: F.conv2d(v, w, b, **kwargs), x, dx, dout).ok
    assert check_gradient(lambda v: F.conv2d(x, v, b, **kwargs), w, dw, dout).ok
    assert check_gradient(lambda v: F.conv2d(x, w, v, **kwargs), b, db, dout).ok


def test_typical_3x3_convolution_takes_the_copy_free_stride1_path():
    lay = _im2col.tap_layout((64, 64, 32, 32), (3, 3), (1, 1), (1, 1), (1, 1))
    assert lay.shifted and lay.out_size == (32, 32)
    assert not _im2col.tap_layout((64, 64, 32, 32), (3, 3), (2, 2), (1, 1), (1, 1)).shifted


def test_chunks_cover_the_batch_in_runs_of_whole_images(monkeypatch):
    lay = _im2col.tap_layout((5, 3, 16, 16), (3, 3), (1, 1), (1, 1), (1, 1))
    assert lay.grid == (18, 18)                             # the padded image (shortcut)
    column_bytes = 27 * 8                                   # 3x3 taps of 3 float64 channels
    monkeypatch.setattr(_im2col, "CHUNK_BYTES", 2 * 18 * 18 * column_bytes + 1)  # 2 images
    runs = list(_im2col.chunks(lay, column_bytes, gpu=False))
    assert [(s.start, s.stop) for s, _ in runs] == [(0, 2), (2, 4), (4, 5)]
    assert [part.batch for _, part in runs] == [2, 2, 1]
    assert all(part._replace(batch=5) == lay for _, part in runs)


# --- conv_transpose2d -------------------------------------------------------------------------

# (N, C_in, C_out, H, W, kh, kw, stride, padding, output_padding, dilation, bias)
TRANSPOSE_CASES = [
    (2, 3, 4, 5, 6, 3, 3, 2, 1, 1, 1, True),         # the usual 2x upsampling layer
    (2, 3, 4, 5, 6, 3, 3, 1, 0, 0, 1, False),
    (1, 2, 3, 4, 5, 3, 2, 3, (1, 0), (2, 1), 1, True),
    (2, 3, 2, 5, 4, 3, 3, 1, 1, 0, 2, True),         # dilation 2
    (2, 2, 3, 4, 4, 2, 2, 2, 0, 0, 1, False),        # kernel = stride: non-overlapping stamps
    (1, 3, 2, 3, 4, 1, 1, 2, 0, 1, 1, True),         # 1x1 kernel, stride 2
    (2, 2, 3, 4, 5, 3, 3, 1, 1, (0, 1), (1, 2), True),  # output_padding < dilation, >= stride
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch_including_output_padding(case, layout, chunking):
    n, c_in, c_out, h, w_, kh, kw, stride, padding, output_padding, dilation, bias = case
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((n, c_in, h, w_)), rng.standard_normal((c_in, c_out, kh, kw))
    b = rng.standard_normal(c_out) if bias else None
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding,
                  dilation=dilation)
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    ref = TF.conv_transpose2d(xt, wt, bt, **kwargs)
    dout = rng.standard_normal(ref.shape)
    ref.backward(torch.tensor(dout))

    out = F.conv_transpose2d(x, w, b, **kwargs)
    dx, dw, db = F.conv_transpose2d_backward(dout, x, w, b, **kwargs)
    assert_close(out, ref)
    assert_close(dx, xt.grad)
    assert_close(dw, wt.grad)
    if bias:
        assert_close(db, bt.grad)
    else:
        assert db is None


def test_conv_transpose2d_backward_passes_gradcheck():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 3, 3, 2))
    kwargs = dict(stride=2, padding=(1, 0), output_padding=1)
    dout = rng.standard_normal(F.conv_transpose2d(x, w, **kwargs).shape)
    dx, dw, _ = F.conv_transpose2d_backward(dout, x, w, **kwargs)
    assert check_gradient(lambda v: F.conv_transpose2d(v, w, **kwargs), x, dx, dout).ok
    assert check_gradient(lambda v: F.conv_transpose2d(x, v, **kwargs), w, dw, dout).ok


def test_exam_notes_transposed_conv_gives_5x5_and_its_centre_with_padding_1(layout):
    image = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    kernel = np.array([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]]).reshape(1, 1, 3, 3)
    full = F.conv_transpose2d(image, kernel, stride=2)
    centre = F.conv_transpose2d(image, kernel, stride=2, padding=1)
    assert_close(full, TF.conv_transpose2d(torch.tensor(image), torch.tensor(kernel), stride=2))
    assert_close(centre, TF.conv_transpose2d(torch.tensor(image), torch.tensor(kernel),
                                             stride=2, padding=1))
    # Worked by hand from the notes' rule: each input pixel stamps value * K, 2 pixels apart.
    assert full[0, 0].tolist() == [[0, 1, 0, 2, 0], [1, 2, 3, 4, 2], [1, 4, 3, 6, 2],
                                   [3, 6, 7, 8, 4], [3, 3, 7, 4, 4]]
    assert centre.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(centre, full[:, :, 1:-1, 1:-1])


def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3))
    dout = rng.standard_normal(F.conv2d(x, w, stride=2, padding=1).shape)
    dx, _, _ = F.conv2d_backward(dout, x, w, stride=2, padding=1)
    # 9 rows at stride 2 lose one row to the floor: output_padding gives it back
    np.testing.assert_allclose(F.conv_transpose2d(dout, w, stride=2, padding=1,
                                                  output_padding=(0, 1)), dx, atol=1e-12)


# --- dtype and backend ------------------------------------------------------------------------

def test_float32_in_gives_float32_out():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 8, 8), dtype=np.float32)
    w = rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    b = rng.standard_normal(4, dtype=np.float32)
    out = F.conv2d(x, w, b, padding=1)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in F.conv2d_backward(out, x, w, b, padding=1))
    up = F.conv_transpose2d(out, w, stride=2)     # w is (4, 3, ...): 4 channels in, 3 out
    assert up.dtype == np.float32
    dx, dw, _ = F.conv_transpose2d_backward(up, out, w, stride=2)
    assert dx.dtype == dw.dtype == np.float32
    for mode in ("nearest", "bilinear"):
        y = F.interpolate(x, 2, mode=mode)
        assert y.dtype == np.float32
        assert F.interpolate_backward(y, x, 2, mode=mode).dtype == np.float32
    assert F.pixel_shuffle(x[:, :1].repeat(4, axis=1), 2).dtype == np.float32


def test_cupy_arrays_give_the_numpy_results(cupy):
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 3, 12, 12)), rng.standard_normal((4, 3, 3, 3))
    for kwargs in (dict(padding=1), dict(stride=2, padding=1, dilation=2)):
        out = F.conv2d(cupy.asarray(x), cupy.asarray(w), **kwargs)
        assert isinstance(out, cupy.ndarray)
        np.testing.assert_allclose(out.get(), F.conv2d(x, w, **kwargs), atol=1e-10)
        grads = F.conv2d_backward(out, cupy.asarray(x), cupy.asarray(w), **kwargs)
        for g, ref in zip(grads[:2], F.conv2d_backward(out.get(), x, w, **kwargs)[:2],
                          strict=True):
            np.testing.assert_allclose(g.get(), ref, atol=1e-9)
    up = F.conv_transpose2d(cupy.asarray(x), cupy.asarray(w.transpose(1, 0, 2, 3)), stride=2,
                            padding=1, output_padding=1)
    np.testing.assert_allclose(up.get(), F.conv_transpose2d(x, w.transpose(1, 0, 2, 3),
                                                            stride=2, padding=1,
                                                            output_padding=1), atol=1e-10)
    for mode in ("nearest", "bilinear"):
        y = F.interpolate(x, 2, mode=mode)
        np.testing.assert_allclose(F.interpolate(cupy.asarray(x), 2, mode=mode).get(), y,
                                   atol=1e-12)
        np.testing.assert_allclose(
            F.interpolate_backward(cupy.asarray(y), cupy.asarray(x), 2, mode=mode).get(),
            F.interpolate_backward(y, x, 2, mode=mode), atol=1e-10)


# --- errors -----------------------------------------------------------------------------------

X, W = np.zeros((1, 3, 4, 4)), np.zeros((2, 4, 3, 3))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(X, W), "x has 3 channels but w expects 4"),
    (lambda: F.conv2d(X[0], W), "x must be 4-dimensional"),
    (lambda: F.conv2d(X, W[0]), "w must be 4-dimensional"),
    (lambda: F.conv2d(X, W[:, :3], stride=0), "stride must be positive"),
    (lambda: F.conv2d(X, W[:, :3], dilation=(1, -1)), "dilation must be positive"),
    (lambda: F.conv2d(X, W[:, :3], padding=-1), "padding must be non-negative"),
    (lambda: F.conv2d(X, W[:, :3], dilation=2),
     r"kernel \(5x5, dilated\) is larger than the padded input \(4x4\)"),
    (lambda: F.conv2d(X, np.zeros((2, 3, 5, 5))),
     r"kernel \(5x5\) is larger than the padded input \(4x4\)"),
    (lambda: F.conv2d(X, W[:, :3], np.zeros(3)), r"b must have shape \(2,\)"),
    (lambda: F.conv2d_backward(np.zeros((1, 2, 4, 4)), X, W[:, :3]),
     r"dout has shape \(1, 2, 4, 4\) but conv2d's output has shape \(1, 2, 2, 2\)"),
    (lambda: F.conv_transpose2d(X, W), "x has 3 channels but w expects 2"),
    (lambda: F.conv_transpose2d(X, np.zeros((3, 2, 3, 3)), stride=2, output_padding=2),
     "output_padding .* must be smaller than stride"),
    (lambda: F.conv_transpose2d(X, np.zeros((3, 2, 1, 1)), padding=2), "padding .* too large"),
    (lambda: F.interpolate(X, 0), "scale_factor must be positive"),
    (lambda: F.interpolate(X, 1.5, mode="bilinear"),
     "scale_factor must be an int or a pair of ints"),
    (lambda: F.interpolate(X[0], 2, mode="bilinear"), "x must be 4-dimensional"),
    (lambda: F.interpolate(X, 2, mode="bicubic"), "mode must be one of nearest, bilinear"),
    (lambda: F.interpolate_backward(np.zeros((1, 3, 4, 4)), X, 2), "dout has shape"),
    (lambda: F.pixel_shuffle(X, 2), "x has 3 channels, not a multiple of r\\*r = 4"),
    (lambda: F.pixel_unshuffle(np.zeros((1, 1, 3, 4)), 2), "not divisible into 2x2 blocks"),
])
def test_bad_arguments_raise_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_integer_images_are_refused_with_a_type_error():
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        F.conv2d(np.zeros((1, 3, 4, 4), dtype=int), W[:, :3])


# --- upsampling and pixel shuffle -------------------------------------------------------------

def test_nearest_interpolation_turns_2x2_into_4x4_blocks():
    x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    # every pixel becomes a 2x2 block (definition of nearest-neighbour upsampling)
    expected = [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert F.interpolate(x, 2)[0, 0].tolist() == expected


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale", [1, 2, 3, (2, 3), (4, 1)])
def test_upsampling_matches_torch_interpolate_values_and_gradients(mode, scale):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 5, 6))
    xt = leaf(x)
    extra = {} if mode == "nearest" else {"align_corners": False}
    ref = TF.interpolate(xt, scale_factor=scale, mode=mode, **extra)
    dout = rng.standard_normal(ref.shape)
    ref.backward(torch.tensor(dout))
    assert_close(F.interpolate(x, scale, mode=mode), ref)
    assert_close(F.interpolate_backward(dout, x, scale, mode=mode), xt.grad)


def test_bilinear_interpolation_backward_passes_gradcheck():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((1, 2, 3, 4))
    dout = rng.standard_normal((1, 2, 6, 12))
    dx = F.interpolate_backward(dout, x, (2, 3), mode="bilinear")
    assert check_gradient(lambda v: F.interpolate(v, (2, 3), mode="bilinear"), x, dx,
                          dout).ok


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_and_unshuffle_match_torch(r):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2 * r * r, 3, 4))
    xt = leaf(x)
    ref = TF.pixel_shuffle(xt, r)
    dout = rng.standard_normal(ref.shape)
    ref.backward(torch.tensor(dout))
    assert_close(F.pixel_shuffle(x, r), ref)
    assert_close(F.pixel_shuffle_backward(dout, x, r), xt.grad)

    y = rng.standard_normal((2, 3, 3 * r, 2 * r))
    yt = leaf(y)
    ref = TF.pixel_unshuffle(yt, r)
    dout = rng.standard_normal(ref.shape)
    ref.backward(torch.tensor(dout))
    assert_close(F.pixel_unshuffle(y, r), ref)
    assert_close(F.pixel_unshuffle_backward(dout, y, r), yt.grad)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r), x)
