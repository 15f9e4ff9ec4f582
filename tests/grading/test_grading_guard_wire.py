"""Refused calls (read statically and caught at run time) and the data-only wire format."""

import json

import numpy as np
import pytest

from dlcourse.grading.guard import ForbiddenCall, RuntimeGuard, grader_internals, scan_source
from dlcourse.grading.wire import (
    FrameReader,
    FunctionSpec,
    Unsupported,
    WireError,
    decode,
    encode,
    frame,
)

RULES = ("torch", "scipy.special", "dlcourse.nn")


@pytest.mark.parametrize("cells, refused", [
    (["import torch as T", "def f(x):\n    return T.softmax(x, 0)"], ["torch.softmax"]),
    (["from scipy.special import softmax as sm", "def f(x):\n    return sm(x)"],
     ["scipy.special.softmax"]),
    (["from dlcourse.nn import functional as F", "def f(x):\n    return F.softmax(x)"],
     ["dlcourse.nn.functional.softmax"]),
    (["def f(x):\n    import torch\n    return torch.exp(x)"], ["torch.exp"]),
    (["import torch", "def helper(x):\n    return torch.exp(x)", "def f(x):\n    return helper(x)"],
     ["torch.exp"]),
    (["def f(x):\n    return eval('x')"], ["eval"]),
    (["import numpy as np", "def f(x):\n    return np.exp(x)"], []),
    (["import torch", "y = torch.ones(1)", "def f(x):\n    return x"], []),
])
def test_the_static_scan_resolves_imports_aliases_and_helpers(cells, refused):
    assert scan_source(cells, "f", RULES) == refused


def test_the_static_scan_survives_ipython_magics_and_broken_cells():
    cells = ["%matplotlib inline\nimport torch", "def f(:", "def f(x):\n    return torch.relu(x)"]
    assert scan_source(cells, "f", RULES) == ["torch.relu"]


def test_a_notebook_touching_the_graders_modules_is_spotted():
    assert grader_internals(["from dlcourse.grading import check", "check('a', print)"]) == []
    assert grader_internals(["import dlcourse.grading.spec as s\ns.compare = None"]) == [
        "dlcourse.grading.spec.compare"]


def test_the_runtime_guard_refuses_a_module_even_through_getattr():
    import torch

    zero = torch.zeros(1)
    guard = RuntimeGuard(("torch",))
    with pytest.raises(ForbiddenCall), guard:
        getattr(torch, "ex" + "p")(zero)
    assert guard.refused == ["torch.exp"]


def test_the_runtime_guard_refuses_a_single_function_and_allows_the_rest():
    import scipy.special

    with RuntimeGuard(("scipy.special.softmax",)):
        scipy.special.expit(np.zeros(2))
        np.exp(np.zeros(2))
    guard = RuntimeGuard(("scipy.special.softmax",))
    with pytest.raises(ForbiddenCall), guard:
        scipy.special.softmax(np.zeros(2))
    assert guard.refused


def test_the_runtime_guard_records_a_refusal_even_if_the_learner_swallows_it():
    import torch

    guard = RuntimeGuard(("torch",))
    with guard:
        try:
            torch.zeros(1)
        except ForbiddenCall:
            pass
    assert guard.refused == ["torch.zeros"]


def test_the_runtime_guard_lets_test_functions_run():
    f = FunctionSpec("quadratic", {"A": np.eye(2), "b": np.zeros(2)})
    x = np.ones(2)
    with RuntimeGuard(()):  # dlcourse.grading is always refused, but not its test functions
        assert f(x) == 1.0


def test_values_round_trip_with_their_types():
    value = (np.arange(6, dtype=np.float32).reshape(2, 3), {"a": 1, "b": [2.5, None]},
             np.int64(3), "s", True)
    back = decode(json.loads(json.dumps(encode(value))))
    assert back[0].dtype == np.float32 and back[0].shape == (2, 3)
    assert back[1] == {"a": 1, "b": [2.5, None]} and back[2] == 3 and back[3:] == ("s", True)


def test_objects_that_are_not_data_arrive_as_unsupported():
    assert decode(encode(print)) == Unsupported("a builtin_function_or_method object")
    assert decode(encode(np.array([object()]))) == Unsupported("an array of dtype object")


def test_decoding_refuses_object_arrays_lies_about_sizes_and_functions():
    with pytest.raises(WireError):
        decode({"__array__": ["|O", [1], "AAAAAAAAAAA="]})
    with pytest.raises(WireError):
        decode({"__array__": ["<f8", [2], "AAAAAAAAAAA="]})
    spec = encode(FunctionSpec("sin_sum", {"w": np.ones(1)}))
    with pytest.raises(WireError):
        decode(spec)  # the grader never accepts code-like values from the learner
    assert isinstance(decode(spec, functions=True), FunctionSpec)


def test_frames_arrive_whole_and_oversized_ones_are_refused():
    reader = FrameReader(max_bytes=100)
    data = frame({"a": 1})
    reader.feed(data[:5])
    assert reader.next_message() is None
    reader.feed(data[5:])
    assert reader.next_message() == {"a": 1}
    reader.feed(frame({"a": "x" * 200}))
    with pytest.raises(WireError):
        reader.next_message()
