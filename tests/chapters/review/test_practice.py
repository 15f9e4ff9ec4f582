"""Practice generators: every answer re-derived independently (torch, finite differences)."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.review import practice
from dlcourse.chapters.review.practice.graphs import TEMPLATES

torch.set_num_threads(1)
SEEDS = range(20)


def _wrong(answer):
    """A wrong answer of the same shape: every entry moved by 7."""
    return np.asarray(answer, dtype=float) + 7


@pytest.mark.parametrize("kind", practice.KINDS)
def test_check_accepts_the_answer_and_rejects_a_wrong_one_with_a_hint(kind):
    for seed in SEEDS:
        problem = practice.generate(kind, seed=seed)
        assert problem.check(problem.answer).correct
        feedback = problem.check(_wrong(problem.answer))
        assert not feedback.correct and "Not quite" in feedback.message
        assert "Hint:" in feedback.message and feedback.solution == problem.solution


def test_same_seed_same_problem_and_different_seeds_differ():
    for kind in practice.KINDS:
        assert practice.generate(kind, 5).question == practice.generate(kind, 5).question
        assert len({practice.generate(kind, s).question for s in SEEDS}) > 5


def test_conv_size_matches_torch_output_shape():
    for seed in SEEDS:
        d = practice.generate("conv_size", seed).data
        conv = torch.nn.Conv2d(d["in_channels"], d["out_channels"], d["kernel_size"],
                               d["stride"], d["padding"], d["dilation"])
        out = conv(torch.zeros(1, d["in_channels"], d["n"], d["n"]))
        assert practice.generate("conv_size", seed).answer == (*out.shape[2:], out.shape[1])


def test_param_count_matches_torch_parameters():
    for seed in SEEDS:
        problem = practice.generate("param_count", seed)
        d = problem.data
        layer = (torch.nn.Conv2d(d["in_channels"], d["out_channels"], d["kernel_size"],
                                 bias=d["bias"]) if d["layer"] == "conv" else
                 torch.nn.Linear(d["in_features"], d["out_features"], bias=d["bias"]))
        assert problem.answer == sum(p.numel() for p in layer.parameters())


def test_receptive_field_equals_the_support_of_torch_input_gradient():
    for seed in SEEDS:
        problem = practice.generate("receptive_field", seed)
        layers = []
        for k, s, *dil in problem.data["layers"]:
            if problem.data["names"][len(layers)] == "pool2":
                layers.append(torch.nn.AvgPool2d(k, s))
            else:
                conv = torch.nn.Conv2d(1, 1, k, s, dilation=dil[0] if dil else 1, bias=False)
                torch.nn.init.constant_(conv.weight, 1.0)
                layers.append(conv)
        x = torch.ones(1, 1, 64, 64, requires_grad=True)
        torch.nn.Sequential(*layers)(x)[0, 0, 0, 0].backward()
        rows = torch.nonzero(x.grad[0, 0].sum(1))
        assert problem.answer == int(rows.max() - rows.min() + 1)


def test_pooling_matches_torch():
    for seed in SEEDS:
        p = practice.generate("pooling", seed)
        d = p.data
        pool = torch.nn.functional.max_pool2d if d["mode"] == "max" else \
            torch.nn.functional.avg_pool2d
        expected = pool(torch.tensor(d["x"])[None, None], d["kernel_size"], d["stride"])[0, 0]
        np.testing.assert_allclose(p.answer, expected.numpy(), rtol=1e-12)


def test_transposed_conv_matches_torch():
    for seed in SEEDS:
        p = practice.generate("transposed_conv", seed)
        d = p.data
        expected = torch.nn.functional.conv_transpose2d(
            torch.tensor(d["x"])[None, None], torch.tensor(d["w"])[None, None],
            stride=d["stride"], padding=d["padding"])[0, 0]
        np.testing.assert_allclose(p.answer, expected.numpy(), rtol=1e-12)


def test_notes_transposed_conv_example_without_padding_is_the_notes_5x5():
    # The notes' I, K, stride 2 and their hand-made 5x5 sum of stamps.
    notes_5x5 = [[0, 1, 0, 2, 0], [1, 2, 3, 4, 2], [1, 4, 3, 6, 2], [3, 6, 7, 8, 4],
                 [3, 3, 7, 4, 4]]
    I, K = np.array([[1.0, 2], [3, 4]]), np.array([[0.0, 1, 0], [1, 2, 1], [1, 1, 1]])
    out = torch.nn.functional.conv_transpose2d(
        torch.tensor(I)[None, None], torch.tensor(K)[None, None], stride=2)[0, 0]
    assert out.tolist() == notes_5x5


def test_backprop_gradients_match_finite_differences():
    for seed in SEEDS:
        p = practice.generate("backprop", seed)
        f = TEMPLATES[p.data["formula"]]
        point = [float(v) for v in p.data["inputs"]]
        assert p.answer[0] == pytest.approx(f(*point))
        for i in range(3):
            up, down = list(point), list(point)
            up[i] += 1e-6
            down[i] -= 1e-6
            assert p.answer[i + 1] == pytest.approx((f(*up) - f(*down)) / 2e-6, abs=1e-4)


def test_yolo_size_counts_every_number_of_the_head():
    for seed in SEEDS:
        p = practice.generate("yolo_size", seed)
        S, B, C = p.data["S"], p.data["B"], p.data["C"]
        shape = (S, S, B * 5 + C) if p.data["layout"] == "v1" else (S, S, B, 5 + C)
        assert p.answer == torch.zeros(shape).numel()


def test_softmax_matches_torch():
    for seed in SEEDS:
        p = practice.generate("softmax", seed)
        expected = torch.softmax(torch.tensor(p.data["scores"]), 0).numpy()
        np.testing.assert_allclose(p.answer, expected, atol=5e-4)
        assert p.check(np.round(expected, 3)).correct


def test_softmax_asks_for_3_decimals_and_shows_3():
    for seed in SEEDS:
        p = practice.generate("softmax", seed)
        assert "3 decimals" in p.question
        assert np.array_equal(p.answer, np.round(p.answer, 3))
        shown = p.solution.split("softmax = ")[1].split(". ")[0].split(", ")
        assert [float(v) for v in shown] == p.answer.tolist(), p.solution
        assert all(len(v.split(".")[1]) == 3 for v in shown), p.solution


def test_conv_size_states_the_rounding_rule_exactly_when_the_stride_does_not_fit():
    saw = set()
    for seed in range(200):
        p = practice.generate("conv_size", seed)
        d = p.data
        span = d["dilation"] * (d["kernel_size"] - 1) + 1
        fits = (d["n"] + 2 * d["padding"] - span) % d["stride"] == 0
        assert ("round down" in p.question) == (not fits), p.question
        saw.add(fits)
    assert saw == {True, False}


@pytest.mark.parametrize("answer, words", [
    ("", "empty"), ("abc", "could not read"), ("[[1, 2], [3]", "brackets"),
    (True, "not True/False"), ("1 2 3 4 5", "you gave 5 numbers")])
def test_bad_answers_get_a_friendly_message(answer, words):
    feedback = practice.generate("pooling", 0).check(answer)
    assert not feedback.correct and words in feedback.message


def test_matrix_answers_can_be_typed_as_rows():
    p = practice.generate("pooling", 1)
    rows = "; ".join(" ".join(f"{v:.2f}" for v in row) for row in p.answer)
    assert p.check(rows).correct
    assert p.check(str(np.round(p.answer, 2).tolist())).correct


def test_generate_rejects_unknown_kinds_and_bad_seeds():
    with pytest.raises(ValueError, match="unknown kind"):
        practice.generate("nope")
    with pytest.raises(ValueError, match="seed"):
        practice.generate("softmax", seed=-1)


@pytest.mark.parametrize("kind", practice.KINDS)
def test_the_answer_as_text_is_accepted(kind):
    for seed in SEEDS:
        problem = practice.generate(kind, seed)
        assert problem.check(problem.answer_text).correct, problem.answer_text
