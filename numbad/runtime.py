"""Small compiled helpers that generated derivative code calls."""
import numpy as np
from numba import njit


@njit(cache=True)
def grow(tape, need):
    """A copy of ``tape`` with room for at least ``need`` entries (doubling)."""
    new = np.empty(max(2 * tape.shape[0], need), tape.dtype)
    new[:tape.shape[0]] = tape
    return new
