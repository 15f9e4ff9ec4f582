"""Chapter 00, welcome: the computations and panels of ``notebooks/00_welcome.ipynb`` -- how
the course works, the backend report and the learner's progress at a glance.
"""
