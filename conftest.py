"""Session-wide isolation: the tests never touch a developer's progress or data cache.

Every test process, notebook kernel (nbval) and subprocess started by the tests inherits
these variables: checks run by the tests are recorded in a throw-away progress file, and
the real-data sections of the notebooks see an empty cache, so they stay offline and fast
whatever the developer has downloaded.
"""

import os
import shutil
import tempfile

# how the suite is ordered and shared between xdist's workers (see its docstring)
pytest_plugins = ("tests.suite_plan",)

_scratch = tempfile.mkdtemp(prefix="dlcourse-tests-")
os.environ["DLCOURSE_PROGRESS"] = os.path.join(_scratch, "progress.sqlite")
os.environ["DLCOURSE_DATA"] = os.path.join(_scratch, "data")


def pytest_unconfigure(config):
    shutil.rmtree(_scratch, ignore_errors=True)
