"""Chapter 05, Convolutions and CNN sizing: the computations, plots and panels of
``notebooks/05_convolutions.ipynb`` -- convolution geometry, sizes and counts, receptive fields.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
