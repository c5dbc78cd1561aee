# Project: numba-stats -- https://github.com/HDembinski/numba-stats
# Licence: MIT, "Copyright (c) 2021 Hans Dembinski" (LICENSES/numba-stats.txt)
# Source: src/numba_stats/voigt.py @ 235054d37d36db65a2099c76eed39b79d9f86c2b
# (whole file, unchanged)
"""
Voigtian distribution.

This is the convolution of a Cauchy distribution with a normal distribution.

There is a closed form for the cdf, but the required hypergeometric function is not
implemented anywhere.

https://en.wikipedia.org/wiki/Voigt_profile
"""

from ._special import voigt_profile as _voigt
from ._util import _jit
import numpy as np


@_jit(3, cache=False)
def pdf(x, gamma, loc, scale):
    """
    Return probability density.
    """
    r = np.empty_like(x)
    for i, xi in enumerate(x):
        r[i] = _voigt(xi - loc, scale, gamma)
    return r
