"""1-D heat equation, explicit stencil stepped in place: numbad vs a hand-written adjoint vs JAX.

Run: ``python -m benchmarks.heat1d`` (``--quick`` for a short run).

The primal keeps two buffers and copies the new interior back each step
(element by element, as Numba code is written); ``heat_slices`` is the same
simulation written with slices (``u[1:-1] += ...``); the loss is the sum of
squares of the final temperature; the gradient is w.r.t. the initial profile
and the diffusivity. The hand-written adjoint stores every step's profile
(n floats per step) and runs the transposed stencil backwards; numbad's tape
holds what its analysis decides the reverse sweep needs.
"""
import argparse
import sys

import numpy as np
from numba import njit

import numbad
from benchmarks import harness


@njit
def heat(u0, alpha, steps):
    n = u0.shape[0]
    u = np.zeros(n)
    v = np.zeros(n)
    for i in range(n):
        u[i] = u0[i]
    for _ in range(steps):
        for i in range(1, n - 1):
            v[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = v[i]
    s = 0.0
    for i in range(n):
        s += u[i] * u[i]
    return s


@njit
def heat_slices(u0, alpha, steps):
    """The same simulation written with slices, stepped in place."""
    u = u0.copy()
    for _ in range(steps):
        u[1:-1] += alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:])
    return np.sum(u * u)


@njit
def heat_adjoint(u0, alpha, steps):
    """Hand-written reverse mode: store u before every step, transpose the stencil."""
    n = u0.shape[0]
    hist = np.empty((steps, n))
    u = u0.copy()
    v = np.zeros(n)
    for t in range(steps):
        hist[t] = u
        for i in range(1, n - 1):
            v[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = v[i]
    ub = 2.0 * u
    ab = 0.0
    vb = np.zeros(n)
    for t in range(steps - 1, -1, -1):
        u = hist[t]
        for i in range(1, n - 1):
            vb[i] = ub[i]
            ub[i] = 0.0
        for i in range(1, n - 1):
            lap = u[i - 1] - 2.0 * u[i] + u[i + 1]
            ab += vb[i] * lap
            ub[i] += vb[i] * (1.0 - 2.0 * alpha)
            ub[i - 1] += vb[i] * alpha
            ub[i + 1] += vb[i] * alpha
    return ub, ab


def heat_jax_grad():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def loss(u0, alpha, steps):
        def step(_, u):
            return u.at[1:-1].set(u[1:-1] + alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:]))
        return jnp.sum(jax.lax.fori_loop(0, steps, step, u0) ** 2)
    return jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=(2,))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args(argv)
    n, steps = (64, 1000) if opts.quick else (128, 10_000)
    u0 = np.sin(np.linspace(0.0, np.pi, n)) + 0.1 * np.cos(np.arange(n))
    args = (u0, 0.2, steps)

    g = numbad.grad(heat, argnums=(0, 1))
    (gu, ga), t_first = harness.first_call(lambda: g(*args))
    gs = numbad.grad(heat_slices, argnums=(0, 1))
    (su, sa), t_first_slices = harness.first_call(lambda: gs(*args))
    hu, ha = heat_adjoint(*args)
    for u_bar, a_bar in ((gu, ga), (su, sa)):
        np.testing.assert_allclose(u_bar, hu, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a_bar, ha, rtol=1e-9)
    contenders = {"primal": lambda: heat(*args), "numbad": lambda: g(*args),
                  "numbad slices": lambda: gs(*args), "hand": lambda: heat_adjoint(*args)}
    try:
        import jax
        jg = heat_jax_grad()
        ju, ja = jax.block_until_ready(jg(*args))
        np.testing.assert_allclose(np.asarray(ju), hu, rtol=1e-9, atol=1e-12)
        contenders["jax"] = lambda: jax.block_until_ready(jg(*args))
    except ImportError:
        print("jax not installed: its row is left out")
    times = harness.time_interleaved(contenders, repeat=9 if opts.quick else 15)
    best = {k: v["best"] for k, v in times.items()}
    rows = [[k, harness.fmt_time(v), harness.fmt_ratio(v / best["primal"])]
            for k, v in best.items()]
    harness.print_table("1-D heat, n=%d, %d steps (numbad first call %.2f s, tape %.1f MB; "
                        "slices: %.2f s, tape %.1f MB)"
                        % (n, steps, t_first, g.stats["tape_bytes"] / 1e6, t_first_slices,
                           gs.stats["tape_bytes"] / 1e6),
                        ["contender", "best", "x primal"], rows)
    ratios = {"numbad/hand": best["numbad"] / best["hand"],
              "numbad slices/hand": best["numbad slices"] / best["hand"]}
    if "jax" in best:
        ratios["jax/numbad"] = best["jax"] / best["numbad"]
    print("  ".join("%s %.2fx" % kv for kv in ratios.items()))
    harness.write_json("heat1d_quick" if opts.quick else "heat1d",
                       {"n": n, "steps": steps, "best_s": best, "ratios": ratios,
                        "tape_bytes": g.stats["tape_bytes"], "first_call_s": t_first,
                        "tape_bytes_slices": gs.stats["tape_bytes"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
