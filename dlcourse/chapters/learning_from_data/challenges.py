"""Why image classification is hard: one image under the changes a classifier must survive.

The label of a picture stays the same while its pixels change completely under a new
*viewpoint*, *illumination*, *deformation*, *occlusion* or *background clutter*; and two
members of one class can differ a lot (*intra-class variation*: see several real samples of
one digit).  Each function takes grey images ``(..., H, W)`` (one image or a stack) with
values in [0, 1] and returns a changed copy of the same shape; rotation and zoom come from
:mod:`dlcourse.data`.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse._validate import check_array
from dlcourse.backend import array_module
from dlcourse.data import rotate, scale

__all__ = ["background_clutter", "challenge_gallery", "deformation", "illumination",
           "occlusion", "viewpoint"]


def _image(image):
    check_array(image, "image", ndim=(2, 3, 4), floating=True)
    return image


def viewpoint(image, *, degrees: float = 35.0, factor: float = 0.75):
    """The object seen turned by ``degrees`` and from farther away (zoom ``factor``).

    >>> import numpy as np
    >>> viewpoint(np.zeros((8, 8))).shape
    (8, 8)
    """
    return rotate(scale(_image(image), factor), degrees)


def illumination(image, *, darkest: float = 0.05):
    """Light falling from the right: brightness fades to ``darkest`` at the left edge.

    >>> import numpy as np
    >>> illumination(np.ones((1, 3)), darkest=0.0).tolist()
    [[0.0, 0.5, 1.0]]
    """
    image = _image(image)
    xp = array_module(image)
    light = xp.linspace(darkest, 1.0, image.shape[-1], dtype=image.dtype)   # (W,)
    return image * light


def deformation(image, *, amplitude: float = 3.0, waves: float = 1.0):
    """Bend the object: row ``r`` slides sideways by ``amplitude * sin(2 pi waves r / H)``
    pixels (read by linear interpolation along the row; outside the image reads 0).

    >>> import numpy as np
    >>> deformation(np.eye(4), amplitude=0.0).tolist() == np.eye(4).tolist()
    True
    """
    image = _image(image)
    xp = array_module(image)
    h, w = image.shape[-2:]
    rows = xp.arange(h)
    offset = amplitude * xp.sin(2 * math.pi * waves * rows / h)              # (H,)
    source = xp.arange(w)[None, :] - offset[:, None]                        # (H, W) columns
    left = xp.floor(source)
    share = (source - left).astype(image.dtype)                             # weight of left + 1

    def read(cols):                                                         # 0 outside
        inside = (cols >= 0) & (cols < w)
        return xp.where(inside, image[..., rows[:, None], xp.clip(cols, 0, w - 1).astype(int)], 0)

    return (1 - share) * read(left) + share * read(left + 1)


def occlusion(image, *, top: float = 0.35, left: float = 0.45, size: float = 0.4,
              grey: float = 0.6):
    """Hide part of the object behind a grey square; ``top``, ``left`` and ``size`` are
    fractions of the image side.

    >>> import numpy as np
    >>> occlusion(np.zeros((10, 10)), top=0.0, left=0.0, size=0.2)[:3, :3].tolist()
    [[0.6, 0.6, 0.0], [0.6, 0.6, 0.0], [0.0, 0.0, 0.0]]
    """
    image = _image(image).copy()
    h, w = image.shape[-2:]
    r, c, s = round(top * h), round(left * w), max(1, round(size * min(h, w)))
    image[..., r:r + s, c:c + s] = grey
    return image


def background_clutter(image, *, strokes: int = 6, seed: int = 0):
    """Put the object in front of random pen strokes that look like parts of other objects.

    >>> import numpy as np
    >>> cluttered = background_clutter(np.zeros((16, 16)))
    >>> cluttered.shape, bool(cluttered.max() > 0)
    ((16, 16), True)
    """
    image = _image(image)
    xp = array_module(image)
    h, w = image.shape[-2:]
    rng = np.random.default_rng(seed)                     # strokes are drawn on the host
    y, x = np.mgrid[0:h, 0:w]
    clutter = np.zeros((h, w))
    for _ in range(strokes):
        (x0, x1), (y0, y1) = rng.uniform(0, w, 2), rng.uniform(0, h, 2)
        # distance of every pixel to the segment (x0, y0) -> (x1, y1)
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((x - x0) * dx + (y - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        distance = np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))
        clutter = np.maximum(clutter, rng.uniform(0.3, 0.7) * (distance < 0.04 * w + 0.5))
    return xp.maximum(image, xp.asarray(clutter, dtype=image.dtype))


def challenge_gallery(image, *, seed: int = 0) -> dict:
    """The image(s) and five changed versions, by name (for a row of pictures).

    >>> import numpy as np
    >>> list(challenge_gallery(np.zeros((16, 16))))
    ['original', 'viewpoint', 'illumination', 'deformation', 'occlusion', 'background clutter']
    """
    return {
        "original": _image(image),
        "viewpoint": viewpoint(image),
        "illumination": illumination(image),
        "deformation": deformation(image),
        "occlusion": occlusion(image),
        "background clutter": background_clutter(image, seed=seed),
    }
