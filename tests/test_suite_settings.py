"""The settings the root conftest gives every process the suite starts."""

import json
import os
import subprocess
import sys

import pytest

from tests.subpytest import THREAD_POOLS

# what a notebook kernel started by the suite would see: NumPy's BLAS pool and PyTorch's
_THREADS_SEEN = """
import json, numpy, torch, threadpoolctl
blas = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
print(json.dumps({"blas": blas, "torch": torch.get_num_threads()}))
"""


@pytest.mark.skipif(any(os.environ.get(name, "1") != "1" for name in THREAD_POOLS),
                    reason="the caller chose its own thread pools (OMP/OPENBLAS/MKL_NUM_THREADS)")
def test_a_process_started_by_the_suite_computes_on_one_thread():
    seen = json.loads(subprocess.run([sys.executable, "-c", _THREADS_SEEN], check=True,
                                     capture_output=True, text=True).stdout)
    assert seen["blas"] and set(seen["blas"]) == {1}, seen
    assert seen["torch"] == 1, seen
