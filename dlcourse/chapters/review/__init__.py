"""Chapter 12, Review and exam practice: the computations, plots and panels of
``notebooks/12_review.ipynb`` -- the exam map, randomised practice, 2-D/2.5-D/3-D CNNs, fairness.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
