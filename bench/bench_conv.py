"""How fast is dlcourse's conv2d next to PyTorch's on the CPU?

Times ``conv2d`` forward, and forward + backward, in float32 on the issue's shape
(x (64, 64, 32, 32), w (64, 64, 3, 3), padding 1) for dlcourse (NumPy + OpenBLAS) and for
torch on the same number of threads, and prints the median (and the best) of a few repeats
and the ratio dlcourse / torch.  The goal is a ratio of at most 2 (1.5 hoped for).

    python bench/bench_conv.py            # the issue's shape
    python bench/bench_conv.py --quick    # a small shape, a few seconds

The two libraries are timed alternately, so that load from other processes hits both.
"""

from __future__ import annotations

import argparse
import os
import time

PAUSE_S = 0.3

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shape, fewer repeats")
    parser.add_argument("--threads", type=int, default=2, help="threads for both libraries")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per entry")
    return parser.parse_args()


def timings_ms(fn_a, fn_b, repeats):
    """Wall times in ms of two functions, timed alternately after one warm-up each.

    A pause before each run lets the other library's idle worker threads stop spinning
    (both thread pools busy-wait for a while after a parallel region).
    """
    times = ([], [])
    fn_a(), fn_b()
    for _ in range(repeats):
        for fn, out in zip((fn_a, fn_b), times, strict=True):
            time.sleep(PAUSE_S)
            start = time.perf_counter()
            fn()
            out.append(1e3 * (time.perf_counter() - start))
    return times


def main():
    args = parse_args()
    # BLAS reads its thread count at import: set it before NumPy is imported.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch
    import torch.nn.functional as TF

    from dlcourse.nn import functional as F

    torch.set_num_threads(args.threads)
    n, c, size = (16, 32, 16) if args.quick else (64, 64, 32)
    repeats = args.repeats or (5 if args.quick else 7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = rng.standard_normal((c, c, 3, 3), dtype=np.float32)
    b = rng.standard_normal(c, dtype=np.float32)
    dout = rng.standard_normal((n, c, size, size), dtype=np.float32)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dout_t = torch.from_numpy(dout)

    def ours_forward():
        F.conv2d(x, w, b, padding=1)

    def ours_both():
        F.conv2d(x, w, b, padding=1)
        F.conv2d_backward(dout, x, w, b, padding=1)

    def torch_forward():
        with torch.no_grad():
            TF.conv2d(xt, wt, bt, padding=1)

    def torch_both():
        TF.conv2d(xt, wt, bt, padding=1).backward(dout_t)

    print(f"conv2d float32, x {tuple(x.shape)}, w {tuple(w.shape)}, padding 1; "
          f"{args.threads} threads, median of {repeats}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("median (and best) of each; a loaded machine slows NumPy's BLAS more than torch")
    print(f"{'':20}{'dlcourse ms':>18}{'torch ms':>18}{'ratio':>14}")
    for name, ours, theirs in (("forward", ours_forward, torch_forward),
                               ("forward + backward", ours_both, torch_both)):
        t_ours, t_torch = timings_ms(ours, theirs, repeats)
        (med_ours, best_ours), (med_torch, best_torch) = _summary(t_ours), _summary(t_torch)
        print(f"{name:20}{med_ours:10.1f} ({best_ours:5.1f}){med_torch:10.1f} ({best_torch:5.1f})"
              f"{med_ours / med_torch:7.2f} ({best_ours / best_torch:4.2f})")


def _summary(times):
    return sorted(times)[len(times) // 2], min(times)


if __name__ == "__main__":
    main()
