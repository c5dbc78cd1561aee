"""Typed IR from Numba's own pipeline: untyped passes, then type inference, then stop.

Stopping right after ``NopythonTypeInference`` keeps the IR in SSA form with
``phi`` nodes; later Numba passes would strip them.
"""
from dataclasses import dataclass

from numba.core import compiler, registry, types
from numba.core.compiler import CompilerBase, DefaultPassBuilder, Flags
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.typed_passes import NopythonTypeInference

from . import fusion


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
        state.cr = TypedIR(state.func_id.func, state.func_ir, state.typemap,
                           state.calltypes, state.return_type, tuple(state.args),
                           state.get("numbad_fused", False))
        return False


@register_pass(mutates_CFG=True, analysis_only=False)
class FuseElementwise(FunctionPass):
    """Element-wise array expressions as element loops (fusion.py), typed again."""

    _name = "numbad_fuse_elementwise"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        state.numbad_fused = fusion.fuse(state)
        return state.numbad_fused


class TypedIRCompiler(CompilerBase):
    """Numba's untyped pipeline, Numba's type inference, then capture."""

    fuse = False

    def define_pipelines(self):
        pm = DefaultPassBuilder.define_untyped_pipeline(self.state)
        pm.add_pass(NopythonTypeInference, "nopython frontend")
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


def typed_ir(f, arg_types, fuse=False):
    """Typed IR of ``f`` for the Numba types ``arg_types`` (``fuse``: with its
    element-wise array expressions written as element loops)."""
    func = python_function(f)
    target = registry.cpu_target
    flags = Flags()
    flags.nrt = True
    arg_types = tuple(types.unliteral(t) for t in arg_types)
    if fuse:
        try:
            return compiler.compile_extra(target.typing_context, target.target_context, func,
                                          arg_types, None, flags, {},
                                          pipeline_class=FusingTypedIRCompiler)
        except Exception:   # (fusing is an optimisation: the function as written instead,
            pass            # whose errors, if any, are the user's to see)
    return compiler.compile_extra(target.typing_context, target.target_context, func,
                                  arg_types, None, flags, {}, pipeline_class=TypedIRCompiler)
