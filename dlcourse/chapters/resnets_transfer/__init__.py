"""Chapter 08, Residual networks and transfer learning: the computations, plots and panels of
``notebooks/08_resnets_transfer.ipynb`` -- residual blocks, the degradation problem, transfer
learning.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
