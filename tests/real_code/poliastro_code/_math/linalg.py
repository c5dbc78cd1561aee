# Project: poliastro -- https://github.com/poliastro/poliastro
# Licence: MIT, "Copyright (c) 2012-2019 Juan Luis Cano Rodríguez"
# Source: src/poliastro/_math/linalg.py @ 041525f130d7f67585149dbd7cd4834cea893016
# (whole file, unchanged)
import numpy as np
from numba import njit as jit


@jit
def norm(arr):
    return np.sqrt(arr @ arr)
