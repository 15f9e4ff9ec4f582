"""Chapter 02, Neurons, perceptron, XOR, MLP: the computations, plots and panels of
``notebooks/02_perceptron_mlp.ipynb`` -- activation functions and their derivatives, the
perceptron, an MLP that solves XOR.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
