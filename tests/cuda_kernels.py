"""CUDA kernels the CUDA tests differentiate, each with a CPU twin (the same arithmetic
as an @njit loop over threads) whose numbad gradient is the reference."""
import math

import numpy as np
from numba import cuda, njit

import numbad


@cuda.jit(device=True)
def softplus(v):
    return math.log(1.0 + math.exp(v))


@cuda.jit
def saxpy(a, x, y, out):
    i = cuda.grid(1)
    if i < x.size:
        out[i] = a * x[i] + softplus(y[i])


@njit
def saxpy_cpu(a, x, y):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = a * x[i] + math.log(1.0 + math.exp(y[i]))
    return out


@cuda.jit
def stencil1d(c, u, out):
    i = cuda.grid(1)
    if 0 < i < u.size - 1:
        out[i] = u[i - 1] - 2.0 * u[i] + u[i + 1] + c * u[i] * u[i]
    elif i == 0 or i == u.size - 1:
        out[i] = math.sin(u[i])


@njit
def stencil1d_cpu(c, u):
    out = np.empty_like(u)
    n = u.size
    for i in range(n):
        if 0 < i < n - 1:
            out[i] = u[i - 1] - 2.0 * u[i] + u[i + 1] + c * u[i] * u[i]
        else:
            out[i] = math.sin(u[i])
    return out


@cuda.jit
def stencil2d(dt, u, k, out):
    i, j = cuda.grid(2)
    n, m = u.shape
    if 0 < i < n - 1 and 0 < j < m - 1:
        lap = u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - 4.0 * u[i, j]
        out[i, j] = u[i, j] + dt * k[i, j] * lap - dt * u[i, j] ** 3
    elif i < n and j < m:
        out[i, j] = u[i, j]


@njit
def stencil2d_cpu(dt, u, k):
    out = u.copy()
    n, m = u.shape
    for i in range(1, n - 1):
        for j in range(1, m - 1):
            lap = u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - 4.0 * u[i, j]
            out[i, j] = u[i, j] + dt * k[i, j] * lap - dt * u[i, j] ** 3
    return out


@cuda.jit
def weighted_sum_of_squares(x, w, total):
    i = cuda.grid(1)
    if i < x.size:
        cuda.atomic.add(total, 0, w[i] * x[i] * x[i])
        cuda.atomic.add(total, 1, math.tanh(x[i]))


@njit
def weighted_sum_of_squares_cpu(x, w):
    total = np.zeros(2)
    for i in range(x.size):
        total[0] += w[i] * x[i] * x[i]
        total[1] += math.tanh(x[i])
    return total


def _pull(pos, mass, eps, i, j):
    """The acceleration of body i towards body j (softened gravity)."""
    dx = pos[j, 0] - pos[i, 0]
    dy = pos[j, 1] - pos[i, 1]
    dz = pos[j, 2] - pos[i, 2]
    r2 = dx * dx + dy * dy + dz * dz + eps * eps
    s = mass[j] / (r2 * math.sqrt(r2))
    return s * dx, s * dy, s * dz


# (inlined into the CPU twin by Numba, as kernels inline their device functions)
pull_device, pull_cpu = cuda.jit(device=True)(_pull), njit(inline="always")(_pull)


@cuda.jit
def nbody_forces(pos, mass, eps, acc):
    i = cuda.grid(1)
    if i >= pos.shape[0]:
        return
    ax = 0.0
    ay = 0.0
    az = 0.0
    for j in range(pos.shape[0]):
        if j == i:
            continue
        fx, fy, fz = pull_device(pos, mass, eps, i, j)
        ax += fx
        ay += fy
        az += fz
    acc[i, 0] = ax
    acc[i, 1] = ay
    acc[i, 2] = az


@njit
def nbody_forces_cpu(pos, mass, eps):
    n = pos.shape[0]
    acc = np.zeros((n, 3))
    for i in range(n):
        for j in range(n):
            if j != i:
                fx, fy, fz = pull_cpu(pos, mass, eps, i, j)
                acc[i, 0] += fx
                acc[i, 1] += fy
                acc[i, 2] += fz
    return acc


@cuda.jit(device=True)
def oscillator_rhs(x, v, k, c):
    return v, -k * x - c * v * abs(v)


@cuda.jit
def ensemble(params, y0, dt, steps, out):
    """One damped oscillator per thread, integrated with RK2 (midpoint)."""
    i = cuda.grid(1)
    if i < out.shape[0]:
        k = params[i, 0]
        c = params[i, 1]
        x = y0[i, 0]
        v = y0[i, 1]
        for _ in range(steps):
            dx1, dv1 = oscillator_rhs(x, v, k, c)
            dx2, dv2 = oscillator_rhs(x + 0.5 * dt * dx1, v + 0.5 * dt * dv1, k, c)
            x += dt * dx2
            v += dt * dv2
        out[i, 0] = x
        out[i, 1] = v


@njit
def ensemble_cpu(params, y0, dt, steps):
    out = np.empty_like(y0)
    for i in range(out.shape[0]):
        k = params[i, 0]
        c = params[i, 1]
        x = y0[i, 0]
        v = y0[i, 1]
        for _ in range(steps):
            dx1, dv1 = v, -k * x - c * v * abs(v)
            xm, vm = x + 0.5 * dt * dx1, v + 0.5 * dt * dv1
            dx2, dv2 = vm, -k * xm - c * vm * abs(vm)
            x += dt * dx2
            v += dt * dv2
        out[i, 0] = x
        out[i, 1] = v
    return out


@cuda.jit
def decay_in_place(rate, u):
    """u <- u + rate * u * (1 - u), in place."""
    i = cuda.grid(1)
    if i < u.size:
        u[i] = u[i] + rate[i] * u[i] * (1.0 - u[i])


# ---- device functions and kernels calling their derivatives

@cuda.jit(device=True)
def _drag(v, c):
    return c * v * abs(v)


@cuda.jit(device=True)
def oscillator_energy(k, c, x0, dt, steps):
    """Energy after ``steps`` symplectic-Euler steps of a damped oscillator."""
    x = x0
    v = 0.0
    for _ in range(steps):
        v -= dt * (k * x + _drag(v, c))
        x += dt * v
        if x > 10.0:        # a branch in the loop
            x = 10.0
    return 0.5 * v * v + 0.5 * k * math.sin(x) ** 2


def _energy_cpu(k, c, x0, dt, steps):
    x = x0
    v = 0.0
    for _ in range(steps):
        v -= dt * (k * x + c * v * abs(v))
        x += dt * v
        if x > 10.0:
            x = 10.0
    return 0.5 * v * v + 0.5 * k * math.sin(x) ** 2


energy_cpu = njit(_energy_cpu)
grad_energy = numbad.grad(oscillator_energy, argnums=(0, 1, 2), target="cuda")
tangent_energy = numbad.jvp(oscillator_energy, target="cuda")


@cuda.jit
def ensemble_gradients(ks, cs, x0s, dt, steps, out):
    i = cuda.grid(1)
    if i < ks.size:
        gk, gc, gx = grad_energy(ks[i], cs[i], x0s[i], dt, steps)
        out[i, 0] = gk
        out[i, 1] = gc
        out[i, 2] = gx


@cuda.jit
def ensemble_tangents(ks, cs, x0s, dk, dx, dt, steps, out):
    i = cuda.grid(1)
    if i < ks.size:
        value, tangent = tangent_energy(ks[i], cs[i], x0s[i], dt, steps,
                                        dk[i], 0.0, dx[i], 0.0, 0)
        out[i, 0] = value
        out[i, 1] = tangent


@cuda.jit
def grid_stride_scale(x, s, out):
    """A grid-stride loop over explicit thread coordinates, in float32 or float64."""
    start = cuda.threadIdx.x + cuda.blockIdx.x * cuda.blockDim.x
    stride = cuda.blockDim.x * cuda.gridDim.x
    for i in range(start, x.size, stride):
        v = x[i] * s[0]
        if v > 0:
            out[i] = math.sqrt(v + 1.0)
        else:
            out[i] = v * v


@njit
def grid_stride_scale_cpu(x, s):
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i] * s[0]
        out[i] = math.sqrt(v + 1.0) if v > 0 else v * v
    return out


@cuda.jit
def logistic_rows(w, x, out):
    """Each thread one row of ``out``, indexed by explicit thread coordinates."""
    i = cuda.threadIdx.x + cuda.blockIdx.x * cuda.blockDim.x
    if i < x.shape[0]:
        for j in range(x.shape[1]):
            out[i, j] = 1.0 / (1.0 + math.exp(-w[i] * x[i, j]))


@njit
def logistic_rows_cpu(w, x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = 1.0 / (1.0 + math.exp(-w[i] * x[i, j]))
    return out


@cuda.jit(device=True)
def _right_of(a, j):
    return a[j + 1]


@cuda.jit
def neighbour_sum(x, out):
    """x's elements read through a device function's parameter (another name for x)."""
    i = cuda.grid(1)
    if i < x.size - 1:
        out[i] = x[i] * _right_of(x, i)


@njit
def neighbour_sum_cpu(x):
    out = np.zeros_like(x)
    for i in range(x.size - 1):
        out[i] = x[i] * x[i + 1]
    return out
