"""Compiled helpers that generated code calls for the adjoints of whole-array values.

Adjoint bookkeeping (why these exist):

* ``sum_to(g, like)`` undoes broadcasting: a contribution ``g`` to an operand
  of shape ``like.shape`` (or to a scalar) is summed over the axes that
  broadcasting added or stretched.
* The adjoint of an array *value* (the result of ``a * b``, ``np.exp(a)``,
  a loop-carried ``u = u + ...``) is either *dead* (zero, not allocated: a
  zero-size array stands for it) or a private array of the value's shape.
  ``acc`` adds into it, allocating on first use; ``move`` hands one adjoint
  to another across a ``phi`` without copying; ``live`` makes one for
  element-wise writes. Nothing else ever holds a reference to an adjoint
  array, so in-place accumulation is safe.
* ``elementwise_vjp`` turns a scalar rule template of the rules table into a
  NumPy ufunc (``numba.vectorize``), so the one table serves arrays too, with
  NumPy broadcasting for free.
"""
import numba
import numpy as np
from numba.core import types
from numba.extending import overload

from . import interp_runtime, linalg_runtime, order_runtime
from .array_construction import array_of, concatenate, concatenate_columns, stack
from .errors import NotDifferentiableError
from .special import polygamma


def sum_to(g, like):
    """``g`` summed down to something that broadcasts to ``like``'s shape (scalar ``like``:
    a scalar)."""
    raise NotImplementedError("called from compiled code only")


@overload(sum_to)
def _sum_to(g, like):
    if not isinstance(g, types.Array):
        return lambda g, like: g
    if not isinstance(like, types.Array):
        return lambda g, like: np.sum(g)
    ng, nl = g.ndim, like.ndim
    if nl > ng or nl == 0:
        return lambda g, like: g
    return _reducer(ng, nl)


def _reducer(ng, nl):
    """Source of the generic broadcast-undoing sum for ``ng``-d g and ``nl``-d like."""
    off = ng - nl
    shape = ", ".join("1 if like.shape[%d] == 1 else g.shape[%d]" % (k, k + off)
                      for k in range(nl))
    lines = ["def impl(g, like):"]
    if off == 0:
        lines.append("    if g.shape == like.shape:")
        lines.append("        return np.ascontiguousarray(g)")
    lines.append("    out = np.zeros((%s,), g.dtype)" % shape)
    for k in range(ng):
        lines.append("    " * (k + 1) + "for i%d in range(g.shape[%d]):" % (k, k))
    index = ", ".join("0 if like.shape[%d] == 1 else i%d" % (k, k + off) for k in range(nl))
    lines.append("    " * (ng + 1) + "out[%s] += g[%s]" % (
        index, ", ".join("i%d" % k for k in range(ng))))
    lines.append("    return out")
    ns = {"np": np}
    exec("\n".join(lines), ns)
    return ns["impl"]


@numba.njit
def acc(bar, g, like):
    """``bar + g`` (``g`` summed to ``like``'s shape), in place unless ``bar`` is dead."""
    contribution = sum_to(g, like)
    if bar.size == 0:
        bar = np.zeros(like.shape, bar.dtype)
    bar += contribution
    return bar


@numba.njit
def move(dest, src):
    """``dest + src`` for two adjoints of one shape; ``src`` must not be used again."""
    if src.size == 0:
        return dest
    if dest.size == 0:
        return src
    dest += src
    return dest


@numba.njit
def live(bar, like):
    """``bar``, allocated as zeros of ``like``'s shape if it is dead."""
    if bar.size == 0:
        return np.zeros(like.shape, bar.dtype)
    return bar


@numba.njit
def add_into(dest, src):
    """``dest += src`` for an array that always has an adjoint (an argument's, a
    buffer's), when ``src`` may be dead."""
    if src.size != 0:
        dest += sum_to(src, dest)


def scatter_add(dest, index, src):
    """``dest[index] += src`` adding once per occurrence of an index (``np.add.at``; NumPy's
    ``+=`` would add once per distinct index): the adjoint of the gather
    ``src = a[index]`` by a 1-D array of integers or a boolean mask. ``src`` may be dead."""


@overload(scatter_add)
def _scatter_add(dest, index, src):
    if isinstance(index.dtype, types.Boolean):      # (selects each element once)
        def by_mask(dest, index, src):
            if src.size != 0:
                dest[index] = dest[index] + src
        return by_mask

    def by_integers(dest, index, src):
        if src.size != 0:
            for k in range(index.shape[0]):
                dest[index[k]] += src[k]
    return by_integers


@numba.njit
def last_written(bar, index):
    """``bar[index]`` with 0 where a later occurrence of the same index overwrote what
    ``a[index] = v`` stored there: the adjoint of ``v`` (NumPy and Numba keep the last)."""
    out = bar[index]
    n = bar.shape[0]
    taken = np.zeros(n, np.bool_)
    for k in range(index.shape[0] - 1, -1, -1):
        j = index[k] % n if n else 0
        if taken[j]:
            out[k] = 0.0
        taken[j] = True
    return out


@numba.njit
def reverse_cumsum(g, like):
    """Adjoint of ``np.cumsum`` (flattening) for an argument shaped like ``like``."""
    flat = np.ascontiguousarray(g).ravel()
    out = np.empty_like(flat)
    s = 0.0
    for i in range(flat.size - 1, -1, -1):
        s += flat[i]
        out[i] = s
    return out.reshape(like.shape)


@numba.njit
def diff_vjp(g):
    """Adjoint of ``np.diff`` of a 1-D array (``g``: the adjoint of its result)."""
    out = np.zeros(g.shape[0] + 1)
    for i in range(g.shape[0]):
        out[i] -= g[i]
        out[i + 1] += g[i]
    return out


@numba.njit
def prod_vjp(a, g):
    """Adjoint of ``np.prod(a)``: ``g`` times the product of the other elements (exact
    when ``a`` has zeros)."""
    flat = np.ascontiguousarray(a).ravel()
    n = flat.size
    out = np.empty(n, np.float64)
    left = 1.0
    for i in range(n):
        out[i] = left
        left *= flat[i]
    right = 1.0
    for i in range(n - 1, -1, -1):
        out[i] *= right * g
        right *= flat[i]
    return out.reshape(a.shape)


@numba.njit
def diag_vjp(g, like):
    """Adjoint of ``np.diag(a)`` for a 2-D ``a`` shaped like ``like``: ``g`` on its
    diagonal."""
    out = np.zeros(like.shape)
    for i in range(g.shape[0]):
        out[i, i] = g[i]
    return out


@numba.njit
def extremum_vjp(a, ans, g):
    """Adjoint of ``np.max``/``np.min``: ``g`` shared equally by the elements equal to
    the extremum (as JAX does)."""
    hit = a == ans
    return g * hit / np.sum(hit)


def shaped(x, like):
    """Tangent ``x`` (a scalar or an array that broadcasts) as an array of ``like``'s shape."""
    raise NotImplementedError("called from compiled code only")


@overload(shaped)
def _shaped(x, like):
    if isinstance(x, types.Array) and x.ndim == 0:     # (a 0-d array's: its number)
        return lambda x, like: np.full(like.shape, x[()], like.dtype)
    if isinstance(x, types.Array):
        def impl(x, like):
            if x.shape == like.shape:
                return x
            return np.zeros(like.shape, like.dtype) + x
        return impl
    return lambda x, like: np.full(like.shape, x, like.dtype)


@numba.njit
def ramp(m):
    """Where each of ``np.linspace``'s ``m`` points sits between start (0) and stop (1)."""
    if m == 1:
        return np.zeros(1)
    return np.arange(m) / (m - 1)


@numba.njit
def _extent(a):
    """First and one-past-last byte address that array ``a`` touches."""
    lo = hi = a.ctypes.data
    for k in range(a.ndim):
        reach = (a.shape[k] - 1) * a.strides[k]
        if reach < 0:
            lo += reach
        else:
            hi += reach
    return lo, hi + a.itemsize


@numba.njit
def partly_overlap(a, b):
    """Whether arrays ``a`` and ``b`` share memory without being the same elements in
    the same order (Numba's in-place operators then differ from NumPy's)."""
    if a.size == 0 or b.size == 0:
        return False
    lo_a, hi_a = _extent(a)
    lo_b, hi_b = _extent(b)
    if hi_a <= lo_b or hi_b <= lo_a:
        return False
    if a.ndim == 1 and b.ndim == 1 and a.strides[0] == b.strides[0] and \
            a.itemsize == b.itemsize and a.strides[0] != 0:
        # interleaved, as columns ``c[:, j]`` and ``c[:, j - 1]`` are: no element shared
        step = abs(a.strides[0])
        offset = (a.ctypes.data - b.ctypes.data) % step
        if a.itemsize <= offset <= step - a.itemsize:
            return False
    return not (lo_a == lo_b and a.shape == b.shape and a.strides == b.strides)


@numba.njit
def refuse_partial_overlap(out, a, message):
    """Raise NotDifferentiableError(``message``) when ``a`` partly overlaps ``out``
    (the check before a ufunc given its output array, ufunc_outputs.py); else 0."""
    if partly_overlap(out, a):
        raise NotDifferentiableError(message)
    return 0


@numba.njit
def refuse_unequal_shapes(a, b, message):
    """Raise NotDifferentiableError(``message``) unless ``a`` and ``b`` have one shape
    (the check before ``np.nditer((a, b))``, array_iteration.py); else 0."""
    if a.shape != b.shape:
        raise NotDifferentiableError(message)
    return 0


_KERNELS = {}


def elementwise_vjp(template, placeholders, name, guarded=False):
    """A ufunc computing ``g * partial`` element by element, for a partial template.

    ``placeholders`` are the template's operands in call order (``"0"``, ``"1"``,
    ``"ans"``); the ufunc takes ``g`` first, then those. ``name`` names it (when new).
    ``guarded``: 0 where ``g`` is (a partial that may be inf: rules.Rule.nonfinite).
    """
    key = (template, tuple(placeholders), guarded)
    kernel = _KERNELS.get(key)
    if kernel is None:
        params = ["g"] + ["x%s" % p for p in placeholders]
        body = template
        for p in placeholders:
            body = body.replace("{%s}" % p, "x%s" % p)
        ns = {"math": __import__("math"), "np": np, **HELPERS}
        product = ("g * (%s) if g != 0.0 else 0.0" if guarded else "g * (%s)") % body
        exec("def %s(%s):\n    return %s\n" % (name, ", ".join(params), product), ns)
        kernel = _KERNELS[key] = numba.vectorize(ns[name])
        _SCALAR_OF[kernel] = ns[name]
    return kernel


_SCALAR_OF = {}


def kernel_scalar_function(fn):
    """The scalar Python function behind a kernel that ``elementwise_vjp`` made, else None
    (forward mode differentiates that function to differentiate the kernel)."""
    try:
        return _SCALAR_OF.get(fn)
    except TypeError:
        return None


# Generated code calls the helpers by these names.
HELPERS = {"_sum_to": sum_to, "_acc": acc, "_move": move, "_live": live,
           "_add_into": add_into, "_reverse_cumsum": reverse_cumsum,
           "_prod_vjp": prod_vjp, "_extremum_vjp": extremum_vjp,
           "_partly_overlap": partly_overlap, "_ramp": ramp, "_shaped": shaped,
           "_scatter_add": scatter_add, "_last_written": last_written,
           "_diff_vjp": diff_vjp, "_diag_vjp": diag_vjp,
           "_refuse_partial_overlap": refuse_partial_overlap, "_polygamma": polygamma,
           "_array_of": array_of, "_concatenate": concatenate, "_stack": stack,
           "_concatenate_columns": concatenate_columns,
           "_interp_slope": interp_runtime.interp_slope,
           "_interp_slope_at": interp_runtime.interp_slope_at,
           "_interp_scatter": interp_runtime.interp_scatter,
           "_interp_scatter_at": interp_runtime.interp_scatter_at,
           "_cholesky_vjp": linalg_runtime.cholesky_vjp,
           "_cholesky_jvp": linalg_runtime.cholesky_jvp,
           "_eigh_values_vjp": linalg_runtime.eigh_values_vjp,
           "_eigh_values_jvp": linalg_runtime.eigh_values_jvp,
           "_eigh_vectors_vjp": linalg_runtime.eigh_vectors_vjp,
           "_eigh_vectors_jvp": linalg_runtime.eigh_vectors_jvp,
           "_cov_vjp": linalg_runtime.cov_vjp, "_cov_jvp": linalg_runtime.cov_jvp,
           "_unsort": order_runtime.unsort, "_sort_tangent": order_runtime.sort_tangent,
           "_cumprod_vjp": order_runtime.cumprod_vjp,
           "_median_vjp": order_runtime.median_vjp,
           "_cumprod_jvp": order_runtime.cumprod_jvp}
