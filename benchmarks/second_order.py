"""Second derivatives: numbad's hvp (forward over reverse) vs its gradient, and Hessians
beside JAX.

Run:  python -m benchmarks.second_order [--quick]

(a) ``lorenz`` (benchmarks/workloads/lorenz.py: Lorenz-63, explicit Euler, 10^4 steps;
    10^3 with --quick): the cost of one Hessian-vector product over the cost of one
    gradient, for numbad (``numbad.hvp`` / ``numbad.grad``; target <= 4) and JAX
    (``jit(jvp(grad))`` / ``jit(grad)``, ``lax.fori_loop`` with a static trip count).
(b) ``chain``: a 100-parameter loop-heavy function (a Rosenbrock chain plus a
    recurrence through all parameters), its full 100 x 100 Hessian: numbad's
    ``numbad.hessian`` (batched forward over reverse: 4 directions per sweep by default,
    and 8) beside ``jax.jit(jax.hessian)``.

Correctness is checked before timing: numbad vs JAX (rtol 1e-8). All contenders are
timed interleaved in one process (harness.py); ratios are what to read.
Results: Markdown on stdout, JSON in benchmarks/results/.
"""
import argparse
import sys
import time

import numpy as np
from numba import njit

import numbad

from . import harness
from .workloads.lorenz import lorenz


@njit
def chain(p, steps):
    """A Rosenbrock chain over the parameters, then a damped recurrence through them."""
    n = p.shape[0]
    s = 0.0
    for i in range(n - 1):
        a = p[i + 1] - p[i] * p[i]
        b = 1.0 - p[i]
        s += 100.0 * a * a + b * b
    h = 0.0
    for _ in range(steps):
        for i in range(n):
            h = 0.9 * h + 0.1 * np.tanh(p[i] + h)
        s += h * h
    return s


def chain_jax():
    import jax
    import jax.numpy as jnp
    from jax import lax

    def f(p, steps):
        s = jnp.sum(100.0 * (p[1:] - p[:-1] ** 2) ** 2 + (1.0 - p[:-1]) ** 2)

        def step(carry, pi):
            h = 0.9 * carry + 0.1 * jnp.tanh(pi + carry)
            return h, None

        def outer(_, carry):
            h, s = carry
            h, _ = lax.scan(step, h, p)
            return h, s + h * h
        return lax.fori_loop(0, steps, outer, (0.0, s))[1]
    return jax.jit(jax.hessian(f), static_argnums=(1,))


def lorenz_jax():
    import jax
    from jax import lax

    def loss(p, dt, n):
        x0, y0, z0, sigma, rho, beta = p

        def body(i, s):
            x, y, z = s
            return (x + dt * (sigma * (y - x)), y + dt * (x * (rho - z) - y),
                    z + dt * (x * y - beta * z))
        x, y, z = lax.fori_loop(0, n, body, (x0, y0, z0))
        return x * x + y * y + z * z
    grad = jax.jit(jax.grad(loss), static_argnums=(2,))
    hvp = jax.jit(lambda p, v, dt, n: jax.jvp(lambda q: jax.grad(loss)(q, dt, n), (p,), (v,))[1],
                  static_argnums=(3,))
    return grad, hvp


def lorenz_params(p, dt, n):
    return lorenz(p[0], p[1], p[2], p[3], p[4], p[5], dt, n)


lorenz_params_jit = njit(lorenz_params)


def run(quick):
    jax = _jax()
    out = {}
    n = 1_000 if quick else 10_000
    p = np.array([1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0])
    v = np.array([0.5, -1.0, 0.3, 0.1, -0.2, 0.7])
    dt = 1e-4
    grad = numbad.grad(lorenz_params_jit)
    hvp = numbad.hvp(lorenz_params_jit)
    _, compile_grad = harness.first_call(lambda: grad(p, dt, n))
    _, compile_hvp = harness.first_call(lambda: hvp(p, dt, n, v))
    contenders = {"numbad grad": lambda: grad(p, dt, n), "numbad hvp": lambda: hvp(p, dt, n, v)}
    if jax is not None:
        jgrad, jhvp = lorenz_jax()
        np.testing.assert_allclose(hvp(p, dt, n, v), np.asarray(jhvp(p, v, dt, n)), rtol=1e-8)
        contenders["jax grad"] = lambda: jgrad(p, dt, n).block_until_ready()
        contenders["jax hvp"] = lambda: jhvp(p, v, dt, n).block_until_ready()
    times = harness.time_interleaved(contenders, repeat=9 if quick else 15, budget_s=30)
    best = {k: t["best"] for k, t in times.items()}
    out["lorenz"] = {"steps": n, "best_s": best, "compile_s": {"grad": compile_grad,
                                                              "hvp": compile_hvp},
                     "numbad_hvp_over_grad": best["numbad hvp"] / best["numbad grad"]}
    if jax is not None:
        out["lorenz"]["jax_hvp_over_grad"] = best["jax hvp"] / best["jax grad"]
        out["lorenz"]["jax_hvp_over_numbad_hvp"] = best["jax hvp"] / best["numbad hvp"]

    q = np.random.default_rng(0).uniform(0.5, 1.5, size=100)
    steps = 2 if quick else 20
    hessian = numbad.hessian(chain)
    h_numbad, compile_hessian = harness.first_call(lambda: hessian(q, steps))
    wide = numbad.hessian(chain, width=8)
    np.testing.assert_allclose(wide(q, steps), h_numbad, rtol=1e-12, atol=1e-12)
    contenders = {"numbad hessian": lambda: hessian(q, steps),
                  "numbad hessian width=8": lambda: wide(q, steps)}
    if jax is not None:
        jhess = chain_jax()
        np.testing.assert_allclose(h_numbad, np.asarray(jhess(q, steps)), rtol=1e-8, atol=1e-8)
        contenders["jax jit(hessian)"] = lambda: jhess(q, steps).block_until_ready()
    grad_chain = numbad.grad(chain)
    grad_chain(q, steps)
    contenders["numbad grad"] = lambda: grad_chain(q, steps)
    times = harness.time_interleaved(contenders, repeat=5 if quick else 9, budget_s=60)
    best = {k: t["best"] for k, t in times.items()}
    out["chain"] = {"parameters": 100, "steps": steps, "best_s": best,
                    "compile_s": compile_hessian,
                    "numbad_hessian_over_grad": best["numbad hessian"] / best["numbad grad"]}
    if jax is not None:
        out["chain"]["jax_over_numbad"] = best["jax jit(hessian)"] / best["numbad hessian"]
        out["chain"]["jax_over_numbad_width8"] = (best["jax jit(hessian)"]
                                                  / best["numbad hessian width=8"])
    return out


def _jax():
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    quick = ap.parse_args(argv).quick
    t0 = time.perf_counter()
    out = run(quick)
    lo, ch = out["lorenz"], out["chain"]
    rows = [[k, harness.fmt_time(t)] for k, t in lo["best_s"].items()]
    harness.print_table("Lorenz-63, %d steps: hvp vs gradient" % lo["steps"],
                        ["contender", "best"], rows)
    print("numbad hvp / grad: %s (target <= 4)" % harness.fmt_ratio(lo["numbad_hvp_over_grad"]))
    if "jax_hvp_over_grad" in lo:
        print("JAX hvp / grad: %s; JAX hvp / numbad hvp: %s" % (
            harness.fmt_ratio(lo["jax_hvp_over_grad"]),
            harness.fmt_ratio(lo["jax_hvp_over_numbad_hvp"])))
    rows = [[k, harness.fmt_time(t)] for k, t in ch["best_s"].items()]
    harness.print_table("100-parameter chain, %d steps: full Hessian" % ch["steps"],
                        ["contender", "best"], rows)
    print("numbad hessian / grad: %s; compile %.1f s" % (
        harness.fmt_ratio(ch["numbad_hessian_over_grad"]), ch["compile_s"]))
    if "jax_over_numbad" in ch:
        print("JAX jit(hessian) / numbad hessian: %s (width=8: %s)" % (
            harness.fmt_ratio(ch["jax_over_numbad"]),
            harness.fmt_ratio(ch["jax_over_numbad_width8"])))
    path = harness.write_json("second_order_quick" if quick else "second_order",
                              {"benchmark": "second_order", "quick": quick,
                               "total_s": time.perf_counter() - t0, **out})
    print("results written to %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
