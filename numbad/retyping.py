"""numbad's rewrites of a function's typed IR: statements made in a block, and the
IR typed again afterwards with Numba's own type inference."""
from collections import Counter

from numba.core import ir
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


class StatementMaker:
    """Statements inserted into a block, in order, before its statement ``at``."""

    def __init__(self, block, at):
        self.block, self.at = block, at
        self.loc = block.body[at].loc

    def __call__(self, name, value):
        scope = self.block.scope
        var = ir.Var(scope, scope.redefine(name, self.loc).name, self.loc)
        self.block.body.insert(self.at, ir.Assign(value, var, self.loc))
        self.at += 1
        return var

    def call(self, fn, *args):
        """The expression calling ``fn`` (a builtin or numbad's own function, held by a
        new global) with variables ``args``."""
        g = self("$" + fn.__name__, ir.Global(fn.__name__, fn, self.loc))
        return ir.Expr.call(g, list(args), (), self.loc)


def drop_unused_definitions(func_ir, names):
    """Remove the assignments to ``names`` that nothing uses (any more, once the others
    are gone: a container, then the copies of it)."""
    names = set(names)
    while names:
        seen = Counter(v.name for block in func_ir.blocks.values() for stmt in block.body
                       for v in stmt.list_vars())
        unused = {name for name in names if seen[name] == 1}    # (its definition only)
        if not unused:
            return
        for block in func_ir.blocks.values():
            block.body = [stmt for stmt in block.body if not (
                isinstance(stmt, ir.Assign) and stmt.target.name in unused)]
        names -= unused
