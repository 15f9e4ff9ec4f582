"""Practice problems that refute the notes: each quotes one wrong sentence of the notes and
asks for the number that contradicts it (the same traps as chapter 12's graded exercises and
``exam_map.TRAPS``, drawn fresh per seed).

The convolutions are computed by the engine (:mod:`dlcourse.nn.functional`), YOLO's sizes by
:mod:`dlcourse.detection`; the rest are closed-form expectations written out in the solution.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.chapters.review.practice.problem import Problem, _fmt, grid
from dlcourse.detection import yolo_output_size
from dlcourse.nn import functional as F


def _notes(claim: str, source: str) -> str:
    return f'The notes say "{claim}" ({source})'


def trap_tconv_padding(seed: int) -> Problem:
    """A transposed convolution whose padding the notes' answer ignores."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 5, size=(2, 2)).astype(float)
    w = rng.integers(0, 3, size=(3, 3)).astype(float)
    stride, padding = int(rng.choice([2, 2, 1])), 1
    full = F.conv_transpose2d(x[None, None], w[None, None], stride=stride)[0, 0]
    out = F.conv_transpose2d(x[None, None], w[None, None], stride=stride,
                             padding=padding)[0, 0]
    question = (_notes("A 2x2 input I is expanded to a 5x5 grid with stride 2 and padding 1",
                       "001:1511")
                + f", and their answer is the 5×5 sum of stamps. Compute the real output of a "
                  f"transposed convolution (PyTorch's ConvTranspose2d), stride {stride}, "
                  f"padding {padding}, input\n{grid(x)}\nkernel\n{grid(w)}\n"
                  f"Answer as rows separated by ';'.")
    solution = (f"Stamp each input value times K, {stride} pixels apart, and add the overlaps:"
                f"\n{grid(full)}\nPadding {padding} does not add a border here: it CROPS "
                f"{padding} row(s)/column(s) from every side, so the output side is "
                f"(N−1)·S − 2P + F = {stride} − 2 + 3 = {out.shape[0]}:\n{grid(out)}")
    return Problem("trap_tconv_padding", seed, question, out, solution,
                   hint="the padding of a transposed convolution is cropped from the sum.",
                   data=dict(x=x, w=w, stride=stride, padding=padding))


def trap_yolo(seed: int) -> Problem:
    """YOLO's two output layouts, against the notes' single formula."""
    rng = np.random.default_rng(seed)
    S, B, C = int(rng.choice([5, 7, 9, 13])), int(rng.integers(1, 6)), int(rng.integers(2, 31))
    v1, anchors = (yolo_output_size(S, B, C, layout=layout) for layout in ("v1", "anchors"))
    question = (_notes("S * S * (B * (5 + C))", "001:1458")
                + f" for the YOLOv1 paper. For S = {S}, B = {B}, C = {C}: how many numbers does "
                  f"YOLOv1 (one class vector per cell) output, and how many does an anchor-based "
                  f"YOLO (one class vector per box)? Answer as two numbers.")
    solution = (f"YOLOv1: S·S·(5B + C) = {S}·{S}·({5 * B} + {C}) = {v1}. With anchors (YOLOv2 "
                f"on): S·S·B·(5 + C) = {S}·{S}·{B}·{5 + C} = {anchors}. The notes' formula is "
                f"the second one, which YOLOv1 does not use.")
    return Problem("trap_yolo", seed, question, (v1, anchors), solution,
                   hint="YOLOv1 has one class vector per CELL, not per box.",
                   data=dict(S=S, B=B, C=C))


def trap_segmentation(seed: int) -> Problem:
    """Two classes of the same brightness: no clustering by brightness separates them."""
    rng = np.random.default_rng(seed)
    mask = rng.choice(3, size=(4, 4), p=[0.5, 0.25, 0.25])
    mask[0, 0], mask[0, 1], mask[1, 0] = 0, 1, 2
    image = np.where(mask > 0, 9.0, 1.0)
    counts = np.bincount(mask.ravel(), minlength=3)
    best = (counts[0] + max(counts[1], counts[2])) / mask.size
    question = (_notes("Segmentation is an unsupervised learning problem which provies a set of "
                       "clusters.", "000:16")
                + f". A 4×4 image (brightness)\n{grid(image)}\nhas the labelled classes "
                  f"(0 background, 1 lesion, 2 vessel)\n{grid(mask)}\nCluster the pixels by "
                  f"brightness into 2 clusters (bright, dark) and name each cluster after its "
                  f"most frequent class. What pixel accuracy does this reach at best? "
                  f"Give 3 decimals.")
    solution = (f"Dark pixels are all background ({counts[0]}); the {counts[1] + counts[2]} "
                f"bright ones are {counts[1]} lesion and {counts[2]} vessel, but a cluster gets "
                f"one name: at best {max(counts[1], counts[2])} of them are right. Accuracy "
                f"({counts[0]} + {max(counts[1], counts[2])})/16 = {best:.3f}. The classes are "
                f"not in the pixel values; they come from labels: semantic segmentation is "
                f"supervised per-pixel classification.")
    return Problem("trap_segmentation", seed, question, round(float(best), 3), solution,
                   hint="one cluster gets one class: count the pixels whose class it is.",
                   atol=0.002, data=dict(image=image, mask=mask))


def trap_gradients(seed: int) -> Problem:
    """A gradient that vanishes or explodes through depth alone, whatever the learning rate."""
    rng = np.random.default_rng(seed)
    weights = rng.choice([0.25, 0.5, 2.0, 3.0, -1.0, -2.0], size=int(rng.integers(3, 7)))
    lr = float(rng.choice([1e-4, 1e-3, 0.01, 0.1, 1.0]))
    gradient = float(np.prod(weights))
    question = (_notes("when the learning rate is too high –> positive feedback –> loss grows "
                       "without bound", "002:35")
                + f". A chain of {len(weights)} linear units h_l = w_l·h_(l−1) has weights "
                  f"{', '.join(_fmt(w) for w in weights)} and is trained with learning rate "
                  f"{lr:g}. What is the gradient ∂h_{len(weights)}/∂h_0 that reaches the input? "
                  f"(4 decimals suffice.)")
    solution = (f"Backpropagation multiplies the local gradients: "
                f"{' · '.join(_fmt(w) for w in weights)} = {_fmt(gradient)}. The learning rate "
                f"does not appear: it only scales the update afterwards. Vanishing and exploding "
                f"gradients come from products of many local gradients (depth, activation, "
                f"initialisation).")
    return Problem("trap_gradients", seed, question, gradient, solution,
                   hint="multiply the weights; the learning rate is not part of the gradient.",
                   atol=1e-4, data=dict(weights=weights, lr=lr))


def _best_and_stop(val, patience):
    best = 0
    for epoch, loss in enumerate(val):
        if loss < val[best]:
            best = epoch
        if epoch - best >= patience:
            break
    return best, epoch


def trap_early_stopping(seed: int) -> Problem:
    """Overfitting curves: the training loss never rises, the validation loss does."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 13))
    train = np.round(np.sort(rng.uniform(0.05, 1.5, n))[::-1], 2)
    turn = int(rng.integers(2, n - 3))
    steps = np.concatenate([-rng.uniform(0.02, 0.15, turn), rng.uniform(-0.01, 0.08, n - turn)])
    val = np.round(1.2 + np.cumsum(steps), 2)
    patience = int(rng.integers(2, 4))
    best, stop = _best_and_stop(val, patience)
    table = "\n".join(f"  epoch {e + 1:>2}: train {train[e]:.2f}  validation {val[e]:.2f}"
                      for e in range(n))
    question = (_notes("When we see that the loss of training is increasing again", "004:7")
                + f" as the moment to stop. Early stopping with patience {patience} on\n{table}\n"
                  f"Which epoch's weights do you keep, and at which epoch does training stop? "
                  f"Answer as two epoch numbers (counting from 1).")
    ending = (f"{patience} epochs without a lower one end training at epoch {stop + 1}"
              if stop - best >= patience else
              f"the patience never runs out, so training ends at the last epoch, {stop + 1}")
    solution = (f"The training loss falls every epoch: the notes' rule never stops. The lowest "
                f"validation loss is {val[best]:.2f} at epoch {best + 1}; {ending}. Keep the "
                f"weights of epoch {best + 1}.")
    return Problem("trap_early_stopping", seed, question, (best + 1, stop + 1), solution,
                   hint="watch the VALIDATION loss; only a strictly lower one resets the count.",
                   data=dict(train=train, val=val, patience=patience))


def trap_dropout(seed: int) -> Problem:
    """Dropout's p read as the drop rate in training and as the keep rate at test time."""
    rng = np.random.default_rng(seed)
    p = float(rng.choice([0.1, 0.2, 0.25, 0.3, 0.4]))
    a = float(rng.integers(1, 10))
    train, test = a * (1 - p), a * p
    question = (_notes("set activations to 0 with (1-p) –> need compensation for dropout "
                       "effect i.e. test time: multiply activation with p", "002:200")
                + f". A layer uses torch.nn.Dropout(p = {p:g}) in training without rescaling, and, "
                  f"following the notes, multiplies by p at test time. A unit's activation is "
                  f"{_fmt(a)}. What does it pass on on average in training, and at test time? "
                  f"Answer as two numbers.")
    solution = (f"PyTorch's p is the DROP probability: the unit is kept with 1 − p = "
                f"{1 - p:g}, so training passes {_fmt(a)}·{1 - p:g} = {_fmt(train)} on average; "
                f"the test output is {_fmt(a)}·{p:g} = {_fmt(test)}. The notes' p is the KEEP "
                f"probability; mixing the two breaks the match (except at p = 0.5). Define p "
                f"once; PyTorch instead scales kept units by 1/(1 − p) in training.")
    return Problem("trap_dropout", seed, question, (train, test), solution,
                   hint="Dropout(p) drops with probability p: it keeps with 1 − p.",
                   atol=1e-6, data=dict(p=p, a=a))


def trap_uniform_init(seed: int) -> Problem:
    """The shift a U[0, 1] initialisation gives every pre-activation."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([16, 64, 100, 256, 784]))
    x_mean = float(rng.choice([0.25, 0.5, 1.0]))
    mean = n * 0.5 * x_mean
    question = (_notes("e.g. uniform random in the range [0,1]", "002:215")
                + f" as a weight initialisation. A unit has {n} inputs of mean {x_mean:g} "
                  f"(independent of the weights). What is the mean of its pre-activation "
                  f"z = Σ w_i x_i with w_i ~ U[0, 1]?")
    solution = (f"E[z] = n·E[w]·E[x] = {n}·0.5·{x_mean:g} = {_fmt(mean)}: every unit starts far "
                f"from 0, in the flat part of a sigmoid or tanh, and all units of a layer shift "
                f"the same way. Zero-mean ranges (Xavier: ±√(6/(n_in + n_out))) give E[z] = 0.")
    return Problem("trap_uniform_init", seed, question, mean, solution,
                   hint="U[0, 1] has mean 1/2, not 0.", data=dict(n=n, x_mean=x_mean))


def trap_he(seed: int) -> Problem:
    """ReLU's outputs are not zero-mean; He's factor 2 comes from their half-zero output."""
    rng = np.random.default_rng(seed)
    sigma = float(rng.choice(np.arange(1, 13) / 2))
    mean, square = sigma / math.sqrt(2 * math.pi), sigma ** 2 / 2
    question = (_notes("effective when used with activation functions that have a mean close "
                       "to zero e.g. ReLU", "002:220")
                + f" of He initialisation. For z ~ N(0, {sigma:g}²), what are the mean of "
                  f"relu(z) and the mean of relu(z)²? Give 3 decimals.")
    solution = (f"E[relu(z)] = σ/√(2π) = {sigma:g}/2.5066 = {mean:.3f} — not zero. "
                f"E[relu(z)²] = σ²/2 = {square:g}: half of the Gaussian is cut to 0. He et al. "
                f"choose Var(w) = 2/n_in precisely to undo this half: n_in·(2/n_in)·σ²/2 = σ², "
                f"so the variance survives every ReLU layer.")
    return Problem("trap_he", seed, question, (round(mean, 3), square), solution,
                   hint="E[relu(z)] = σ/√(2π); E[relu(z)²] = σ²/2.", atol=0.002,
                   data=dict(sigma=sigma))


def trap_full_conv(seed: int) -> Problem:
    """A full convolution computed as zero padding of F − 1."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, size=(int(rng.integers(2, 4)), 3)).astype(float)
    w = rng.integers(-1, 3, size=(2, 2)).astype(float)
    out = F.conv2d(x[None, None], w[None, None], padding=1)[0, 0]
    question = (_notes("We cannot pad with 0 because that may influence the result", "004:49")
                + f" about full convolution. Compute the full cross-correlation of\n{grid(x)}\n"
                  f"with the kernel\n{grid(w)}\nAnswer as rows separated by ';'.")
    solution = (f"Full convolution places the kernel wherever it overlaps the input at least "
                f"once: that IS zero padding of F − 1 = 1 on every side, then a valid pass. "
                f"Output {out.shape[0]}×{out.shape[1]} = (N + F − 1) per side:\n{grid(out)}")
    return Problem("trap_full_conv", seed, question, out, solution,
                   hint="pad with F − 1 zeros on every side, then slide without flipping.",
                   data=dict(x=x, w=w))


def trap_25d(seed: int) -> Problem:
    """The two 2.5-D definitions feed different numbers of values."""
    rng = np.random.default_rng(seed)
    D, H, W = (int(v) for v in rng.choice([16, 32, 48, 64, 128], size=3))
    orthogonal, adjacent = H * W + D * W + D * H, 3 * H * W
    question = (_notes("In 2.5D: 3 orthogonal 2D slices of a 3D space are taken as input.",
                       "001:1713")
                + f". Another common definition stacks a slice with its two neighbours as 3 "
                  f"channels. For a volume of D×H×W = {D}×{H}×{W} voxels, how many values does "
                  f"one input hold under each definition (orthogonal, adjacent)?")
    solution = (f"Orthogonal (the notes'): axial H×W + coronal D×W + sagittal D×H = {H * W} + "
                f"{D * W} + {D * H} = {orthogonal}. Adjacent slices: 3×H×W = {adjacent}. "
                f"Both are '2.5-D'; say which one you mean.")
    return Problem("trap_25d", seed, question, (orthogonal, adjacent), solution,
                   hint="axial is H×W, coronal D×W, sagittal D×H; adjacent is 3 axial slices.",
                   data=dict(D=D, H=H, W=W))


GENERATORS = {
    "trap_tconv_padding": trap_tconv_padding,
    "trap_yolo": trap_yolo,
    "trap_segmentation": trap_segmentation,
    "trap_gradients": trap_gradients,
    "trap_early_stopping": trap_early_stopping,
    "trap_dropout": trap_dropout,
    "trap_uniform_init": trap_uniform_init,
    "trap_he": trap_he,
    "trap_full_conv": trap_full_conv,
    "trap_25d": trap_25d,
}
