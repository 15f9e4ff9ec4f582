"""JupyterHub for a class: every learner gets the course's own JupyterLab and a copy of the course.

Run it from a checkout that every learner can read (e.g. ``/opt/dlcourse``), as root, on a
server where each learner is a Unix user::

    make install hub-proxy
    .venv/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

What it sets up (deploy/jupyterhub/README.md says more, including Kubernetes):

* the proxy is JupyterHub's own ``configurable-http-proxy``, installed from npm into
  ``deploy/jupyterhub/node_modules`` by ``make hub-proxy``;
* users log in with their Unix password (PAM, JupyterHub's default authenticator) and each
  learner's server is a process of that user (``LocalProcessSpawner``, the standard spawner);
* that server is the course's environment (``.venv``: its JupyterLab, kernel, widgets and
  the learner-lab settings ``make install`` put there), started by ``start_singleuser.py``,
  which first copies the course's notebooks into the learner's home where they are absent --
  a learner's edits are never overwritten.

To change a setting for your site, keep this file and load it from your own::

    c = get_config()
    load_subconfig("/opt/dlcourse/deploy/jupyterhub/jupyterhub_config.py")
    c.Authenticator.allowed_users = {"ada", "alan"}

(``tests/browser/test_jupyterhub.py`` does exactly that, with a test authenticator.)
"""

import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- JupyterHub's config loader provides get_config

HERE = Path(__file__).resolve().parent
COURSE = HERE.parents[1]
VENV = COURSE / ".venv"

c.JupyterHub.bind_url = "http://:8000"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]

c.JupyterHub.spawner_class = "localprocess"
# The learner's server runs the course's Python, so its kernel is the course's kernel.
c.Spawner.cmd = [str(VENV / "bin" / "python"), str(HERE / "start_singleuser.py")]
c.Spawner.default_url = "/lab/tree/notebooks/00_welcome.ipynb"
# When a whole class logs in at 9:00 a server can take longer than JupyterHub's default 30 s
# to answer (on a 2-CPU test machine under load one took 32 s).
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120

if not (VENV / "bin" / "python").exists():
    sys.exit(f"{VENV} is missing: run `make install hub-proxy` in {COURSE} first")
