"""Stand-ins for ``numba.cuda``'s intrinsics that Numba's CPU type inference knows.

numbad reads a kernel through Numba's own pipeline (untyped passes, type
inference) on a *view* of it whose ``cuda`` global is :data:`module` below, so the
same typed IR comes out whether ``numba.cuda`` is the real target or the simulator
(whose objects no type inference knows).  Only typing is registered: the view is
never compiled; generated code calls the real ``cuda.<name>`` (see :data:`SPELLING`).
"""
import types as pytypes

from numba.core import types
from numba.core.extending import type_callable, typeof_impl
from numba.core.typing.templates import AttributeTemplate, infer_getattr


class Dim3:
    """``threadIdx``, ``blockIdx``, ``blockDim``, ``gridDim``: .x, .y, .z."""

    def __init__(self, name):
        self.name = name


class Dim3Type(types.Type):
    def __init__(self):
        super().__init__(name="numbad.cuda.Dim3")


dim3_type = Dim3Type()


@typeof_impl.register(Dim3)
def _typeof_dim3(val, c):
    return dim3_type


@infer_getattr
class _Dim3Attributes(AttributeTemplate):
    key = dim3_type

    def generic_resolve(self, ty, attr):
        if attr in ("x", "y", "z"):
            return types.int64


def _stub(name):
    def stub(*args):
        raise RuntimeError("numbad.cuda.intrinsics.%s is for typing only" % name)
    stub.__name__ = stub.__qualname__ = name
    return stub


def _grid_type(ndim):
    if isinstance(ndim, types.IntegerLiteral) and ndim.literal_value in (1, 2, 3):
        n = ndim.literal_value
        return types.int64 if n == 1 else types.UniTuple(types.int64, n)
    return None


def _typed(fn, typer):
    type_callable(fn)(lambda context: typer)
    return fn


def _atomic_typer(ary, idx, val):
    if isinstance(ary, types.Array):
        return ary.dtype
    return None


module = pytypes.ModuleType("numbad.cuda.intrinsics.cuda")
module.threadIdx, module.blockIdx = Dim3("threadIdx"), Dim3("blockIdx")
module.blockDim, module.gridDim = Dim3("blockDim"), Dim3("gridDim")
module.grid = _typed(_stub("grid"), lambda ndim: _grid_type(ndim))
module.gridsize = _typed(_stub("gridsize"), lambda ndim: _grid_type(ndim))
module.syncthreads = _typed(_stub("syncthreads"), lambda: types.none)
module.threadfence = _typed(_stub("threadfence"), lambda: types.none)
module.atomic = pytypes.ModuleType("numbad.cuda.intrinsics.cuda.atomic")
for _name in ("add", "sub", "max", "min", "exch"):
    setattr(module.atomic, _name, _typed(_stub("atomic_" + _name), _atomic_typer))


def _array_typer(shape, dtype):
    if isinstance(dtype, (types.DType, types.NumberClass)):
        ndim = len(shape) if isinstance(shape, types.BaseTuple) else 1
        return types.Array(getattr(dtype, "dtype", None) or dtype.instance_type, ndim, "C")
    return None


module.shared = pytypes.ModuleType("numbad.cuda.intrinsics.cuda.shared")
module.shared.array = _typed(_stub("shared_array"), _array_typer)
module.local = pytypes.ModuleType("numbad.cuda.intrinsics.cuda.local")
module.local.array = _typed(_stub("local_array"), _array_typer)

# How generated code spells each stand-in: the real ``cuda`` module is bound to the
# name ``cuda`` there (the simulator swaps that global for each simulated thread).
SPELLING = {id(module): "cuda"}
for _name in ("threadIdx", "blockIdx", "blockDim", "gridDim", "grid", "gridsize",
              "syncthreads", "threadfence"):
    SPELLING[id(getattr(module, _name))] = "cuda." + _name
for _sub in ("atomic", "shared", "local"):
    SPELLING[id(getattr(module, _sub))] = "cuda." + _sub
    for _name, _obj in vars(getattr(module, _sub)).items():
        if callable(_obj):
            SPELLING[id(_obj)] = "cuda.%s.%s" % (_sub, _name)

# Calls the adjoint of a kernel cannot honour (threads that wait for each other, or
# memory shared by a block): refused with NotDifferentiableError.
REFUSED = {module.syncthreads: "cuda.syncthreads() (threads that wait for each other)",
           module.threadfence: "cuda.threadfence()",
           module.shared.array: "cuda.shared.array (memory shared by a block's threads)",
           module.local.array: "cuda.local.array (per-thread arrays)",
           module.atomic.sub: "cuda.atomic.sub", module.atomic.max: "cuda.atomic.max",
           module.atomic.min: "cuda.atomic.min", module.atomic.exch: "cuda.atomic.exch"}
ATOMIC_ADD = module.atomic.add
GRID = module.grid
