"""Hand-made image features of the traditional pipeline: pixels, Sobel, Gabor, HoG, PCA.

Before deep learning, an image classifier was built in three steps: *extract* low-level
features by hand (edges, oriented textures, gradient histograms), *reduce* their dimension
(PCA), then *classify* with a generic algorithm (k-NN, SVM).  A deep network learns all three
steps from the data instead.

Images are grey, ``(N, H, W)`` or ``(N, 1, H, W)`` (NCHW with one channel).  Filtering is
cross-correlation with zero padding that keeps the size, like ``conv2d`` with
``padding = kernel_size // 2``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module, sliding_window_view
from dlcourse.chapters.learning_from_data.knn import KNeighborsClassifier

__all__ = ["PCA", "filter2d", "gabor_features", "gabor_kernel", "gradient_magnitude", "hog",
           "knn_accuracy_by_feature", "pixel_features", "sobel", "SOBEL_X", "SOBEL_Y"]

# Sobel kernels (as nested lists, so they can become arrays on any backend).  SOBEL_X
# responds to brightness increasing to the right, SOBEL_Y to brightness increasing downwards.
SOBEL_X = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
SOBEL_Y = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]


def _grey(images, name: str = "images"):
    """``images`` as a float ``(N, H, W)`` stack (a single channel axis is dropped)."""
    check_array(images, name, ndim=(3, 4))
    if images.ndim == 4:
        if images.shape[1] != 1:
            raise ValueError(f"{name} must be grey (one channel), got {images.shape[1]} channels")
        images = images[:, 0]
    return images if images.dtype.kind == "f" else images.astype(array_module(images).float64)


def pixel_features(images):
    """The raw pixels as one long vector per image: ``(N, ...)`` -> ``(N, prod(...))``.

    >>> import numpy as np
    >>> pixel_features(np.zeros((5, 1, 8, 8))).shape
    (5, 64)
    """
    check_array(images, "images")
    return images.reshape(len(images), -1)


def filter2d(images, kernel):
    """Slide ``kernel`` over the last two axes of ``images`` (cross-correlation, same size).

    ``out[..., i, j] = sum_{a, b} kernel[a, b] * padded[..., i + a, j + b]`` where ``padded``
    has ``kh // 2`` and ``kw // 2`` zeros around each image.

    Parameters
    ----------
    images : ndarray, shape (..., H, W), float
    kernel : ndarray, shape (kh, kw), odd sizes

    Returns
    -------
    ndarray, shape (..., H, W)

    Examples
    --------
    >>> import numpy as np
    >>> step = np.array([[0.0, 0.0, 1.0, 1.0]] * 3)            # dark left, bright right
    >>> filter2d(step, np.array(SOBEL_X))[1].tolist()          # middle row: an edge
    [0.0, 4.0, 4.0, -4.0]
    """
    check_array(images, "images", floating=True)
    check_array(kernel, "kernel", ndim=2)
    if images.ndim < 2:
        raise ValueError(f"images must have at least 2 axes (H, W), got shape {images.shape}")
    kh, kw = kernel.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"kernel sizes must be odd to keep the image size, got {kernel.shape}")
    xp = array_module(images, kernel)
    pad = [(0, 0)] * (images.ndim - 2) + [(kh // 2, kh // 2), (kw // 2, kw // 2)]
    windows = sliding_window_view(xp.pad(images, pad), (kh, kw), axis=(-2, -1))
    return xp.tensordot(windows, kernel.astype(images.dtype), axes=2)    # (..., H, W)


def sobel(images):
    """Horizontal and vertical brightness change ``(gx, gy)``, each ``(N, H, W)``.

    >>> import numpy as np
    >>> gx, gy = sobel(np.array([[[0.0, 0.0, 1.0, 1.0]] * 4]))
    >>> float(gx[0, 1, 1]), float(gy[0, 1, 1])
    (4.0, 0.0)
    """
    images = _grey(images)
    xp = array_module(images)
    return (filter2d(images, xp.asarray(SOBEL_X, dtype=images.dtype)),
            filter2d(images, xp.asarray(SOBEL_Y, dtype=images.dtype)))


def gradient_magnitude(images):
    """Edge strength ``sqrt(gx**2 + gy**2)`` from :func:`sobel`, ``(N, H, W)``."""
    gx, gy = sobel(images)
    return array_module(gx).hypot(gx, gy)


def gabor_kernel(size: int = 7, *, theta: float = 0.0, sigma: float = 2.0,
                 wavelength: float = 4.0, gamma: float = 0.5, psi: float = 0.0, like=None):
    """A Gabor filter: a cosine wave of orientation ``theta`` under a Gaussian envelope.

    ``g(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) cos(2 pi x' / wavelength + psi)``
    with ``x' = x cos(theta) + y sin(theta)``, ``y' = -x sin(theta) + y cos(theta)`` and
    ``(x, y)`` the offsets from the centre (``y`` pointing down).  It responds to stripes
    whose brightness changes along the direction ``theta``: ``theta = 0`` finds vertical
    strokes, ``theta = pi/2`` horizontal ones.

    Parameters
    ----------
    size : int, odd
        Side of the square kernel.
    theta : float
        Direction of the wave, radians.
    sigma : float
        Width of the Gaussian envelope, pixels.
    wavelength : float
        Period of the cosine, pixels.
    gamma : float
        Aspect ratio: below 1 the envelope is longer along the stripes.
    psi : float
        Phase: 0 is an even (bar) detector, ``pi/2`` an odd (edge) detector.
    like : ndarray, optional
        Make the kernel on this array's backend (NumPy by default).

    Returns
    -------
    ndarray, shape (size, size)

    Examples
    --------
    >>> k = gabor_kernel(5)
    >>> k.shape, float(k[2, 2]), bool((k == k[::-1, ::-1]).all())
    ((5, 5), 1.0, True)
    """
    check_positive(size, "size")
    if size % 2 == 0:
        raise ValueError(f"size must be odd, got {size}")
    xp = array_module(like)
    half = size // 2
    y, x = xp.mgrid[-half:half + 1, -half:half + 1].astype(xp.float64)
    x_rot = x * math.cos(theta) + y * math.sin(theta)
    y_rot = -x * math.sin(theta) + y * math.cos(theta)
    envelope = xp.exp(-(x_rot**2 + gamma**2 * y_rot**2) / (2 * sigma**2))
    return envelope * xp.cos(2 * math.pi * x_rot / wavelength + psi)


def _pool_cells(maps, cell_size: int):
    """Sum ``(..., H, W)`` over non-overlapping ``cell_size`` squares -> ``(..., H/c, W/c)``."""
    *lead, H, W = maps.shape
    if H % cell_size or W % cell_size:
        raise ValueError(f"image size {H}x{W} is not a multiple of cell_size={cell_size}")
    c = cell_size
    return maps.reshape(*lead, H // c, c, W // c, c).sum(axis=(-3, -1))


def gabor_features(images, *, n_orientations: int = 4, cell_size: int = 4, size: int = 7,
                   sigma: float = 2.0, wavelength: float = 4.0):
    """Mean absolute response of ``n_orientations`` Gabor filters in each cell of each image.

    Returns ``(N, n_orientations * (H / cell_size) * (W / cell_size))``: how much oriented
    stroke of each direction lies in each region of the image.

    >>> import numpy as np
    >>> gabor_features(np.zeros((2, 8, 8))).shape        # 4 orientations x 2 x 2 cells
    (2, 16)
    """
    images = _grey(images)
    check_positive(n_orientations, "n_orientations")
    check_positive(cell_size, "cell_size")
    xp = array_module(images)
    responses = xp.stack([
        filter2d(images, gabor_kernel(size, theta=math.pi * i / n_orientations, sigma=sigma,
                                      wavelength=wavelength, like=images).astype(images.dtype))
        for i in range(n_orientations)], axis=1)                      # (N, n_orient, H, W)
    cells = _pool_cells(xp.abs(responses), cell_size) / cell_size**2  # (N, n_orient, h, w)
    return cells.reshape(len(images), -1)


def hog(images, *, cell_size: int = 4, bins: int = 9, eps: float = 1e-8):
    """A simple Histogram of Oriented Gradients (Dalal and Triggs, 2005), vectorised.

    1. Brightness gradients by central differences ``[-1, 0, 1]`` (border pixels repeated,
       so the image's frame is not mistaken for an edge).
    2. Each pixel votes for its *unsigned* gradient orientation in ``[0, 180)`` degrees with
       weight equal to the gradient magnitude, split linearly between the two nearest of
       ``bins`` orientation bins (bin ``b`` is centred at ``(b + 0.5) * 180 / bins``).
    3. Votes are summed in non-overlapping ``cell_size`` squares.
    4. The whole descriptor of an image is scaled to unit length (the original HoG
       normalises overlapping blocks of cells instead; one global norm keeps this short).

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, 1, H, W), H and W multiples of ``cell_size``

    Returns
    -------
    ndarray, shape (N, (H / cell_size) * (W / cell_size) * bins)

    Examples
    --------
    >>> import numpy as np
    >>> step = np.zeros((1, 4, 4)); step[:, :, 2:] = 1.0     # a vertical edge
    >>> h = hog(step, cell_size=4, bins=4)                    # bins centred 22.5, 67.5, ...
    >>> np.round(h, 4).tolist()                               # 0 degrees: between bins 0 and 3
    [[0.7071, 0.0, 0.0, 0.7071]]
    """
    images = _grey(images)
    check_positive(cell_size, "cell_size")
    check_positive(bins, "bins")
    xp = array_module(images)
    edged = xp.pad(images, [(0, 0), (1, 1), (1, 1)], mode="edge")   # repeat the border
    gx = edged[:, 1:-1, 2:] - edged[:, 1:-1, :-2]                   # central differences
    gy = edged[:, 2:, 1:-1] - edged[:, :-2, 1:-1]
    magnitude = xp.hypot(gx, gy)
    angle = xp.arctan2(gy, gx) % math.pi                          # unsigned, [0, pi)
    position = angle / (math.pi / bins) - 0.5                     # in units of bins
    lower = xp.floor(position)
    upper_share = position - lower                                # 0..1, goes to lower + 1
    lower = lower.astype(xp.int64) % bins                         # -1 wraps to the last bin
    onehot = xp.eye(bins, dtype=images.dtype)
    votes = (onehot[lower] * (magnitude * (1 - upper_share))[..., None]
             + onehot[(lower + 1) % bins] * (magnitude * upper_share)[..., None])  # (N,H,W,bins)
    cells = _pool_cells(xp.moveaxis(votes, -1, 1), cell_size)     # (N, bins, h, w)
    descriptor = xp.moveaxis(cells, 1, -1).reshape(len(images), -1)
    return descriptor / (xp.linalg.norm(descriptor, axis=1, keepdims=True) + eps)


class PCA:
    """Principal component analysis by the singular value decomposition of centred data.

    With centred data ``Xc = U S V^T``, the rows of ``V^T`` are the directions of largest
    variance, in decreasing order; ``explained_variance_`` is ``S**2 / (n - 1)``.  Projecting
    on the first ``n_components`` of them keeps as much variance as any linear map to that
    many dimensions can.  Names follow scikit-learn.

    Parameters
    ----------
    n_components : int or None
        How many directions to keep (all when None).

    Attributes
    ----------
    mean_ : (d,)
    components_ : (n_components, d), orthonormal rows; each row's largest entry is positive
        (a component's sign is arbitrary; this makes it reproducible).
    explained_variance_ : (n_components,)
    explained_variance_ratio_ : (n_components,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0, 0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 0.5], [0.0, -0.5]])
    >>> pca = PCA(1).fit(X)
    >>> pca.components_.tolist(), pca.transform(np.array([[3.0, 1.0]])).tolist()
    ([[1.0, 0.0]], [[3.0]])
    """

    def __init__(self, n_components: int | None = None):
        if n_components is not None:
            check_positive(n_components, "n_components")
        self.n_components = n_components

    def fit(self, X):
        """Find the mean and the principal directions of the rows of ``X`` ``(n, d)``."""
        check_array(X, "X", ndim=2, floating=True)
        k = min(X.shape) if self.n_components is None else self.n_components
        if k > min(X.shape):
            raise ValueError(f"n_components={k} but X of shape {X.shape} has at most "
                             f"{min(X.shape)}")
        xp = array_module(X)
        self.mean_ = X.mean(axis=0)
        _, s, vt = xp.linalg.svd(X - self.mean_, full_matrices=False)
        rows = xp.arange(len(vt))
        signs = xp.sign(vt[rows, xp.abs(vt).argmax(axis=1)])         # largest entry > 0
        self.components_ = (vt * signs[:, None])[:k]
        variance = s**2 / max(len(X) - 1, 1)
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = variance[:k] / variance.sum()
        return self

    def transform(self, X):
        """Coordinates ``(n, n_components)`` of ``X`` along the principal directions."""
        if not hasattr(self, "components_"):
            raise RuntimeError("call fit(X) before transform")
        return (X - self.mean_) @ self.components_.T

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Back to the input space: the best reconstruction from the kept components."""
        return Z @ self.components_ + self.mean_


def knn_accuracy_by_feature(X_train, y_train, X_val, y_val, *, n_neighbors: int = 3,
                            n_components: int = 16,
                            names: Sequence[str] = ("pixels", "Sobel", "Gabor", "HoG", "PCA")):
    """Validation accuracy of k-NN on each kind of feature: ``{name: (dimension, accuracy)}``.

    ``X_train`` and ``X_val`` are grey images ``(N, 1, H, W)``.  "Sobel" is the gradient
    magnitude image, "PCA" the first ``n_components`` principal components of the pixels
    (fitted on the training images only).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((20, 1, 8, 8)); y = np.arange(20) % 2
    >>> sorted(knn_accuracy_by_feature(X, y, X, y, n_neighbors=1, n_components=4))
    ['Gabor', 'HoG', 'PCA', 'Sobel', 'pixels']
    """
    extractors = {
        "pixels": pixel_features,
        "Sobel": lambda images: pixel_features(gradient_magnitude(images)),
        "Gabor": gabor_features,
        "HoG": hog,
    }
    table = {}
    for name in names:
        if name == "PCA":
            pca = PCA(n_components).fit(pixel_features(X_train))
            train, val = (pca.transform(pixel_features(X)) for X in (X_train, X_val))
        elif name in extractors:
            train, val = extractors[name](X_train), extractors[name](X_val)
        else:
            raise ValueError(f"unknown feature {name!r}: choose from {[*extractors, 'PCA']}")
        model = KNeighborsClassifier(n_neighbors).fit(train, y_train)
        table[name] = (int(train.shape[1]), model.score(val, y_val))
    return table
