"""Type a function's IR again after a numbad rewrite, with Numba's own type inference."""
from numba.core.ir_utils import build_definitions
from numba.core.typed_passes import type_inference_stage


def type_again(state):
    """Rebuild ``state.func_ir``'s definitions and its types (``typemap``, ``calltypes``,
    ``return_type``) from the rewritten IR."""
    state.func_ir._definitions = build_definitions(state.func_ir.blocks)
    typemap, return_type, calltypes, _ = type_inference_stage(
        state.typingctx, state.targetctx, state.func_ir, state.args, state.return_type,
        state.locals)
    state.typemap, state.calltypes, state.return_type = typemap, calltypes, return_type
