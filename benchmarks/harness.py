"""Small shared timing helpers for the numbad benchmarks.

* ``time_interleaved`` times several contenders *in the same run*, one sample
  of each in turn (rotating the order every round), so that load from other
  processes on a shared machine hits all of them alike and the ratios stay
  meaningful even when the absolute times wander.
* ``first_call`` times one call (compile time included).
* ``print_table`` prints a Markdown table; ``write_json`` writes
  ``benchmarks/results/<name>.json`` (with the environment recorded).
"""
import gc
import json
import os
import platform
import statistics
import sys
import time

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def first_call(fn):
    """Run ``fn()`` once; return ``(result, seconds)``."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def calibrate(fn, target_s=0.02, max_number=1 << 16):
    """Smallest power of two ``number`` such that ``number`` calls take >= target_s."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target_s or number >= max_number:
            return number
        # jump close to the target, but at least double
        guess = int(number * target_s / max(dt, 1e-9)) + 1
        number = min(max_number, max(2 * number, 1 << (guess - 1).bit_length()))


def time_interleaved(contenders, repeat=15, target_s=0.02, budget_s=None):
    """Time callables ``contenders`` (dict name -> zero-argument callable).

    Each sample is the mean of ``number`` back-to-back calls (``number``
    calibrated per contender so a sample lasts about ``target_s``); one
    sample of every contender is taken per round, the order rotating from
    round to round. Stops early after ``budget_s`` seconds (at least 3 rounds).
    Returns dict name -> {"best", "median", "number", "samples"} (seconds per call).
    """
    names = list(contenders)
    numbers = {n: calibrate(contenders[n], target_s) for n in names}
    samples = {n: [] for n in names}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    t_start = time.perf_counter()
    try:
        for r in range(repeat):
            order = names[r % len(names):] + names[:r % len(names)]
            for n in order:
                fn, k = contenders[n], numbers[n]
                t0 = time.perf_counter()
                for _ in range(k):
                    fn()
                samples[n].append((time.perf_counter() - t0) / k)
            if budget_s is not None and r >= 2 and time.perf_counter() - t_start > budget_s:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return {n: {"best": min(s), "median": statistics.median(s), "number": numbers[n],
                "samples": s} for n, s in samples.items()}


def fmt_time(t):
    if t is None:
        return "—"
    if t >= 1.0:
        return "%.3f s" % t
    if t >= 1e-3:
        return "%.3f ms" % (t * 1e3)
    return "%.2f µs" % (t * 1e6)


def fmt_ratio(r):
    return "—" if r is None else "%.2f×" % r


def markdown_table(headers, rows):
    """Return a Markdown table (list of str cells per row)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"
    out = [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def environment():
    info = {"python": sys.version.split()[0], "platform": platform.platform(),
            "machine": platform.machine(), "cpu_count": os.cpu_count()}
    for mod in ("numpy", "numba", "jax", "jaxlib", "numbad"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod] = getattr(m, "__version__", "?")
    return info


def write_json(name, payload):
    """Write ``payload`` (plus environment info) to ``benchmarks/results/<name>.json``."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, name + ".json")
    data = dict(payload)
    data.setdefault("environment", environment())
    data.setdefault("timestamp", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2, default=_json_default)
        fh.write("\n")
    return path


def _json_default(o):
    try:
        import numpy as np
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:
        pass
    return repr(o)


def print_table(title, headers, rows):
    """Print ``title`` as a Markdown heading, then the table."""
    print("\n### " + title + "\n")
    print(markdown_table(headers, rows))
    sys.stdout.flush()
