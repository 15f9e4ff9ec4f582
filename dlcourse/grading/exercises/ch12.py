"""Chapter 12 exercises: a practice-problem solver that reads a layer list written in words,
and "refute the notes": every error of the notes as a counter-example the learner computes.

Exam questions describe a network as text ("conv 3x3 stride 1 padding 1, then maxpool 2x2")
and ask for the output size and the receptive field.  The learner parses the text and
walks the layers.  ``tests/grading`` checks the reference against PyTorch layers (shapes)
and against the input pixels a PyTorch output unit depends on (receptive field).
"""

from __future__ import annotations

import numpy as np

from dlcourse.data.counterexamples import lesion_and_vessel, overfitting_curves
from dlcourse.grading.exercises.ch01 import NUMPY_ONLY
from dlcourse.grading.spec import Case, Exercise

A = np.array

FORBIDDEN = ("torch", "dlcourse.sizing", "dlcourse.zoo", "dlcourse.nn",
             "dlcourse.chapters.review.practice", "dlcourse.chapters.convolutions.receptive_fields")


# --- reference -----------------------------------------------------------------------------

def solve_layers(text, input_size):
    """``(output_size, receptive_field)`` of a square input of side ``input_size`` after the
    layers in ``text``.

    One layer per line: ``conv KxK``, ``maxpool KxK`` or ``avgpool KxK``, optionally
    followed by ``stride S`` and ``padding P`` (in any order).  The stride defaults to 1
    for a convolution and to K for a pooling layer, the padding to 0.  Blank lines and
    lines starting with ``#`` are ignored; upper or lower case does not matter."""
    size, field, jump = input_size, 1, 1
    for line in text.lower().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        k = int(words[1].split("x")[0])
        options = dict(zip(words[2::2], map(int, words[3::2]), strict=True))
        stride = options.get("stride", 1 if words[0] == "conv" else k)
        padding = options.get("padding", 0)
        size = (size + 2 * padding - k) // stride + 1
        field += (k - 1) * jump
        jump *= stride
    return size, field


# --- cases ---------------------------------------------------------------------------------

RF_HINT = ("the receptive field grows by (k - 1) times the product of the strides of the "
           "layers BEFORE this one: keep a running 'jump'")
DEFAULT_HINT = ("with no stride written, a convolution has stride 1 but a pooling layer "
                "has stride K (windows side by side)")


def _public():
    return [
        Case(("conv 3x3\nconv 3x3\nconv 3x3", 32),
             label="three 3x3 convolutions on 32x32: 26 and a receptive field of 7 "
                   "(from the notes)", hint="each stride-1 3x3 layer widens the field by 2"),
        Case(("conv 3x3 stride 1 padding 1\nconv 3x3 stride 1 padding 1\nmaxpool 2x2\n"
              "conv 3x3 stride 1 padding 1\nconv 3x3 stride 1 padding 1", 64),
             label="two convs, a 2x2 pool, two convs: receptive field 14 (from the notes)",
             hint=f"{DEFAULT_HINT}; and {RF_HINT}"),
        Case(("# a stem\nconv 7x7 stride 2 padding 3\n\nmaxpool 3x3 stride 2 padding 1", 224),
             label="ResNet's stem on 224x224: 56, with a comment and a blank line",
             hint="skip blank lines and lines starting with '#'; sizes round down"),
        Case(("conv 5x5\nmaxpool 2x2\nconv 5x5\nmaxpool 2x2", 32),
             label="LeNet-5's layers on 32x32: 5", hint=DEFAULT_HINT),
        Case(("CONV 3x3 padding 1 stride 2\nAvgPool 2x2 stride 1", 15),
             label="upper case, padding before stride, an average pool",
             hint="read the words in pairs: the name, then its number"),
    ]


def _edge():
    return [Case(("", 7), label="no layers: the input itself, field 1"),
            Case(("conv 1x1 stride 2\nconv 1x1 stride 2\nconv 3x3", 16),
                 label="strided 1x1 layers make the 3x3 conv see 9 pixels")]


KINDS = ("conv", "maxpool", "avgpool")


def _random_text(rng):
    lines, size = [], int(rng.integers(32, 129))
    for _ in range(int(rng.integers(1, 7))):
        kind = str(rng.choice(KINDS, p=[0.6, 0.25, 0.15]))
        k = int(rng.choice([1, 2, 3, 5, 7])) if kind == "conv" else int(rng.choice([2, 3]))
        words = [kind, f"{k}x{k}"]
        options = {}
        if rng.random() < 0.6:
            options["stride"] = int(rng.integers(1, 3))
        if kind == "conv" and rng.random() < 0.6:
            options["padding"] = int(rng.integers(0, k // 2 + 1))
        for name in rng.permutation(sorted(options)):
            words += [str(name), str(options[name])]
        candidate = "\n".join([*lines, " ".join(words)])
        if solve_layers(candidate, size)[0] < 1:
            break
        lines.append(" ".join(words))
    return "\n".join(lines), size


def _hidden(rng, student):
    cases = []
    for _ in range(6):
        text, size = _random_text(rng)
        cases.append(Case((text, size), label=f"random stack of {len(text.splitlines())} "
                                              f"layers on {size}x{size}"))
    return cases


# === "Refute the notes": each error of the notes, as a counter-example the learner computes ===
#
# Every function below computes the numbers that contradict one sentence of the notes (quoted
# in the notebook and in ``dlcourse.chapters.review.exam_map.TRAPS``).  ``tests/grading``
# checks each reference against PyTorch, SciPy or brute force.

TRAP_FORBIDDEN = (*NUMPY_ONLY, "scipy", "dlcourse.chapters", "dlcourse.detection",
                  "dlcourse.sizing", "dlcourse.zoo")


# --- references ----------------------------------------------------------------------------

def transposed_conv_cropped(x, k, stride, padding):
    """Single-channel transposed convolution as PyTorch's ``conv_transpose2d``: every input
    pixel stamps ``x[i, j] * k`` at ``(i * stride, j * stride)``, overlaps add up, then
    ``padding`` rows and columns are cropped from every border.

    x : (H, W), k : (KH, KW) -> ((H - 1) * stride + KH - 2 * padding, (W - 1) * stride + KW
    - 2 * padding)."""
    (h, w), (kh, kw) = x.shape, k.shape
    full = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw), dtype=x.dtype)
    for i in range(h):
        for j in range(w):
            full[i * stride:i * stride + kh, j * stride:j * stride + kw] += x[i, j] * k
    return full[padding:full.shape[0] - padding, padding:full.shape[1] - padding]


def yolo_counts(S, B, C):
    """Numbers a YOLO head predicts per image: ``(one class vector per cell (YOLOv1),
    one per anchor box (YOLOv2 on))`` = ``(S*S*(5*B + C), S*S*B*(5 + C))``."""
    return S * S * (5 * B + C), S * S * B * (5 + C)


def best_cluster_accuracy(clusters, mask):
    """The highest pixel accuracy any renaming of cluster ids into classes can reach.

    clusters, mask : integer arrays of one shape (a clustering and the labelled classes).
    Each cluster is best named after the class most of its pixels have; the result is the
    fraction of pixels that get their class that way (a float in [0, 1])."""
    hits = 0
    for c in np.unique(clusters):
        hits += np.bincount(mask[clusters == c]).max()
    return float(hits / mask.size)


_ACTIVATIONS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda h: h * (1 - h)),
    "tanh": (np.tanh, lambda h: 1 - h ** 2),
    "identity": (lambda z: z, np.ones_like),
}


def chain_gradients(w, b, x, activation):
    """The gradient that reaches every unit of a chain ``h_l = f(w_l h_{l-1} + b_l)``.

    w, b : (L,) weights and biases; x : the input h_0 (a number); activation : "sigmoid",
    "tanh" or "identity".  Returns the (L + 1,) array of d h_L / d h_l for l = 0 .. L
    (the last entry is 1): products of local gradients w_l f'(z_l) -- no learning rate."""
    f, slope = _ACTIVATIONS[activation]
    h = [float(x)]
    for wl, bl in zip(w, b, strict=True):
        h.append(float(f(wl * h[-1] + bl)))
    grads = [1.0]
    for layer in range(len(w), 0, -1):
        grads.append(grads[-1] * w[layer - 1] * float(slope(np.float64(h[layer]))))
    return np.array(grads[::-1])


def early_stopping(train_losses, val_losses, patience):
    """Three epochs (0-based): ``(best, stop, training_rise)``.

    best: the epoch with the lowest validation loss seen until stopping (the checkpoint to
    keep; the first one on ties); stop: the first epoch that is ``patience`` epochs past the
    best one (the last epoch if that never happens); training_rise: the first epoch whose
    training loss is higher than the one before, or -1 if it never rises (the notes' rule)."""
    best = 0
    for epoch, loss in enumerate(val_losses):
        if loss < val_losses[best]:
            best = epoch
        if epoch - best >= patience:
            break
    rises = np.flatnonzero(np.diff(train_losses) > 0)
    return best, epoch, int(rises[0]) + 1 if rises.size else -1


def dropout_means(x, u, p):
    """What a unit passes on, averaged over ``u.shape[0]`` training passes, under two recipes.

    x : (n,) activations; u : (passes, n) uniform numbers (unit i is dropped in pass t where
    ``u[t, i] < p``); p : the drop probability, as in ``torch.nn.Dropout(p)``.
    Returns ``(mixed_train, mixed_test, inverted_train, inverted_test)``, each (n,):
    mixed: drop with probability p, no scaling in training, multiply by p at test time (the
    notes' test rule with p read as the drop rate); inverted: scale the kept units by
    1 / (1 - p) in training, pass x unchanged at test time (PyTorch)."""
    kept = u >= p
    return ((x * kept).mean(axis=0), x * p, (x * kept / (1 - p)).mean(axis=0), x.copy())


def uniform_init_moments(n_in, low, high, x_mean, x_var):
    """Mean and standard deviation of a pre-activation ``z = sum_i w_i x_i`` over ``n_in``
    inputs, with weights drawn uniformly from [low, high] and inputs of mean ``x_mean`` and
    variance ``x_var`` (all independent).  Returns ``(mean, std)``."""
    w_mean = (low + high) / 2
    w_square = (low ** 2 + low * high + high ** 2) / 3
    var = n_in * (w_square * (x_var + x_mean ** 2) - w_mean ** 2 * x_mean ** 2)
    return n_in * w_mean * x_mean, float(np.sqrt(var))


def relu_he_moments(sigma):
    """What ReLU does to a zero-mean Gaussian pre-activation of standard deviation ``sigma``,
    and what that means for the next layer's initialisation.

    Returns ``(mean, mean_square, var_he, var_lecun)``: the mean of relu(z) (not zero:
    sigma / sqrt(2 pi)), its mean square (sigma^2 / 2, half of z's), and the variance of the
    next pre-activation with weights of variance 2 / n_in (He: sigma^2 again) and 1 / n_in
    (LeCun: halved at every layer)."""
    mean_square = sigma ** 2 / 2
    return sigma / np.sqrt(2 * np.pi), mean_square, 2 * mean_square, mean_square


def full_correlation(x, k):
    """'Full' cross-correlation of x (H, W) with k (KH, KW), as a conv layer computes it:
    every position where the kernel overlaps the input by at least one pixel, i.e. x padded
    with zeros, KH - 1 rows and KW - 1 columns on every side, then a 'valid' pass.
    Returns an (H + KH - 1, W + KW - 1) array."""
    (kh, kw) = k.shape
    padded = np.pad(x, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.zeros((out_h, out_w), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = (padded[i:i + kh, j:j + kw] * k).sum()
    return out


def input_25d(volume, z, y, x):
    """The two 2.5-D inputs for the voxel ``(z, y, x)`` of a volume (D, H, W).

    Returns ``(axial, coronal, sagittal, adjacent)``: the three orthogonal slices through the
    voxel -- ``volume[z]`` (H, W), ``volume[:, y]`` (D, W), ``volume[:, :, x]`` (D, H), the
    notes' definition -- and slices z - 1, z, z + 1 stacked as channels (3, H, W), the other
    common one (at the first or last slice the missing neighbour repeats the edge slice)."""
    depth = volume.shape[0]
    neighbours = [min(max(s, 0), depth - 1) for s in (z - 1, z, z + 1)]
    return volume[z].copy(), volume[:, y].copy(), volume[:, :, x].copy(), volume[neighbours]


# --- cases ---------------------------------------------------------------------------------

NOTES_I = A([[1.0, 2.0], [3.0, 4.0]])
NOTES_K = A([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]])


def _tconv_public():
    return [
        Case((NOTES_I, NOTES_K, 2, 1), label="the notes' I and K, stride 2, padding 1: 3x3",
             hint="stamp 1*K, 2*K, 3*K, 4*K two pixels apart into a 5x5 sum, then crop one "
                  "row/column from every border"),
        Case((NOTES_I, NOTES_K, 2, 0), label="the same without padding: the notes' 5x5",
             hint="(2 - 1) * 2 + 3 = 5 rows; overlapping stamps add up"),
        Case((A([[1.0, -1.0, 2.0]]), A([[1.0, 2.0]]), 1, 0), label="one row, stride 1",
             hint="stride 1: neighbouring stamps overlap by KW - 1 columns"),
    ]


def _tconv_hidden(rng, student):
    cases = []
    for _ in range(5):
        x = rng.integers(-3, 5, size=tuple(rng.integers(1, 4, size=2))).astype(float)
        k = rng.integers(-2, 3, size=tuple(rng.integers(1, 4, size=2))).astype(float)
        stride = int(rng.integers(1, 4))
        full = (x.shape[0] - 1) * stride + k.shape[0], (x.shape[1] - 1) * stride + k.shape[1]
        padding = int(rng.integers(0, (min(full) - 1) // 2 + 1))
        cases.append(Case((x, k, stride, padding), label=f"random {x.shape} input, {k.shape} "
                                                         f"kernel, stride {stride}, padding "
                                                         f"{padding}"))
    return cases


def _yolo_public():
    return [Case((7, 2, 5), label="the notes' question: B = 2, C = 5, S = 7",
                 hint="YOLOv1: 5 numbers per box plus ONE class vector per cell"),
            Case((7, 2, 20), label="the YOLOv1 paper: 7x7x30 = 1470"),
            Case((13, 5, 20), label="YOLOv2 on VOC: 13x13 cells, 5 anchors")]


def _yolo_hidden(rng, student):
    return [Case((int(rng.integers(1, 20)), int(rng.integers(1, 10)), int(rng.integers(1, 100))),
                 label="random S, B, C") for _ in range(4)]


def _clusters_public():
    image, mask = lesion_and_vessel()
    bright = (image > 0.5).astype(np.int64)
    return [
        Case((bright, mask), label="clusters by brightness on the lesion-and-vessel image: "
                                   "lesion and vessel share a cluster",
             hint="name each cluster after its most frequent class, count the pixels that "
                  "get their class"),
        Case((mask.copy(), mask), label="the labels themselves: 1.0"),
        Case((np.array([[5, 5], [9, 9]]), np.array([[1, 0], [1, 1]])),
             label="cluster ids are arbitrary numbers, not classes",
             hint="loop over the cluster ids that occur (np.unique), not over 0..n"),
    ]


def _clusters_hidden(rng, student):
    cases = []
    for _ in range(5):
        shape = tuple(int(s) for s in rng.integers(2, 9, size=2))
        mask = rng.integers(0, int(rng.integers(2, 5)), size=shape)
        clusters = np.where(rng.random(shape) < 0.7, mask, rng.integers(0, 3, size=shape)) * 3
        cases.append(Case((clusters, mask), label=f"random {shape} clustering"))
    return cases


def _chain_public():
    depth = 10
    return [
        Case((np.ones(depth), np.zeros(depth), 0.0, "sigmoid"),
             label="10 sigmoid units, w = 1: the gradient vanishes with no learning rate "
                   "anywhere", hint="each layer multiplies by w * f'(z) = w * h (1 - h)"),
        Case((np.full(depth, 2.0), np.zeros(depth), 1.0, "identity"),
             label="10 identity units, w = 2: it explodes (2^10)",
             hint="the gradient at unit l is the product of the w's of the layers above it"),
        Case((A([0.5, 3.0, -1.0]), A([0.1, -0.2, 0.0]), 0.3, "tanh"),
             label="three tanh units", hint="tanh'(z) = 1 - tanh(z)^2 = 1 - h^2"),
    ]


def _chain_hidden(rng, student):
    cases = []
    for name in ("sigmoid", "tanh", "identity", "sigmoid"):
        depth = int(rng.integers(1, 12))
        cases.append(Case((rng.normal(0, 2, depth).round(2), rng.normal(0, 1, depth).round(2),
                           round(float(rng.normal()), 2), name),
                          label=f"random chain of {depth} {name} units"))
    return cases


def _stop_public():
    train, val = overfitting_curves()
    return [
        Case((train, val, 3), label="the usual overfitting curves: the training loss never "
                                    "rises, the validation loss does",
             hint="keep the epoch of the lowest validation loss; stop `patience` epochs after "
                  "it"),
        Case((A([1.0, 0.9, 0.95, 0.8]), A([1.0, 0.7, 0.8, 0.9]), 5),
             label="patience longer than training: stop at the last epoch",
             hint="if the patience never runs out, stop is the last epoch"),
        Case((A([1.0, 0.8, 0.6]), A([0.5, 0.5, 0.5]), 2),
             label="a flat validation loss: ties do not count as improvement",
             hint="only a strictly lower validation loss moves the best epoch"),
    ]


def _stop_hidden(rng, student):
    cases = []
    for _ in range(5):
        n = int(rng.integers(2, 30))
        train = np.cumsum(rng.normal(-0.05, 0.03, n)) + 2
        val = train + np.cumsum(rng.normal(0.01, 0.05, n))
        cases.append(Case((train.round(3), val.round(3), int(rng.integers(1, 6))),
                          label=f"random curves over {n} epochs"))
    return cases


def _dropout_public():
    x = A([1.0, 2.0, -0.5, 4.0])
    u = np.random.default_rng(0).random((4000, 4))
    return [
        Case((x, u, 0.2), label="p = 0.2 (PyTorch's drop probability), 4000 passes",
             hint="mixed: mean of x * (u >= p) over passes, and x * p; inverted: mean of "
                  "x * (u >= p) / (1 - p), and x"),
        Case((x, u[:3], 0.5),
             label="p = 0.5, three passes: the one p where the mixed rules agree on average"),
        Case((x, u[:1], 0.0), label="p = 0: nothing is dropped"),
    ]


def _dropout_hidden(rng, student):
    cases = []
    for _ in range(4):
        n = int(rng.integers(1, 8))
        cases.append(Case((rng.normal(0, 2, n).round(2), rng.random((int(rng.integers(1, 50)),
                                                                      n)),
                           round(float(rng.uniform(0, 0.9)), 2)), label=f"random {n} units"))
    return cases


def _uniform_public():
    return [
        Case((100, 0.0, 1.0, 0.5, 1 / 12), label="the notes' U[0, 1] on 100 pixels in [0, 1]: "
                                                  "every unit starts at z = 25",
             hint="E[z] = n E[w] E[x]; Var(w x) = E[w^2] E[x^2] - E[w]^2 E[x]^2"),
        Case((100, -np.sqrt(6 / 200), np.sqrt(6 / 200), 0.5, 1 / 12),
             label="Xavier's zero-mean range +-sqrt(6 / (n_in + n_out)): mean 0",
             hint="E[w^2] of U[a, b] is (a^2 + ab + b^2) / 3"),
        Case((100, 0.0, 1.0, 0.0, 1.0), label="U[0, 1] on zero-mean inputs: std 5.8 instead "
                                              "of about 1"),
    ]


def _uniform_hidden(rng, student):
    cases = []
    for _ in range(4):
        low = round(float(rng.uniform(-1, 0.5)), 2)
        high = low + round(float(rng.uniform(0.1, 2)), 2)
        cases.append(Case((int(rng.integers(1, 1000)), low, high,
                           round(float(rng.normal()), 2), round(float(rng.uniform(0.01, 3)), 2)),
                          label="random fan-in, range and input statistics"))
    return cases


def _relu_public():
    return [Case((1.0,), label="z ~ N(0, 1): relu(z) has mean 0.399, not 0",
                 hint="E[relu(z)] = sigma / sqrt(2 pi); E[relu(z)^2] = sigma^2 / 2 (half of "
                      "the Gaussian is cut to 0)"),
            Case((2.0,), label="sigma = 2"),
            Case((0.1,), label="sigma = 0.1")]


def _relu_hidden(rng, student):
    return [Case((float(rng.uniform(0.01, 10)),), label="random sigma") for _ in range(3)]


def _full_public():
    return [
        Case((A([[1.0, 2.0], [3.0, 4.0]]), A([[1.0, 1.0], [1.0, 1.0]])),
             label="2x2 input, 2x2 kernel of ones: 3x3, the corners see one pixel each",
             hint="pad with K - 1 zeros on every side, then slide the kernel over every "
                  "position"),
        Case((A([[1.0, 2.0, 3.0]]), A([[1.0, 0.0, -1.0]])), label="one row: 1x5",
             hint="correlate: do not flip the kernel"),
        Case((np.arange(9.0).reshape(3, 3), A([[0.0, 1.0], [2.0, 3.0]])),
             label="3x3 input, 2x2 kernel: 4x4"),
    ]


def _full_hidden(rng, student):
    return [Case((rng.integers(-3, 4, size=tuple(rng.integers(1, 6, size=2))).astype(float),
                  rng.integers(-2, 3, size=tuple(rng.integers(1, 4, size=2))).astype(float)),
                 label="random input and kernel") for _ in range(5)]


def _volume(shape, seed=0):
    return np.arange(int(np.prod(shape)), dtype=float).reshape(shape) + seed


def _25d_public():
    return [
        Case((_volume((5, 4, 3)), 2, 1, 0), label="a 5x4x3 volume, voxel (2, 1, 0)",
             hint="axial volume[z], coronal volume[:, y], sagittal volume[:, :, x]; adjacent: "
                  "volume[z - 1 : z + 2]"),
        Case((_volume((4, 4, 4)), 0, 3, 2), label="the first slice: repeat it for the missing "
                                                  "neighbour",
             hint="clip the slice indices z - 1 and z + 1 to 0 .. D - 1"),
        Case((_volume((1, 2, 2)), 0, 0, 0), label="a single slice"),
    ]


def _25d_hidden(rng, student):
    cases = []
    for _ in range(4):
        shape = tuple(int(s) for s in rng.integers(1, 7, size=3))
        voxel = tuple(int(rng.integers(0, s)) for s in shape)
        cases.append(Case((rng.normal(size=shape).round(2), *voxel),
                          label=f"random {shape} volume"))
    return cases


# the counter-examples' data, which the exercise notebook imports (data, not answers)
COUNTEREXAMPLES = ("dlcourse.data.counterexamples",)


def _trap(function, points, reference, public, hidden, hint, names=None, **options):
    return Exercise(f"ch12.{function}", function, points, reference, public, hidden,
                    forbidden=TRAP_FORBIDDEN, output_names=names, hint=hint, **options)


EXERCISES = [
    Exercise("ch12.solve_layers", "solve_layers", 3, solve_layers, _public, _hidden,
             edge=_edge, forbidden=FORBIDDEN, output_names=("output_size", "receptive_field"),
             hint="size = (size + 2p - k) // s + 1; field += (k - 1) * jump; jump *= s"),
    _trap("transposed_conv_cropped", 2, transposed_conv_cropped, _tconv_public, _tconv_hidden,
          "stamp x[i, j] * k at (i * s, j * s), add overlaps, crop `padding` from each border"),
    _trap("yolo_counts", 1, yolo_counts, _yolo_public, _yolo_hidden,
          "v1: S*S*(5B + C); anchors: S*S*B*(5 + C)", names=("v1", "anchors")),
    _trap("best_cluster_accuracy", 2, best_cluster_accuracy, _clusters_public, _clusters_hidden,
          "for each cluster id, count the pixels of its most frequent class; divide by all",
          allowed=COUNTEREXAMPLES),
    _trap("chain_gradients", 2, chain_gradients, _chain_public, _chain_hidden,
          "forward to get every h_l, then multiply backwards: g_{l-1} = g_l * w_l * f'(z_l)",
          rtol=1e-7, atol=1e-12),
    _trap("early_stopping", 2, early_stopping, _stop_public, _stop_hidden,
          "track the best validation epoch; stop when epoch - best reaches the patience",
          names=("best", "stop", "training_rise"), allowed=COUNTEREXAMPLES),
    _trap("dropout_means", 2, dropout_means, _dropout_public, _dropout_hidden,
          "kept = u >= p; average over axis 0 (the passes)",
          names=("mixed_train", "mixed_test", "inverted_train", "inverted_test")),
    _trap("uniform_init_moments", 2, uniform_init_moments, _uniform_public, _uniform_hidden,
          "sum of n independent terms: the means add and the variances add",
          names=("mean", "std")),
    _trap("relu_he_moments", 2, relu_he_moments, _relu_public, _relu_hidden,
          "half of a zero-mean Gaussian is cut to 0 by ReLU: its mean square halves",
          names=("mean", "mean_square", "var_he", "var_lecun")),
    _trap("full_correlation", 2, full_correlation, _full_public, _full_hidden,
          "np.pad with K - 1 zeros on each side, then a valid correlation"),
    _trap("input_25d", 2, input_25d, _25d_public, _25d_hidden,
          "index the volume along each axis; clip z - 1 and z + 1 into the volume",
          names=("axial", "coronal", "sagittal", "adjacent")),
]
