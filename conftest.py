"""Session-wide settings every test process, notebook kernel (nbval, JupyterLab) and
subprocess started by the tests inherits.

* Isolation: the tests never touch a developer's progress or data cache.  Checks run by the
  tests are recorded in a throw-away progress file, and the real-data sections of the
  notebooks see an empty cache, so they stay offline and fast whatever the developer has
  downloaded.
* One thread per process for OpenMP, OpenBLAS and MKL (PyTorch's and NumPy's thread pools),
  unless the caller chose otherwise.  The suite's parallelism is its processes -- xdist's
  workers, each with a notebook kernel, a JupyterLab or a grader beside it -- so a pool of
  one thread per core in each of them only makes spinning threads wait for each other: on
  two cores, running chapters 08 and 09 at once took 20-30 % more CPU time with the pools
  than without (bench/README.md, "make test: where the time goes").  Learners' kernels keep
  their default pools.
"""

import os
import shutil
import tempfile

from tests.subpytest import THREAD_POOLS

# how the suite is ordered and shared between xdist's workers (see its docstring)
pytest_plugins = ("tests.suite_plan",)

_scratch = tempfile.mkdtemp(prefix="dlcourse-tests-")
os.environ["DLCOURSE_PROGRESS"] = os.path.join(_scratch, "progress.sqlite")
os.environ["DLCOURSE_DATA"] = os.path.join(_scratch, "data")
for _pool in THREAD_POOLS:
    os.environ.setdefault(_pool, "1")


def pytest_unconfigure(config):
    shutil.rmtree(_scratch, ignore_errors=True)
