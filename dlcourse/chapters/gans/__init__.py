"""Chapter 11, Generative adversarial networks: the computations, plots and panels of
``notebooks/11_gans.ipynb`` -- the minimax game's losses, a 2-D GAN lab, a digits GAN for anomaly
detection.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
