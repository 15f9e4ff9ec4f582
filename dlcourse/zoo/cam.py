"""Looking inside a trained CNN: first-layer filters, feature maps, class activation maps.

A class activation map (CAM; Zhou et al., 2016) needs a CNN that ends with global average
pooling (GAP) and one linear layer.  The score of class ``k`` is then

.. math::  z_k = \\sum_c w_{kc} \\frac{1}{HW} \\sum_{x, y} f_c(x, y) + b_k
              = \\frac{1}{HW} \\sum_{x, y} \\underbrace{\\sum_c w_{kc} f_c(x, y)}_{M_k(x, y)} + b_k,

so the map ``M_k`` tells how much each position contributes to the score: its mean plus
the bias *is* the logit.  Upsampled to the image size it shows where the network looked.

Every function takes a ``torch.nn.Sequential`` or a :class:`dlcourse.nn.Sequential`
(e.g. :func:`dlcourse.zoo.small_cnn` or its engine twin) and images as an array ``(N, C,
H, W)``; results are arrays of the input's kind (NumPy, or CuPy for an engine model on
the GPU; always NumPy for a torch model).

>>> import numpy as np
>>> from dlcourse.zoo import small_cnn_engine
>>> net = small_cnn_engine(width=4, rng=0).eval()
>>> class_activation_maps(net, np.ones((2, 1, 8, 8), np.float32)).maps.shape
(2, 8, 8)
"""

from __future__ import annotations

from typing import NamedTuple

from dlcourse._validate import check_array
from dlcourse.backend import array_module, to_numpy
from dlcourse.nn import functional as F

__all__ = ["CAMResult", "class_activation_map", "class_activation_maps", "feature_maps",
           "first_layer_filters"]

_GAP_TYPES = ("AdaptiveAvgPool2d", "GlobalAvgPool2d")


def _is_torch(model) -> bool:
    return type(model).__module__.startswith("torch")


def _layers(model) -> list:
    layers = list(model)
    if not layers:
        raise ValueError("model has no layers")
    return layers


def _run(layers, x, torch_model: bool):
    """Apply ``layers`` in order to ``x`` (no gradients); return an array like the input."""
    if not torch_model:
        for layer in layers:
            x = layer(x)
        return x
    import torch

    with torch.no_grad():
        out = torch.from_numpy(to_numpy(x))
        for layer in layers:
            out = layer(out)
    return out.numpy()


def first_layer_filters(model):
    """The weights of the first convolution, ``(C_out, C_in, kh, kw)`` (NumPy for torch).

    >>> from dlcourse.zoo import small_cnn_engine
    >>> first_layer_filters(small_cnn_engine(width=8, rng=0)).shape
    (8, 1, 3, 3)
    """
    for layer in _layers(model):
        if type(layer).__name__ == "Conv2d":
            if _is_torch(model):
                return layer.weight.detach().numpy().copy()
            return layer.weight.data.copy()
    raise ValueError("model has no Conv2d layer")


def feature_maps(model, x, layer: int):
    """Output of ``model[layer]`` (the layers up to and including it) for images ``x``.

    Parameters
    ----------
    model : torch.nn.Sequential or dlcourse.nn.Sequential
    x : array, shape (N, C, H, W)
    layer : int
        Index into the model; the model should be in eval mode.

    Returns
    -------
    array
        E.g. ``(N, C_out, H', W')`` after a convolution.

    >>> import numpy as np
    >>> from dlcourse.zoo import small_cnn_engine
    >>> feature_maps(small_cnn_engine(width=8, rng=0).eval(), np.zeros((1, 1, 8, 8)), 3).shape
    (1, 8, 4, 4)
    """
    layers = _layers(model)
    check_array(x, "x", ndim=4, floating=True)
    if not -len(layers) <= layer < len(layers):
        raise ValueError(f"layer must index the model's {len(layers)} layers, got {layer}")
    torch_model = _is_torch(model)
    x = x if torch_model else model.place(x)
    return _run(layers[:layer % len(layers) + 1], x, torch_model)


def class_activation_map(features, weight, class_index):
    """``M_k(x, y) = sum_c weight[k, c] * features[:, c, x, y]`` for one class per image.

    Parameters
    ----------
    features : array, shape (N, C, h, w)
        The feature maps that global average pooling reduces.
    weight : array, shape (num_classes, C)
        The linear layer after the pooling.
    class_index : int or int array of shape (N,)

    Returns
    -------
    array, shape (N, h, w)

    >>> import numpy as np
    >>> f = np.arange(8.0).reshape(1, 2, 2, 2)          # two 2x2 maps
    >>> class_activation_map(f, np.array([[1.0, 0.0], [0.5, -1.0]]), 1)[0].tolist()
    [[-4.0, -4.5], [-5.0, -5.5]]
    """
    check_array(features, "features", ndim=4, floating=True)
    check_array(weight, "weight", ndim=2)
    if weight.shape[1] != features.shape[1]:
        raise ValueError(f"features have {features.shape[1]} channels but weight expects "
                         f"{weight.shape[1]}")
    xp = array_module(features)
    k = xp.broadcast_to(xp.asarray(class_index), (features.shape[0],))
    if int(k.min()) < 0 or int(k.max()) >= weight.shape[0]:
        raise ValueError(f"class_index must be in [0, {weight.shape[0]}), got {class_index}")
    w = xp.asarray(weight, dtype=features.dtype)[k]                # (N, C)
    return xp.einsum("nc,nchw->nhw", w, features)


class CAMResult(NamedTuple):
    """What :func:`class_activation_maps` returns (arrays on the model's device)."""

    maps: object        # (N, H, W): the CAM of each image's class, upsampled to the image
    coarse: object      # (N, h, w): the same before upsampling
    logits: object      # (N, num_classes)
    class_index: object  # (N,): the class explained (the predicted one by default)


def class_activation_maps(model, x, class_index=None) -> CAMResult:
    """CAMs of a CNN that ends ``... -> GAP -> [Flatten] -> Linear``, upsampled bilinearly.

    ``class_index`` (int or ``(N,)``) picks the class to explain; ``None``: the predicted
    class of each image.  The image size must be a multiple of the last feature maps' size.
    """
    layers = _layers(model)
    check_array(x, "x", ndim=4, floating=True)
    gap = next((i for i, layer in enumerate(layers) if type(layer).__name__ in _GAP_TYPES),
               None)
    head = layers[-1]
    if gap is None or type(head).__name__ != "Linear":
        raise ValueError("class activation maps need a model ending with global average "
                         "pooling and one Linear layer")
    torch_model = _is_torch(model)
    x = x if torch_model else model.place(x)
    features = _run(layers[:gap], x, torch_model)                  # (N, C, h, w)
    logits = _run(layers[gap:], features, torch_model)
    weight = head.weight.detach().numpy() if torch_model else head.weight.data
    xp = array_module(features)
    k = logits.argmax(axis=1) if class_index is None else xp.broadcast_to(
        xp.asarray(class_index), (x.shape[0],))
    coarse = class_activation_map(features, weight, k)
    (H, W), (h, w) = x.shape[2:], coarse.shape[1:]
    if H % h or W % w:
        raise ValueError(f"image size {H}x{W} is not a multiple of the feature maps' {h}x{w}")
    maps = F.interpolate(coarse[:, None], (H // h, W // w), mode="bilinear")[:, 0]
    return CAMResult(maps, coarse, logits, k)
