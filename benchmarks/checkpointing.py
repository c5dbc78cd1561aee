"""Long loops in a memory budget: peak memory and time against the number of steps.

Run:  python -m benchmarks.checkpointing [--quick]

Lorenz-63 stepped with RK4 (a ``for`` loop; examples/long_simulation.py), the
gradient w.r.t. the initial state and the three parameters, for 10^5, 10^6 and 10^7 steps (--quick: 10^4, 10^6):

* numbad ``checkpoint="none"`` (everything taped),
* numbad ``memory_budget=16 MiB`` (``"auto"``: taped while it fits, else Revolve),
* JAX ``jit(grad)`` of the same step in ``lax.scan`` (up to 10^6 steps; it keeps
  every step's residuals; the heat grid too, where they fit);

an adaptive-step Van der Pol solve (examples/adaptive_ode.py: a ``while`` loop
until the final time, Bogacki-Shampine steps with step-size control) of about
10^5, 10^6 and 10^7 accepted steps, ``"none"`` and ``memory_budget=16 MiB``
(JAX cannot reverse a ``while_loop``: its row says so); and a 2-D heat equation
(256 x 256, state updated in place with slices; --quick: 64 x 64) for 10^3 and
10^4 steps, ``"none"`` where its tape fits and ``memory_budget=256 MiB``.

Each measurement runs in a child process, compiled on a 10-step run first; the
child then resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) and runs
the long gradient, and waits. This process reads the child's peak RSS (VmHWM in
/proc/<pid>/status) from outside, minus the child's RSS at the reset, minus the
same figure for a 10-step run: what the long run added. Times are the best of three gradient
calls, as a ratio to the best of three runs of the Numba primal (for JAX too).
Results: Markdown on stdout, JSON and a plot in benchmarks/results/.
"""
import argparse
import json
import os
import runpy
import subprocess
import sys
import time

import numpy as np

from . import harness
from .workloads.heat import heat2d

BUDGET = 16 * 2 ** 20
HEAT_BUDGET = 256 * 2 ** 20
ARGS = (1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0, 1e-6)
PARAMS = (0, 3, 4, 5)


def _example(name):
    """The namespace of examples/<name>, whose simulation this benchmark measures."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "examples", name)
    return runpy.run_path(path)


lorenz_rk4 = _example("long_simulation.py")["lorenz_rk4"]
ADAPTIVE = _example("adaptive_ode.py")
STEPS_PER_TIME = 60.1       # accepted steps per unit of time of ADAPTIVE at its tolerance
STEPS_TAKEN = np.zeros(1, np.int64)


def workload(name, size):
    """(function, args for n steps, argnums, memory budget) of a workload."""
    if name == "lorenz":
        return lorenz_rk4, lambda n: ARGS + (n,), PARAMS, BUDGET
    if name == "adaptive":
        return ADAPTIVE["van_der_pol"], lambda n: ADAPTIVE["arguments"](
            n / STEPS_PER_TIME, STEPS_TAKEN), ADAPTIVE["PARAMS"], BUDGET
    u0 = np.random.default_rng(0).random((size, size))
    return heat2d, lambda n: (u0, 0.1, n), (0, 1), HEAT_BUDGET


def jax_gradient(name, size):
    """JAX ``jit(grad)`` of the workload written with ``lax.scan``: a function of the
    number of steps."""
    import jax
    from jax import lax
    jax.config.update("jax_enable_x64", True)
    if name == "heat2d":
        return _jax_heat2d(jax, lax, size)

    def loss(p, n):
        x, y, z, sigma, rho, beta = p[0], p[1], p[2], p[3], p[4], p[5]
        dt = ARGS[6]

        def f(s):
            x, y, z = s
            return (sigma * (y - x), x * (rho - z) - y, x * y - beta * z)

        def step(s, _):
            k1 = f(s)
            k2 = f(tuple(a + 0.5 * dt * b for a, b in zip(s, k1)))
            k3 = f(tuple(a + 0.5 * dt * b for a, b in zip(s, k2)))
            k4 = f(tuple(a + dt * b for a, b in zip(s, k3)))
            return tuple(a + dt / 6.0 * (b + 2.0 * c + 2.0 * d + e)
                         for a, b, c, d, e in zip(s, k1, k2, k3, k4)), None
        (x, y, z), _ = lax.scan(step, (x, y, z), None, length=n)
        return (x - 1.0) ** 2 + (y + 2.0) ** 2 + (z - 20.0) ** 2
    grad = jax.jit(jax.grad(loss), static_argnums=1)
    p = np.array(ARGS[:6])
    return lambda n: grad(p, n).block_until_ready()


def _jax_heat2d(jax, lax, size):
    u0 = workload("heat2d", size)[1](0)[0]

    def loss(u, alpha, n):
        def step(u, _):
            return u.at[1:-1, 1:-1].add(alpha * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2]
                                                 + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1])), None
        u, _ = lax.scan(step, u, None, length=n)
        return (u * u).sum()
    grad = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=2)
    return lambda n: jax.block_until_ready(grad(u0, 0.1, n))


def child(name, size, contender, steps):
    """One measurement (in its own process): compiles on a short run, resets the
    kernel's peak-RSS mark, runs the long gradient, times it; prints JSON with the
    resident size at the reset, the times and numbad's stats."""
    import numbad
    f, args, argnums, budget = workload(name, size)
    if contender == "jax":
        gradient = jax_gradient(name, size)
    else:
        options = {"none": dict(checkpoint="none"),
                   "auto": dict(memory_budget=budget)}[contender]
        g = numbad.grad(f, argnums=argnums, **options)
        gradient = lambda n: g(*args(n))            # noqa: E731
    f(*args(10))
    gradient(10)
    with open("/proc/self/clear_refs", "w") as fh:     # peak RSS := current RSS
        fh.write("5")
    rss = _current_rss()
    best = {"gradient": float("inf"), "primal": float("inf")}
    for _ in range(3 if steps > 10 else 1):
        for what, fn in (("gradient", gradient), ("primal", lambda n: f(*args(n)))):
            t0 = time.perf_counter()
            fn(steps)
            best[what] = min(best[what], time.perf_counter() - t0)
    stats = g.stats if contender != "jax" else None
    print(json.dumps({"best_s": best, "stats": stats, "rss_at_start": rss,
                      "steps_taken": int(STEPS_TAKEN[0]) or steps}), flush=True)
    sys.stdin.read()        # the parent reads our peak RSS, then lets us exit


def _current_rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024


def measure(name, size, contender, steps):
    """The child's JSON for one run, with ``peak_rss_growth``: the child's peak RSS
    (VmHWM, read by this process from /proc before the child exits) over its RSS when
    the long run started."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.checkpointing", "--child",
                             name, str(size), contender, str(steps)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    line = proc.stdout.readline()
    with open("/proc/%d/status" % proc.pid) as fh:
        peak = next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmHWM:"))
    proc.stdin.close()
    if proc.wait() != 0 or not line:
        raise RuntimeError("child %s %d failed" % (contender, steps))
    result = json.loads(line)
    result["peak_rss_growth"] = peak - result["rss_at_start"]
    return result


def plan(quick):
    """(workload, grid size, contender, steps) of each run, or a reason it is skipped."""
    runs = []
    contenders = ["none", "auto"]
    try:
        import jax  # noqa: F401
        contenders.append("jax")
    except ImportError:
        pass
    for contender in contenders:
        for steps in ([10_000, 1_000_000] if quick else [100_000, 1_000_000, 10_000_000]):
            skip = contender == "jax" and steps > 1_000_000
            runs.append(("lorenz", 0, contender, steps,
                         "residuals of every step would take several GB" if skip else None))
    for contender in contenders:
        for steps in ([10_000, 1_000_000] if quick else [100_000, 1_000_000, 10_000_000]):
            runs.append(("adaptive", 0, contender, steps, "JAX cannot reverse a while_loop"
                         if contender == "jax" else None))
    size = 64 if quick else 256
    for contender in contenders:
        for steps in ([100, 2_000] if quick else [1_000, 10_000]):
            # JAX's scan keeps about 2 grids a step; numbad's tape about 1 since slice
            # expressions are fused (4 before): the factor 4 keeps its 10^4-step
            # recorded run (about 5 GB) out of the default plan
            skip = steps * size * size * 8 * (4 if contender == "none" else 2) > 8 * 2 ** 30
            runs.append(("heat2d", size, contender, steps,
                         "its tape would not fit this machine"
                         if skip and contender != "auto" else None))
    return runs


def run(quick, only=None):
    rows, bases = [], {}
    for name, size, contender, steps, skipped in plan(quick):
        if only is not None and name != only:
            continue
        row = {"workload": name, "size": size, "contender": contender, "steps": steps}
        if skipped:
            rows.append(dict(row, skipped=skipped))
            continue
        if (name, contender) not in bases:
            # what the same protocol shows with 10 steps (allocator and runtime noise)
            bases[name, contender] = measure(name, size, contender, 10)["peak_rss_growth"]
        print("  %s %s, %d steps ..." % (name, contender, steps), file=sys.stderr, flush=True)
        result = measure(name, size, contender, steps)
        rows.append(dict(row, peak_rss_growth=max(
            result["peak_rss_growth"] - bases[name, contender], 0),
            gradient_s=result["best_s"]["gradient"], primal_s=result["best_s"]["primal"],
            stats=result["stats"], steps=result["steps_taken"]))
    return {"budget_bytes": {"lorenz": BUDGET, "adaptive": BUDGET, "heat2d": HEAT_BUDGET},
            "rows": rows}


def _merged(name, results, workload):
    """``results`` of one workload with the other workloads' rows of the last full
    results file (each row keeps the date it was measured)."""
    path = os.path.join(harness.RESULTS_DIR, name + ".json")
    if not os.path.exists(path):
        return results
    with open(path) as fh:
        earlier = json.load(fh)
    today = time.strftime("%Y-%m-%d")
    kept = [dict(r, measured=r.get("measured", earlier.get("timestamp", "")[:10]))
            for r in earlier["rows"] if r["workload"] != workload]
    return dict(results, rows=kept + [dict(r, measured=today) for r in results["rows"]])


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 2, figsize=(10, 12))
    for (mem, tim), name in zip(axes, ("lorenz", "adaptive", "heat2d")):
        for contender in ("none", "auto", "jax"):
            rows = [r for r in results["rows"] if r["workload"] == name
                    and r["contender"] == contender and "skipped" not in r]
            if not rows:
                continue
            steps = [r["steps"] for r in rows]
            mem.loglog(steps, [max(r["peak_rss_growth"], 2 ** 16) / 2 ** 20 for r in rows],
                       "o-", label=contender)
            tim.semilogx(steps, [r["gradient_s"] / r["primal_s"] for r in rows], "o-",
                         label=contender)
        mem.axhline(results["budget_bytes"][name] / 2 ** 20, color="grey", ls="--",
                    label="budget")
        mem.set(xlabel="steps", ylabel="peak RSS growth (MiB)", title=name + ": memory")
        tim.set(xlabel="steps", ylabel="gradient time / primal time", title=name + ": time")
        mem.legend()
        tim.legend()
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=4)
    parser.add_argument("--workload", choices=("lorenz", "adaptive", "heat2d"),
                        help="measure this workload only; the other rows of the "
                        "results file are kept from their own run")
    opts = parser.parse_args(argv)
    if opts.child:
        name, size, contender, steps = opts.child
        return child(name, int(size), contender, int(steps))
    results = run(opts.quick, opts.workload)
    name = "checkpointing_quick" if opts.quick else "checkpointing"
    if opts.workload:
        results = _merged(name, results, opts.workload)
    table = []
    for r in results["rows"]:
        what = "%s %s" % (r["workload"], "%dx%d" % (r["size"], r["size"]) if r["size"] else "")
        if "skipped" in r:
            table.append([what, r["contender"], str(r["steps"]), "-", "-", r["skipped"]])
            continue
        stats = r["stats"] or {}
        table.append([what, r["contender"], str(r["steps"]),
                      "%.1f" % (r["peak_rss_growth"] / 2 ** 20),
                      harness.fmt_ratio(r["gradient_s"] / r["primal_s"]),
                      "tape+snapshots %.1f MiB, %.2f recomputed/step" % (
                          stats.get("tape_bytes", 0) / 2 ** 20,
                          stats.get("recomputed_iterations", 0) / r["steps"])
                      if stats else ""])
    harness.print_table("Long loops: budgets %d MiB (Lorenz, adaptive) and %d MiB (heat2d) "
                        "for auto"
                        % (BUDGET // 2 ** 20, HEAT_BUDGET // 2 ** 20),
                        ["workload", "contender", "steps", "peak RSS growth (MiB)",
                         "gradient / primal", "numbad stats"], table)
    path = harness.write_json(name, results)
    try:
        plot(results, path[:-5] + ".png")
    except ImportError:
        pass
    print("results written to %s" % path)


if __name__ == "__main__":
    main()
