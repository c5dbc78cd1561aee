"""Compile the adjoint of every test kernel to PTX for a real GPU (sm_90), without one.

Run as a script with NUMBA_ENABLE_CUDASIM=0 (test_cuda_kernels runs it so): the
simulator runs generated kernels as Python and would not notice code that
numba-cuda cannot compile.  Prints one line per kernel; exit status 0 when all
compile, 3 when this machine has no NVVM (numba-cuda's CUDA toolkit extra).
"""
import os
import re
import sys

import numba.cuda.api
import numba.cuda.dispatcher
from numba import cuda, types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cuda_kernels as k  # noqa: E402

from numbad.cuda.launch import _Built  # noqa: E402

CC = (9, 0)


class _Device:
    """Stands in for the current device: device functions are compiled for CC."""
    compute_capability = CC


numba.cuda.api.get_current_device = numba.cuda.dispatcher.get_current_device = _Device

F1, F2 = types.Array(types.float64, 1, "A"), types.Array(types.float64, 2, "A")
KERNELS = [(k.saxpy, (types.float64, F1, F1, F1)),
           (k.stencil1d, (types.float64, F1, F1)),
           (k.stencil2d, (types.float64, F2, F2, F2)),
           (k.weighted_sum_of_squares, (F1, F1, F1)),
           (k.nbody_forces, (F2, F1, types.float64, F2)),
           (k.ensemble, (F2, F2, types.float64, types.int64, F2)),
           (k.decay_in_place, (F1, F1)),
           (k.grid_stride_scale, (F1, F1, F1)),
           (k.logistic_rows, (F1, F2, F2)),
           (k.neighbour_sum, (F1, F1))]


def adjoint_signature(arg_types):
    out = []
    for t in arg_types:
        out += [t, t] if isinstance(t, types.Array) else [t]
    return tuple(out) + (F2, types.Array(types.int64, 2, "A"), types.Array(types.int64, 1, "A"))


def main():
    try:
        from numba.cuda.cudadrv import nvvm
        nvvm.NVVM()
    except Exception as e:      # no CUDA toolkit here: nothing to check
        print("no NVVM: %s" % str(e).split("\n")[0])
        return 3
    for kernel, arg_types in KERNELS:
        built = _Built(kernel, arg_types)
        ptx, _ = cuda.compile_ptx(built.dispatcher.py_func, adjoint_signature(arg_types),
                                  cc=CC)
        print("%s: %d lines of PTX, %d atomic adds" % (
            kernel.py_func.__name__, ptx.count("\n"), len(re.findall(r"\b(?:atom|red)(?:\.global)?\.add\.f(?:32|64)", ptx))))
    for kernel, arg_types in [(k.ensemble_gradients, (F1, F1, F1, types.float64, types.int64,
                                                      F2)),
                              (k.ensemble_tangents, (F1, F1, F1, F1, F1, types.float64,
                                                     types.int64, F2))]:
        ptx, _ = cuda.compile_ptx(kernel.py_func, arg_types, cc=CC)
        print("%s: %d lines of PTX" % (kernel.py_func.__name__, ptx.count("\n")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
