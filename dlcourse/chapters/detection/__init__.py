"""Chapter 10, Object detection: the computations, plots and panels of
``notebooks/10_detection.ipynb`` -- a crowded scene for NMS, sliding-window costs, YOLO's grid and
loss, a tiny detector.

``plots`` draws, ``panels`` wires plain functions to controls; every other module computes.
"""
