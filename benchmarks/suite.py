"""The benchmark suite: every workload, every contender, in one table.

Run:  python -m benchmarks [--quick] [--only gmm,lorenz] [--no-rss]

For each case of each workload module (benchmarks/workloads/) a child process
compiles and checks every contender, then times them interleaved
(harness.time_interleaved: ratios taken in one run stay meaningful on a
shared, noisy machine):

  primal    the ``@numba.njit`` function
  numbad    ``numbad.grad(primal, argnums)`` (first call = compile, reported apart)
  hand      a hand-written ``@njit`` adjoint
  jax       ``jax.jit(jax.grad(f, argnums))`` of the workload written in JAX (CPU, x64)
  autograd  ``autograd.grad`` of the workload written with ``autograd.numpy``
            (timed by a few single calls: it is slow)
  fd        central finite differences, a full gradient (2 primal calls per
            input); when that would take long, the time is estimated from
            the primal's and marked ``~``

Every contender's gradient is checked against numbad's before anything is
timed (and numbad's against central differences on sampled entries); a
mismatch is reported in the table, never dropped. Peak memory: the child resets
its peak-RSS mark (/proc/self/clear_refs) before one call of a contender and
this process reads the child's VmHWM from outside (/proc/<pid>/status); the
figure is the growth over the RSS at the reset (numbad's tapes kept between
calls are given back first: the figure is what a cold call needs). numbad's
tape bytes are its own count (``.stats``). Results: Markdown on stdout and in
benchmarks/results/suite[_quick].md, JSON beside it, plots in suite[_quick].png.
With a CUDA GPU present, ``benchmarks.cuda`` runs too and its table is appended.
"""
import argparse
import ctypes
import gc
import importlib
import json
import os
import subprocess
import sys
import time
import traceback

import numpy as np

from numbad.runtime import release_pool

from . import harness
from .workloads import MODULES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMED = ("primal", "numbad", "hand", "jax")      # interleaved
SLOW_CALL_CAP_S = {True: 8.0, False: 60.0}         # longer single calls are estimated
RSS_CONTENDERS = ("numbad", "hand", "jax", "autograd")


# ---------------------------------------------------------------------------
# the child: one case
# ---------------------------------------------------------------------------

def _progress(msg):
    print(msg, file=sys.stderr, flush=True)


def _as_list(grads, n):
    """A contender's gradient as a list of numpy values, one per argnum."""
    if n == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    return [np.asarray(g, dtype=float) for g in grads]


def _max_rel_error(got, want):
    """Largest |got - want| over the largest |want|, per argument; inf when the
    shapes differ or anything is not finite (a NaN must never compare as agreement)."""
    if len(got) != len(want):
        return float("inf")
    errors = [0.0]
    for a, b in zip(got, want):
        if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return float("inf")
        if b.size:
            errors.append(float(np.max(np.abs(a - b))) / max(1e-300, float(np.max(np.abs(b)))))
    return float(np.max(errors))


def _perturbed(args, argnum, index, delta):
    out = list(args)
    a = out[argnum]
    if np.ndim(a) == 0:
        out[argnum] = a + delta
    else:
        a = np.array(a, dtype=float, copy=True)
        a.flat[index] += delta
        out[argnum] = a
    return tuple(out)


def _fd_entry(case, argnum, index):
    """Central difference along one input, or NaN when no step keeps the primal's
    discrete outcome (``case.fd_signature``) the same on both sides."""
    x = case.args[argnum]
    value = float(x) if np.ndim(x) == 0 else float(np.asarray(x).flat[index])
    h = case.fd_step * max(1.0, abs(value))
    for _ in range(1 if case.fd_signature is None else 30):
        up = _perturbed(case.args, argnum, index, h)
        down = _perturbed(case.args, argnum, index, -h)
        if case.fd_signature is None or \
                case.fd_signature(*up) == case.fd_signature(*down) == \
                case.fd_signature(*case.args):
            return (case.primal(*up) - case.primal(*down)) / (2 * h)
        h *= 0.5
    return float("nan")


def _fd_gradient(case):
    """Central differences, every entry of every differentiated argument."""
    return [np.array([_fd_entry(case, k, i) for i in range(np.size(case.args[k]))])
            .reshape(np.shape(case.args[k])) for k in case.argnums]


def _fd_sampled_error(case, grads, rng, samples=6):
    """Largest error of numbad against central differences over a few entries per
    argnum (NaN if numbad's entry is NaN; entries with no usable difference skipped)."""
    errors = [0.0]
    for g, k in zip(grads, case.argnums):
        size = np.size(case.args[k])
        picks = rng.choice(size, size=min(samples, size), replace=False)
        scale = max(1e-12, float(np.max(np.abs(g))))
        for i in picks:
            fd = _fd_entry(case, k, i)
            if np.isfinite(fd):
                errors.append(abs(float(np.asarray(g).flat[i]) - fd) / max(abs(fd), scale))
            elif not np.isfinite(np.asarray(g).flat[i]):
                errors.append(float("nan"))
    return float(np.max(errors))


def _jax_contender(case):
    import jax
    f = case.jax()
    jg = jax.jit(jax.grad(f, argnums=case.argnums), static_argnums=case.static_argnums)
    return lambda: jax.block_until_ready(jg(*case.args))


def _autograd_contender(case):
    import autograd
    f = case.autograd()

    def loss(params):
        full = list(case.args)
        for k, p in zip(case.argnums, params):
            full[k] = p
        return f(*full)
    ag = autograd.grad(loss)
    params = tuple(case.args[k] for k in case.argnums)
    return lambda: ag(params)


def _builders(case, numbad):
    """name -> zero-argument callable returning that contender's gradient (or the
    primal's value), or a string saying why there is none."""
    g = numbad.grad(case.primal, argnums=case.argnums, **case.numbad_options)
    out = {"primal": lambda: case.primal(*case.args), "numbad": lambda: g(*case.args),
           "hand": (lambda: case.hand(*case.args)) if case.hand is not None
           else "no hand-written adjoint"}
    for name, make in (("jax", _jax_contender), ("autograd", _autograd_contender)):
        spec = getattr(case, name)
        if spec is None:
            out[name] = "not written"
        elif isinstance(spec, str):
            out[name] = spec
        else:
            try:
                out[name] = make(case)
            except ImportError as exc:
                out[name] = "not installed (%s)" % exc.name
    return out, g


def _peak_rss_growth(fn):
    """Run ``fn`` once between a reset of the peak-RSS mark and a read of it from
    outside (the parent); bytes the peak grew over the RSS at the reset, or None
    where the kernel offers no reset (not Linux). Free heap memory goes back to
    the system first (an earlier call's freed tape would otherwise be reused
    without counting)."""
    gc.collect()
    release_pool()      # numbad keeps tapes between calls: measure a cold call's need
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        base = _status_kib(os.getpid(), "VmRSS")
    except OSError:
        return None
    fn()
    print("\nPEAK?", flush=True)     # on a line of its own, whatever the workload printed
    peak = int(sys.stdin.readline())
    return max(0, peak - base) * 1024


def _status_kib(pid, field):
    with open("/proc/%d/status" % pid) as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def run_case(case, quick, measure_rss):
    """Compile, check and time every contender of ``case``; a JSON-able dict."""
    import numbad
    rng = np.random.default_rng(0)
    label = "%s %s" % (case.workload, case.size)
    result = {"workload": case.workload, "size": case.size, "loop_heavy": case.loop_heavy,
              "note": case.note, "first_call_s": {}, "error": {}, "unavailable": {},
              "single_call_s": {}, "estimated": [], "peak_rss_growth_bytes": {}}
    builders, g = _builders(case, numbad)
    grads = {}
    for name in TIMED + ("autograd",):
        b = builders[name]
        if isinstance(b, str):
            result["unavailable"][name] = b
            continue
        _progress("  %s: first call of %s" % (label, name))
        try:
            out, t = harness.first_call(b)
        except Exception as exc:     # a contender failing is a row entry, not a crash
            traceback.print_exc()
            result["unavailable"][name] = "failed: %s: %s" % (type(exc).__name__, exc)
            continue
        result["first_call_s"][name] = t
        if name != "primal":
            grads[name] = _as_list(out, len(case.argnums))
    result["tape_bytes"] = g.stats.get("tape_bytes")
    ref = grads.get("numbad")
    if ref is None:     # nothing to check the others against: none of them is timed
        for name in grads:
            result["unavailable"].setdefault(name, "unchecked (numbad failed)")
    else:
        for name, got in grads.items():
            if name != "numbad":
                err = _max_rel_error(got, ref)
                result["error"][name] = err
                if not err <= case.rtol:
                    result["unavailable"][name] = "MISMATCH: rel. error %.1e vs numbad" % err
        result["error"]["fd_sampled"] = _fd_sampled_error(case, ref, rng)
        if not result["error"]["fd_sampled"] <= case.fd_rtol:
            result["unavailable"]["numbad"] = ("MISMATCH: rel. error %.1e vs central "
                                               "differences" % result["error"]["fd_sampled"])
    # autograd's first call was its timing sample; finite differences: run when affordable
    cap = SLOW_CALL_CAP_S[quick]
    if "autograd" in result["first_call_s"]:
        result["single_call_s"]["autograd"] = result["first_call_s"]["autograd"]
    n_inputs = sum(np.size(case.args[k]) for k in case.argnums)
    if "primal" in result["first_call_s"]:
        t_primal = min(harness.first_call(builders["primal"])[1] for _ in range(3))
        estimate = 2 * n_inputs * t_primal
        if estimate <= cap:
            _progress("  %s: central differences (%d inputs)" % (label, n_inputs))
            fd, t_fd = harness.first_call(lambda: _fd_gradient(case))
            result["single_call_s"]["fd"] = t_fd
            if ref is not None:
                result["error"]["fd_full"] = _max_rel_error(ref, fd)
        else:
            result["single_call_s"]["fd"] = estimate
            result["estimated"].append("fd")
    if measure_rss:
        for name in RSS_CONTENDERS:
            if name in result["first_call_s"] and name not in result["unavailable"]:
                if name == "autograd" and result["single_call_s"]["autograd"] > cap:
                    continue
                result["peak_rss_growth_bytes"][name] = _peak_rss_growth(builders[name])
    # numbad is timed even when it disagrees (its row says so); others only when right
    contenders = {n: builders[n] for n in TIMED if n in result["first_call_s"]
                  and (n == "numbad" or n not in result["unavailable"])}
    _progress("  %s: timing %s" % (label, ", ".join(contenders)))
    times = harness.time_interleaved(contenders, repeat=7 if quick else 15,
                                     budget_s=4.0 if quick else 20.0)
    result["best_s"] = {k: v["best"] for k, v in times.items()}
    result["median_s"] = {k: v["median"] for k, v in times.items()}
    return result


def child_main(module_name, index, quick, measure_rss):
    case = _cases_of(module_name, quick)[index]
    try:
        result = run_case(case, quick, measure_rss)
    except Exception as exc:
        traceback.print_exc()
        result = {"workload": case.workload, "size": case.size,
                  "failed": "%s: %s" % (type(exc).__name__, exc)}
    print("RESULT " + json.dumps(result, default=harness._json_default), flush=True)


# ---------------------------------------------------------------------------
# the parent: run the children, write the tables and plots
# ---------------------------------------------------------------------------

def _run_child(module_name, index, quick, measure_rss):
    cmd = [sys.executable, "-m", "benchmarks.suite", "--child", module_name, str(index)]
    if quick:
        cmd.append("--quick")
    if not measure_rss:
        cmd.append("--no-rss")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    result = None
    for line in proc.stdout:
        if line.startswith("PEAK?"):
            proc.stdin.write("%d\n" % _status_kib(proc.pid, "VmHWM"))
            proc.stdin.flush()
        elif line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    proc.wait()
    if result is None:
        result = {"failed": "child exited with status %d" % proc.returncode}
    return result


def _cases_of(module_name, quick):
    module = importlib.import_module("benchmarks.workloads." + module_name)
    return module.cases(quick)


def _cell_time(r, name):
    """A contender's gradient time as a multiple of numbad's, or why there is none."""
    if name in r.get("unavailable", {}):
        return r["unavailable"][name]
    t = r.get("best_s", {}).get(name, r.get("single_call_s", {}).get(name))
    base = r.get("best_s", {}).get("numbad")
    if t is None or base is None:
        return "—"
    return ("~" if name in r.get("estimated", ()) else "") + _ratio(t / base)


def _ratio(r):
    return "%.2f×" % r if r < 10 else "%.1f×" % r if r < 100 else "%.0f×" % r


def _mib(b):
    if b is None:
        return "—"
    return "%.1f MiB" % (b / 2 ** 20) if b >= 2 ** 20 else "%.0f KiB" % (b / 1024)


def markdown(results):
    """The suite's table: gradient times relative to the primal and to numbad."""
    headers = ["workload", "size", "primal", "numbad / primal", "numbad / hand",
               "JAX / numbad", "autograd / numbad", "FD / numbad", "numbad compile",
               "numbad tape", "peak RSS growth numbad / JAX"]
    rows = []
    for r in results:
        if "failed" in r:
            rows.append([r.get("workload", "?"), r.get("size", "?"), "failed: " + r["failed"]]
                        + [""] * (len(headers) - 3))
            continue
        best = r["best_s"]
        if "numbad" not in best or "primal" not in best:
            why = r["unavailable"].get("numbad", r["unavailable"].get("primal", "?"))
            rows.append([r["workload"], r["size"], "—", why] + [""] * (len(headers) - 4))
            continue
        numbad_cell = (r["unavailable"]["numbad"] if "numbad" in r["unavailable"]
                       else _ratio(best["numbad"] / best["primal"]))
        hand = (_ratio(best["numbad"] / best["hand"]) if "hand" in best
                else r["unavailable"].get("hand", "—"))
        rss = r["peak_rss_growth_bytes"]
        rows.append([r["workload"], r["size"], harness.fmt_time(best["primal"]), numbad_cell,
                     hand, _cell_time(r, "jax"), _cell_time(r, "autograd"), _cell_time(r, "fd"),
                     "%.1f s" % r["first_call_s"]["numbad"], _mib(r.get("tape_bytes")),
                     "%s / %s" % (_mib(rss.get("numbad")), _mib(rss.get("jax")))])
    return harness.markdown_table(headers, rows)


def plot(results, path):
    """Gradient time / primal time per case and contender (log scale)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [r for r in results if "best_s" in r]
    names = ("numbad", "hand", "jax", "autograd", "fd")
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(ok)), 6))
    width = 0.16
    for j, name in enumerate(names):
        xs, ys = [], []
        for i, r in enumerate(ok):
            t = r["best_s"].get(name, r["single_call_s"].get(name))
            if t is not None and name not in r["unavailable"]:
                xs.append(i + (j - 2) * width)
                ys.append(t / r["best_s"]["primal"])
        ax.bar(xs, ys, width, label=name + (" (estimated where long)" if name == "fd" else ""))
    ax.set_yscale("log")
    ax.set_xticks(range(len(ok)))
    ax.set_xticklabels(["%s\n%s" % (r["workload"], r["size"]) for r in ok], fontsize=7,
                       rotation=35, ha="right")
    ax.set_ylabel("gradient time / primal time")
    ax.axhline(1.0, color="grey", lw=0.5)
    ax.legend(fontsize=8)
    ax.set_title("Gradient cost (lower is better; a missing bar: the tool cannot "
                 "differentiate it, or it was not run at that size: see the table)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _merged(path, results):
    """The rows of the earlier run at ``path``, those run again replaced (in place)."""
    with open(path) as fh:
        earlier = json.load(fh)["results"]
    fresh = {(r.get("workload"), r.get("size")): r for r in results}
    out = [fresh.pop((r.get("workload"), r.get("size")), r) for r in earlier]
    return out + list(fresh.values())


def _gpu_present():
    try:
        from numba import cuda
        return os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" and cuda.is_available()
    except Exception:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes)")
    parser.add_argument("--only", help="comma-separated workload modules: " + ",".join(MODULES))
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS calls")
    parser.add_argument("--merge", action="store_true",
                        help="replace only the rows run now in the results of an earlier run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.child:
        child_main(opts.child[0], int(opts.child[1]), opts.quick, not opts.no_rss)
        return 0
    modules = opts.only.split(",") if opts.only else list(MODULES)
    plan = [(m, i, c.workload, c.size) for m in modules
            for i, c in enumerate(_cases_of(m, opts.quick))]
    results = []
    t0 = time.perf_counter()
    for n, (m, i, workload, size) in enumerate(plan, 1):
        _progress("[%d/%d] %s %s (%.0f s so far)" % (n, len(plan), workload, size,
                                                     time.perf_counter() - t0))
        results.append(_run_child(m, i, opts.quick, not opts.no_rss))
    name = "suite_quick" if opts.quick else "suite"
    if opts.merge:
        results = _merged(os.path.join(harness.RESULTS_DIR, name + ".json"), results)
    harness.write_json(name, {"results": results, "quick": opts.quick})
    table = markdown(results)
    env = harness.environment()
    header = ("Gradient benchmarks, %s, %s (%d CPUs), Python %s, run %s; times are best "
              "of interleaved samples, ratios from one run.\n\n" % (
                  "quick sizes" if opts.quick else "full sizes", env["platform"],
                  env["cpu_count"], env["python"], time.strftime("%Y-%m-%d")))
    if _gpu_present():
        _progress("CUDA GPU present: python -m benchmarks.cuda")
        subprocess.run([sys.executable, "-m", "benchmarks.cuda"], cwd=ROOT, check=False)
        table += "\n\nCUDA: see benchmarks/results/cuda.json"
    os.makedirs(harness.RESULTS_DIR, exist_ok=True)
    with open(os.path.join(harness.RESULTS_DIR, name + ".md"), "w") as fh:
        fh.write(header + table + "\n")
    try:
        plot(results, os.path.join(harness.RESULTS_DIR, name + ".png"))
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
    print("\n" + header + table)
    print("\n(%.0f s; written to benchmarks/results/%s.{md,json,png})"
          % (time.perf_counter() - t0, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
