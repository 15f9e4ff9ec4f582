"""The trusted references of the graded exercises agree with PyTorch and with the notes."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.backprop.student import student_digits as lecture_student_digits
from dlcourse.grading import exercises
from dlcourse.grading.exercises import ch01, ch02, ch03, ch04
from dlcourse.grading.grader import hidden_rng
from dlcourse.grading.wire import FunctionSpec

torch.set_num_threads(1)
rng = np.random.default_rng(0)


def grad_of(f, *arrays):
    """Gradients of sum(f(*tensors)) by torch autograd, as NumPy arrays."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    f(*tensors).sum().backward()
    return [t.grad.numpy() for t in tensors]


# Chapters 01-04 have their own checks below (ch04's steps are called with their state).
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("chapter", [f"ch{n:02d}" for n in range(5, 13)])
def test_the_references_run_cleanly_on_every_case_for_many_seeds(chapter):
    for ex in exercises.chapter(chapter):
        cases = ex.public() + ex.edge()
        for seed in range(15):
            cases += ex.hidden(hidden_rng(seed, ex), "s1234567")
        for case in cases:
            ex.reference(*case.args, **case.kwargs)
        assert len(ex.hidden(hidden_rng(0, ex), "s")) >= 3 and len(ex.public()) >= 3


def test_there_are_at_least_twelve_graded_functions_in_chapters_01_to_04():
    early = [n for n in exercises.names() if n < "ch05"]
    assert len(early) >= 12
    assert exercises.chapters()[:4] == ["ch01", "ch02", "ch03", "ch04"]


@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_matches_torch_and_keeps_dtype(shape, dtype):
    x = (rng.normal(0, 30, size=shape)).astype(dtype)
    out = ch01.softmax(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, torch.softmax(torch.tensor(x), -1).numpy(), rtol=1e-5)


def test_softmax_of_the_lectures_scores_1_0_4():
    # e^1, e^0, e^4 over their sum, computed by hand: 0.0466, 0.0171, 0.9362
    np.testing.assert_allclose(ch01.softmax(np.array([1.0, 0.0, 4.0])),
                               [0.04661262, 0.01714783, 0.93623955], atol=1e-8)


def test_cross_entropy_and_its_gradient_match_torch_even_for_huge_scores():
    for scale in (1.0, 1000.0):
        s, y = rng.normal(0, scale, size=(6, 4)), rng.integers(0, 4, size=6)
        loss = torch.nn.functional.cross_entropy(torch.tensor(s), torch.tensor(y)).item()
        assert ch01.cross_entropy(s, y) == pytest.approx(loss, rel=1e-10)
        target = torch.tensor(y)
        (expected,) = grad_of(lambda t, target=target: torch.nn.functional.cross_entropy(t, target),
                              s)
        np.testing.assert_allclose(ch01.cross_entropy_grad(s, y), expected, atol=1e-12)


@pytest.mark.kernel_sensitive
def test_knn_predict_matches_scikit_learn_on_random_blobs():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = rng.normal(size=(40, 3)), rng.integers(0, 3, size=40)
    X_test = rng.normal(size=(15, 3))
    for k in (1, 3, 7):
        sk = KNeighborsClassifier(k, algorithm="brute").fit(X, y).predict(X_test)
        np.testing.assert_array_equal(ch01.knn_predict(X, y, X_test, k), sk)


def test_perceptron_step_follows_rosenblatts_rule():
    # misclassified (0 <= 0): w + y x = (1, 2), b + y = 1; correct: unchanged
    w, b = ch02.perceptron_step(np.zeros(2), 0.0, np.array([1.0, 2.0]), 1)
    assert w.tolist() == [1.0, 2.0] and b == 1.0
    w, b = ch02.perceptron_step(np.array([1.0, -1.0]), 0.0, np.array([2.0, 1.0]), 1)
    assert w.tolist() == [1.0, -1.0] and b == 0.0


def test_activation_derivatives_match_torch_autograd():
    x = np.concatenate([rng.normal(0, 5, size=20), [0.0, -800.0, 800.0]])
    (expected,) = grad_of(torch.sigmoid, x)
    np.testing.assert_allclose(ch02.sigmoid_grad(x), expected, atol=1e-15)
    (expected,) = grad_of(torch.relu, x)
    np.testing.assert_array_equal(ch02.relu_grad(x), expected)


def test_xor_mlp_forward_matches_torch_and_computes_xor():
    out = ch02.xor_mlp_forward(ch02.XOR_X, *ch02.XOR_WEIGHTS)
    assert out.round().ravel().tolist() == [0.0, 1.0, 1.0, 0.0]
    W1, b1, W2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(2, 3)), \
        rng.normal(size=2)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 2),
                              torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for layer, (w, b) in zip((net[0], net[2]), ((W1, b1), (W2, b2)), strict=True):
            layer.weight.copy_(torch.tensor(w))
            layer.bias.copy_(torch.tensor(b))
        expected = net(torch.tensor(ch02.XOR_X)).numpy()
    np.testing.assert_allclose(ch02.xor_mlp_forward(ch02.XOR_X, W1, b1, W2, b2), expected)


def test_backprop_e_at_2_1_is_6_2_5():
    # colah.github.io/posts/2015-08-Backprop: e = (a+b)(b+1) at (2, 1): e = 6, de/da = 2, de/db = 5
    assert ch03.backprop_e(2.0, 1.0) == (6.0, 2.0, 5.0)


@pytest.mark.parametrize("student_id, expected", [
    # the notes' worked examples: gradient w.r.t. (d, a, b, c) for IDs ...801 and ...136,
    # d = 5 given in the graph whatever the ID's fourth-last digit
    ("0125801", (1, 0, 13, 5)),
    ("0120801", (1, 0, 13, 5)),
    ("136", (9, 27, 17, 8)),
    ("0129136", (9, 27, 17, 8)),
])
def test_student_number_graph_reproduces_the_notes_examples(student_id, expected):
    _, grads = ch03.student_number_graph(student_id)
    assert (grads["d"], grads["a"], grads["b"], grads["c"]) == expected


def test_student_number_graph_of_136_is_72_as_in_the_notes():
    values, _ = ch03.student_number_graph("136")
    assert (values["a"], values["b"], values["c"], values["d"], values["f"]) == (1, 3, 6, 5, 72)


def test_the_grader_reads_an_id_exactly_as_the_lecture_does():
    for student_id in ["0125801", "136", "12 34", *map(str, rng.integers(10**6, 10**8, size=5))]:
        lecture = lecture_student_digits(student_id)
        assert ch03.student_digits(student_id) == tuple(lecture[n] for n in "abcd"), student_id


def test_student_number_graph_matches_torch_autograd_for_random_ids():
    for student_id in map(str, rng.integers(10**6, 10**8, size=5)):
        values, grads = ch03.student_number_graph(student_id)
        a, b, c, d = (torch.tensor(float(values[n]), requires_grad=True) for n in "abcd")
        f = (a * b + d) * (b + c)
        f.backward()
        assert f.item() == values["f"]
        assert [grads[n] for n in "abcd"] == [t.grad.item() for t in (a, b, c, d)]


def test_numerical_gradient_of_the_test_functions_matches_their_analytic_gradients():
    m = rng.normal(size=(3, 3))
    A, b, x = m @ m.T, rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(
        ch03.numerical_gradient(FunctionSpec("quadratic", {"A": A, "b": b}), x.copy()),
        A @ x + b, rtol=1e-6)
    w, x = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    np.testing.assert_allclose(
        ch03.numerical_gradient(FunctionSpec("sin_sum", {"w": w}), x.copy()),
        w * np.cos(w * x), rtol=1e-6, atol=1e-8)
    x = rng.normal(size=4)
    np.testing.assert_allclose(ch03.numerical_gradient(FunctionSpec("log_sum_exp", {}), x.copy()),
                               ch01.softmax(x), rtol=1e-6)


def test_linear_backward_matches_torch_autograd():
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    expected = grad_of(lambda xt, wt, bt: torch.nn.functional.linear(xt, wt, bt)
                       * torch.tensor(dout), x, w, b)
    for got, want in zip(ch03.linear_backward(dout, x, w), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("step, optimizer, hyper, state", [
    (ch04.sgd_momentum_step, "SGD", {"lr": 0.05, "momentum": 0.9}, 1),
    (ch04.nesterov_step, "SGD", {"lr": 0.05, "momentum": 0.9}, 1),
    (ch04.rmsprop_step, "RMSprop", {"lr": 0.01, "alpha": 0.9}, 1),
    (ch04.adam_step, "Adam", {"lr": 0.1, "betas": (0.8, 0.99)}, 2),
])
def test_optimiser_steps_follow_torch_optim_trajectories(step, optimizer, hyper, state):
    A, b = np.diag([1.0, 10.0]), np.array([1.0, -2.0])
    extra = {"nesterov": True} if step is ch04.nesterov_step else {}
    p = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    opt = getattr(torch.optim, optimizer)([p], **hyper, **extra)
    x, s = np.ones(2), [np.zeros(2) for _ in range(state)]
    for t in range(1, 31):
        p.grad = torch.from_numpy(A @ p.detach().numpy() - b)
        opt.step()
        x, *s = step(x, A @ x - b, *s, *((t,) if step is ch04.adam_step else ()), **hyper)
        np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_hidden_cases_are_reproducible_from_the_seed_and_change_with_it():

    ex = exercises.get("ch01.softmax")
    first = ex.hidden(hidden_rng(7, ex), "alice")
    again = ex.hidden(hidden_rng(7, ex), "alice")
    other = ex.hidden(hidden_rng(8, ex), "alice")
    assert all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(first, again, strict=True))
    assert not all(a.args[0].shape == b.args[0].shape and np.allclose(a.args[0], b.args[0])
                   for a, b in zip(first, other, strict=True))


def test_student_number_hidden_cases_include_the_students_own_id():
    ex = exercises.get("ch03.student_number_graph")
    cases = ex.hidden(np.random.default_rng(0), "s7654321")
    assert cases[0].args == ("s7654321",)
