"""Chapter 07, Training deep networks: the computations, plots and panels of
``notebooks/07_training_deep_nets.ipynb`` -- signal propagation and initialisation, regularisation,
class imbalance.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
