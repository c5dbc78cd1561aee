"""``python -m benchmarks.ensemble``: the ensemble gradient of examples/ensemble_dask.py
(1,000 Lotka-Volterra trajectories, 2,000 RK4 steps each) on Dask.

In one run, interleaved (harness.time_interleaved): the sum over the members in
this process (a Python loop over numbad's gradient), and ``numbad.dask.Ensemble``
on a LocalCluster of 1 and of 2 worker processes (both clusters up at once; only
the one being timed works). Then Dask's own costs on the 2-worker cluster: the
latency of a call (one task that does nothing) and the cost per task (a call of
many tasks that do nothing), from which the time on W workers is estimated as
``latency + serial / W + tasks * per_task`` with ``4 W`` tasks a call (Dask's
per-task cost taken as serial, at the scheduler; a real cluster adds its network).
Writes benchmarks/results/ensemble[_quick].{json,md}.
"""
import argparse
import logging
import os
import sys
import time

import numpy as np

from .harness import (
    RESULTS_DIR,
    fmt_ratio,
    fmt_time,
    markdown_table,
    time_interleaved,
    write_json,
)

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def nothing(*args):
    """A task that does no work (Dask's own cost per task)."""
    return 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 members, fewer rounds")
    options = parser.parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    sys.path.insert(0, EXAMPLES)        # (worker processes start with this sys.path)
    import ensemble_dask as example
    from distributed import Client, LocalCluster

    import numbad
    import numbad.dask
    from numbad.dask import CHUNKS_PER_THREAD

    members = 200 if options.quick else 1000
    data = example.measured_ensemble(members)
    theta = np.log(np.array(example.TRUE_RATES) * 1.1)
    loss_grad = numbad.value_and_grad(example.member_misfit)
    loss_grad(theta, *data[0])              # compile here too

    def serial():
        return sum(loss_grad(theta, *m)[1] for m in data)

    clusters, ensembles, compile_s = [], {}, {}
    try:
        for workers in (1, 2):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster, set_as_default=False)
            clusters.append((cluster, client))
            ensembles[workers] = numbad.dask.Ensemble(loss_grad, data, client=client)
            t = time.perf_counter()
            ensembles[workers].sum(theta)       # each worker compiles the gradient
            compile_s[workers] = time.perf_counter() - t
        reference = serial()
        for ensemble in ensembles.values():     # the same numbers, before any timing
            np.testing.assert_allclose(ensemble.sum(theta)[1], reference, rtol=1e-12)
        timed = time_interleaved({
            "in one process": serial,
            "Dask, 1 worker": lambda: ensembles[1].sum(theta),
            "Dask, 2 workers": lambda: ensembles[2].sum(theta)},
            repeat=5 if options.quick else 9, target_s=0.0)
        client2 = clusters[1][1]
        tasks = 200
        with numbad.dask.Ensemble(nothing, [()] * tasks, client=client2, chunks=tasks) as many, \
                numbad.dask.Ensemble(nothing, [()], client=client2) as one:
            overhead = time_interleaved({"latency": lambda: one.sum(),
                                         "many": lambda: many.sum()},
                                        repeat=5 if options.quick else 9, target_s=0.0)
        chunks = len(ensembles[2].sizes)
    finally:
        for cluster, client in clusters:
            client.close()
            cluster.close()

    t = {name: r["median"] for name, r in timed.items()}
    latency = overhead["latency"]["median"]
    per_task = (overhead["many"]["median"] - latency) / tasks
    serial_s = t["in one process"]
    estimate = {w: [latency + scale * serial_s / w + CHUNKS_PER_THREAD * w * per_task
                    for scale in (1, 100)] for w in (1, 2, 8, 32, 128)}
    result = {
        "members": members, "rk4_steps_per_member": example.OBSERVATIONS * example.EVERY,
        "seconds": t, "speedup_vs_one_process": {k: serial_s / v for k, v in t.items()},
        "speedup_2_vs_1_worker": t["Dask, 1 worker"] / t["Dask, 2 workers"],
        "first_call_s": compile_s, "chunks_per_call": chunks,
        "call_latency_s": latency, "per_task_s": per_task,
        "estimated_s": estimate, "samples": {k: r["samples"] for k, r in timed.items()}}
    name = "ensemble_quick" if options.quick else "ensemble"
    write_json(name, result)
    text = report(result)
    with open(os.path.join(RESULTS_DIR, name + ".md"), "w") as fh:
        fh.write(text)
    print(text)
    return 0


def report(result):
    t = result["seconds"]
    rows = [[name, fmt_time(s), fmt_ratio(result["speedup_vs_one_process"][name])]
            for name, s in t.items()]
    lines = ["# Ensemble gradient on Dask (%d members x %d RK4 steps)" % (
        result["members"], result["rk4_steps_per_member"]), "",
        "Median of interleaved calls; each call = value and gradient summed over the "
        "members (%d tasks on 2 workers)." % result["chunks_per_call"], "",
        markdown_table(["", "time per call", "speed-up vs one process"], rows), "",
        "- 2 workers vs 1 worker: %s" % fmt_ratio(result["speedup_2_vs_1_worker"]),
        "- first call (each worker compiles): %s" % ", ".join(
            "%d worker(s) %s" % (w, fmt_time(s)) for w, s in result["first_call_s"].items()),
        "- Dask's cost: %s per call (one empty task), %s per task (200 empty tasks on "
        "2 workers)" % (fmt_time(result["call_latency_s"]), fmt_time(result["per_task_s"])),
        "", "Estimated time per call on W workers (latency + one-process time / W + "
        "4 W tasks x per-task cost; a real cluster adds network latency):", "",
        markdown_table(["W", "estimate", "speed-up", "100x the members", "speed-up"], [
            [w] + sum([[fmt_time(s), fmt_ratio(scale * t["in one process"] / s)]
                       for scale, s in zip((1, 100), both)], [])
            for w, both in result["estimated_s"].items()]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
