"""Time dlcourse's max pooling and batch norm (forward + backward) against PyTorch on CPU.

Usage::

    python bench/bench_pool_norm.py            # (64, 64, 32, 32) float32, best of 10
    python bench/bench_pool_norm.py --quick    # smaller input, best of 3

PyTorch runs with 2 threads; dlcourse is NumPy (one thread).  The ratio is
dlcourse / torch (below 1: dlcourse is faster).  On a busy shared machine PyTorch's
thread pool can wake slowly, making every torch call tens of milliseconds; when the torch
column jumps like that, rerun on a quieter machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as TF

from dlcourse.nn import functional as F


def best_time(fn, repeat):
    """Best wall-clock seconds of ``repeat`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cases(x):
    """``name -> (dlcourse fwd+bwd, torch fwd+bwd)`` closures on the same input ``x``."""
    channels = x.shape[1]
    dout_pool = np.ones(F.max_pool2d(x, 2).shape, dtype=x.dtype)
    dout = np.ones_like(x)
    weight, bias = np.ones(channels, np.float32), np.zeros(channels, np.float32)
    mean, var = np.zeros(channels, np.float32), np.ones(channels, np.float32)

    def ours_pool():
        F.max_pool2d(x, 2, 2)
        F.max_pool2d_backward(dout_pool, x, 2, 2)

    def ours_pool_indices():  # what a layer caching the indices does
        _, indices = F.max_pool2d_with_indices(x, 2, 2)
        F.max_pool2d_backward(dout_pool, x, 2, 2, indices=indices)

    def ours_norm():
        _, m, s = F.batch_norm_with_stats(x, mean, var, weight, bias, training=True)
        F.batch_norm_backward(dout, x, mean, var, weight, bias, training=True,
                              mean=m, inv_std=s)

    t_x = torch.tensor(x, requires_grad=True)
    t_weight = torch.tensor(weight, requires_grad=True)
    t_bias = torch.tensor(bias, requires_grad=True)
    t_mean, t_var = torch.tensor(mean), torch.tensor(var)

    def torch_pool():
        TF.max_pool2d(t_x, 2, 2).backward(torch.from_numpy(dout_pool))

    def torch_norm():
        out = TF.batch_norm(t_x, t_mean, t_var, t_weight, t_bias, training=True)
        out.backward(torch.from_numpy(dout))

    return {
        "max_pool2d 2x2 s2 fwd+bwd": (ours_pool, torch_pool),
        "max_pool2d_with_indices 2x2 s2 fwd+bwd": (ours_pool_indices, torch_pool),
        "batch_norm train fwd+bwd": (ours_norm, torch_norm),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small input, few repeats")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    shape, repeat = ((16, 16, 32, 32), 3) if args.quick else ((64, 64, 32, 32), 10)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    print(f"input {shape} float32, torch {torch.__version__} on {torch.get_num_threads()} "
          f"threads, numpy {np.__version__}, best of {repeat}")
    print(f"{'op':<42}{'dlcourse ms':>12}{'torch ms':>10}{'ratio':>8}")
    for name, (ours, theirs) in cases(x).items():
        t_ours, t_theirs = best_time(ours, repeat), best_time(theirs, repeat)
        print(f"{name:<42}{t_ours * 1e3:>12.2f}{t_theirs * 1e3:>10.2f}"
              f"{t_ours / t_theirs:>8.2f}")


if __name__ == "__main__":
    main()
