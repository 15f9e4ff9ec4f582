"""One package per lecture notebook: ``notebooks/NN_<slug>.ipynb`` <-> ``dlcourse.chapters.<slug>``.

A chapter package holds that notebook's computations (plain, tested functions), its
``plots`` and its ``panels``.  A chapter imports the engine (``nn``, ``autograd``, ``optim``,
``train``, ``data``, ``zoo``, ``detection``, ``sizing``, ``metrics``, ...) and ``ui``, never
another chapter: what two chapters share lives in the engine.
"""
