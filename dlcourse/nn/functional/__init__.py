"""Pure array functions of the engine, PyTorch's ``torch.nn.functional`` names and semantics.

Import as ``from dlcourse.nn import functional as F``.  Each differentiable ``f`` has an
``f_backward(dout, x, *params, **opts)`` beside it returning the gradients with respect to
``x`` and each array parameter, in order.
"""
# Re-exported here, hence "unused" in this file (noqa: F401).
from dlcourse.nn.functional.activations import (  # noqa: F401
    elu,
    elu_backward,
    leaky_relu,
    leaky_relu_backward,
    log_softmax,
    log_softmax_backward,
    relu,
    relu_backward,
    selu,
    selu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from dlcourse.nn.functional.conv import (  # noqa: F401
    conv2d,
    conv2d_backward,
    conv2d_naive,
    conv_transpose2d,
    conv_transpose2d_backward,
)
from dlcourse.nn.functional.dropout import dropout, dropout_backward  # noqa: F401
from dlcourse.nn.functional.linear import linear, linear_backward  # noqa: F401
from dlcourse.nn.functional.losses import (  # noqa: F401
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward,
    cross_entropy,
    cross_entropy_backward,
    l1_loss,
    l1_loss_backward,
    mse_loss,
    mse_loss_backward,
)
from dlcourse.nn.functional.normalization import (  # noqa: F401
    batch_norm,
    batch_norm_backward,
    batch_norm_naive,
    batch_norm_naive_backward,
    batch_norm_with_stats,
)
from dlcourse.nn.functional.pooling import (  # noqa: F401
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_with_indices,
    max_unpool2d,
    max_unpool2d_backward,
)
from dlcourse.nn.functional.upsampling import (  # noqa: F401
    interpolate,
    interpolate_backward,
    pixel_shuffle,
    pixel_shuffle_backward,
    pixel_unshuffle,
    pixel_unshuffle_backward,
)
