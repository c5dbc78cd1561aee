# Project: poliastro -- https://github.com/poliastro/poliastro
# Licence: MIT, "Copyright (c) 2012-2019 Juan Luis Cano Rodríguez"
# Source: src/poliastro/core/_jit.py @ c516ac476efa00353649077ed63162148cd617ec
# (whole file, unchanged)
"""Just-in-time compiler.

Wraps numba if it is available as a module, uses an identity
decorator instead.

"""
import inspect
import warnings


def ijit(first=None, *args, **kwargs):
    """Identity JIT, returns unchanged function."""

    def _jit(f):
        return f

    if inspect.isfunction(first):
        return first
    else:
        return _jit


try:
    import numba

    jit = numba.njit
except ImportError:
    warnings.warn(
        "Could not import numba package. All poliastro "
        "functions will work properly but the CPU intensive "
        "algorithms will be slow. Consider installing numba to "
        "boost performance."
    )
    jit = ijit
