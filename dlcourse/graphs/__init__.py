"""Chapter 03, backpropagation: the worked graphs and demos behind the notebook.

* :mod:`~dlcourse.graphs.worked` -- ``e = (a + b)(b + 1)`` and a neuron, differentiated by
  hand and with :mod:`dlcourse.autograd`; the overwriting-gradient bug.
* :mod:`~dlcourse.graphs.student` -- the student-number graph of the exam notes.
* :mod:`~dlcourse.graphs.numeric` -- finite differences: their error and their cost.
* :mod:`~dlcourse.graphs.layers` -- backprop in matrix form (linear, ReLU, softmax +
  cross-entropy) and gradient checking.
* :mod:`~dlcourse.graphs.conv` -- backprop through a convolution is a convolution with the
  flipped kernel.
"""

from dlcourse.graphs.conv import (
    FlipDemo,
    conv_input_grad_by_flipped_kernel,
    flip_kernel,
    flipped_kernel_demo,
)
from dlcourse.graphs.layers import (
    GradientRow,
    compare_two_layer_gradients,
    example_batch,
    gradient_check_table,
    init_two_layer,
    two_layer_backward,
    two_layer_forward,
    verdict,
)
from dlcourse.graphs.numeric import (
    SCHEMES,
    CallCounter,
    CostRow,
    finite_difference_error,
    finite_difference_error_model,
    forward_difference_gradient,
    gradient_cost,
)
from dlcourse.graphs.student import (
    GIVEN_D,
    NOTES_ORDER,
    StudentGraph,
    student_digits,
    student_graph,
)
from dlcourse.graphs.worked import (
    EdgeVisits,
    HandGraph,
    backward_overwriting,
    e_graph,
    edge_visit_table,
    leaf_gradients,
    neuron_graph,
)

__all__ = [
    "GIVEN_D",
    "NOTES_ORDER",
    "SCHEMES",
    "CallCounter",
    "CostRow",
    "EdgeVisits",
    "FlipDemo",
    "GradientRow",
    "HandGraph",
    "StudentGraph",
    "backward_overwriting",
    "compare_two_layer_gradients",
    "conv_input_grad_by_flipped_kernel",
    "e_graph",
    "edge_visit_table",
    "example_batch",
    "finite_difference_error",
    "finite_difference_error_model",
    "flip_kernel",
    "flipped_kernel_demo",
    "forward_difference_gradient",
    "gradient_check_table",
    "gradient_cost",
    "init_two_layer",
    "leaf_gradients",
    "neuron_graph",
    "student_digits",
    "student_graph",
    "two_layer_backward",
    "two_layer_forward",
    "verdict",
]
