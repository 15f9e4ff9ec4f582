"""The two step exercises, ch09.unet_up (a U-Net decoder step) and ch11.gan_step (one
alternating GAN step): the references agree with PyTorch on random shapes and on every
public, edge and hidden case, the hidden cases are drawn afresh, typical wrong answers are
told what is wrong, library convolutions are refused, and the grader scores a wrong step zero
and everything else in full."""

import inspect
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from grading_helpers import FAST, every_case

from dlcourse.grading import exercises
from dlcourse.grading.checks import run_checks
from dlcourse.grading.exercises import ch09, ch11
from dlcourse.grading.grader import grade_file, hidden_rng
from dlcourse.grading.guard import scan_source

torch.set_num_threads(1)


# --- ch09.unet_up against PyTorch ------------------------------------------------------------

def torch_unet_up(x, skip, w_up, b_up, w_conv, b_conv):
    """The decoder step in PyTorch; the skip is cropped by negative padding, the same number
    of rows (columns) from each border."""
    x, skip, w_up, b_up, w_conv, b_conv = (torch.from_numpy(np.asarray(a, dtype=np.float64))
                                           for a in (x, skip, w_up, b_up, w_conv, b_conv))
    up = TF.conv_transpose2d(x, w_up, b_up, stride=2)
    rows, cols = (skip.shape[2] - up.shape[2]) // 2, (skip.shape[3] - up.shape[3]) // 2
    skip = TF.pad(skip, (-cols, -cols, -rows, -rows))
    return TF.relu(TF.conv2d(torch.cat([skip, up], dim=1), w_conv, b_conv, padding=1)).numpy()


@pytest.mark.parametrize("seed", range(6))
def test_unet_up_matches_torch_on_random_shapes_and_crops(seed):
    r = np.random.default_rng(100 + seed)
    n, c, c_up, c_skip, c_out = (int(v) for v in r.integers(1, 5, size=5))
    h, w = (int(v) for v in r.integers(1, 6, size=2))
    extra_h, extra_w = (2 * int(v) for v in r.integers(0, 4, size=2))
    skip_shape = (n, c_skip, 2 * h + extra_h, 2 * w + extra_w)
    args = (r.normal(size=(n, c, h, w)), r.normal(size=skip_shape),
            r.normal(size=(c, c_up, 2, 2)), r.normal(size=c_up),
            r.normal(size=(c_out, c_skip + c_up, 3, 3)), r.normal(size=c_out))
    got = ch09.unet_up(*args)
    assert got.shape == (n, c_out, 2 * h, 2 * w)
    np.testing.assert_allclose(got, torch_unet_up(*args), rtol=1e-10, atol=1e-12)


def test_unet_up_matches_torch_on_every_fixed_and_hidden_case():
    ex, cases = every_case("ch09.unet_up")
    for case in cases:
        got = ex.reference(*case.args)
        assert got.dtype == case.args[0].dtype, case.label
        assert (got > 0).any(), case.label  # the ReLU leaves something to compare
        np.testing.assert_allclose(got, torch_unet_up(*case.args), rtol=1e-5, atol=1e-6,
                                   err_msg=case.label)


def test_the_first_public_cases_isolate_the_convolution_and_the_upsampling():
    first, second = exercises.get("ch09.unet_up").public()[:2]
    x, skip, w_up, b_up, w_conv, _ = first.args
    assert not x.any() and not b_up.any()  # the upsampled map is 0
    assert not second.args[1].any()  # no skip
    for case in (first, second):  # same weights on both inputs: the order cannot matter
        np.testing.assert_array_equal(case.args[4][:, 0], case.args[4][:, 1])


def unet_up_with(mistake=None):
    """A learner's decoder step: right, or with one typical ``mistake``."""
    def unet_up(x, skip, w_up, b_up, w_conv, b_conv):
        n, _, h, w = x.shape
        layout = "noijab" if mistake == "blocks" else "noiajb"
        up = np.einsum(f"ncij,coab->{layout}", x, w_up).reshape(n, -1, 2 * h, 2 * w)
        up = up + b_up.reshape(1, -1, 1, 1)
        if mistake != "no crop":
            top, left = (skip.shape[2] - 2 * h) // 2, (skip.shape[3] - 2 * w) // 2
            skip = skip[:, :, top:top + 2 * h, left:left + 2 * w]
        parts = [up, skip] if mistake == "up first" else [skip, up]
        features = np.concatenate(parts, axis=2 if mistake == "axis" else 1)
        pad = 0 if mistake == "no padding" else 1
        padded = np.pad(features, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        rows, cols = padded.shape[2] - 2, padded.shape[3] - 2
        out = np.zeros((n, len(b_conv), rows, cols), dtype=x.dtype)
        for i in range(3):
            for j in range(3):
                out += np.einsum("nchw,oc->nohw", padded[:, :, i:i + rows, j:j + cols],
                                 w_conv[:, :, i, j])
        return np.maximum(out + b_conv.reshape(1, -1, 1, 1), 0)
    return unet_up


def test_a_right_decoder_step_passes_every_case():
    assert run_checks("ch09.unet_up", unet_up_with()).ok
    ex, cases = every_case("ch09.unet_up")
    call = unet_up_with()
    assert all(ex.verdict(case, lambda a, k: call(*a, **k)) is None for case in cases)


@pytest.mark.parametrize("mistake, told", [
    ("up first", ["which comes first?", "result is wrong at index", "with the skip FIRST"]),
    ("no crop", ["the paper's crop", "unet_up raised ValueError", "keep its centre"]),
    ("no padding", ["the convolution alone", "has shape (1, 2, 2, 2) but should have shape "
                    "(1, 2, 4, 4)", "one row and column of zeros on every border"]),
    ("axis", ["the convolution alone", "has shape (1, 2, 8, 4) but should have shape "
              "(1, 2, 4, 4)", "reads the concatenation (N, C_skip + C_up, 2H, 2W)"]),
    ("blocks", ["the upsampling alone", "each input pixel becomes one|do not overlap",
                "x[n, c, i, j] * w_up[c, o, a, b]"]),
])
def test_typical_decoder_mistakes_are_told_what_to_fix(mistake, told):
    report = run_checks("ch09.unet_up", unet_up_with(mistake)).report()
    assert report.startswith("✘ ch09.unet_up")
    for words in told:
        assert any(w in report for w in words.split("|")), (words, report)


@pytest.mark.parametrize("imports, call, refused", [
    ("import torch.nn.functional as F", "F.conv2d(x, w_conv, b_conv, padding=1)",
     "torch.nn.functional.conv2d"),
    ("from dlcourse.nn import functional as F", "F.conv2d(x, w_conv, b_conv, padding=1)",
     "dlcourse.nn.functional.conv2d"),
    ("from numpy.lib.stride_tricks import sliding_window_view",
     "sliding_window_view(x, (3, 3), axis=(2, 3))",
     "numpy.lib.stride_tricks.sliding_window_view"),
])
def test_library_convolutions_in_the_decoder_step_are_refused(imports, call, refused):
    cells = [imports, f"def unet_up(x, skip, w_up, b_up, w_conv, b_conv):\n    return {call}"]
    assert scan_source(cells, "unet_up", exercises.get("ch09.unet_up").forbidden) == [refused]


def test_np_kron_is_allowed_in_the_decoder_step_but_not_in_the_transposed_convolution():
    assert "numpy.kron" not in exercises.get("ch09.unet_up").forbidden
    assert "numpy.kron" in exercises.get("ch09.conv_transpose2d").forbidden


# --- ch11.gan_step against PyTorch ---------------------------------------------------------

def torch_gan_step(x_real, z, w, b, A, c, *, lr):
    """The lecture's step in PyTorch: BCE against 1 (real) and 0 (fake, detached), D's SGD
    step (torch.optim.SGD's update, written out: its import costs seconds), then the
    non-saturating G loss (BCE of the fakes against 1) through the new D."""
    t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    w, b, A, c = (t(v).requires_grad_() for v in (w, b, A, c))
    x_real, z = t(x_real), t(z)

    def D(x):
        return x @ w + b  # the logit; D(x) = sigmoid of it

    def bce(logits, label):
        return TF.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))

    fake = z @ A + c
    d_loss = bce(D(x_real), 1.0) + bce(D(fake.detach()), 0.0)
    d_loss.backward()
    assert A.grad is None  # the detached fakes kept G out of the D step
    dw, db = w.grad.clone(), b.grad.clone()
    with torch.no_grad():
        w -= lr * dw
        b -= lr * db
    g_loss = bce(D(fake), 1.0)
    g_loss.backward()
    return {"d_loss": d_loss.item(), "dw": dw.numpy(), "db": db.item(), "g_loss": g_loss.item(),
            "dA": A.grad.numpy(), "dc": c.grad.numpy()}


def assert_step_close(got, want, *, rtol, label=""):
    assert list(got) == list(want), label
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=rtol, atol=rtol * 1e-3,
                                   err_msg=f"{key}: {label}")


@pytest.mark.parametrize("seed", range(6))
def test_gan_step_matches_torch_on_random_shapes_and_rates(seed):
    r = np.random.default_rng(200 + seed)
    n, m, d, k = (int(v) for v in r.integers(1, 9, size=4))
    scale = float(r.choice([0.2, 1.0, 10.0]))
    args = (r.normal(1.0, 1.0, size=(n, d)), r.normal(size=(m, k)),
            r.normal(0, scale, size=d), float(r.normal(0, scale)), r.normal(size=(k, d)),
            r.normal(size=d))
    lr = float(r.uniform(0, 2))
    assert_step_close(ch11.gan_step(*args, lr=lr), torch_gan_step(*args, lr=lr), rtol=1e-9)


def test_gan_step_matches_torch_on_every_fixed_and_hidden_case():
    ex, cases = every_case("ch11.gan_step")
    for case in cases:
        got = ex.reference(*case.args, **case.kwargs)
        assert got["dw"].dtype == got["dA"].dtype == got["dc"].dtype == case.args[0].dtype
        rtol = 1e-4 if case.args[0].dtype == np.float32 else 1e-8
        assert_step_close(got, torch_gan_step(*case.args, **case.kwargs), rtol=rtol,
                          label=case.label)


def test_the_undecided_discriminator_pays_2_log_2_and_gives_g_no_gradient():
    undecided = exercises.get("ch11.gan_step").public()[0]
    got = ch11.gan_step(*undecided.args, **undecided.kwargs)
    assert got["d_loss"] == pytest.approx(2 * np.log(2)) and got["g_loss"] == pytest.approx(
        np.log(2))
    assert not got["dA"].any() and not got["dc"].any()


def gan_step_with(mistake=None):
    """A learner's GAN step: right, or with one typical ``mistake``."""
    def gan_step(x_real, z, w, b, A, c, *, lr):
        def sigmoid(s):
            return np.exp(-np.logaddexp(0, -s))

        def softplus(s):
            if mistake == "naive log":  # -log(1 - sigmoid(s)) as written on paper
                return -np.log(1 - 1 / (1 + np.exp(-s)))
            return np.logaddexp(0, s)

        n, m = (1, 1) if mistake == "sum" else (len(x_real), len(z))
        x_fake = z @ A + c
        s_real, s_fake = x_real @ w + b, x_fake @ w + b
        fake_sign = -1 if mistake == "fake labelled 1" else 1
        d_loss = softplus(-s_real).sum() / n + softplus(fake_sign * s_fake).sum() / m
        ds_real = (sigmoid(s_real) - 1) / n
        ds_fake = (sigmoid(s_fake) - (mistake == "fake labelled 1")) / m
        sign = -1 if mistake == "ascent" else 1
        dw = sign * (x_real.T @ ds_real + x_fake.T @ ds_fake)
        db = sign * (ds_real.sum() + ds_fake.sum())
        if mistake != "old D":
            w, b = w - lr * dw, b - lr * db
        s_fake = x_fake @ w + b
        if mistake == "saturating":
            g_loss, ds = -softplus(s_fake).mean(), -sigmoid(s_fake) / m
        else:
            g_loss, ds = softplus(-s_fake).mean(), (sigmoid(s_fake) - 1) / m
        dx_fake = np.outer(ds, w)
        return {"d_loss": float(d_loss), "dw": dw, "db": float(db), "g_loss": float(g_loss),
                "dA": z.T @ dx_fake, "dc": dx_fake.sum(axis=0)}
    return gan_step


def test_a_right_gan_step_passes_every_case():
    assert run_checks("ch11.gan_step", gan_step_with()).ok
    ex, cases = every_case("ch11.gan_step")
    call = gan_step_with()
    assert all(ex.verdict(case, lambda a, k: call(*a, **k)) is None for case in cases)


@pytest.mark.parametrize("mistake, told", [
    ("saturating", ["D undecided", "result['g_loss'] is -0.693147 but should be 0.693147",
                    "non-saturating loss labels its fakes 1"]),
    ("fake labelled 1", ["D undecided", "result['dw'] is wrong", "labels real samples 1 and "
                                                                 "fakes 0"]),
    ("ascent", ["D undecided", "result['dw'] is wrong", "Return the gradients OF the losses"]),
    ("sum", ["five real points but three fakes", "result['d_loss']", "MEAN over its own batch"]),
    ("old D", ["the G step meets the updated D", "result['g_loss']",
               "sees the discriminator AFTER its step"]),
    ("naive log", ["a very confident D", "result['d_loss'] is inf", "np.logaddexp(0, -x)"]),
])
def test_typical_gan_step_mistakes_are_told_what_to_fix(mistake, told):
    with np.errstate(all="ignore"):
        report = run_checks("ch11.gan_step", gan_step_with(mistake)).report()
    assert report.startswith("✘ ch11.gan_step")
    for words in told:
        assert words in report, (words, report)


def test_torch_autograd_in_the_gan_step_is_refused():
    def gan_step(x_real, z, w, b, A, c, *, lr):
        return torch_gan_step(x_real, z, w, b, A, c, lr=lr)

    report = run_checks("ch11.gan_step", gan_step).report()
    assert "uses torch" in report and "does not allow" in report


# --- hidden cases and the grader -------------------------------------------------------------

@pytest.mark.parametrize("name", ["ch09.unet_up", "ch11.gan_step"])
def test_hidden_cases_are_drawn_afresh_for_every_seed(name):
    ex = exercises.get(name)
    first, second = (ex.hidden(hidden_rng(seed, ex), "s") for seed in (1, 2))
    assert len(first) == len(second) >= 5
    assert {c.label for c in first} != {c.label for c in second}
    assert not all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(first, second,
                                                                        strict=True))


def answer_cell(factory, mistake):
    """An answer cell holding the learner's function that makes ``mistake`` (the closure's
    variable becomes a name of the notebook)."""
    source = textwrap.dedent(inspect.getsource(factory(mistake)))
    return f"mistake = {mistake!r}\n\n{source}"


@pytest.mark.slow
@pytest.mark.parametrize("chapter, name, factory, mistake, points", [
    ("09", "ch09.unet_up", unet_up_with, "up first", 3),
    ("11", "ch11.gan_step", gan_step_with, "saturating", 4),
])
def test_the_grader_scores_a_mistaken_step_by_its_cases_and_the_rest_in_full(
        chapter, name, factory, mistake, points, make_submission):
    # the cases the grader will run with this seed, and how many the mistake passes here
    ex, call = exercises.get(name), factory(mistake)
    cases = ex.public() + ex.edge() + ex.hidden(hidden_rng(4242, ex), "any student")
    passed = sum(ex.verdict(case, lambda a, k: call(*a, **k)) is None for case in cases)
    assert passed < len(cases)

    cell = answer_cell(factory, mistake)
    result = grade_file(make_submission("mistaken", chapter, replace={name: cell}),
                        seed=4242, limits=FAST)
    assert result.status == "graded" and result.error is None
    step = next(e for e in result.exercises if e.name == name)
    assert step.score == round(points * passed / len(cases), 2) < points
    assert result.score == pytest.approx(result.max_score - points + step.score)
    assert step.feedback.startswith(f"{passed}/{len(cases)} cases passed; first failure, "
                                    "public case"), step.feedback
