"""CUDA: adjoint kernel time / primal kernel time for the kernels the tests check.

    python -m benchmarks.cuda [--quick]

Needs a GPU (numbad's CUDA tests run on the simulator; timings there mean nothing,
so under NUMBA_ENABLE_CUDASIM=1 this only runs each case once, small, as a smoke
check, and writes nothing). Kernels: tests/cuda_kernels.py (the ones the tests
differentiate). Writes benchmarks/results/cuda.json (cuda_quick.json with --quick).
"""
import json
import os
import pathlib
import platform
import sys
import time

import numpy as np
from numba import cuda

import numbad.cuda

from .harness import time_interleaved

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
import cuda_kernels as k  # noqa: E402  (the kernels the tests check)

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def _dev(*arrays):
    return [cuda.to_device(a) for a in arrays]


def cases(n, steps):
    """name -> (kernel, launch config, primal args, adjoint args)."""
    rng = np.random.default_rng(0)
    threads = 256
    blocks = (n + threads - 1) // threads
    x, y, out, dx, dy, dout = _dev(*(rng.normal(size=n) for _ in range(6)))
    side = int(np.sqrt(n))
    u, kk, o2, du, dk, do2 = _dev(*(rng.normal(size=(side, side)) for _ in range(6)))
    grid2 = ((side + 15) // 16, (side + 15) // 16)
    nb = min(n, 4096)
    pos, acc, dpos, dacc = _dev(rng.normal(size=(nb, 3)), np.zeros((nb, 3)),
                                np.zeros((nb, 3)), rng.normal(size=(nb, 3)))
    mass, dmass = _dev(rng.uniform(1, 2, nb), np.zeros(nb))
    params, y0, yo, dp, dy0, dyo = _dev(np.column_stack([rng.uniform(1, 4, n),
                                                         rng.uniform(0.05, 0.3, n)]),
                                        rng.normal(size=(n, 2)), np.zeros((n, 2)),
                                        np.zeros((n, 2)), np.zeros((n, 2)),
                                        rng.normal(size=(n, 2)))
    nbb = (nb + threads - 1) // threads
    return {
        "saxpy": (k.saxpy, (blocks, threads), (2.0, x, y, out),
                  (2.0, x, dx, y, dy, out, dout)),
        "stencil2d": (k.stencil2d, (grid2, (16, 16)), (0.05, u, kk, o2),
                      (0.05, u, du, kk, dk, o2, do2)),
        "nbody": (k.nbody_forces, (nbb, threads), (pos, mass, 0.1, acc),
                  (pos, dpos, mass, dmass, 0.1, acc, dacc)),
        "ensemble": (k.ensemble, (blocks, threads), (params, y0, 0.01, steps, yo),
                     (params, dp, y0, dy0, 0.01, steps, yo, dyo)),
    }


def synced(kernel, config, args):
    def run():
        kernel[config](*args)
        cuda.synchronize()
    return run


def main(quick=False):
    n = 64 if SIMULATED else (1 << 16 if quick else 1 << 20)
    rows = []
    for name, (kernel, config, primal, adjoint) in cases(n, 5 if SIMULATED else 1000).items():
        adj = numbad.cuda.grad_kernel(kernel)
        t0 = time.perf_counter()
        synced(adj, config, adjoint)()
        compile_s = time.perf_counter() - t0
        if SIMULATED:
            rows.append({"kernel": name, "n": n, "note": "simulator: not timed"})
            continue
        t = time_interleaved({"primal": synced(kernel, config, primal),
                              "adjoint": synced(adj, config, adjoint)}, repeat=7)
        rows.append({"kernel": name, "n": n, "primal_s": t["primal"]["median"],
                     "adjoint_s": t["adjoint"]["median"],
                     "ratio": t["adjoint"]["median"] / t["primal"]["median"],
                     "first_call_s": compile_s})
        print("%-10s n=%-8d adjoint/primal %.2fx" % (name, n, rows[-1]["ratio"]), flush=True)
    out = {"date": time.strftime("%Y-%m-%d"), "machine": platform.node(),
           "device": "simulator" if SIMULATED else cuda.get_current_device().name.decode()
           if isinstance(cuda.get_current_device().name, bytes)
           else str(cuda.get_current_device().name), "rows": rows}
    if SIMULATED:
        print("simulator: every adjoint ran once (%s); nothing timed or written"
              % ", ".join(r["kernel"] for r in rows))
        return out
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / ("cuda_quick.json" if quick else "cuda.json")
    path.write_text(json.dumps(out, indent=1))
    print("wrote", path)
    return out


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
