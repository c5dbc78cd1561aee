"""The adjoint of a CUDA kernel: each thread runs its forward sweep, then its reverse.

A kernel is the same function for every thread, told apart by its thread index,
so its adjoint is the reverse-mode transform of that function (reverse.py)
written as a kernel: every float array parameter is followed by its shadow (the
adjoint array, DESIGN.md "CUDA"), the tapes are columns of device arrays, one
per thread (``_ftape[:, _tid]``: neighbouring threads' entries sit side by side,
so their pushes coalesce), and adjoints that several threads may add into the
same element use ``cuda.atomic.add``.  An array every access of which is the
thread's own element (``x[i]`` with ``i = cuda.grid(1)``) gets plain adds.

A thread whose tape fills up stops recording, skips its reverse sweep and
reports the size it needed in ``_need``; the launcher then runs the launch again
with bigger tapes (kernels.py's caller, launch.py).
"""
import operator

from .. import analysis
from ..analysis import is_float_array, kind
from ..errors import not_differentiable
from ..reverse import TAPES, ReverseTransform
from . import intrinsics

analysis.ACCUMULATING_CALLS[intrinsics.ATOMIC_ADD] = (0, 1, 2)

THREAD_ID = ("((cuda.blockIdx.z * cuda.gridDim.y + cuda.blockIdx.y) * cuda.gridDim.x"
             " + cuda.blockIdx.x) * (cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z)"
             " + (cuda.threadIdx.z * cuda.blockDim.y + cuda.threadIdx.y) * cuda.blockDim.x"
             " + cuda.threadIdx.x")
TAPE_PARAMS = {"_ft": "_ftape", "_it": "_itape"}
NEED_SLOT = {"_ft": 0, "_it": 1}


class KernelAdjoint(ReverseTransform):
    """The adjoint kernel source of one kernel for one signature (see module docstring)."""

    tape_costly = False     # a GPU recomputes exp & co. faster than it reads a tape entry

    def __init__(self, tir, name, private=True):
        self.float_arrays = tuple(i for i, t in enumerate(tir.arg_types) if is_float_array(t))
        self.private = private
        super().__init__(tir, self.float_arrays, name, _no_callees)
        self.refuse_unsupported()
        self.primal.spelled = intrinsics.SPELLING
        for name in sorted(self.activity.active):
            if self.role(name) not in (None, "memory", "alias", "view"):
                # (arrays made in the kernel: their adjoints would be allocated there)
                raise not_differentiable("an array made or named anew in a kernel",
                                         self.info.defs[name][1].loc)
        self.private_arrays()
        if self.array_tapes_needed():
            raise not_differentiable("a kernel whose reverse sweep needs whole arrays kept "
                                     "(arrays made or overwritten wholesale in the kernel)",
                                     tir.func_ir.loc)

    def refuse_unsupported(self):
        """NotDifferentiableError for calls the adjoint kernel cannot honour."""
        info = self.info
        for label in info.labels:
            for stmt in info.blocks[label].body:
                if kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and \
                        stmt.value.op == "call":
                    ok, fn = info.constant(stmt.value.func.name)
                    for refused, what in intrinsics.REFUSED.items():
                        if ok and fn is refused:
                            raise not_differentiable(what, stmt.loc)

    # ---- what is differentiated: every float array's content at the end of the launch
    def output_vars(self):
        return [v for _, v in self.returns] + [
            self.info.arg_vars[i] for i in self.float_arrays if i in self.info.arg_vars]

    def active(self, name):
        # an atomic add into an active array is a store: its adjoint reads the array's
        return super().active(name) or name in self.accumulations()

    def accumulations(self):
        """Target -> (array, index, value) of each ``cuda.atomic.add`` into an active array."""
        if not hasattr(self, "_accumulations"):
            self._accumulations = {}
            for label in self.info.labels:
                for stmt in self.info.blocks[label].body:
                    acc = analysis.accumulation(self.info, stmt)
                    if acc is not None and acc[0].name in self.activity:  # (an active array)
                        self._accumulations[stmt.target.name] = acc
        return self._accumulations

    def needed_by(self, stmt):
        acc = self.accumulations().get(getattr(stmt, "target", None) and stmt.target.name)
        if acc is not None and kind(stmt) == "Assign":
            return [acc[1].name]
        return super().needed_by(stmt)

    def emit_adjoint(self, src, stmt):
        acc = self.accumulations().get(stmt.target.name) if kind(stmt) == "Assign" else None
        if acc is None:
            return super().emit_adjoint(src, stmt)
        array, index, value = acc
        if super().active(value.name):     # the element's adjoint stays: others read it
            self.acc(src, value.name, None,
                     "%s[%s]" % (self.bar(array.name), self.primal.operand(index)))

    def emit_element_adjoint(self, src, value, tbar):
        """``x = a[index]``: ``bar(a)[index] += bar(x)``, atomically unless every access
        to ``a`` in the kernel is private to its thread (see ``private_arrays``)."""
        index = repr(value.index) if value.op == "static_getitem" else \
            self.primal.operand(value.index)
        bar = self.bar(value.value.name)
        if self.info.alias_root(value.value.name) in self.private_arrays():
            src("%s[%s] += %s" % (bar, index, tbar))
        else:
            src("cuda.atomic.add(%s, %s, %s)" % (bar, index, tbar))

    def invariant_reads(self, header):
        """No element read's adjoint is held in a local in a kernel: the local would be
        added to its element by a plain ``+=`` at the loop's end, racing other threads'
        atomic adds."""
        return []

    def invariant_views(self, header):
        """(Kernels write adjoints through atomics on the arrays themselves.)"""
        return []

    def private_arrays(self):
        """Argument arrays whose elements each belong to one thread: every read, store
        and atomic add on the array (not through a view) indexes it the same way by the
        thread's grid position: ``a[i]`` with ``i = cuda.grid(1)`` (or ``threadIdx.x +
        blockIdx.x * blockDim.x``, or a grid-stride loop's variable), ``a[i, j]`` with
        ``i, j = cuda.grid(2)``, or ``a[i, k]`` (``i`` at the same place every time).
        A plain ``+=`` there cannot race with another thread's atomic add. (Threads are
        told apart by the first ``private_dims`` grid dimensions only: a launch with more
        uses a variant without private arrays, see launch.py.) None when built with
        ``private=False``."""
        if hasattr(self, "_private"):
            return self._private
        if not self.private:
            self._private, self.private_dims = set(), 0
            return self._private
        info = self.info
        ways = {}           # array -> how each access indexes it (None: not by thread)

        def record(array, way):     # (under the argument an alias or inlined parameter names)
            ways.setdefault(info.alias_root(array), []).append(way)

        for label in info.labels:
            for stmt in info.blocks[label].body:
                k = kind(stmt)
                acc = analysis.accumulation(info, stmt)
                if k in ("SetItem", "StaticSetItem"):
                    record(stmt.target.name,
                           self.thread_indexing(stmt.index.name) if k == "SetItem" else None)
                elif acc is not None:
                    record(acc[0].name, self.thread_indexing(acc[1].name))
                elif k == "Assign" and kind(stmt.value) == "Expr" and stmt.value.op in (
                        "getitem", "static_getitem") and self.is_array(stmt.value.value.name):
                    e = stmt.value
                    record(e.value.name,
                           self.thread_indexing(e.index.name) if e.op == "getitem" else None)
                    if self.is_array(stmt.target.name):     # a view: not followed
                        record(e.value.name, None)
        args = set(info.arg_vars.values())
        self._private = {a for a, w in ways.items()
                         if a in args and None not in w and len(set(w)) == 1}
        self.private_dims = max([w[0][1] if w[0][0] == "grid" else 1
                                 for a, w in ways.items() if a in self._private], default=0)
        return self._private

    def thread_indexing(self, index):
        """How index variable ``index`` depends on the thread's grid position: ("grid",
        n) for all of ``cuda.grid(n)`` in order, ("row", p) for a tuple with the
        thread's 1-D index at place p, else None."""
        n = self.grid_call(index)
        if n is not None or self.thread_x(index) or self.grid_stride(index):
            return ("grid", n or 1)
        e = self.expr(index, "build_tuple")
        if e is None:
            return None
        items = [v.name for v in e.items]
        for p, item in enumerate(items):
            if self.thread_x(item) or self.grid_stride(item):
                return ("row", p)
        coordinates = [self.grid_coordinate(item) for item in items]
        if all(c is not None and c[1] == p for p, c in enumerate(coordinates)) and \
                len({c[0] for c in coordinates}) == 1 and \
                self.grid_call(coordinates[0][0]) == len(items):
            return ("grid", len(items))
        return None

    def expr(self, name, *ops):
        """The expression defining variable ``name`` (through plain copies) when its op
        is one of ``ops``, else None."""
        d = self.info.defs.get(self.info.copied_from(name))
        e = d[1].value if d else None
        return e if kind(e) == "Expr" and e.op in ops else None

    def thread_x(self, name):
        """Whether ``name`` is the thread's own index in a 1-D grid."""
        return self.grid_call(name) == 1 or self.global_x(name)

    def grid_stride(self, name):
        """Whether ``name`` is the variable of a grid-stride loop, ``for i in range(t, n,
        s)`` with t the thread's own index and s the grid's size (``cuda.gridsize(1)``
        or ``blockDim.x * gridDim.x``): each i is one thread's, as with ``t`` itself."""
        info = self.info
        first = self.expr(name, "pair_first")
        nxt = first and self.expr(first.value.name, "iternext")
        it = nxt and self.expr(nxt.value.name, "getiter")
        call = it and self.expr(it.value.name, "call")
        if not (call and len(call.args) == 3 and info.constant(call.func.name) == (True, range)):
            return False
        start, _, step = (a.name for a in call.args)
        size = self.expr(step, "call")
        whole_grid = (size is not None and len(size.args) == 1
                      and info.constant(size.func.name) == (True, intrinsics.module.gridsize)
                      and info.constant(size.args[0].name) == (True, 1)) or \
            self.product_of(step, ("blockDim", "gridDim"))
        return self.thread_x(start) and whole_grid

    def x_of(self, name):
        """"threadIdx" (etc.) when ``name`` is ``cuda.threadIdx.x`` (etc.), else None."""
        e = self.expr(name, "getattr")
        if e is None or e.attr != "x":
            return None
        ok, obj = self.info.constant(e.value.name)
        return obj.name if ok and isinstance(obj, intrinsics.Dim3) else None

    def product_of(self, name, dims):
        """Whether ``name`` is the product of the .x of the two ``dims`` (either order)."""
        e = self.expr(name, "binop")
        return e is not None and e.fn is operator.mul and \
            {self.x_of(e.lhs.name), self.x_of(e.rhs.name)} == set(dims)

    def global_x(self, name):
        """Whether ``name`` is ``threadIdx.x + blockIdx.x * blockDim.x`` (what
        ``cuda.grid(1)`` is), the terms in either order."""
        e = self.expr(name, "binop")
        if e is None or e.fn is not operator.add:
            return False
        return any(self.x_of(t.name) == "threadIdx"
                   and self.product_of(b.name, ("blockIdx", "blockDim"))
                   for t, b in ((e.lhs, e.rhs), (e.rhs, e.lhs)))

    def grid_coordinate(self, name):
        """(variable holding ``cuda.grid(n)``, coordinate) when ``name`` is one of its
        coordinates (``i, j = cuda.grid(2)``), else None."""
        e = self.expr(name, "static_getitem")
        if e is None or not isinstance(e.index, int):
            return None
        unpacked = self.expr(e.value.name, "exhaust_iter")
        tup = unpacked.value.name if unpacked is not None else e.value.name
        return self.info.copied_from(tup), e.index

    def grid_call(self, name):
        """n when variable ``name`` is the result of ``cuda.grid(n)``, else None."""
        e = self.expr(name, "call")
        if e is None or len(e.args) != 1:
            return None
        ok, fn = self.info.constant(e.func.name)
        n = self.info.constant(e.args[0].name)
        return n[1] if ok and fn is intrinsics.GRID and n[0] else None

    def array_tapes_needed(self):
        return any(p["arrays"] or p["snapshots"] or p["local_snapshots"]
                   for p in self.plans.values()) or any(
            self.overwritten(r)[1] is not None for p in self.plans.values()
            for r in p["restores"])

    # ---- the kernel's frame: shadows as parameters, tapes as device-array columns
    def shadow_names(self):
        """Source name of each float array parameter's shadow."""
        out = {}
        for i in self.float_arrays:
            var = self.info.arg_vars.get(i)
            out[i] = self.bar(var) if var is not None and super().active(var) else \
                self.names.fresh(self.params[i] + "_shadow")
        return out

    def emit_header(self, src):
        shadows = self.shadow_names()
        params = []
        for i, p in enumerate(self.params):
            params += [p, shadows[i]] if i in shadows else [p]
        src("def %s(%s):" % (self.fname, ", ".join(params + ["_ftape", "_itape", "_need"])))
        src.indent()
        src('"""Adjoint kernel of %s: each float array argument is followed by its '
            'shadow (adjoint)."""' % self.info.func_ir.func_id.func_qualname)
        src("_tid = " + THREAD_ID)

    def emit_open_tape(self, src, tape):
        src("%s = %s[:, _tid]" % (tape, TAPE_PARAMS[tape]), "%s = 0" % TAPES[tape][0])

    def emit_room(self, src, tape, count):
        pass            # a device tape does not grow: stores past its end are dropped

    def emit_memory_bar(self, src, name):
        pass            # a parameter: the shadow the caller passes

    def emit_end_of_forward(self, src):
        if not self.tapes:
            return
        full = " or ".join("%s > %s.shape[0]" % (TAPES[t][0], t) for t in self.tapes)
        src("if %s:  # the tape was too small: say how big, leave the adjoint alone" % full)
        for t in self.tapes:
            src("    cuda.atomic.max(_need, %d, %s)" % (NEED_SLOT[t], TAPES[t][0]))
        src("    return")

    def emit_footer(self, src):
        src("return")


def _no_callees(fn, arg_types, wrt):
    raise not_differentiable("a call to %s from a kernel (numbad inlines "
                             "@cuda.jit(device=True) and @njit functions; this is neither)"
                             % getattr(fn, "__name__", fn))
