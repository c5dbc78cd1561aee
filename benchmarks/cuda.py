"""CUDA: adjoint kernel time / primal kernel time for the kernels the tests check, and
a per-thread ensemble gradient (``numbad.grad(f, target="cuda")`` in a kernel) beside
JAX's ``jit(vmap(grad(f)))`` of the same function on JAX's default device.

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
    n_ode = min(n, 1 << 16)     # (its tape: ~2 floats per step per thread)
    pos, acc, dpos, dacc = _dev(rng.normal(size=(nb, 3)), np.zeros((nb, 3)),
                                np.zeros((nb, 3)), rng.normal(size=(nb, 3)))
    mass, dmass = _dev(rng.uniform(1, 2, nb), np.zeros(nb))
    m = n_ode
    params, y0, yo, dp, dy0, dyo = _dev(np.column_stack([rng.uniform(1, 4, m),
                                                         rng.uniform(0.05, 0.3, m)]),
                                        rng.normal(size=(m, 2)), np.zeros((m, 2)),
                                        np.zeros((m, 2)), np.zeros((m, 2)),
                                        rng.normal(size=(m, 2)))
    nbb = (nb + threads - 1) // threads
    return {
        "saxpy": (k.saxpy, (blocks, threads), (2.0, x, y, out),
                  (2.0, x, dx, y, dy, out, dout)),
        "stencil2d": (k.stencil2d, (grid2, (16, 16)), (0.05, u, kk, o2),
                      (0.05, u, du, kk, dk, o2, do2)),
        "nbody": (k.nbody_forces, (nbb, threads), (pos, mass, 0.1, acc),
                  (pos, dpos, mass, dmass, 0.1, acc, dacc)),
        "ensemble": (k.ensemble, ((m + threads - 1) // threads, threads),
                     (params, y0, 0.01, steps, yo),
                     (params, dp, y0, dy0, 0.01, steps, yo, dyo)),
    }


def energy_jax(k, c, x0, dt, steps):
    """tests/cuda_kernels.py's oscillator_energy in JAX."""
    import jax
    import jax.numpy as jnp

    def body(_, state):
        x, v = state
        v = v - dt * (k * x + c * v * jnp.abs(v))
        x = x + dt * v
        return jnp.where(x > 10.0, 10.0, x), v
    x, v = jax.lax.fori_loop(0, steps, body, (x0, 0.0 * x0))
    return 0.5 * v * v + 0.5 * k * jnp.sin(x) ** 2


def ensemble_vs_jax(n, steps):
    """Seconds per ensemble gradient: numbad's device-function gradient in a kernel, and
    JAX's jit(vmap(grad)) (None without JAX)."""
    rng = np.random.default_rng(0)
    ks, cs, x0s = rng.uniform(1, 3, n), rng.uniform(0.05, 0.2, n), rng.uniform(-1, 1, n)
    dev = _dev(ks, cs, x0s, np.zeros((n, 3)))
    config = ((n + 255) // 256, 256)
    numbad_run = synced(k.ensemble_gradients, config, (*dev[:3], 0.01, steps, dev[3]))
    numbad_run()
    row = {"members": n, "steps": steps}
    contenders = {"numbad": numbad_run}
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        grads = jax.jit(jax.vmap(jax.grad(energy_jax, argnums=(0, 1, 2)),
                                 in_axes=(0, 0, 0, None, None)), static_argnums=(4,))
        args = [jax.device_put(a) for a in (ks, cs, x0s)]
        contenders["jax"] = lambda: jax.block_until_ready(grads(*args, 0.01, steps))
        contenders["jax"]()
        row["jax_device"] = str(jax.devices()[0].platform)
    except ImportError:
        row["jax_device"] = None
    if SIMULATED:
        return row
    t = time_interleaved(contenders, repeat=7)
    for name in contenders:
        row[name + "_s"] = t[name]["median"]
    if "jax" in contenders:
        row["jax_over_numbad"] = row["jax_s"] / row["numbad_s"]
    return row


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
    ensemble = ensemble_vs_jax(16 if SIMULATED else (1 << 14 if quick else 1 << 18),
                               5 if SIMULATED else 400)
    if not SIMULATED:
        print("ensemble gradient, %d members x %d steps: numbad %.4f s, JAX (%s) %s"
              % (ensemble["members"], ensemble["steps"], ensemble["numbad_s"],
                 ensemble["jax_device"], "%.4f s" % ensemble["jax_s"]
                 if "jax_s" in ensemble else "not installed"), flush=True)
    out = {"ensemble": ensemble, "date": time.strftime("%Y-%m-%d"), "machine": platform.node(),
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
