"""The environment that makes NumPy, OpenBLAS, MKL and PyTorch take another CPU kernel path.

Floating-point results in the last bits depend on which kernels a library picks for the CPU
(AVX-512, AVX2, SSE): they sum in another order.  A test or a checked notebook output that
holds on one path only asserts a trajectory, not the method.  ``tests/test_other_kernels.py``
therefore runs the tests marked ``kernel_sensitive`` and the solutions a second time under
:func:`other_kernel_env`, and ``tests/test_gpu_standin.py`` re-runs the lecture notebooks
(checked outputs included) under it.  Run as a script, this module prints the variables as
``NAME=value`` words for ``env`` (``env $(python tests/other_kernels.py) pytest ...``);
nothing where the CPU offers no second path.

An AVX-512 CPU goes down to its AVX2 kernels, an AVX2 CPU to its SSE4.2 ones.  A value the
caller already set is kept (e.g. ``OPENBLAS_CORETYPE`` chosen by hand).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# For each kind of CPU, the next path down: PyTorch's ATen kernels, MKL (PyTorch's BLAS),
# OpenBLAS (NumPy's BLAS) and NumPy's own dispatched loops.
_PATHS = {
    "avx512f": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2",
                "OPENBLAS_CORETYPE": "Haswell",
                "NPY_DISABLE_CPU_FEATURES": "X86_V4,AVX512_ICL,AVX512_SPR"},
    "avx2": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "SSE4_2",
             "OPENBLAS_CORETYPE": "Nehalem",
             "NPY_DISABLE_CPU_FEATURES": "X86_V3,X86_V4,AVX512_ICL,AVX512_SPR"},
}


def cpu_flags(cpuinfo: str) -> set[str]:
    """The flags of the first processor in the text of ``/proc/cpuinfo``.

    >>> sorted(cpu_flags("processor : 0\\nflags\\t\\t: fpu sse2 avx2\\n"))
    ['avx2', 'fpu', 'sse2']
    """
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return set(value.split())
    return set()


def other_kernel_env(flags: set[str], environ=os.environ) -> dict[str, str]:
    """Variables that select the next kernel path down from a CPU with ``flags``.

    Empty when there is none (no AVX2, or flags unknown).  Variables already in ``environ``
    are left out, so that they keep the value the caller chose.

    >>> other_kernel_env({"avx2", "avx512f"}, environ={})["ATEN_CPU_CAPABILITY"]
    'avx2'
    >>> other_kernel_env({"avx2"}, environ={"OPENBLAS_CORETYPE": "Zen"})["ATEN_CPU_CAPABILITY"]
    'default'
    >>> "OPENBLAS_CORETYPE" in other_kernel_env({"avx2"}, environ={"OPENBLAS_CORETYPE": "Zen"})
    False
    >>> other_kernel_env({"sse2"}, environ={})
    {}
    """
    for flag, env in _PATHS.items():
        if flag in flags:
            return {name: value for name, value in env.items() if name not in environ}
    return {}


def this_machine() -> dict[str, str]:
    """:func:`other_kernel_env` for the CPU this runs on (empty off Linux)."""
    cpuinfo = Path("/proc/cpuinfo")
    return other_kernel_env(cpu_flags(cpuinfo.read_text()) if cpuinfo.exists() else set())


if __name__ == "__main__":
    env = this_machine()
    if not env:
        print("this CPU offers no second kernel path (no AVX2)", file=sys.stderr)
    print(" ".join(f"{name}={value}" for name, value in env.items()))
