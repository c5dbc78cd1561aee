"""Special functions that derivative rules need and ``math`` lacks (jitable on every
Numba target, CUDA included).

``polygamma(n, x)`` is the n-th derivative of the digamma function, so
``d lgamma(x) / dx = polygamma(0, x)`` and ``d polygamma(n, x) / dx =
polygamma(n + 1, x)``: derivatives of every order of ``math.lgamma`` and
``math.gamma`` come from the one function (rules.py).
"""
import math

from numba.extending import register_jitable

# Bernoulli numbers B_2, B_4, ..., B_14 of the asymptotic series
_BERNOULLI = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0,
              -691.0 / 2730.0, 7.0 / 6.0)


@register_jitable
def polygamma(n, x):
    """The polygamma function psi^(n)(x) (n = 0: digamma) for real x off the poles
    x = 0, -1, -2, ... (where it is inf or nan, as the derivative of lgamma is).

    The recurrence psi^(n)(x) = psi^(n)(x + 1) + (-1)^(n+1) n! / x^(n+1) moves x past
    10 + n, where the asymptotic series with seven Bernoulli terms is exact to
    double precision.
    """
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    factorial = math.gamma(n + 1.0)
    sign = -1.0 if n % 2 == 0 else 1.0          # (-1)^(n+1)
    shifted = 0.0
    while x < 10.0 + n:
        shifted += 1.0 / x ** (n + 1)
        x += 1.0
    inv_x2 = 1.0 / (x * x)
    if n == 0:
        series = math.log(x) - 0.5 / x
        power = 1.0
        for k in range(len(_BERNOULLI)):
            power *= inv_x2
            series -= _BERNOULLI[k] / (2.0 * (k + 1)) * power
        return series + sign * shifted
    # (n-1)!/x^n + n!/(2 x^(n+1)) + sum_k B_2k (2k+n-1)! / ((2k)! x^(2k+n))
    series = factorial / n / x ** n + factorial / (2.0 * x ** (n + 1))
    power = 1.0 / x ** n
    ratio = factorial / n        # (2k+n-1)! / (2k)!, updated as k grows
    for k in range(len(_BERNOULLI)):
        power *= inv_x2
        m = 2 * (k + 1)
        ratio *= (m + n - 1) * (m + n - 2) / (m * (m - 1.0))
        series += _BERNOULLI[k] * ratio * power
    return sign * (series + factorial * shifted)
