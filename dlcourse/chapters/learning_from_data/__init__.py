"""Chapter 01, Learning from data, image classification: the computations, plots and panels of
``notebooks/01_learning_from_data.ipynb`` -- k-NN, hyperparameter search, features, linear
classifiers, softmax and cross-entropy.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
