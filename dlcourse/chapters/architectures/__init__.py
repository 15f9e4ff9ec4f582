"""Chapter 06, CNN architectures: the computations, plots and panels of
``notebooks/06_architectures.ipynb`` -- layer tables of the classic CNNs, parameter and
multiply-add counts, your own design.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
