"""Time to the first gradient in a new process: ``python -m benchmarks.compile [--only lorenz]``.

For the first case of every workload (and ``hvp``/``hessian`` of two of them),
each figure taken in a fresh process, after its imports:

  primal        the ``@numba.njit`` primal's first call (Numba compiles it)
  primal cached the same with ``cache=True``, in a second process (Numba's own
                cache: the reference a warm gradient is held to)
  cold          numbad's first derivative with an empty persistent cache
  warm          the same in a second process (the entry the cold one left)

Results: Markdown on stdout and in benchmarks/results/compile.md, JSON beside it.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECOND_ORDER = ("lorenz", "heat")


def child(module, what):
    """One timing in this (fresh) process; prints seconds as JSON."""
    import numba
    import numpy as np

    import numbad
    case = importlib.import_module("benchmarks.workloads." + module).cases(True)[0]
    f, args = case.primal, case.args
    start = time.perf_counter()
    if what == "primal":
        f(*args)
    elif what == "primal_cached":
        numba.njit(cache=True)(f.py_func)(*args)
    elif what == "grad":
        numbad.grad(f, argnums=case.argnums)(*args)
    elif what == "hvp":
        i = case.argnums[0]
        numbad.hvp(f, argnums=i)(*args, np.ones_like(np.asarray(args[i], dtype=float)))
    elif what == "hessian":
        numbad.hessian(f, argnums=case.argnums[0])(*args)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _timed(module, what, env):
    out = subprocess.run([sys.executable, "-m", "benchmarks.compile", "--child", module, what],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1:]
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"], None


def measure(module, what):
    """{"cold", "warm"} seconds of derivative ``what`` of ``module``'s first case."""
    with tempfile.TemporaryDirectory(prefix="numbad-compile-bench-") as folder:
        env = dict(os.environ, NUMBAD_CACHE_DIR=folder, NUMBA_CACHE_DIR=folder)
        env.pop("NUMBAD_CACHE", None)
        if what == "primal":
            cold, _ = _timed(module, "primal", env)
            _timed(module, "primal_cached", env)
            warm, _ = _timed(module, "primal_cached", env)
        else:
            cold, _ = _timed(module, what, env)
            warm, _ = _timed(module, what, env)
    return {"cold": cold, "warm": warm}


def main(argv=None):
    from .workloads import MODULES
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="")
    parser.add_argument("--child", nargs=2)
    opts = parser.parse_args(argv)
    if opts.child:
        return child(*opts.child)
    modules = [m for m in MODULES if not opts.only or m in opts.only.split(",")]
    rows = []
    for module in modules:
        primal = measure(module, "primal")
        whats = ["grad"] + (["hvp", "hessian"] if module in SECOND_ORDER else [])
        for what in whats:
            d = measure(module, what)
            rows.append({"workload": module, "derivative": what, "primal": primal["cold"],
                         "primal_cached": primal["warm"], "cold": d["cold"], "warm": d["warm"]})
            print(rows[-1], file=sys.stderr, flush=True)
    fmt = lambda s: "failed" if s is None else "%.3f" % s    # noqa: E731
    lines = ["| workload | derivative | primal (s) | primal, Numba cache (s) | numbad cold (s) "
             "| numbad warm (s) | warm / primal cached |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "%.1fx" % (r["warm"] / r["primal_cached"]) if r["warm"] and \
            r["primal_cached"] else "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["workload"], r["derivative"], fmt(r["primal"]), fmt(r["primal_cached"]),
            fmt(r["cold"]), fmt(r["warm"]), ratio))
    table = "\n".join(lines)
    print(table)
    results = os.path.join(ROOT, "benchmarks", "results")
    with open(os.path.join(results, "compile.md"), "w") as fh:
        fh.write("Each figure from a fresh process, after its imports (`python -m "
                 "benchmarks.compile`).\n\n" + table + "\n")
    with open(os.path.join(results, "compile.json"), "w") as fh:
        json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
