"""The tape that generated derivative code records on, as compiled helpers.

A tape is a plain integer address of memory from the C allocator plus a
capacity.  Keeping it out of NumPy arrays matters for speed: a NumPy array
that is reassigned when it grows makes Numba emit reference-count calls
across the whole dispatch loop (measured: 2-3x slower gradients); plain
integers stay in registers.  Entries are 8 bytes: float64 on a float tape,
int64 on an int tape.
"""
import ctypes

from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
_SIZE = ir.IntType(64)


def _libc(builder, name, ret, args):
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(ret, args), name)


# Tape memory is kept between calls: a gradient called in a loop (an optimiser) would
# otherwise take fresh pages from the kernel every call and fault them in again. (On
# the heat benchmark this was not where the time went: that was the block dispatch,
# see structured.py.) Freed tapes go to a few slots, taken and given back with atomic
# exchanges (safe across threads); the slots live in Python-owned memory that the JIT
# links by name.
POOL_SLOTS = 4
POOL_MAX_BYTES = 256 << 20      # bigger tapes go back to the system
_pool = (ctypes.c_int64 * POOL_SLOTS)()
llvm.add_symbol("numbad_tape_pool", ctypes.addressof(_pool))


def _slot(builder, index):
    module = builder.module
    pool = module.globals.get("numbad_tape_pool")
    if pool is None:
        pool = ir.GlobalVariable(module, ir.ArrayType(_SIZE, POOL_SLOTS), "numbad_tape_pool")
        pool.linkage = "external"
    return builder.gep(pool, [ir.IntType(32)(0), index])


@intrinsic
def _exchange(typingctx, slot, block):
    """Put ``block`` (an address, or 0) in pool slot ``slot``; return what was there."""
    def codegen(context, builder, sig, args):
        return builder.atomic_rmw("xchg", _slot(builder, args[0]), args[1], "seq_cst")
    return types.int64(types.int64, types.int64), codegen


@intrinsic
def _malloc(typingctx, nbytes):
    def codegen(context, builder, sig, args):
        malloc = _libc(builder, "malloc", _I8P, [_SIZE])
        return builder.ptrtoint(builder.call(malloc, [args[0]]), _SIZE)
    return types.int64(types.int64), codegen


@intrinsic
def _realloc(typingctx, address, nbytes):
    def codegen(context, builder, sig, args):
        realloc = _libc(builder, "realloc", _I8P, [_I8P, _SIZE])
        new = builder.call(realloc, [builder.inttoptr(args[0], _I8P), args[1]])
        return builder.ptrtoint(new, _SIZE)
    return types.int64(types.int64, types.int64), codegen


@intrinsic
def _free(typingctx, address):
    def codegen(context, builder, sig, args):
        free = _libc(builder, "free", ir.VoidType(), [_I8P])
        builder.call(free, [builder.inttoptr(args[0], _I8P)])
        return context.get_dummy_value()
    return types.none(types.int64), codegen


# A tape block starts with one int64 holding its capacity (entries); a tape's address
# points just past it.

@njit
def tape_capacity(address):
    """How many 8-byte entries the tape at ``address`` holds."""
    return load_i(address - 8, 0)


@njit
def tape_new(capacity):
    """Address of a tape with room for at least ``capacity`` 8-byte entries: a pooled
    one when there is one large enough, else fresh memory."""
    for slot in range(POOL_SLOTS):
        block = _exchange(slot, 0)
        if block != 0:
            if load_i(block, 0) >= capacity:
                return block + 8
            other = _exchange(slot, block)      # too small: give it back
            if other != 0:
                _free(other)
    block = _malloc(8 * (capacity + 1))
    store_i(block, 0, capacity)
    return block + 8


@njit
def tape_resize(address, capacity):
    """Address of the tape at ``address`` grown to ``capacity`` entries (content kept)."""
    block = _realloc(address - 8, 8 * (capacity + 1))
    store_i(block, 0, capacity)
    return block + 8


@njit
def tape_free(address):
    """Give the tape back: to the pool (replacing a smaller one), or to the system."""
    block = address - 8
    if 8 * load_i(block, 0) > POOL_MAX_BYTES:
        _free(block)
        return
    for slot in range(POOL_SLOTS):
        old = _exchange(slot, block)
        if old == 0:
            return
        if load_i(old, 0) >= load_i(block, 0):
            block = _exchange(slot, old)        # keep the larger; carry the other on
            if block == 0:
                return
        else:
            block = old
    _free(block)


@njit
def release_pool():
    """Give the tapes kept between calls back to the system (a long-running process
    done with its derivatives; a memory measurement that should see a cold call)."""
    for slot in range(POOL_SLOTS):
        block = _exchange(slot, 0)
        if block != 0:
            _free(block)


def _entry_pointer(builder, llty, address, index):
    base = builder.inttoptr(address, llty.as_pointer())
    return builder.gep(base, [index])


def _make_store(nbtype, llty):
    @intrinsic
    def store(typingctx, address, index, value):
        def codegen(context, builder, sig, args):
            value = context.cast(builder, args[2], sig.args[2], nbtype)
            builder.store(value, _entry_pointer(builder, llty, args[0], args[1]))
            return context.get_dummy_value()
        return types.none(types.int64, types.int64, value), codegen
    return store


def _make_load(nbtype, llty):
    @intrinsic
    def load(typingctx, address, index):
        def codegen(context, builder, sig, args):
            return builder.load(_entry_pointer(builder, llty, args[0], args[1]))
        return nbtype(types.int64, types.int64), codegen
    return load


store_f = _make_store(types.float64, ir.DoubleType())
store_f.__doc__ = "Write a float (as float64) at entry ``index`` of a float tape."
store_i = _make_store(types.int64, ir.IntType(64))
store_i.__doc__ = "Write an int or bool (as int64) at entry ``index`` of an int tape."
load_f = _make_load(types.float64, ir.DoubleType())
load_f.__doc__ = "Read entry ``index`` of a float tape."
load_i = _make_load(types.int64, ir.IntType(64))
load_i.__doc__ = "Read entry ``index`` of an int tape."
