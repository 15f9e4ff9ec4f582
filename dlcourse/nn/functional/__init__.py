"""Pure array functions of the engine, PyTorch's ``torch.nn.functional`` names and semantics.

Import as ``from dlcourse.nn import functional as F``.  Each differentiable ``f`` has an
``f_backward(dout, x, *params, **opts)`` beside it returning the gradients with respect to
``x`` and each array parameter, in order.
"""
# --- dense ops: activations, linear, losses, dropout ---
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
from dlcourse.nn.functional.dropout import dropout, dropout_backward  # noqa: F401
from dlcourse.nn.functional.linear import linear, linear_backward  # noqa: F401
from dlcourse.nn.functional.losses import (  # noqa: F401
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward,
    cross_entropy,
    cross_entropy_backward,
    l1,
    l1_backward,
    mse,
    mse_backward,
)
# --- spatial ops A: convolution, transposed convolution, upsampling, pixel shuffle ---
# --- spatial ops B: pooling, batch norm ---
