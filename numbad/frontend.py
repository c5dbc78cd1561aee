"""Typed IR from Numba's own pipeline: untyped passes, then type inference, then stop.

Stopping right after ``NopythonTypeInference`` keeps the IR in SSA form with
``phi`` nodes; later Numba passes would strip them.
"""
import inspect
import operator
from dataclasses import dataclass

from numba.core import compiler, ir, postproc, registry, types
from numba.core.analysis import compute_cfg_from_blocks
from numba.core.compiler import CompilerBase, DefaultPassBuilder, Flags
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.inline_closurecall import InlineWorker, callee_ir_validator
from numba.core.ir_utils import build_definitions, replace_vars, simplify_CFG
from numba.core.typed_passes import NopythonTypeInference
from numba.core.untyped_passes import InlineInlinables, resolve_func_from_module

from . import (
    array_construction,
    array_iteration,
    fusion,
    tuple_loops,
    tuple_results,
    ufunc_outputs,
    user_kernels,
    wrappers,
)
from .retyping import drop_unused_definitions


@dataclass
class TypedIR:
    """What numbad needs from Numba for one function and one signature."""

    func: object            # the Python function
    func_ir: object         # numba.core.ir.FunctionIR, SSA with phis
    typemap: dict           # variable name -> numba type
    calltypes: dict         # ir.Expr -> signature
    return_type: object
    arg_types: tuple
    fused: bool = False     # element-wise expressions were written as loops (fusion.py)


@register_pass(mutates_CFG=False, analysis_only=True)
class CaptureTypedIR(FunctionPass):
    """Put the typed IR into ``state.cr``; a non-None ``cr`` ends the pipeline."""

    _name = "numbad_capture_typed_ir"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        _fields_by_position(state.func_ir, state.typemap)
        _unpack_built_tuples(state.func_ir, state.typemap)
        state.cr = TypedIR(state.func_id.func, state.func_ir, state.typemap,
                           state.calltypes, state.return_type, tuple(state.args),
                           state.get("numbad_fused", False))
        return False


def _fields_by_position(func_ir, typemap):
    """``r.root`` of a namedtuple ``r`` as ``r[0]`` (the position of field ``root``)."""
    for block in func_ir.blocks.values():
        for stmt in block.body:
            value = stmt.value if isinstance(stmt, ir.Assign) else None
            if isinstance(value, ir.Expr) and value.op == "getattr":
                t = typemap.get(value.value.name)
                if isinstance(t, (types.NamedTuple, types.NamedUniTuple)) and \
                        value.attr in t.fields:
                    stmt.value = ir.Expr.static_getitem(value.value, t.fields.index(
                        value.attr), None, value.loc)


def _unpack_built_tuples(func_ir, typemap):
    """``a, b, c, d = e0, e1, e2, e3`` builds a tuple and unpacks it (Python does so from
    four names on), as does ``a, b = f(x)`` once ``f`` is inlined (also a namedtuple
    ``f`` makes, ``results(x, n).root``): let each name take
    its expression's variable directly (also for ``t[1]`` of a tuple ``t`` built so),
    and drop the tuple once nothing else uses it, so that ``a`` is seen for what it is
    (a new array, say) and does not seem to escape into a container. ``r, v = a`` of
    an array takes its rows, ``a[0]`` and ``a[1]``."""
    defs = {stmt.target.name: stmt.value for block in func_ir.blocks.values()
            for stmt in block.body if isinstance(stmt, ir.Assign)}

    def built(name):        # (the variables a tuple is built of, and the names on the way)
        value = defs.get(name)
        if isinstance(value, ir.Expr) and value.op == "build_tuple":
            return value.items, {name}
        if isinstance(value, ir.Expr) and value.op == "call" and not value.kws and \
                isinstance(typemap.get(value.func.name), types.NamedTupleClass):
            return value.args, {name}       # ``results(x, n)`` of a namedtuple class
        if isinstance(value, ir.Expr) and value.op in ("exhaust_iter", "cast") or \
                isinstance(value, ir.Var):      # (an inlined callee's return value)
            items, names = built(getattr(value, "value", value).name)
            return items, names | {name}
        if isinstance(value, ir.Expr) and value.op == "static_getitem" and \
                isinstance(value.index, int):   # a tuple in a tuple, ``t[1][0]``
            items, names = built(value.value.name)
            if items is not None and -len(items) <= value.index < len(items):
                inner, more = built(items[value.index].name)
                return inner, names | more | {name}
        return None, set()
    unpacked = set()
    for block in func_ir.blocks.values():
        for stmt in block.body:
            value = stmt.value if isinstance(stmt, ir.Assign) else None
            if isinstance(value, ir.Expr) and value.op == "static_getitem" and \
                    isinstance(value.index, int):
                items, names = built(value.value.name)
                if items is not None and -len(items) <= value.index < len(items):
                    stmt.value = items[value.index]
                    unpacked |= names
                unpacking = defs.get(value.value.name)
                if items is None and isinstance(unpacking, ir.Expr) and \
                        unpacking.op == "exhaust_iter" and isinstance(
                            typemap.get(unpacking.value.name), types.Array):
                    # ``r, v = a`` of an array: its rows (or elements), ``a[0]``, ``a[1]``
                    stmt.value = ir.Expr.static_getitem(unpacking.value, value.index,
                                                        None, value.loc)
                    unpacked.add(value.value.name)
    drop_unused_definitions(func_ir, unpacked)     # the unpacking, then the tuple


@register_pass(mutates_CFG=False, analysis_only=False)
class StoreUfuncOutputs(FunctionPass):
    """``np.sin(u, out)`` as ``out[:] = np.sin(u)`` (ufunc_outputs.py), typed again."""

    _name = "numbad_store_ufunc_outputs"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return ufunc_outputs.store_ufunc_outputs(state)


@register_pass(mutates_CFG=True, analysis_only=False)
class WriteKernelsAsLoops(FunctionPass):
    """Calls of ``@numba.stencil`` kernels and ``@numba.vectorize`` functions as the loops
    that call their kernels (user_kernels.py), typed again."""

    _name = "numbad_write_kernels_as_loops"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return user_kernels.write_as_loops(state)


@register_pass(mutates_CFG=False, analysis_only=False)
class SplitTupleResults(FunctionPass):
    """``np.linalg.slogdet(a)`` & co. as a tuple of calls, one per result
    (tuple_results.py), typed again."""

    _name = "numbad_split_tuple_results"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return tuple_results.split_tuple_results(state)


@register_pass(mutates_CFG=False, analysis_only=False)
class BuildArraysFromParts(FunctionPass):
    """``np.array([x, y])``, ``np.concatenate((a, b))`` & co. as calls of numbad's own
    functions of the parts (array_construction.py), typed again."""

    _name = "numbad_build_arrays_from_parts"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return array_construction.build_arrays_from_parts(state)


@register_pass(mutates_CFG=True, analysis_only=False)
class IterateArraysByIndex(FunctionPass):
    """``for x in u`` over an array as a loop over ``range(u.shape[0])`` reading ``u[i]``
    (array_iteration.py), typed again."""

    _name = "numbad_iterate_arrays_by_index"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return array_iteration.index_array_loops(state)


@register_pass(mutates_CFG=True, analysis_only=False)
class FuseElementwise(FunctionPass):
    """Element-wise array expressions as element loops (fusion.py), typed again."""

    _name = "numbad_fuse_elementwise"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        state.numbad_fused = fusion.fuse(state)
        return state.numbad_fused


@register_pass(mutates_CFG=True, analysis_only=False)
class InlineChosenCallees(FunctionPass):
    """Inline the calls of the ``@njit`` functions in ``state.numbad_inline`` (Python
    functions), also in what is inlined, but not a function into its own body (a
    recursive call stays a call): what Numba does for ``@njit(inline="always")``, for
    callees numbad picks (inlining.py). Runs where Numba's own inlining does, before
    the IR is put in SSA form."""

    _name = "numbad_inline_chosen_callees"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        worker = InlineWorker(state.typingctx, state.targetctx, state.locals,
                              state.pipeline, state.flags, validator=callee_ir_validator)
        func_ir = state.func_ir
        # (block, the functions whose bodies it comes from)
        work = [(block, frozenset()) for block in func_ir.blocks.values()]
        inlined = 0
        while work:
            block, within = work.pop()
            for i, stmt in enumerate(block.body):
                _expand_star_args(func_ir, stmt)
                callee = _chosen_callee(func_ir, stmt, state.numbad_inline)
                if callee is not None and callee not in within:
                    written = callee
                    if callee.__code__.co_flags & inspect.CO_VARARGS:    # ``f(x, *args)``
                        written = wrappers.fixed_arity(callee, len(stmt.value.args))
                        if written is None:
                            continue
                    _, _, var_map, new_blocks = worker.inline_function(func_ir, block, i,
                                                                       written)
                    inlined += 1
                    _tidy_inlined(written, var_map, dict(new_blocks[1:]),
                                  "%s%d_" % (callee.__name__, inlined))
                    func_ir._definitions = build_definitions(func_ir.blocks)
                    work.append((new_blocks[0][1], within))     # the rest of the block
                    work += [(b, within | {callee}) for _, b in new_blocks[1:]]
                    break
        if inlined:
            cfg = compute_cfg_from_blocks(func_ir.blocks)
            for dead in cfg.dead_nodes():
                del func_ir.blocks[dead]
            postproc.PostProcessor(func_ir).run()
            func_ir.blocks = simplify_CFG(func_ir.blocks)
            fusion.relabel_in_order(func_ir)
        return inlined > 0


@register_pass(mutates_CFG=True, analysis_only=False)
class UnrollTupleLoops(FunctionPass):
    """``for c in (a, b, c):`` written out, one copy of the body per item
    (tuple_loops.py); before SSA, like Numba's ``literal_unroll``."""

    _name = "numbad_unroll_tuple_loops"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        func_ir = state.func_ir
        if not tuple_loops.unroll_tuple_loops(func_ir):
            return False
        func_ir.blocks = simplify_CFG(func_ir.blocks)
        fusion.relabel_in_order(func_ir)
        func_ir._definitions = build_definitions(func_ir.blocks)
        return True


def _expand_star_args(func_ir, stmt):
    """``f(x, *args)`` with ``args`` a tuple built in the function (``args=(a, b)`` given
    to an inlined callee, or its default ``()``) as ``f(x, a, b)``: Numba's inliner
    takes no ``*args``, and a derivative takes every argument by position."""
    value = stmt.value if isinstance(stmt, ir.Assign) else None
    if not (isinstance(value, ir.Expr) and value.op == "call" and value.vararg is not None):
        return
    items = _tuple_items(func_ir, value.vararg)
    if items is not None:
        value.args = list(value.args) + items
        value.vararg = None


def _tuple_items(func_ir, var):
    """The variables tuple ``var`` is built of, else None: a tuple built in the function,
    ``()``, and what Python makes of ``f(x, *args)``: ``(x,) + tuple(args)``."""
    try:
        built = func_ir.get_definition(var)
    except Exception:       # (no single definition)
        return None
    if isinstance(built, ir.Expr) and built.op == "build_tuple":
        return list(built.items)
    if isinstance(built, ir.Const) and built.value == ():
        return []
    if isinstance(built, ir.Expr) and built.op == "binop" and built.fn is operator.add:
        left, right = _tuple_items(func_ir, built.lhs), _tuple_items(func_ir, built.rhs)
        return None if left is None or right is None else left + right
    if isinstance(built, ir.Expr) and built.op == "call" and len(built.args) == 1 and \
            not built.kws:
        try:
            fn = func_ir.get_definition(built.func)
        except Exception:
            return None
        if isinstance(fn, ir.Global) and fn.value is tuple:
            return _tuple_items(func_ir, built.args[0])
    return None


def _tidy_inlined(callee, var_map, blocks, prefix):
    """Drop the copies ``param = argument`` that start an inlined ``callee`` (in
    ``blocks``) where the callee never assigns the parameter again: its body uses the
    caller's variable itself (the reverse sweep then sees the caller's arrays and
    views, not new names for them to keep). Its other variables are named ``prefix``
    and their own names (``rhs1_i``), for the generated code's readers."""
    code = callee.__code__
    renamed = {}
    for name, var in var_map.items():
        defs = [(b, stmt) for b in blocks.values() for stmt in b.body
                if isinstance(stmt, ir.Assign) and stmt.target.name == var.name]
        if name in code.co_varnames[:code.co_argcount] and len(defs) == 1 and \
                isinstance(defs[0][1].value, ir.Var):
            defs[0][0].body.remove(defs[0][1])
            renamed[var.name] = defs[0][1].value
        else:
            renamed[var.name] = var.scope.redefine(prefix + name.lstrip("$"), var.loc)
    replace_vars(blocks, renamed)


def _chosen_callee(func_ir, stmt, chosen):
    """The Python function statement ``stmt`` calls when it is one of ``chosen``."""
    if not (isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr)
            and stmt.value.op == "call"):
        return None
    try:
        d = func_ir.get_definition(stmt.value.func)
        value = resolve_func_from_module(func_ir, d) if getattr(d, "op", None) == \
            "getattr" else getattr(d, "value", None)
    except Exception:       # (no single definition: not a plain global function)
        return None
    py_func = getattr(value, "py_func", None)
    return py_func if py_func in chosen else None


class TypedIRCompiler(CompilerBase):
    """Numba's untyped pipeline, Numba's type inference, then capture."""

    fuse = False
    inline = frozenset()    # Python functions whose calls are inlined

    def define_pipelines(self):
        pm = DefaultPassBuilder.define_untyped_pipeline(self.state)
        pm.add_pass_after(UnrollTupleLoops, InlineInlinables)
        if self.inline:
            self.state.numbad_inline = self.inline
            pm.add_pass_after(InlineChosenCallees, InlineInlinables)
        pm.add_pass(NopythonTypeInference, "nopython frontend")
        pm.add_pass(StoreUfuncOutputs, "numbad: ufunc output arrays as stores")
        pm.add_pass(WriteKernelsAsLoops, "numbad: stencils and @vectorize as loops")
        pm.add_pass(SplitTupleResults, "numbad: tuple results as tuples of calls")
        pm.add_pass(BuildArraysFromParts, "numbad: arrays built from parts")
        pm.add_pass(IterateArraysByIndex, "numbad: loops over arrays by index")
        if self.fuse:
            pm.add_pass(FuseElementwise, "numbad: fuse element-wise expressions")
        pm.add_pass(CaptureTypedIR, "numbad: capture typed IR")
        pm.finalize()
        return [pm]


class FusingTypedIRCompiler(TypedIRCompiler):
    """The same, with element-wise array expressions fused into element loops."""

    fuse = True


def python_function(f):
    """The plain Python function behind ``f`` (a function or a Numba dispatcher)."""
    return getattr(f, "py_func", f)


def typed_ir(f, arg_types, fuse=False, inline=frozenset()):
    """Typed IR of ``f`` for the Numba types ``arg_types`` (``fuse``: with its
    element-wise array expressions written as element loops; ``inline``: Python
    functions whose calls in ``f`` are inlined, also in what is inlined)."""
    func = python_function(f)
    arg_types = tuple(types.unliteral(t) for t in arg_types)
    if fuse:
        try:
            return _compile(func, arg_types, FusingTypedIRCompiler, inline)
        except Exception:   # (fusing is an optimisation: the function as written instead,
            pass            # whose errors, if any, are the user's to see)
    return _compile(func, arg_types, TypedIRCompiler, inline)


def _compile(func, arg_types, pipeline_class, inline):
    if inline:
        pipeline_class = type(pipeline_class.__name__, (pipeline_class,),
                              {"inline": frozenset(inline)})
    target = registry.cpu_target
    flags = Flags()
    flags.nrt = True
    return compiler.compile_extra(target.typing_context, target.target_context, func,
                                  arg_types, None, flags, {}, pipeline_class=pipeline_class)
