"""Gradient of a time-stepped GPU simulation: adjoint kernels, run backwards over
checkpointed device arrays.

A reaction-diffusion field u on a 1-D grid evolves by one kernel launch per step,

    u[i] <- u[i] + dt * (k[i] * (u[i-1] - 2 u[i] + u[i+1]) + u[i] - u[i]^3)

from an initial field u0; the loss compares the final field with a target. We
want d loss / d k (a diffusivity per cell) and d loss / d u0. numbad.cuda
.grad_kernel(step) gives the adjoint kernel of one step (same grid; each float
array followed by its shadow). The host loop keeps every ``stride``-th field on
the device (about sqrt(steps) snapshots), then walks the segments backwards:
each segment is recomputed from its snapshot, keeping its fields, and the
adjoint kernels run over it in reverse. Device memory: ~2 sqrt(steps) fields
instead of ``steps``.

    python examples/cuda_kernel_grad.py [cells] [steps]

Runs on a GPU, or on numba-cuda's simulator with NUMBA_ENABLE_CUDASIM=1 (then
use a small grid: the simulator runs each thread as Python).
"""
import math
import os
import sys
import time

import numpy as np
from numba import cuda

import numbad.cuda

THREADS = 128


@cuda.jit
def step(u, k, dt, out):
    i = cuda.grid(1)
    n = u.size
    if 0 < i < n - 1:
        lap = u[i - 1] - 2.0 * u[i] + u[i + 1]
        out[i] = u[i] + dt * (k[i] * lap + u[i] - u[i] ** 3)
    elif i == 0 or i == n - 1:
        out[i] = u[i]           # fixed ends


step_adjoint = numbad.cuda.grad_kernel(step)


def blocks(n):
    return (n + THREADS - 1) // THREADS


def simulate(u0, k, dt, steps):
    """Final field (host array) after ``steps`` launches."""
    u, v = cuda.to_device(u0), cuda.device_array_like(u0)
    dk = cuda.to_device(k)
    for _ in range(steps):
        step[blocks(u0.size), THREADS](u, dk, dt, v)
        u, v = v, u
    return u.copy_to_host()


def loss(u0, k, dt, steps, target):
    return 0.5 * float(np.sum((simulate(u0, k, dt, steps) - target) ** 2))


def loss_and_gradient(u0, k, dt, steps, target):
    """(loss, d loss / d u0, d loss / d k): forward with snapshots every ``stride``
    steps, then segment by segment backwards."""
    n, grid = u0.size, blocks(u0.size)
    stride = max(1, int(math.sqrt(steps)))
    dk_dev, k_bar = cuda.to_device(k), cuda.to_device(np.zeros_like(k))
    snapshots = {0: cuda.to_device(u0)}
    u, v = cuda.to_device(u0), cuda.device_array(n)
    for s in range(steps):
        step[grid, THREADS](u, dk_dev, dt, v)
        u, v = v, u
        if (s + 1) % stride == 0 and s + 1 < steps:
            snapshots[s + 1] = cuda.device_array(n)
            snapshots[s + 1].copy_to_device(u)      # (device to device)
    final = u.copy_to_host()
    value = 0.5 * float(np.sum((final - target) ** 2))
    out_bar = cuda.to_device(final - target)         # cotangent of the final field
    u_bar = cuda.to_device(np.zeros(n))
    segment = [cuda.device_array(n) for _ in range(stride + 1)]
    scratch = cuda.device_array(n)
    for start in sorted(snapshots, reverse=True):
        length = min(stride, steps - start)
        segment[0].copy_to_device(snapshots.pop(start))
        for j in range(length):         # recompute the segment, keeping its fields
            step[grid, THREADS](segment[j], dk_dev, dt, segment[j + 1])
        for j in reversed(range(length)):
            # the adjoint of step j: u_bar (zero) gains the cotangent of its input field,
            # k_bar of k; out_bar, the cotangent of its output, is used up: step writes
            # every element, so out_bar comes back zero, ready to be the next u_bar
            step_adjoint[grid, THREADS](segment[j], u_bar, dk_dev, k_bar, dt, scratch,
                                        out_bar)
            u_bar, out_bar = out_bar, u_bar
    return value, out_bar.copy_to_host(), k_bar.copy_to_host()


def problem(n, seed=0):
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, n)
    u0 = 0.5 * np.sin(math.pi * x) + 0.05 * rng.normal(size=n)
    u0[0] = u0[-1] = 0.0
    k = 0.2 + 0.1 * rng.uniform(size=n)
    target = 0.8 * np.sin(math.pi * x)
    return u0, k, target


def check(n=12, steps=9, dt=0.05):
    """The adjoint's gradient against central differences of the simulation."""
    u0, k, target = problem(n)
    _, du0, dk = loss_and_gradient(u0, k, dt, steps, target)
    rng = np.random.default_rng(1)
    worst = 0.0
    for grad, which in ((du0, 0), (dk, 1)):
        d = rng.normal(size=n)
        h = 1e-6
        args_up, args_down = [u0, k], [u0, k]
        args_up[which] = args_up[which] + h * d
        args_down[which] = args_down[which] - h * d
        fd = (loss(*args_up, dt, steps, target) - loss(*args_down, dt, steps, target)) / (2 * h)
        worst = max(worst, abs(float(grad @ d) - fd) / max(1e-12, abs(fd)))
    return worst


def main(n, steps, dt=0.05):
    u0, k, target = problem(n)
    print("checking against central differences (12 cells, 9 steps): relative error %.1e"
          % check())
    simulate(u0, k, dt, 2)                      # compile the primal
    loss_and_gradient(u0, k, dt, 2, target)     # and the adjoint kernel
    t0 = time.perf_counter()
    value = loss(u0, k, dt, steps, target)
    t1 = time.perf_counter()
    value2, du0, dk = loss_and_gradient(u0, k, dt, steps, target)
    t2 = time.perf_counter()
    assert abs(value - value2) <= 1e-12 * abs(value)
    print("%d cells, %d steps: loss %.6g, |d loss/d k| %.4g, |d loss/d u0| %.4g"
          % (n, steps, value, np.linalg.norm(dk), np.linalg.norm(du0)))
    print("simulation %.3f s, loss and gradient %.3f s (%.1fx), %d snapshots of the field"
          % (t1 - t0, t2 - t1, (t2 - t1) / (t1 - t0), int(math.sqrt(steps))))
    return value, du0, dk


if __name__ == "__main__":
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    cells = int(sys.argv[1]) if len(sys.argv) > 1 else (64 if simulated else 1 << 20)
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else (25 if simulated else 2000)
    main(cells, steps)
