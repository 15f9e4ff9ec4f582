"""The tests that train or sum in an order the CPU's kernels choose, and the solutions'
checked outputs, once more on the CPU's other kernel path (``tests/other_kernels.py``).

Floating-point results differ in their last bits from one CPU to another; a test that holds
on one kernel path only asserts a trajectory, not the method.  Each run is a subprocess with
the other path's variables set, started early by ``tests/suite_plan.py`` so that it runs
beside the rest of the suite.  (The lecture notebooks take that path in
``tests/test_gpu_standin.py``.)
"""

import pytest

from tests.other_kernels import this_machine
from tests.subpytest import outcome, run_pytest

OTHER_PATH = this_machine()
needs_another_path = pytest.mark.skipif(
    not OTHER_PATH, reason="this CPU offers no second kernel path (no AVX2)")


@pytest.mark.slow
@needs_another_path
def test_every_kernel_sensitive_test_passes_on_the_other_kernel_path():
    run = run_pytest("-m", "kernel_sensitive", "tests", **OTHER_PATH)
    assert run.returncode == 0, outcome(run)
    assert " passed" in outcome(run) and "failed" not in outcome(run), outcome(run)


@pytest.mark.slow
@needs_another_path
def test_the_solutions_checked_outputs_hold_on_the_other_kernel_path():
    run = run_pytest("solutions", **OTHER_PATH)
    assert run.returncode == 0, outcome(run)
    assert " passed" in outcome(run) and "failed" not in outcome(run), outcome(run)
