"""dlcourse.nn.init against torch.nn.init: same gains, fans, bounds and spreads."""

import math

import numpy as np
import pytest
import torch

from dlcourse.backend import default_rng
from dlcourse.nn import init

torch.set_num_threads(1)

SHAPES = [(7, 5), (6, 4, 3), (16, 8, 3, 3), (4, 2, 2, 3, 5)]


def rng(seed=0):
    return default_rng(seed, like=np.zeros(1))


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None),
     ("tanh", None), ("relu", None), ("selu", None), ("leaky_relu", None),
     ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("leaky_relu", 0)],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_in_and_fan_out_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fan_in_and_fan_out(shape) == expected


def test_fan_in_and_fan_out_needs_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fan_in_and_fan_out((5,))


def _torch_sample(fill, shape, **kwargs):
    torch.manual_seed(0)
    tensor = torch.empty(shape, dtype=torch.float64)
    fill(tensor, **kwargs)
    return tensor.numpy()


BIG = (200, 100, 3, 3)  # 180,000 samples: the sample std is within ~0.3% of the true one

SPREAD_CASES = [
    (init.xavier_uniform, torch.nn.init.xavier_uniform_, {}),
    (init.xavier_uniform, torch.nn.init.xavier_uniform_, {"gain": 5 / 3}),
    (init.xavier_normal, torch.nn.init.xavier_normal_, {"gain": 2.0}),
    (init.kaiming_uniform, torch.nn.init.kaiming_uniform_, {}),
    (init.kaiming_uniform, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}),
    (init.kaiming_uniform, torch.nn.init.kaiming_uniform_,
     {"mode": "fan_out", "nonlinearity": "relu"}),
    (init.kaiming_normal, torch.nn.init.kaiming_normal_, {}),
    (init.kaiming_normal, torch.nn.init.kaiming_normal_,
     {"mode": "fan_out", "nonlinearity": "tanh"}),
    (init.kaiming_normal, torch.nn.init.kaiming_normal_,
     {"a": 0.1, "nonlinearity": "leaky_relu"}),
    (init.kaiming_normal, torch.nn.init.kaiming_normal_, {"nonlinearity": "selu"}),
]


@pytest.mark.parametrize(("ours", "theirs", "kwargs"), SPREAD_CASES)
def test_initialiser_spread_matches_torch(ours, theirs, kwargs):
    w = ours(BIG, **kwargs, rng=rng(), dtype=np.float64)
    reference = _torch_sample(theirs, BIG, **kwargs)
    assert w.shape == BIG and w.dtype == np.float64
    assert abs(w.mean()) < 0.01 * reference.std()
    assert w.std() == pytest.approx(reference.std(), rel=0.01)
    assert np.abs(w).max() == pytest.approx(np.abs(reference).max(), rel=0.05)


@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_initialisers_stay_inside_torchs_documented_bounds(shape):
    # Bounds from torch.nn.init's docs, with torch's own fans and gains.
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    relu_gain = torch.nn.init.calculate_gain("relu")
    cases = [
        (init.xavier_uniform(shape, rng=rng()), math.sqrt(6 / (fan_in + fan_out))),
        (init.kaiming_uniform(shape, nonlinearity="relu", rng=rng()),
         relu_gain * math.sqrt(3 / fan_in)),
        (init.kaiming_uniform(shape, mode="fan_out", nonlinearity="relu", rng=rng()),
         relu_gain * math.sqrt(3 / fan_out)),
    ]
    for w, bound in cases:
        assert np.abs(w).max() <= bound * (1 + 1e-6)


def test_linear_default_kaiming_bound_is_one_over_sqrt_fan_in():
    # torch.nn.Linear's reset_parameters comment: a=sqrt(5) gives U(-1/sqrt(in), 1/sqrt(in)).
    w = init.kaiming_uniform((50, 400), a=math.sqrt(5), rng=rng(), dtype=np.float64)
    assert np.abs(w).max() <= 1 / 20
    assert np.abs(w).max() > 0.99 / 20


def test_normal_and_uniform_have_requested_moments():
    w = init.normal((200_000,), mean=3.0, std=0.5, rng=rng(), dtype=np.float64)
    assert w.mean() == pytest.approx(3.0, abs=0.01) and w.std() == pytest.approx(0.5, rel=0.01)
    u = init.uniform((200_000,), -2.0, 4.0, rng=rng(), dtype=np.float64)
    assert u.min() >= -2.0 and u.max() < 4.0
    assert u.std() == pytest.approx(6 / math.sqrt(12), rel=0.01)


def test_initialisers_default_to_float32_and_respect_dtype():
    assert init.xavier_normal((3, 4)).dtype == np.float32
    assert init.kaiming_uniform((3, 4), dtype=np.float64).dtype == np.float64
    assert init.zeros((2, 3)).dtype == np.float32
    assert init.constant((2,), 7.0, dtype=np.float64).tolist() == [7.0, 7.0]


def test_same_seed_gives_same_weights():
    a = init.kaiming_normal((8, 4, 3, 3), rng=rng(42))
    b = init.kaiming_normal((8, 4, 3, 3), rng=rng(42))
    c = init.kaiming_normal((8, 4, 3, 3), rng=rng(43))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_he_names_are_kaiming():
    assert init.he_uniform is init.kaiming_uniform and init.he_normal is init.kaiming_normal


@pytest.mark.parametrize(
    ("call", "message"),
    [(lambda: init.kaiming_uniform((3, 4), mode="fan_middle"), "mode must be"),
     (lambda: init.kaiming_normal((3, 0)), "fan_in = 0"),
     (lambda: init.normal((3,), std=-1.0), "std must be non-negative"),
     (lambda: init.uniform((3,), 1.0, 0.0), "a <= b"),
     (lambda: init.zeros((3, -1)), "non-negative sizes")],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
