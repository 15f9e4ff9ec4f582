"""Chapter 03, backpropagation: the worked graphs and demos behind the notebook.

* :mod:`~dlcourse.chapters.backprop.worked` -- ``e = (a + b)(b + 1)`` and a neuron, differentiated
  by hand and with :mod:`dlcourse.autograd`; the overwriting-gradient bug.
* :mod:`~dlcourse.chapters.backprop.student` -- the student-number graph of the exam notes.
* :mod:`~dlcourse.chapters.backprop.numeric` -- finite differences: their error and their cost.
* :mod:`~dlcourse.chapters.backprop.layers` -- backprop in matrix form (linear, ReLU, softmax +
  cross-entropy) and gradient checking.
* :mod:`~dlcourse.chapters.backprop.conv` -- backprop through a convolution is a convolution with
  the flipped kernel.

``plots`` draws, ``panels`` wires plain functions to controls.
"""
