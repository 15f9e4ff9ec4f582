"""Chapter 04, Losses and optimisation: the computations, plots and panels of
``notebooks/04_optimisation.ipynb`` -- losses as likelihoods, optimisers racing on surfaces,
minibatch noise, engine vs torch.optim.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
