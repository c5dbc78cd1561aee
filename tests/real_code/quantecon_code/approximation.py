# Project: QuantEcon.py -- https://github.com/QuantEcon/QuantEcon.py
# Licence: MIT, "Copyright © 2013-2024 Thomas J. Sargent and John Stachurski"
# Source: quantecon/markov/approximation.py @ 0043bd3b78aeae6695d7d705aa0517eb512af55e
# (the two @njit functions of the file, unchanged, with the file's imports
#  that they use; the Python-level tauchen/rouwenhorst builders are left out)

from math import erfc, sqrt

import numpy as np
from numba import njit


@njit
def std_norm_cdf(x):
    return 0.5 * erfc(-x / sqrt(2))


@njit
def _fill_tauchen(x, P, n, rho, sigma, half_step):
    for i in range(n):
        P[i, 0] = std_norm_cdf((x[0] - rho * x[i] + half_step) / sigma)
        P[i, n - 1] = 1 - \
            std_norm_cdf((x[n - 1] - rho * x[i] - half_step) / sigma)
        for j in range(1, n - 1):
            z = x[j] - rho * x[i]
            P[i, j] = (std_norm_cdf((z + half_step) / sigma) -
                       std_norm_cdf((z - half_step) / sigma))
