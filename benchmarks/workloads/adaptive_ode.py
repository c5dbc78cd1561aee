"""``while`` loops with a data-dependent exit: JAX cannot reverse them.

(a) ``oscillator``: damped oscillator x'' = -k x - c x', semi-implicit Euler,
    run until the energy 0.5 v^2 + 0.5 k x^2 falls below a threshold (~10^4
    steps quick, ~10^5 full), loss = x + v at exit; gradient w.r.t. (k, c, x0).
    The hand-written adjoint tapes (x, v) per step in a growable array.
(b) ``van_der_pol`` (examples/adaptive_ode.py): the Van der Pol oscillator
    integrated with the Bogacki-Shampine 3(2) pair and step-size control until
    a final time (accepted and rejected steps, the step size a function of
    everything before); gradient w.r.t. (mu, k, x0, v0). No hand-written
    adjoint (differentiating the step-size controller by hand is the work
    numbad saves).

The losses are piecewise smooth (the trip count changes at isolated
parameter values); their derivative is the one at fixed trip count, which
central differences reproduce with steps that keep the trip count (the suite
shrinks them until it does; over 6*10^5 adaptive steps the primal's rounding
noise asks for steps of 1e-5 rather than 1e-6). JAX's ``lax.while_loop`` has
no reverse mode: the rows say so. autograd runs the Python loop.
"""
import os
import runpy

import numpy as np
from numba import njit

from . import Case

JAX_CANNOT = "cannot: no reverse mode for lax.while_loop"
ADAPTIVE = runpy.run_path(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples", "adaptive_ode.py"))


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


def oscillator_autograd():
    def loss(k, c, x0, dt, thresh, maxsteps):
        x, v, i = x0, 0.0, 0
        while 0.5 * v * v + 0.5 * k * x * x > thresh and i < maxsteps:
            v = v + dt * (-k * x - c * v)
            x = x + dt * v
            i += 1
        return x + v
    return loss


def van_der_pol_autograd():
    import autograd.numpy as anp

    def loss(mu, k, x, v, t_end, tol, steps_taken):
        t, h = 0.0, 1e-3

        def f(x, v):
            return v, mu * (1.0 - x * x) * v - k * x
        while t < t_end:
            h = min(h, t_end - t)
            k1x, k1v = f(x, v)
            k2x, k2v = f(x + 0.5 * h * k1x, v + 0.5 * h * k1v)
            k3x, k3v = f(x + 0.75 * h * k2x, v + 0.75 * h * k2v)
            xn = x + h * (2.0 * k1x + 3.0 * k2x + 4.0 * k3x) / 9.0
            vn = v + h * (2.0 * k1v + 3.0 * k2v + 4.0 * k3v) / 9.0
            k4x, k4v = f(xn, vn)
            ex = h * (-5.0 * k1x + 6.0 * k2x + 8.0 * k3x - 9.0 * k4x) / 72.0
            ev = h * (-5.0 * k1v + 6.0 * k2v + 8.0 * k3v - 9.0 * k4v) / 72.0
            err = anp.sqrt(0.5 * (ex * ex + ev * ev)) / tol
            if err <= 1.0:
                t = t + h
                x, v = xn, vn
            h = h * anp.minimum(5.0, anp.maximum(0.2, 0.9 * err ** (-1.0 / 3.0)))
        return (x - 1.0) ** 2 + v * v
    return loss


def van_der_pol_steps(*args):
    """Steps ``van_der_pol`` accepts at ``args`` (its discrete outcome)."""
    ADAPTIVE["van_der_pol"](*args)
    return int(args[6][0])


def cases(quick):
    # energy decays like 0.5 exp(-c t): c = 1.0 (0.1 full), dt = 1e-3 gives
    # ~10^4 (~10^5) steps to reach 2.5e-5
    osc_args = (1.0, 1.0 if quick else 0.1, 1.0, 1e-3, 2.5e-5, 1_000_000)
    t_ends = (100.0,) if quick else (1000.0, 10_000.0)
    return ([Case("damped oscillator (while)", "~%.0e steps" % (1e4 if quick else 1e5),
                  oscillator, osc_args, (0, 1, 2), hand=oscillator_adjoint, jax=JAX_CANNOT,
                  autograd=oscillator_autograd, loop_heavy=True, rtol=1e-9,
                  fd_signature=oscillator_steps)]
            + [Case("adaptive ODE (while)", "Van der Pol to t=%g, ~%.0e steps"
                    % (t, 60 * t), ADAPTIVE["van_der_pol"],
                    ADAPTIVE["arguments"](t, np.zeros(1, np.int64)), ADAPTIVE["PARAMS"],
                    jax=JAX_CANNOT,
                    autograd=van_der_pol_autograd if t <= 100.0 else
                    "not run at this size (its graph outgrew 7 GB at t=1000)",
                    loop_heavy=True, rtol=1e-9, fd_rtol=1e-4, fd_step=1e-5,
                    fd_signature=van_der_pol_steps)
               for t in t_ends])
