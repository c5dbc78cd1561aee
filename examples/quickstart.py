"""Quickstart: the gradient of a small simulation, checked against finite differences.

A Lorenz-63 system stepped with explicit Euler for 20,000 steps; the loss is the
final x + y + z.  numbad differentiates the plain Numba code, loop and all.
"""
import time

import numba

import numbad


@numba.njit
def lorenz_loss(x, y, z, sigma, rho, beta, dt, n):
    for _ in range(n):
        dx = sigma * (y - x)
        dy = x * (rho - z) - y
        dz = x * y - beta * z
        x, y, z = x + dt * dx, y + dt * dy, z + dt * dz
    return x + y + z


def central_difference(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def best_time(f, args, repeat=7):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    args = (1.0, 1.0, 1.0, 10.0, 28.0, 8.0 / 3.0, 1e-4, 20_000)
    names = ("x0", "y0", "z0", "sigma", "rho", "beta")
    g = numbad.grad(lorenz_loss, argnums=(0, 1, 2, 3, 4, 5))

    t0 = time.perf_counter()
    g(*args)                                  # first call: compiles the derivative
    t_compile = time.perf_counter() - t0
    grads = g(*args)
    lorenz_loss(*args)                        # compile the primal too
    t_grad = best_time(g, args)
    t_primal = best_time(lorenz_loss, args)

    print("d(x+y+z)/d(param) after %d Euler steps of Lorenz-63" % args[-1])
    print("%-6s %22s %22s" % ("param", "numbad", "finite difference"))
    for i, name in enumerate(names):
        print("%-6s %22.12g %22.12g" % (name, grads[i], central_difference(lorenz_loss, args, i)))
    print("first call (compile + run): %.2f s" % t_compile)
    print("gradient: %.3f ms   primal: %.3f ms   ratio %.1fx"
          % (t_grad * 1e3, t_primal * 1e3, t_grad / t_primal))


if __name__ == "__main__":
    main()
