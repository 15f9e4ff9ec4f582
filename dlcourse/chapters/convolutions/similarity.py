"""Convolution written out from its formulas, and convolution as a similarity measure.

* :func:`convolve1d` -- the discrete 1-D convolution ``(x * k)[n] = sum_m x[m] k[n - m]``,
  term by term (the sampled form of the continuous ``(f * g)(t) = ∫ f(τ) g(t − τ) dτ``);
* :func:`template_match` -- slide a template over an image and score every position by the
  normalised cross-correlation: the layer's weighted sum, made blind to brightness and
  contrast, so the best match is where the image looks most like the template.

>>> convolve1d(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])).tolist()
[0.0, 1.0, 2.5, 4.0, 1.5]
"""

from __future__ import annotations

import numpy as np


def convolve1d(x, k) -> np.ndarray:
    """Full discrete convolution of two 1-D arrays, from the formula.

    Parameters
    ----------
    x : (N,) array
    k : (M,) array

    Returns
    -------
    (N + M - 1,) float64 array
        ``out[n] = sum_m x[m] k[n - m]`` over every ``m`` with ``0 <= n - m < M``: the
        kernel is flipped (cross-correlation would use ``k[m - n]``).
    """
    x, k = np.asarray(x, dtype=np.float64), np.asarray(k, dtype=np.float64)
    if x.ndim != 1 or k.ndim != 1 or not x.size or not k.size:
        raise ValueError(f"x and k must be non-empty 1-D arrays, got shapes {x.shape} and "
                         f"{k.shape}")
    out = np.zeros(x.size + k.size - 1)
    for n in range(out.size):
        for m in range(max(0, n - k.size + 1), min(n, x.size - 1) + 1):
            out[n] += x[m] * k[n - m]
    return out


def template_match(image, template) -> tuple[np.ndarray, tuple[int, int]]:
    """Normalised cross-correlation of ``template`` at every valid position of ``image``.

    Parameters
    ----------
    image : (H, W) array
    template : (h, w) array, h <= H and w <= W, not constant

    Returns
    -------
    scores : (H - h + 1, W - w + 1) float64 array
        The correlation coefficient between the template and the window at each position,
        in [-1, 1] (0 where the window is constant).
    best : (int, int)
        The top-left corner of the best-matching window.
    """
    image, template = np.asarray(image, np.float64), np.asarray(template, np.float64)
    (H, W), (h, w) = image.shape, template.shape
    if h > H or w > W:
        raise ValueError(f"the template {template.shape} is larger than the image {image.shape}")
    t = template - template.mean()
    if not np.any(t):
        raise ValueError("the template is constant: nothing to match")
    windows = np.lib.stride_tricks.sliding_window_view(image, (h, w))
    centred = windows - windows.mean(axis=(2, 3), keepdims=True)
    norms = np.sqrt((centred ** 2).sum(axis=(2, 3))) * np.sqrt((t ** 2).sum())
    dots = (centred * t).sum(axis=(2, 3))
    scores = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    best = np.unravel_index(np.argmax(scores), scores.shape)
    return scores, (int(best[0]), int(best[1]))
