"""The tape that generated derivative code records on, as compiled helpers.

A tape is a plain integer address of memory from the C allocator plus a
capacity.  Keeping it out of NumPy arrays matters for speed: a NumPy array
that is reassigned when it grows makes Numba emit reference-count calls
across the whole dispatch loop (measured: 2-3x slower gradients); plain
integers stay in registers.  Entries are 8 bytes: float64 on a float tape,
int64 on an int tape.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
_SIZE = ir.IntType(64)


def _libc(builder, name, ret, args):
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(ret, args), name)


@intrinsic
def tape_new(typingctx, capacity):
    """Address of fresh memory for ``capacity`` 8-byte entries."""
    def codegen(context, builder, sig, args):
        malloc = _libc(builder, "malloc", _I8P, [_SIZE])
        ptr = builder.call(malloc, [builder.mul(args[0], _SIZE(8))])
        return builder.ptrtoint(ptr, _SIZE)
    return types.int64(types.int64), codegen


@intrinsic
def tape_resize(typingctx, address, capacity):
    """Address of the tape at ``address`` resized to ``capacity`` entries (content kept)."""
    def codegen(context, builder, sig, args):
        realloc = _libc(builder, "realloc", _I8P, [_I8P, _SIZE])
        ptr = builder.inttoptr(args[0], _I8P)
        new = builder.call(realloc, [ptr, builder.mul(args[1], _SIZE(8))])
        return builder.ptrtoint(new, _SIZE)
    return types.int64(types.int64, types.int64), codegen


@intrinsic
def tape_free(typingctx, address):
    """Give the tape's memory back."""
    def codegen(context, builder, sig, args):
        free = _libc(builder, "free", ir.VoidType(), [_I8P])
        builder.call(free, [builder.inttoptr(args[0], _I8P)])
        return context.get_dummy_value()
    return types.none(types.int64), codegen


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
