"""Train the small CNN on the digits with the dlcourse engine and with PyTorch: accuracy, time.

The issue's goal: with the engine, at least 97% test accuracy in under 30 s on 2 CPU cores.
For each seed, both engines train :func:`dlcourse.zoo.small_cnn` (C32-B-R-P-C64-B-R-P-GAP-L
by default) from the same initial weights, on the same minibatches, with Adam (lr 0.01,
decayed by 0.8 per epoch), batch size 32, 15 epochs, on 1,259 training images (8x8),
and are tested on 269 held-out images.  See :func:`dlcourse.zoo.recipes.train_digits_cnn`.

    python bench/bench_train_digits.py                 # 5 seeds, 8x8 images
    python bench/bench_train_digits.py --upsample 16   # the same on 16x16 images
    python bench/bench_train_digits.py --quick         # 1 seed, 3 epochs

The two engines are run alternately, so that load from other processes hits both.
"""

from __future__ import annotations

import argparse
import os
import statistics

from timing import use_threads


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="runs per engine (seeds 0, 1, ...)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--width", type=int, default=32, help="channels of the first conv")
    parser.add_argument("--upsample", type=int, default=None, help="image side (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both libraries")
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 epochs")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.quick:
        args.seeds, args.epochs = 1, 3
    use_threads(args.threads)                       # before NumPy and torch are imported
    import torch

    from dlcourse.zoo.recipes import ENGINES, train_digits_cnn

    torch.set_num_threads(args.threads)
    side = args.upsample or 8
    print(f"small_cnn(width={args.width}) on {side}x{side} digits, {args.epochs} epochs, "
          f"Adam; {args.threads} threads; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'seed':>4}  " + "  ".join(f"{e + ' acc':>14}{e + ' s':>12}" for e in ENGINES))
    runs = {engine: [] for engine in ENGINES}
    for seed in range(args.seeds):
        for engine in ENGINES:
            runs[engine].append(train_digits_cnn(engine, epochs=args.epochs, seed=seed,
                                                 width=args.width, upsample=args.upsample,
                                                 progress=False))
        print(f"{seed:>4}  " + "  ".join(f"{runs[e][-1].accuracy:14.3f}"
                                         f"{runs[e][-1].seconds:12.1f}" for e in ENGINES))
    ours, theirs = runs["dlcourse"], runs["torch"]
    accuracy = [r.accuracy for r in ours]
    seconds = statistics.median(r.seconds for r in ours)
    ratio = statistics.median(a.seconds / b.seconds for a, b in zip(ours, theirs, strict=True))
    print(f"dlcourse: test accuracy min {min(accuracy):.3f}, mean {statistics.mean(accuracy):.3f};"
          f" median time {seconds:.1f} s; median time ratio dlcourse / torch {ratio:.2f}")
    met = min(accuracy) >= 0.97 and max(r.seconds for r in ours) < 30
    print(f"goal (>= 97% test accuracy in < 30 s, every seed): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
