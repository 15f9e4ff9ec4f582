"""The small CNN on MNIST with the dlcourse engine, PyTorch's time on the same run beside it.

The issue's goal: where MNIST is cached, :func:`dlcourse.zoo.small_cnn` (C32-B-R-P-C64-B-R-P
-GAP-L) reaches at least 98% test accuracy within 5 minutes on 2 CPU cores with the engine.
Both engines train from the same weights on the same minibatches (Adam, lr 0.01 decayed by
0.8 per epoch; see :func:`dlcourse.zoo.recipes.train_cnn`) on 55,000 training images, validate
on the other 5,000 after each epoch and are tested on the 10,000 test images.

Where MNIST is not cached (a machine without a network), the script says so and times one
epoch of both engines on a generated stand-in of the same shape: 60,000 random images
1x28x28 (labels random too: it measures speed, not learning).

    python bench/bench_train_real.py                  # MNIST if cached, else the stand-in
    python bench/bench_train_real.py --samples 6000   # a tenth of the stand-in (quick)
    python bench/bench_train_real.py --device gpu     # the engine on CuPy instead of NumPy
"""

from __future__ import annotations

import argparse
import os

from timing import use_threads

GOAL_ACCURACY, GOAL_S = 0.98, 300.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="passes over MNIST")
    parser.add_argument("--width", type=int, default=32, help="channels of the first conv")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="threads for both libraries")
    parser.add_argument("--samples", type=int, default=60000, help="stand-in size")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                        help="where the engine runs (torch stays on the CPU)")
    return parser.parse_args()


def mnist_split():
    """MNIST as (train, val, test): the last 5,000 training images validate."""
    from dlcourse import data

    X, y = data.mnist(download=False)
    test = data.mnist(train=False, download=False)
    return data.Split((X[:55000], y[:55000]), (X[55000:], y[55000:]), test)


def stand_in_split(samples: int):
    """Random images ``(samples, 1, 28, 28)`` float32 and labels; small val and test sets."""
    import numpy as np

    from dlcourse import data

    rng = np.random.default_rng(0)

    def part(n):
        return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)

    return data.Split(part(samples), part(1000), part(1000))


def main():
    args = parse_args()
    use_threads(args.threads)                       # before NumPy and torch are imported
    import torch

    from dlcourse import backend, data
    from dlcourse.zoo.recipes import ENGINES, train_cnn

    torch.set_num_threads(args.threads)
    if args.device == "gpu":
        ok, why = backend.gpu_status()
        if not ok:
            print(f"--device gpu skipped: {why}")
            return
        backend.use("cupy")
    real = data.available("mnist")
    if real:
        split, epochs = mnist_split(), args.epochs
        what = f"MNIST (55,000 train, 5,000 val, 10,000 test), {epochs} epochs"
    else:
        split, epochs = stand_in_split(args.samples), 1
        what = (f"a generated stand-in of {args.samples} x 1 x 28 x 28 (MNIST is not cached: "
                "`data.download('mnist')` fetches it), 1 epoch, timing only")
    print(f"small_cnn(width={args.width}) on {what}; batch {args.batch_size}, Adam; engine "
          f"on {backend.current()}, torch on the CPU; {args.threads} threads; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    runs = {}
    for engine in ENGINES:
        runs[engine] = train_cnn(engine, split, epochs=epochs, width=args.width,
                                 batch_size=args.batch_size, progress=False)
        print(f"{engine:>9}: {runs[engine].seconds:7.1f} s  test accuracy "
              f"{runs[engine].accuracy:.4f}", flush=True)
    ours, theirs = runs["dlcourse"], runs["torch"]
    print(f"time ratio dlcourse / torch {ours.seconds / theirs.seconds:.2f}")
    if real:
        met = ours.accuracy >= GOAL_ACCURACY and ours.seconds <= GOAL_S
        print(f"goal (>= {GOAL_ACCURACY:.0%} test accuracy within {GOAL_S:.0f} s): "
              f"{'met' if met else 'NOT met'}")
    else:
        print(f"one epoch on the stand-in: {ours.seconds:.1f} s with the engine "
              f"({ours.seconds / len(split.train[0]) * 60000:.1f} s per 60,000 images)")


if __name__ == "__main__":
    main()
