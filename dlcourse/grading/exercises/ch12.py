"""Chapter 12 exercise: a practice-problem solver that reads a layer list written in words.

Exam questions describe a network as text ("conv 3x3 stride 1 padding 1, then maxpool 2x2")
and ask for the output size and the receptive field.  The learner parses the text and
walks the layers.  ``tests/grading`` checks the reference against PyTorch layers (shapes)
and against the input pixels a PyTorch output unit depends on (receptive field).
"""

from __future__ import annotations

from dlcourse.grading.spec import Case, Exercise

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


EXERCISES = [
    Exercise("ch12.solve_layers", "solve_layers", 3, solve_layers, _public, _hidden,
             edge=_edge, forbidden=FORBIDDEN, output_names=("output_size", "receptive_field"),
             hint="size = (size + 2p - k) // s + 1; field += (k - 1) * jump; jump *= s"),
]

