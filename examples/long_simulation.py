"""A 10-million-step gradient in a 16 MiB memory budget.

Lorenz-63 stepped with classical Runge-Kutta (RK4); the loss is the final state's
distance to a target. Recording every step for the reverse sweep would take about
2 GB of tape; with ``memory_budget=16 MiB`` numbad keeps snapshots of the loop
state (Revolve's binomial schedule, chosen at run time from the trip count and
the budget) and recomputes the steps in between. The checkpointed gradient is
checked against the fully recorded one on a shorter run.

    python examples/long_simulation.py [steps]
"""
import sys
import time

import numba

import numbad


@numba.njit
def lorenz_rk4(x, y, z, sigma, rho, beta, dt, n):
    for _ in range(n):
        k1x, k1y, k1z = sigma * (y - x), x * (rho - z) - y, x * y - beta * z
        x2, y2, z2 = x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, z + 0.5 * dt * k1z
        k2x, k2y, k2z = sigma * (y2 - x2), x2 * (rho - z2) - y2, x2 * y2 - beta * z2
        x3, y3, z3 = x + 0.5 * dt * k2x, y + 0.5 * dt * k2y, z + 0.5 * dt * k2z
        k3x, k3y, k3z = sigma * (y3 - x3), x3 * (rho - z3) - y3, x3 * y3 - beta * z3
        x4, y4, z4 = x + dt * k3x, y + dt * k3y, z + dt * k3z
        k4x, k4y, k4z = sigma * (y4 - x4), x4 * (rho - z4) - y4, x4 * y4 - beta * z4
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + dt / 6.0 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
    return (x - 1.0) ** 2 + (y + 2.0) ** 2 + (z - 20.0) ** 2


BUDGET = 16 * 2 ** 20
PARAMS = (0, 3, 4, 5)     # d loss / d (x0, sigma, rho, beta)


def main(steps=10_000_000, budget=BUDGET):
    args = (1.0, 1.0, 1.05, 10.0, 28.0, 8.0 / 3.0, 1e-6, steps)
    g = numbad.grad(lorenz_rk4, argnums=PARAMS, memory_budget=budget)

    # agreement with the fully recorded gradient, on a run short enough to record
    short = args[:-1] + (min(steps, 20_000),)
    recorded = numbad.grad(lorenz_rk4, argnums=PARAMS, checkpoint="none")
    tight = numbad.grad(lorenz_rk4, argnums=PARAMS, memory_budget=4096)
    want, got = recorded(*short), tight(*short)
    worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(got, want))
    print("short run (%d steps): checkpointed in 4 KiB vs recorded (%.0f KiB): "
          "largest relative difference %.1e" % (short[-1], recorded.stats["tape_bytes"] / 1024,
                                                  worst))

    g(*args[:-1], 10)                  # compile (small trip count: no checkpointing)
    t0 = time.perf_counter()
    lorenz_rk4(*args)
    t_primal = time.perf_counter() - t0
    t0 = time.perf_counter()
    grads = g(*args)
    t_grad = time.perf_counter() - t0
    stats = g.stats
    print("%d RK4 steps: loss %.6f, primal %.2f s, gradient %.2f s (%.1fx)"
          % (steps, lorenz_rk4(*args), t_primal, t_grad, t_grad / t_primal))
    for name, value in zip(("x0", "sigma", "rho", "beta"), grads):
        print("  d loss / d %-5s = % .6e" % (name, value))
    print("memory budget %.0f MiB: peak tape + snapshots %.2f MiB, %d snapshots taken, "
          "%d iterations recomputed (%.2f per step); recording every step would take "
          "about %.0f MiB" % (budget / 2 ** 20, stats["tape_bytes"] / 2 ** 20,
                              stats["snapshots"], stats["recomputed_iterations"],
                              stats["recomputed_iterations"] / steps,
                              recorded.stats["tape_bytes"] / short[-1] * steps / 2 ** 20))
    return grads, stats


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
