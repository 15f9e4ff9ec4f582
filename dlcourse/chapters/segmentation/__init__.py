"""Chapter 09, Semantic segmentation: the computations, plots and panels of
``notebooks/09_segmentation.ipynb`` -- upsampling and the transposed convolution, the Dice loss, a
tiny U-Net.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
