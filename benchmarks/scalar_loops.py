"""Gradients of loop-heavy scalar kernels: numbad vs primal, hand adjoint, JAX.

Run:  python -m benchmarks.scalar_loops [--quick] [--repeat K]

Two kernels, each a long loop over a few float64 scalars:

(a) ``lorenz``: Lorenz-63, explicit Euler, ``n`` steps (10^5; 10^4 with
    --quick), loss = x^2 + y^2 + z^2 of the final state; gradient w.r.t.
    (x0, y0, z0, sigma, rho, beta); ``dt`` and ``n`` not differentiated.
(b) ``oscillator``: damped oscillator x'' = -k x - c x', semi-implicit Euler,
    run in a ``while`` loop until the energy 0.5 v^2 + 0.5 k x^2 falls below a
    threshold (data-dependent trip count, ~10^5 steps; ~10^4 with --quick),
    capped at ``maxsteps``; loss = x + v at exit; gradient w.r.t. (k, c, x0).
    The loss is piecewise smooth: its derivative is the one at fixed trip
    count, and finite differences are checked to keep the trip count.

Contenders per kernel, timed interleaved in one process (see harness.py):
  primal   the ``@numba.njit`` function itself
  numbad   ``numbad.grad(f, argnums=...)`` (first call = compile, reported apart)
  hand     hand-written ``@njit`` adjoint: forward sweep storing the state of
           every step (a preallocated array for the ``for`` loop, a growable one
           for the ``while`` loop), reverse sweep recomputing the intermediates
           from it; like numbad's gradient it allocates its tape on every call
  jax      ``jax.jit(jax.grad(...))`` with ``lax.fori_loop`` (static trip count,
           x64); for the ``while`` kernel JAX cannot reverse-differentiate
           ``lax.while_loop`` and the row says so.

Correctness is checked before timing: hand vs central finite differences,
numbad vs hand (rtol 1e-6), JAX vs hand (rtol 1e-6).
Results: a Markdown table on stdout, JSON in benchmarks/results/.
"""
import argparse
import sys
import time
import traceback

import numpy as np
from numba import njit

from . import harness

try:
    import numbad
    NUMBAD_IMPORT_ERROR = None
except Exception as exc:  # not written yet, or broken: the rest still runs
    numbad = None
    NUMBAD_IMPORT_ERROR = "%s: %s" % (type(exc).__name__, exc)

RTOL = 1e-6


# ---------------------------------------------------------------------------
# (a) Lorenz-63, explicit Euler, fixed trip count
# ---------------------------------------------------------------------------

@njit
def lorenz(x0, y0, z0, sigma, rho, beta, dt, n):
    x = x0
    y = y0
    z = z0
    for _ in range(n):
        xn = x + dt * (sigma * (y - x))
        yn = y + dt * (x * (rho - z) - y)
        zn = z + dt * (x * y - beta * z)
        x = xn
        y = yn
        z = zn
    return x * x + y * y + z * z


@njit
def lorenz_adjoint(x0, y0, z0, sigma, rho, beta, dt, n):
    """Hand-written reverse mode of ``lorenz`` (store every state, then sweep back)."""
    xs = np.empty(n)
    ys = np.empty(n)
    zs = np.empty(n)
    x = x0
    y = y0
    z = z0
    for i in range(n):
        xs[i] = x
        ys[i] = y
        zs[i] = z
        xn = x + dt * (sigma * (y - x))
        yn = y + dt * (x * (rho - z) - y)
        zn = z + dt * (x * y - beta * z)
        x = xn
        y = yn
        z = zn
    xb = 2.0 * x
    yb = 2.0 * y
    zb = 2.0 * z
    sigmab = 0.0
    rhob = 0.0
    betab = 0.0
    for i in range(n - 1, -1, -1):
        x = xs[i]
        y = ys[i]
        z = zs[i]
        sigmab += dt * (y - x) * xb
        rhob += dt * x * yb
        betab -= dt * z * zb
        xb_new = xb * (1.0 - dt * sigma) + yb * (dt * (rho - z)) + zb * (dt * y)
        yb_new = xb * (dt * sigma) + yb * (1.0 - dt) + zb * (dt * x)
        zb_new = zb * (1.0 - dt * beta) - yb * (dt * x)
        xb = xb_new
        yb = yb_new
        zb = zb_new
    return xb, yb, zb, sigmab, rhob, betab


def lorenz_jax_grad():
    import jax
    from jax import lax

    def loss(x0, y0, z0, sigma, rho, beta, dt, n):
        def body(i, s):
            x, y, z = s
            return (x + dt * (sigma * (y - x)),
                    y + dt * (x * (rho - z) - y),
                    z + dt * (x * y - beta * z))
        x, y, z = lax.fori_loop(0, n, body, (x0, y0, z0))
        return x * x + y * y + z * z

    # n static: a fori_loop with a traced trip count becomes a while_loop,
    # which reverse mode rejects; with a static one it is a scan.
    return jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3, 4, 5)), static_argnums=(7,))


# ---------------------------------------------------------------------------
# (b) damped oscillator, while loop until the energy is below a threshold
# ---------------------------------------------------------------------------

@njit
def oscillator(k, c, x0, dt, thresh, maxsteps):
    x = x0
    v = 0.0
    i = 0
    while 0.5 * v * v + 0.5 * k * x * x > thresh and i < maxsteps:
        a = -k * x - c * v
        v = v + dt * a
        x = x + dt * v
        i += 1
    return x + v


@njit
def oscillator_steps(k, c, x0, dt, thresh, maxsteps):
    """Trip count of ``oscillator`` (for the finite-difference check)."""
    x = x0
    v = 0.0
    i = 0
    while 0.5 * v * v + 0.5 * k * x * x > thresh and i < maxsteps:
        a = -k * x - c * v
        v = v + dt * a
        x = x + dt * v
        i += 1
    return i


@njit
def oscillator_adjoint(k, c, x0, dt, thresh, maxsteps):
    """Hand-written reverse mode of ``oscillator``: tape of (x, v) per step,
    interleaved in a growable 1-D array (doubling, element-wise copy: a 2-D
    slice copy took Numba 6 s to compile; preallocating the cap ran slower)."""
    cap = 1024
    tape = np.empty(2 * cap)
    x = x0
    v = 0.0
    i = 0
    while 0.5 * v * v + 0.5 * k * x * x > thresh and i < maxsteps:
        if i == cap:
            bigger = np.empty(4 * cap)
            for j in range(2 * cap):
                bigger[j] = tape[j]
            tape = bigger
            cap *= 2
        tape[2 * i] = x
        tape[2 * i + 1] = v
        a = -k * x - c * v
        v = v + dt * a
        x = x + dt * v
        i += 1
    xb = 1.0
    vb = 1.0
    kb = 0.0
    cb = 0.0
    for j in range(i - 1, -1, -1):
        x = tape[2 * j]
        v = tape[2 * j + 1]
        vb += dt * xb                 # x1 = x + dt*v1
        kb -= dt * x * vb             # v1 = v + dt*(-k*x - c*v)
        cb -= dt * v * vb
        xb -= dt * k * vb
        vb = vb * (1.0 - dt * c)
    return kb, cb, xb


def oscillator_jax_grad():
    import jax
    from jax import lax

    def loss(k, c, x0, dt, thresh, maxsteps):
        def cond(s):
            x, v, i = s
            return (0.5 * v * v + 0.5 * k * x * x > thresh) & (i < maxsteps)

        def body(s):
            x, v, i = s
            a = -k * x - c * v
            v = v + dt * a
            return (x + dt * v, v, i + 1)
        x, v, i = lax.while_loop(cond, body, (x0, 0.0 * x0, 0))
        return x + v

    return jax.jit(jax.grad(loss, argnums=(0, 1, 2)))


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------

def rel_err(a, b):
    """max |a - b| / max |b| (one scale for the whole gradient)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def central_fd(f, args, argnums, rel_h, same_branch=None):
    """Central differences with step rel_h * max(|p|, 1) per argument.

    ``same_branch(args_plus, args_minus)`` (optional) must hold at the two
    points, else the step is shrunk (piecewise-smooth functions)."""
    out = []
    for i in argnums:
        h = rel_h * max(abs(args[i]), 1.0)
        for _ in range(20):
            ap = list(args)
            am = list(args)
            ap[i] = args[i] + h
            am[i] = args[i] - h
            if same_branch is None or same_branch(ap, am):
                break
            h *= 0.5
        else:
            raise RuntimeError("finite differences: no step keeps the trip count (arg %d)" % i)
        out.append((f(*ap) - f(*am)) / (ap[i] - am[i]))
    return np.array(out)


# ---------------------------------------------------------------------------
# one kernel
# ---------------------------------------------------------------------------

def run_kernel(name, spec, repeat, budget_s):
    f, hand, args, argnums = spec["f"], spec["hand"], spec["args"], spec["argnums"]
    print("\n## %s: %s" % (name, spec["description"]))
    print("args = %r, argnums = %r" % (args, argnums))
    sys.stdout.flush()
    res = {"description": spec["description"], "args": list(args), "argnums": list(argnums),
           "contenders": {}, "ratios": {}, "notes": []}
    C = res["contenders"]
    callables = {}

    # first calls (compile time included), then the reference gradient
    value, t = harness.first_call(lambda: f(*args))
    C["primal"] = {"first_call_s": t, "value": value, "check": "—"}
    callables["primal"] = lambda: f(*args)
    g_hand, t = harness.first_call(lambda: np.array(hand(*args)))
    C["hand"] = {"first_call_s": t, "grad": g_hand}
    callables["hand"] = lambda: hand(*args)
    if "steps" in spec:
        res["trip_count"] = int(spec["steps"](*args))
        print("trip count: %d" % res["trip_count"])

    # hand vs central finite differences
    g_fd = central_fd(f, args, argnums, spec["fd_rel_h"], spec.get("fd_same_branch"))
    e = rel_err(g_hand, g_fd)
    ok = e < spec["fd_rtol"]
    C["hand"]["check"] = "vs FD %.1e %s" % (e, "ok" if ok else "FAIL")
    C["hand"]["fd_grad"] = g_fd
    C["hand"]["fd_rel_err"] = e
    print("grad (hand) = %s" % np.array2string(g_hand, precision=10))
    print("grad (FD)   = %s   rel err %.2e (tol %.0e) %s"
          % (np.array2string(g_fd, precision=10), e, spec["fd_rtol"], "ok" if ok else "FAIL"))
    if not ok:
        res["notes"].append("hand adjoint disagrees with finite differences")

    # numbad
    if numbad is None:
        C["numbad"] = {"error": "numbad unavailable (%s)" % NUMBAD_IMPORT_ERROR,
                       "check": "numbad unavailable"}
        print("numbad unavailable: %s" % NUMBAD_IMPORT_ERROR)
    else:
        try:
            g = numbad.grad(f, argnums=tuple(argnums))
            out, t = harness.first_call(lambda: g(*args))
            g_nb = np.array(out, dtype=np.float64)
            _, t2 = harness.first_call(lambda: g(*args))
            e = rel_err(g_nb, g_hand)
            ok = e <= RTOL
            C["numbad"] = {"first_call_s": t, "second_call_s": t2, "grad": g_nb,
                           "rel_err_vs_hand": e,
                           "check": "vs hand %.1e %s" % (e, "ok" if ok else "WRONG")}
            res["_numbad_grad"] = g          # stats are read again after timing
            print("grad (numbad) = %s   rel err vs hand %.2e %s"
                  % (np.array2string(g_nb, precision=10), e, "ok" if ok else "WRONG"))
            if ok:
                callables["numbad"] = lambda: g(*args)
            else:
                C["numbad"]["error"] = "wrong gradient (not timed)"
                res["notes"].append("numbad gradient wrong: %s vs hand %s" % (g_nb, g_hand))
        except Exception as exc:
            tb = traceback.format_exc()
            C["numbad"] = {"error": "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""),
                           "traceback": tb, "check": "ERROR"}
            print("numbad failed:\n" + tb)

    # JAX
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        gj = spec["jax"]()
        out, t = harness.first_call(lambda: jax.block_until_ready(gj(*args)))
        g_jax = np.array(out, dtype=np.float64)
        e = rel_err(g_jax, g_hand)
        ok = e <= RTOL
        C["jax"] = {"first_call_s": t, "grad": g_jax, "rel_err_vs_hand": e,
                    "check": "vs hand %.1e %s" % (e, "ok" if ok else "WRONG")}
        print("grad (jax)  = %s   rel err vs hand %.2e %s"
              % (np.array2string(g_jax, precision=10), e, "ok" if ok else "WRONG"))
        callables["jax"] = lambda: jax.block_until_ready(gj(*args))
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if spec.get("jax_expected_failure") and spec["jax_expected_failure"][0] in str(exc):
            why = "n/a: " + spec["jax_expected_failure"][1]
        else:
            why = "ERROR: %s: %s" % (type(exc).__name__, msg)
        C["jax"] = {"error": why, "jax_message": msg, "check": "—"}
        print("jax: %s\n  (JAX says: %s)" % (why, msg))

    # timing, all contenders interleaved
    print("timing %s ..." % ", ".join(callables))
    sys.stdout.flush()
    timings = harness.time_interleaved(callables, repeat=repeat, budget_s=budget_s)
    for n, tm in timings.items():
        C[n].update(tm)
    g = res.pop("_numbad_grad", None)
    if g is not None:
        stats = getattr(g, "stats", None)   # DESIGN: tape_bytes, snapshots, recomputed_iterations
        try:
            C["numbad"]["stats"] = dict(stats) if stats is not None else None
        except Exception:
            C["numbad"]["stats"] = repr(stats)

    best = lambda n: C.get(n, {}).get("best")

    def ratio(a, b):
        return best(a) / best(b) if best(a) is not None and best(b) is not None else None

    R = res["ratios"]
    R["numbad/primal"] = ratio("numbad", "primal")
    R["hand/primal"] = ratio("hand", "primal")
    R["numbad/hand"] = ratio("numbad", "hand")
    R["jax/numbad"] = ratio("jax", "numbad")
    R["jax/hand"] = ratio("jax", "hand")
    return res


def print_tables(results):
    rows = []
    for kname, res in results.items():
        C = res["contenders"]
        for n in ("primal", "numbad", "hand", "jax"):
            c = C.get(n, {})
            if "best" in c:
                rp = c["best"] / C["primal"]["best"]
                rows.append([kname, n, harness.fmt_time(c["best"]), harness.fmt_time(c["median"]),
                             harness.fmt_ratio(rp), harness.fmt_time(c.get("first_call_s")),
                             c.get("check", "—")])
            else:
                rows.append([kname, n, c.get("error", "—"), "—", "—",
                             harness.fmt_time(c.get("first_call_s")), c.get("check", "—")])
    harness.print_table("Absolute times (best / median of interleaved samples; first call includes compile)",
                        ["kernel", "contender", "best", "median", "× primal", "first call", "check"], rows)
    keys = ["numbad/primal", "hand/primal", "numbad/hand", "jax/numbad", "jax/hand"]
    rows = []
    for kname, res in results.items():
        cells = [kname]
        for k in keys:
            r = res["ratios"][k]
            if r is None and k.startswith("jax") and "error" in res["contenders"].get("jax", {}):
                cells.append(res["contenders"]["jax"]["error"] if k == "jax/numbad" else "n/a")
            elif r is None and "numbad" in k and "error" in res["contenders"].get("numbad", {}):
                cells.append("numbad unavailable" if numbad is None else "numbad failed")
            else:
                cells.append(harness.fmt_ratio(r))
        rows.append(cells)
    harness.print_table("Ratios (of best times; lower is faster for the numerator)",
                        ["kernel"] + keys, rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (~10^4 steps)")
    ap.add_argument("--repeat", type=int, default=None, help="timing rounds (default 25, quick 9)")
    opts = ap.parse_args(argv)
    quick = opts.quick
    repeat = opts.repeat or (9 if quick else 25)
    budget_s = 15.0 if quick else 45.0

    n_lorenz = 10_000 if quick else 100_000
    # dt = 1e-4 keeps the horizon (n*dt <= 10 time units) short enough that the
    # chaotic growth of the sensitivities (~e^(0.9 T)) stays well inside float64.
    lorenz_args = (1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0, 1e-4, n_lorenz)
    # energy decays like 0.5*exp(-c t): c = 0.1 (1.0 quick), dt = 1e-3 gives
    # ~10^5 (~10^4) steps to reach 2.5e-5.
    osc_args = (1.0, 1.0 if quick else 0.1, 1.0, 1e-3, 2.5e-5, 1_000_000)

    def osc_same_branch(ap_, am_):
        return oscillator_steps(*ap_) == oscillator_steps(*am_) == oscillator_steps(*osc_args)

    specs = {
        "lorenz": dict(
            description="Lorenz-63, explicit Euler, %d steps, loss = |state_n|^2, "
                        "grad w.r.t. (x0, y0, z0, sigma, rho, beta)" % n_lorenz,
            f=lorenz, hand=lorenz_adjoint, jax=lorenz_jax_grad,
            args=lorenz_args, argnums=(0, 1, 2, 3, 4, 5),
            fd_rel_h=1e-6, fd_rtol=1e-5),
        "oscillator": dict(
            description="damped oscillator, semi-implicit Euler, while energy > thresh "
                        "(data-dependent trip count), loss = x + v at exit, grad w.r.t. (k, c, x0)",
            f=oscillator, hand=oscillator_adjoint, jax=oscillator_jax_grad,
            steps=oscillator_steps,
            args=osc_args, argnums=(0, 1, 2),
            fd_rel_h=1e-6, fd_rtol=1e-5, fd_same_branch=osc_same_branch,
            jax_expected_failure=("Reverse-mode differentiation does not work for lax.while_loop",
                                  "lax.while_loop is not reverse-differentiable")),
    }

    t0 = time.perf_counter()
    print("numbad scalar-loop benchmark (%s), repeat=%d" % ("quick" if quick else "full", repeat))
    if numbad is None:
        print("numbad unavailable (%s): its rows are left empty" % NUMBAD_IMPORT_ERROR)
    results = {}
    for name, spec in specs.items():
        results[name] = run_kernel(name, spec, repeat, budget_s)
    print_tables(results)
    total = time.perf_counter() - t0
    path = harness.write_json("scalar_loops_quick" if quick else "scalar_loops",
                              {"benchmark": "scalar_loops", "quick": quick, "repeat": repeat,
                               "rtol": RTOL, "total_s": total, "kernels": results})
    failures = [(k, n) for k, r in results.items() for n, c in r["contenders"].items()
                if "traceback" in c or "WRONG" in str(c.get("check", "")) or "FAIL" in str(c.get("check", ""))]
    print("\ntotal %.1f s; results written to %s" % (total, path))
    if failures:
        print("FAILED: %s" % ", ".join("%s/%s" % f for f in failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
