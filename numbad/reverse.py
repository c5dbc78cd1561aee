"""Reverse mode: typed IR in, source of a vector-Jacobian-product function out.

The generated function runs in two sweeps, both written as a dispatch loop
over the IR's basic blocks (``_blk`` names the block to run next):

* the forward sweep runs the primal and, at the end of each block, pushes the
  values that the block's adjoint will need and cannot recompute onto a float
  tape ``_ft`` and an int tape ``_it`` (NumPy arrays, grown by doubling); where
  a block has several predecessors, the edge taken is pushed too;
* the reverse sweep starts at the block that returned, pops what that block
  pushed, recomputes the block's cheap intermediates, runs the adjoint of each
  active statement in reverse order, and follows the popped edge backwards,
  moving the adjoints of ``phi`` nodes onto the incoming values.

Calls to other ``@njit`` functions are differentiated through: the reverse
sweep calls their own generated VJP (which recomputes the callee's forward
sweep, as Tapenade's joint mode does).
"""
import contextlib
import operator
import re

from numba import typed
from numba.core import types

from .analysis import (
    ADDITIVE,
    Activity,
    FunctionInfo,
    call_arg_types,
    callee_name,
    derivative,
    fixed_shape,
    float_leaves,
    gathers,
    incoming_value,
    is_allocation,
    is_differentiable_callee,
    is_float,
    is_float_array,
    is_recomputable,
    is_view,
    kind,
    operation,
)
from .array_runtime import HELPERS, elementwise_vjp
from .checkpointing import CheckpointedLoops, TapeOverBudget, records_everything
from .errors import NotDifferentiableError, not_differentiable
from .induction import InductionChains
from .ir_source import (
    Names,
    as_number,
    PrimalRenderer,
    declare_early,
    parameters,
    range_length,
    return_sites,
)
from .runtime import (
    load_f,
    load_i,
    store_f,
    store_i,
    tape_capacity,
    tape_free,
    tape_new,
    tape_resize,
)
from .schedules import (
    checkpoint_slots,
    online_finish,
    online_next,
    online_start,
    online_take,
    revolve_next,
    revolve_start,
)
from .structured import Scratch, StructuredLoops, Unstructured

# Runtime helpers, by the names generated code calls them.
RUNTIME = {"_tape_new": tape_new, "_tape_resize": tape_resize, "_tape_free": tape_free,
           "_tape_capacity": tape_capacity,
           "_store_f": store_f, "_store_i": store_i, "_load_f": load_f, "_load_i": load_i}
TAPES = {"_ft": ("_fp", "_fcap", "_f"), "_it": ("_ip", "_icap", "_i")}

RUNTIME.update(HELPERS)
RUNTIME.update(_List=typed.List, _revolve_start=revolve_start, _revolve_next=revolve_next,
               _checkpoint_slots=checkpoint_slots, _online_start=online_start,
               _online_take=online_take, _online_finish=online_finish,
               _online_next=online_next, _TapeOverBudget=TapeOverBudget,
               _MemoryError=MemoryError)
INTERNAL = ("_blk", "_ft", "_fp", "_fcap", "_it", "_ip", "_icap", "_ret", "_ret_bar",
            "_ret_blk", "_k", "_r", "_tape_bytes", "_ab", "_act", "_cp_bytes", "_snapshots",
            "_recomputed") + tuple(RUNTIME)
_PLACEHOLDER = re.compile(r"\{(\d+|ans)\}")
INPLACE_SYMBOL = {operator.add: "+", operator.sub: "-", operator.mul: "*",
                  operator.truediv: "/", operator.pow: "**"}
_PLACEHOLDER_G = re.compile(r"\{(\d+|ans|g)\}")


class Source:
    """Lines of Python with indentation."""

    def __init__(self):
        self.lines = []
        self.depth = 0

    def __call__(self, *lines):
        for line in lines:
            self.lines.append("    " * self.depth + line)

    def indent(self):
        self.depth += 1

    def dedent(self):
        self.depth -= 1

    def text(self):
        return "\n".join(self.lines) + "\n"


class ReverseTransform(CheckpointedLoops, StructuredLoops, InductionChains):
    """Builds the VJP source of one function for one signature and one ``wrt`` set;
    ``checkpoint`` is (scheme, memory budget in bytes or None): see checkpointing.py."""

    tape_costly = True      # transcendental results taped, not computed again (CPU)

    def __init__(self, tir, wrt, name, callee_vjp, checkpoint=("none", None)):
        self.tir = tir
        self.info = info = FunctionInfo(tir)
        self.wrt = tuple(wrt)
        self.fname = name
        self.callee_vjp = callee_vjp
        self.scheme, self.budget = checkpoint
        self.taping = True      # False while writing an iteration that records nothing
        self.names = Names(INTERNAL)
        self.ns = {}
        self.primal = PrimalRenderer(info, self.names, self.ns)
        self.params = parameters(info, self.names)
        self.returns = return_sites(info)
        self.activity = Activity(info, self.wrt, self.output_vars())
        self.bars = {}
        self.deads = {}
        self.array_tapes = {}   # numba array type -> name of the typed list taping it
        self.snapshots = {}     # (id of statement, array name) -> name of its copy
        self.local_bars = self.block_local_bars()
        self.held = {}          # id(element read) -> the local its adjoint gathers in
        self.read_once = set()  # ids of element reads made once where a loop's reverse starts
        self.view_bars = {}     # view -> the local holding its adjoint (a view) in a loop
        self.written = set()
        self.copies_allowed = True
        self.restored = set()   # families whose overwritten values are taped at each write
        self.hoisted = {}       # loop header -> values fixed while it runs, taped where left
        self.rebuilt = {}       # loop header -> views built again where its reverse starts
        self.plans = {b: self.plan_block(b) for b in info.labels}
        self.restored = self.choose_restored()
        if self.restored:
            self.hoisted, self.rebuilt = {}, {}
            self.plans = {b: self.plan_block(b) for b in info.labels}

    def block_local_bars(self):
        """Active float variables used only in the block that defines them, never by a phi.

        Their adjoint is zero whenever the reverse sweep enters that block, so
        its first accumulation can assign and it never needs resetting.
        """
        info = self.info
        uses = {}
        for label in info.labels:
            for stmt in info.blocks[label].body:
                phi = kind(stmt) == "Assign" and kind(stmt.value) == "Expr" \
                    and stmt.value.op == "phi"
                for v in stmt.list_vars():
                    if kind(stmt) == "Assign" and v.name == stmt.target.name:
                        continue
                    uses.setdefault(v.name, set()).add(None if phi else label)
        out = set()
        for name in self.activity.active:
            label, stmt = info.defs[name]
            if (is_float(info.type_of(name)) and not self.is_phi(stmt)
                    and kind(stmt.value) != "Arg" and uses.get(name, set()) <= {label}
                    and name not in {v for _, v in self.returns}):
                out.add(name)
        return out

    # ------------------------------------------------------------ helpers
    def active(self, name):
        return name in self.activity

    def is_array(self, name):
        return is_float_array(self.info.type_of(name))

    def leaves(self, name):
        return float_leaves(self.info.type_of(name))

    def role(self, name):
        """The adjoint's role for an active array (see Activity.role), else None."""
        return self.activity.role(name) if self.is_array(name) and self.active(name) else None

    def owner(self, name):
        """The variable whose adjoint ``name`` shares (itself unless an alias)."""
        return self.info.alias_root(name) if self.role(name) == "alias" else name

    def dead(self, name):
        """A zero-size array standing for a dead adjoint of array ``name``'s type; for a
        0-d array (which has one element), a new zero each time: adjoints are added to
        in place, so no two may share it."""
        t = self.info.type_of(name)
        if t.ndim == 0:
            return "np.zeros((), np.%s)" % t.dtype
        key = "_dead_%s_%dd" % (t.dtype, t.ndim)
        self.deads[key] = "np.empty((%s), np.%s)" % ("0, " * t.ndim, t.dtype)
        return key

    def bar(self, name, leaf=None):
        if self.is_array(name):
            d = self.info.defs.get(name)
            if self.role(name) == "alias":
                return self.bar(self.owner(name))   # an alias shares its array's adjoint
            if self.role(name) == "view":
                if name in self.view_bars:
                    return self.view_bars[name]
                # a view's adjoint is the same view of its base's adjoint
                value = d[1].value
                index = repr(value.index) if value.op == "static_getitem" else \
                    self.primal.operand(value.index)
                return "%s[%s]" % (self.bar(value.value.name), index)
        key = (name, leaf)
        if key not in self.bars:
            base = self.names.var(name) + "_bar" + ("" if leaf is None else "_%d" % leaf)
            self.bars[key] = self.names.fresh(base)
        return self.bars[key]

    def assigns(self, label):
        return [s for s in self.info.blocks[label].body if kind(s) == "Assign"]

    def is_phi(self, stmt):
        return kind(stmt.value) == "Expr" and stmt.value.op == "phi"

    # ------------------------------------------------------------ planning
    def needed_by(self, stmt):
        """Primal variables the adjoint of active ``stmt`` reads: what its rule reads, and
        the indices of the views whose adjoints it touches (``v += w`` with ``v =
        a[j:j + 1]`` adds into ``a_bar[j:j + 1]``)."""
        views = [i for v in stmt.list_vars() if self.is_array(v.name) and self.active(v.name)
                 for i in self.view_indices(self.owner(v.name))]
        return self.read_by_rule(stmt) + views

    def read_by_rule(self, stmt):
        """Primal variables the rule adjoint of active ``stmt`` reads (the index of a
        store or a read, and the view indices those adjoints index with)."""
        if kind(stmt) in ("SetItem", "StaticSetItem"):
            index = [stmt.index.name] if kind(stmt) == "SetItem" else []
            value = stmt.value.name
            if self.is_array(value) and self.active(value) and \
                    self.role(self.owner(value)) == "value":
                index.append(self.owner(value))     # its shape, for a first adjoint
            return index + self.view_indices(self.owner(stmt.target.name))
        value = stmt.value
        if kind(value) != "Expr":
            return []
        if value.op in ("getitem", "typed_getitem", "static_getitem"):
            # the index, and a view's own index (its adjoint is a view of another)
            index = [value.index.name] if value.op != "static_getitem" else []
            base = self.owner(value.value.name) if self.is_array(value.value.name) else None
            if base and self.role(base) == "value":
                return index + [base]       # its shape, for a first adjoint
            return index + self.view_indices(base)
        if value.op == "call" and is_differentiable_callee(self.info.callee(value)):
            return [a.name for a in value.args]
        return self.rule_needs(stmt)

    def view_indices(self, name):
        """Index variables that the adjoint of view ``name`` (``base_bar[index]``) reads."""
        out = []
        while name is not None and self.role(name) == "view":
            value = self.info.defs[name][1].value
            if value.op != "static_getitem":
                out.append(value.index.name)
            name = self.owner(value.value.name)
        return out

    def rule_needs(self, stmt):
        """Primal variables that the rule adjoint of ``stmt`` reads."""
        value, target = stmt.value, stmt.target.name
        d = derivative(self.info, value)
        if d is None:
            return []
        out = []
        for var, template in zip(d.operands, d.templates):
            if template and var is not None and self.active(var.name):
                for ph in _PLACEHOLDER.findall(template):
                    out.append(target if ph == "ans" else d.operands[int(ph)].name)
                if self.role(self.owner(var.name)) == "value":
                    out.append(self.owner(var.name))    # its shape, for a first adjoint
        return out

    # ---- overwritten values: taped where written, put back by the reverse sweep
    def family_key(self, name):
        return self.info.family.get(name, name)

    def written_family(self, stmt):
        """The array family whose values ``stmt`` changes (a store or an in-place operator
        on a float array; not a view stored back onto itself), else None."""
        k = kind(stmt)
        if k in ("SetItem", "StaticSetItem") and self.is_array(stmt.target.name):
            return None if self.stores_itself(stmt) else self.family_key(stmt.target.name)
        if k == "Assign" and kind(stmt.value) == "Expr" and stmt.value.op == "inplace_binop" \
                and self.is_array(stmt.value.lhs.name):
            return self.family_key(stmt.value.lhs.name)
        return None

    def increments(self):
        """{id(store): (addend variable, negated)} for each element update ``a[i] += t``
        (or ``a[i] = a[i] - t``) whose read of ``a[i]`` and sum are used by the store
        alone: its adjoint is ``t_bar += a_bar[i]``, and ``a_bar[i]`` stays as it is
        (instead of moving it out, zeroing it and adding it back through the read).
        The read and the sum then have no adjoint of their own (``increment_parts``)."""
        memo = self.__dict__.get("_increments")
        if memo is not None:
            return memo
        info, memo, self._increment_parts = self.info, {}, set()
        uses = {}
        for label in info.labels:
            for stmt in info.blocks[label].body:
                for v in stmt.list_vars():
                    uses[v.name] = uses.get(v.name, 0) + 1
        for label in info.labels:
            body = info.blocks[label].body
            for at, store in enumerate(body):
                if kind(store) != "SetItem" or not self.active(store.target.name) or \
                        not is_float(info.type_of(store.value.name)) or \
                        self.overwritten(store)[1] is not None:
                    continue
                found = self._increment(store, body[:at], uses)
                if found is not None:
                    memo[id(store)] = found[0]
                    self._increment_parts |= found[1]
        self._increments = memo
        return memo

    def _increment(self, store, before, uses):
        info = self.info
        total = next((s for s in before if kind(s) == "Assign"
                      and s.target.name == store.value.name), None)
        value = total.value if total is not None else None
        if not (kind(value) == "Expr" and value.op in ("binop", "inplace_binop")
                and value.fn in ADDITIVE and uses[store.value.name] == 2):
            return None
        family = self.family_key(store.target.name)
        sides = [(value.lhs, value.rhs)]
        if ADDITIVE[value.fn] == "+":
            sides.append((value.rhs, value.lhs))
        for read, addend in sides:
            r = next((s for s in before if kind(s) == "Assign" and s.target.name == read.name),
                     None)
            if r is None or uses[read.name] != 2 or kind(r.value) != "Expr" or \
                    r.value.op != "getitem" or r.value.index.name != store.index.name or \
                    self.info.alias_root(r.value.value.name) != \
                    self.info.alias_root(store.target.name) or \
                    family in info.opaquely_written:
                continue
            between = before[before.index(r) + 1:]
            if any(self.written_family(s) == family for s in between):
                continue
            return (addend.name, ADDITIVE[value.fn] == "-"), {id(r), id(total)}
        return None

    def read_family(self, name):
        """The family of written float arrays that scalar ``name`` is an element of."""
        value = self.info.defs[name][1].value
        if kind(value) == "Expr" and value.op in ("getitem", "static_getitem") \
                and self.is_array(value.value.name) and is_float(self.info.type_of(name)) \
                and value.value.name not in self.info.read_only:
            return self.family_key(value.value.name)
        return None

    def loop_weight(self, label):
        return 8 ** sum(label in body for body in self.info.loop_body.values())

    def choose_restored(self):
        """Array families for which taping the values each write overwrites (and putting
        them back in the reverse sweep) costs less than taping every element read that
        the reverse sweep needs: reads then are simply done again. Weighs each site by
        8 ** its loop depth (Tapenade's rule: save only what is overwritten)."""
        reads, writes = {}, {}
        for label, plan in self.plans.items():
            for name in plan["floats"]:
                family = self.read_family(name)
                if family is not None:
                    reads[family] = reads.get(family, 0) + self.loop_weight(label)
            for stmt in self.info.blocks[label].body:
                family = self.written_family(stmt)
                if family is not None:
                    writes[family] = writes.get(family, 0) + self.loop_weight(label)
        return {f for f, n in reads.items() if n >= writes.get(f, 0)
                and f not in self.info.opaquely_written}

    def written_later(self, stmt, label, name):
        """Whether array ``name``'s memory may change after ``stmt`` (in block ``label``)
        reads it: a write later in the block or in any block reachable from it."""
        info = self.info
        if name in info.read_only:
            return False
        if name in info.opaquely_written:
            return True
        body = info.blocks[label].body
        after = body[_position(body, stmt) + 1:]
        if any(self.writes_to(t, name) for t in after):
            return True
        seen, work = set(), list(info.succs[label])
        while work:
            b = work.pop()
            if b in seen:
                continue
            seen.add(b)
            if any(self.writes_to(t, name) for t in info.blocks[b].body):
                return True
            work += info.succs[b]
        return False

    def restored_before(self, stmt, label, name):
        """Whether the reverse of block ``label`` puts back, before the adjoint of ``stmt``
        runs, values of array ``name`` that a write earlier in the block changed (the
        block's restores come first)."""
        if self.family_key(name) not in self.restored:
            return False
        body = self.info.blocks[label].body
        return any(self.writes_to(t, name) for t in body[:_position(body, stmt)])

    def writes_to(self, stmt, name):
        """Whether ``stmt`` changes the memory of array ``name``: a float array's as
        ``written_family`` says; an array of other numbers by any store or in-place
        operator on its family."""
        if self.is_array(name):
            return self.written_family(stmt) == self.family_key(name)
        k = kind(stmt)
        if k in ("SetItem", "StaticSetItem"):
            target = stmt.target.name
        elif k == "Assign" and kind(stmt.value) == "Expr" and stmt.value.op == "inplace_binop":
            target = stmt.value.lhs.name
        else:
            return False
        return target in self.info.family_of(name)

    def restores(self, label):
        """Statements of ``label`` whose overwritten values are taped, in order."""
        return [s for s in self.info.blocks[label].body
                if self.written_family(s) in self.restored]

    def reread(self, stmt, label, restores):
        """Whether element read ``stmt`` of block ``label`` can be done again in the reverse
        sweep: its family's writes are undone there, and no write in the block precedes it."""
        family = self.read_family(stmt.target.name)
        if family not in self.restored:
            return False
        body = self.info.blocks[label].body
        return all(self.written_family(w) != family or body.index(w) > body.index(stmt)
                   for w in restores)

    def restore_needs(self, stmt):
        """Variables that putting back what ``stmt`` overwrote reads (array and index)."""
        if kind(stmt) == "SetItem":
            return [stmt.target.name, stmt.index.name]
        if kind(stmt) == "StaticSetItem":
            return [stmt.target.name]
        return [stmt.value.lhs.name]

    def overwritten(self, stmt):
        """(source of what ``stmt`` overwrites, numba type of it or None for a float)."""
        if kind(stmt) == "Assign":
            return self.names.var(stmt.value.lhs.name), self.snapshot_type(stmt.value.lhs.name)
        target = self.info.type_of(stmt.target.name)
        index = self.store_index(stmt)
        if kind(stmt) == "StaticSetItem":
            itype = stmt.index
            ints = [e for e in (itype if isinstance(itype, tuple) else (itype,))
                    if isinstance(e, int)]
        else:
            itype = self.info.type_of(stmt.index.name)
            elems = itype.types if isinstance(itype, types.BaseTuple) else (itype,)
            ints = [e for e in elems if isinstance(e, types.Integer)]
        source = "%s[%s]" % (self.names.var(stmt.target.name), index)
        if len(ints) == target.ndim:
            return source, None
        if isinstance(itype, types.Array) and isinstance(itype.dtype, types.Boolean):
            return source, types.Array(target.dtype, 1, "C")    # (``u[mask]``: 1-D)
        return source, types.Array(target.dtype, target.ndim - len(ints), "C")

    def store_index(self, stmt):
        """Source of the index of store ``stmt`` (``a[...] = v`` as ``a[:]``: Numba does not
        read through ``a[...]``)."""
        ellipsis = stmt.index is Ellipsis if kind(stmt) == "StaticSetItem" else \
            isinstance(self.info.type_of(stmt.index.name), types.EllipsisType)
        if ellipsis and self.info.type_of(stmt.target.name).ndim == 0:
            raise not_differentiable("a store through `...` into a 0-d array", stmt.loc)
        if ellipsis:
            return ":"
        return repr(stmt.index) if kind(stmt) == "StaticSetItem" else \
            self.primal.operand(stmt.index)

    def restore_tape(self, t):
        """The typed list holding overwritten arrays of type ``t``."""
        return self.array_tapes[("restore", t)]

    def plan_block(self, label, reread=True):
        """What block ``label`` recomputes and what it tapes, for its adjoint."""
        info = self.info
        stmts = self.assigns(label)
        local = {s.target.name: s for s in stmts}
        restores = self.restores(label)
        active = [s for s in info.blocks[label].body
                  if (kind(s) == "Assign" and self.active(s.target.name)
                      and not self.is_phi(s) and kind(s.value) != "Arg")
                  or (kind(s) in ("SetItem", "StaticSetItem") and self.active(s.target.name))]
        need, snapshots = [], []
        for s in active:
            for name in self.needed_by(s):
                if self.is_array(name) and (self.written_later(s, label, name) or
                                            self.restored_before(s, label, name)):
                    # memory written in place later (or put back before the statement's
                    # adjoint runs): copied where the statement reads it
                    if not any(s is t and name == n for t, n, _ in snapshots):
                        snapshots.append((s, name, self.snapshot(s, name)))
                else:
                    need.append(name)
        for s in restores:
            need += self.restore_needs(s)
        recompute, tape, seen, indices, chained = set(), [], set(), [], []
        while need:
            name = need.pop()
            if name in seen or info.constant(name)[0]:
                continue
            seen.add(name)
            if not self.defined_in_loop(name):
                continue        # assigned once: its local still holds the value
            index = self.loop_index(name, label)
            if index is not None:
                indices.append((name, index))
                continue
            if self.chain_provides(name, label):
                chained.append(name)    # stepped back where it is (induction.py)
                continue
            s = local.get(name)
            if s is not None and reread and self.reread(s, label, restores):
                recompute.add(name)     # read again once the block's writes are undone
                need += [v.name for v in s.list_vars() if v.name != name]
                continue
            d = info.defs[name][1]
            hoist = self.hoist_loop(name, label)
            view = s is None and (is_view(info, d) or self.view_object(d))
            if view and hoist is not None:
                if self.fixed_slice(d):     # built again where the loop's reverse starts
                    self.rebuilt.setdefault(hoist, {})[name] = d
                else:                       # kept once a loop run
                    self.hoisted.setdefault(hoist, {})[name] = None
                continue
            if view or s is None and _holds_slices(info.type_of(name)):
                # a view (or the slice it takes) is cheaper to rebuild than to keep (its
                # memory: see view_object)
                recompute.add(name)
                need += [v.name for v in d.list_vars() if v.name != name]
                continue
            if s is not None and not self.is_phi(s) and \
                    is_recomputable(info, s, self.tape_costly):
                recompute.add(name)
                need += [v.name for v in s.list_vars() if v.name != name]
                continue
            again = self.recomputed_int(name, label)    # (an int of enclosing indices,
            if again is not None:                       # such as a row ``w = 2 * layer``)
                indices.append((name, again))
                continue
            if hoist is not None:
                self.hoisted.setdefault(hoist, {})[name] = None
            else:
                tape.append(name)
        taped = self.taped_by_kind(tape, label)
        order = {b: i for i, b in enumerate(info.labels)}
        recompute = sorted((info.defs[n][1] for n in recompute),
                           key=lambda s: (order[info.defs[s.target.name][0]],
                                          info.blocks[info.defs[s.target.name][0]].body.index(s)))
        # recomputed statements that read restored memory run after the block's writes are
        # undone; the rest (the writes' indices among them) before
        after = set()
        for s in recompute:
            if (self.read_family(s.target.name) in self.restored and label in info.in_loop
                    and s.target.name in local) or \
                    any(v.name in after for v in s.list_vars() if v.name != s.target.name):
                after.add(s.target.name)
        if reread and any(n in after for s in restores for n in self.restore_needs(s)):
            return self.plan_block(label, reread=False)     # an index read from the array
        return {"active": active, "indices": indices, "restores": restores, "chain": chained,
                "recompute": [s for s in recompute if s.target.name not in after],
                "recompute_after": [s for s in recompute if s.target.name in after],
                **taped,
                "snapshots": snapshots if label in info.in_loop else [],
                "local_snapshots": [] if label in info.in_loop else snapshots}

    def fixed_slice(self, stmt):
        """``u[1:-1]`` of an array ``u`` assigned before any loop: the same view wherever it
        is built, and building it costs less than keeping a reference on the tape."""
        value = stmt.value
        return self.view_object(stmt) and value.op == "static_getitem" and \
            not self.defined_in_loop(value.value.name)

    def view_object(self, stmt):
        """``a[1:-1]`` giving an array: the reverse sweep may build the same view again,
        as a taped reference would give back the same object. What it reads through it
        is another matter, settled where the reads are planned (taped, or read again
        once the writes after them are undone: ``reread``)."""
        value = stmt.value
        return kind(value) == "Expr" and value.op in ("getitem", "static_getitem") and \
            self.is_array(stmt.target.name) and self.is_array(value.value.name)

    def taped_by_kind(self, tape, label):
        """Variables ``tape`` that block ``label`` (None: a loop's exit) tapes, by tape:
        floats (one read taped once for ``x[i] * x[i]``: "copies"), ints, arrays."""
        info = self.info
        arrays = [n for n in tape if isinstance(info.type_of(n), types.Array)]
        floats, copies, first_read = [], [], {}
        for n in sorted(n for n in tape if not _is_int_like(info.type_of(n)) and n not in arrays):
            key = self.same_read(n, label)
            if key is not None and key in first_read:
                copies.append((n, first_read[key]))     # ``x[i] * x[i]``: taped once
                continue
            first_read.setdefault(key, n)
            floats.append(n)
        for n in floats:
            t = info.type_of(n)
            if not (isinstance(t, types.Number) or
                    (isinstance(t, types.BaseTuple) and
                     all(isinstance(e, (types.Number, types.Boolean)) for e in t.types))):
                raise not_differentiable("a value of type %s needed by the reverse sweep "
                                         "inside a loop" % t, info.defs[n][1].loc)
        return {"floats": floats, "copies": copies, "arrays": sorted(arrays),
                "ints": sorted(n for n in tape if _is_int_like(info.type_of(n)))}

    def hoist_loop(self, name, label):
        """The outermost loop holding block ``label`` but not the definition of ``name``
        (defined in another loop, or before this one in the same loop): ``name`` is fixed
        while that loop runs, so it is taped once where the loop is left, not at every
        pass of ``label``. None where there is none (or it is checkpointed: its
        iterations are not all reversed in one go)."""
        info, where = self.info, self.info.defs[name][0]
        loops = [h for h, body in info.loop_body.items() if label in body and where not in body
                 and (records_everything(self.scheme, self.budget) or not self.top_level(h))]
        return max(loops, key=lambda h: len(info.loop_body[h])) if loops else None

    def hoisted_plan(self, header):
        """What leaving loop ``header`` tapes (``hoist_loop``), shaped like a block's plan."""
        return self.memoized("_hoisted_plans", header, lambda h: dict(
            self.taped_by_kind(list(self.hoisted.get(h, ())), None), snapshots=[]))

    def exited_loops(self, pred, dest):
        """Loops that edge ``pred -> dest`` leaves, innermost first."""
        body = self.info.loop_body
        return sorted((h for h in body if pred in body[h] and dest not in body[h]),
                      key=lambda h: len(body[h]))

    def same_read(self, name, label):
        """For a float ``name`` that block ``label`` reads from an array element: (array, index,
        the block's last write to the array's family before the read); two reads with one
        key read one value. None for other variables."""
        d = self.info.defs[name]
        value = d[1].value
        if d[0] != label or kind(value) != "Expr" or value.op != "getitem":
            return None
        body = self.info.blocks[label].body
        family = self.family_key(value.value.name)
        writes = [at for at, s in enumerate(body[:body.index(d[1])])
                  if self.written_family(s) == family or
                  (kind(s) == "Assign" and kind(s.value) == "Expr" and s.value.op == "call")]
        return (self.info.alias_root(value.value.name), value.index.name,
                writes[-1] if writes else -1)

    def snapshot(self, stmt, name):
        """Name of the copy of array ``name`` taken just before ``stmt`` reads it."""
        key = (id(stmt), name)
        if key not in self.snapshots:
            self.snapshots[key] = self.names.fresh(self.names.var(name) + "_then")
        return self.snapshots[key]

    def operand_then(self, stmt, var):
        """Source of operand ``var`` as ``stmt`` read it (its snapshot, if it has one)."""
        return self.snapshots.get((id(stmt), var.name)) or self.primal.operand(var)

    def snapshot_type(self, name):
        t = self.info.type_of(name)
        return types.Array(t.dtype, t.ndim, "C")

    def tape_of(self, t):
        return self.array_tapes[t]

    def loop_index(self, name, label, depth=0):
        """Source computing ``for`` loop variable ``name`` in the reverse of ``label``, or None.

        In the reverse sweep a counted loop's iteration counter holds the number
        of the iteration being reversed, so ``start + counter * step`` rebuilds
        a range index without taping it (when start and step are fixed during the
        loop, or computed again from enclosing loops' indices: ``range(j + 1, d)``).
        """
        info = self.info
        stmt = info.defs[name][1]
        while kind(stmt.value) == "Var" and stmt.value.name in info.defs:
            stmt = info.defs[stmt.value.name][1]
        if not (kind(stmt.value) == "Expr" and stmt.value.op == "pair_first"):
            return None
        header, _ = info.defs[stmt.value.value.name]
        if header not in info.counted_headers or label not in info.loop_body[header]:
            return None
        start, step = (self.range_bound(header, which, label, depth) for which in (0, 2))
        if start is None or step is None:
            return None
        return "%s + %s * %s" % (start, self.counter(header), step)

    def range_getiter(self, header):
        """The ``getiter`` statement of ``for`` loop ``header``'s range (None for a loop
        that is not a ``for``)."""
        nxt = [s for s in self.assigns(header)
               if kind(s.value) == "Expr" and s.value.op == "iternext"]
        return self.primal.counter(nxt[0].value.value.name)[1] if nxt else None

    def left_by_its_test_only(self, header):
        """Whether loop ``header`` is left only by its header's test: no ``break``, no
        ``return`` inside (so a ``for`` loop runs its range to the end)."""
        info = self.info
        if header not in info.counted_headers:
            return False
        try:
            exits, _ = self.loop_exits(header)
        except Unstructured:
            return False
        return [b for b, _ in exits] == [header] and not any(
            kind(info.blocks[b].terminator) == "Return" for b in info.loop_body[header])

    def memoized(self, table, key, compute):
        """``compute(key)``, computed once per transform (``table``: the memo's name)."""
        memo = self.__dict__.setdefault(table, {})
        if key not in memo:
            memo[key] = compute(key)
        return memo[key]

    def range_bound(self, header, which, label, depth=0):
        """Source of the start (``which`` 0), stop (1) or step (2) of ``for`` loop
        ``header``'s range() as the reverse of ``label`` computes it again, or None."""
        info = self.info
        getiter = self.range_getiter(header)
        if getiter is None:
            return None
        call = info.defs[getiter.value.value.name][1].value
        if not (kind(call) == "Expr" and call.op == "call"):
            return None
        rng = call.args
        v = {0: rng[0] if len(rng) >= 2 else None, 1: rng[min(len(rng), 2) - 1],
             2: rng[2] if len(rng) == 3 else None}[which]
        if v is None:
            return "01"[which // 2]
        if not self.defined_in_loop(v.name) or info.constant(v.name)[0]:
            return self.primal.operand(v)
        return self.recomputed_int(v.name, label, depth + 1)

    def recount(self, header):
        """Source of the trip count of ``for`` loop ``header``, computed again where the
        reverse sweep enters the loop (from the block its test leaves to), or None.

        A loop left only by its test runs its range to the end, so when the range
        can be computed again (``range(j + 1, d)``) its count need not be taped on
        the way in (Tangent tapes every count; for GMM's triangular loops those
        were a third of the int tape). Loops with ``break`` or ``return`` tape it.
        """
        return self.memoized("_recounts", header, self._trip_count)

    def _trip_count(self, header):
        if not self.left_by_its_test_only(header):
            return None
        out = self.loop_exits(header)[0][0][1]
        bounds = [self.range_bound(header, which, out) for which in (0, 1, 2)]
        return None if None in bounds else range_length(*bounds)

    def defined_in_loop(self, name):
        d = self.info.defs.get(name)
        return d is not None and d[0] in self.info.in_loop

    def recomputed_join(self, label):
        """``(condition, pred taken when it holds, the other pred)`` for join ``label`` of
        an if/else in a loop whose condition the reverse sweep computes again (``if i !=
        j``: loop indices, constants, values fixed before any loop), so that no edge
        index is taped; None when the edge must be taped."""
        return self.memoized("_joins", label, self._join_condition)

    def _join_condition(self, label):
        info = self.info
        preds = info.preds[label]
        headers = [h for h, body in info.loop_body.items() if label in body]
        if len(preds) != 2 or not headers or label in info.loop_body:
            return None
        header = min(headers, key=lambda h: len(info.loop_body[h]))
        try:
            branch = self.split(label, header)
        except Unstructured:
            return None
        term = info.blocks[branch].terminator
        if kind(term) != "Branch" or term.truebr == term.falsebr:
            return None
        dominators = self._loop_sets(header)[1]

        def side(pred):
            """The target of the branch that every way to ``pred`` takes, if just one: the
            edge to ``label`` itself, or a target entered only from the branch that
            dominates ``pred`` (a target also entered from the other side does not)."""
            sides = [t for t in (term.truebr, term.falsebr) if (t == label and pred == branch)
                     or (t != label and t in dominators.get(pred, ())
                         and list(info.preds[t]) == [branch])]
            return sides[0] if len(sides) == 1 else None
        sides = [side(p) for p in preds]
        if None in sides or sides[0] == sides[1]:
            return None
        condition = self.recomputed_int(term.cond.name, label)
        if condition is None:
            return None
        taken = preds[sides.index(term.truebr)]
        return condition, taken, preds[1 - preds.index(taken)]

    def recomputed_int(self, name, label, depth=0, fixed=()):
        """Source of int or bool ``name`` computed again in the reverse of ``label`` from
        loop indices, constants and values fixed before any loop, or None. ``fixed``: a
        loop's blocks, whose own loop indices are refused (``name`` must be one value
        while that loop runs)."""
        info = self.info
        if depth > 8 or name not in info.defs or \
                not isinstance(info.type_of(name), (types.Integer, types.Boolean)):
            return None
        known, value = info.constant(name)
        if known and type(value) in (int, bool):
            return repr(value)
        index = self.loop_index(name, label, depth)
        if index is not None:
            return None if info.defs[name][0] in fixed else "(%s)" % index
        if not self.defined_in_loop(name):
            return self.names.var(name)
        value = info.defs[name][1].value
        if kind(value) == "Var":
            return self.recomputed_int(value.name, label, depth + 1, fixed)
        if kind(value) != "Expr":
            return None
        if value.op == "binop" and value.fn in _INT_OPERATORS:
            lhs = self.recomputed_int(value.lhs.name, label, depth + 1, fixed)
            rhs = self.recomputed_int(value.rhs.name, label, depth + 1, fixed)
            if lhs is not None and rhs is not None:
                return "(%s %s %s)" % (lhs, _INT_OPERATORS[value.fn], rhs)
        if value.op == "call" and info.callee(value) is bool and len(value.args) == 1:
            inner = self.recomputed_int(value.args[0].name, label, depth + 1, fixed)
            return None if inner is None else "bool(%s)" % inner
        return None

    # ------------------------------------------------------------ emission
    def source(self):
        src = Source()
        info = self.info
        self.emit_header(src)
        hoisted = [self.hoisted_plan(h) for h in self.hoisted]
        uses_ft = any(p["floats"] or any(self.overwritten(r)[1] is None for r in p["restores"])
                      for p in self.plans.values()) or any(p["floats"] for p in hoisted)
        uses_it = any(p["ints"] or self.multi_pred_succ(b) for b, p in self.plans.items()) \
            or info.preds[info.entry] or any(self.chain_roots(h) for h in info.loop_body) \
            or any(p["ints"] for p in hoisted)
        tapes = self.tapes = [t for t, used in (("_ft", uses_ft), ("_it", uses_it)) if used]
        src("_cp_bytes = _snapshots = _recomputed = 0")
        for tape in tapes:
            self.emit_open_tape(src, tape)
        if info.preds[info.entry]:
            src("_store_i(_it, 0, %d)" % len(info.preds[info.entry]), "_ip = 1")
        for header in info.counted_headers:
            src("%s = 0" % self.counter(header))
        taped = {info.type_of(n) for p in list(self.plans.values()) + hoisted
                 for n in p["arrays"]}
        taped |= {self.snapshot_type(n) for p in self.plans.values()
                  for _, n, _ in p["snapshots"]}
        taped |= {self.snapshot_type(n) for n in self.ref_phis()}
        taped |= {("bar", self.bar_type(n)) for n in self.activity.active
                  if self.role(n) == "buffer" and self.keeps_bars(n)}
        taped |= {("restore", self.overwritten(r)[1]) for p in self.plans.values()
                  for r in p["restores"] if self.overwritten(r)[1] is not None}
        for t in sorted(taped, key=str):
            tape = self.array_tapes[t] = self.names.fresh("_at")
            self.ns["_T" + tape] = t[1] if isinstance(t, tuple) else t
            src("%s = _List.empty_list(_T%s)" % (tape, tape))
        if self.array_tapes:
            src("_ab = 0")
        self.checkpoint_loops()     # (trial emissions of loops need the tapes named)
        declarations = len(src.lines)
        self.ns.update(RUNTIME)
        for name in sorted(self.activity.active):
            # adjoints the forward sweep already names: arguments' and written arrays'
            if self.role(name) == "memory":
                self.emit_memory_bar(src, name)
            elif self.role(name) in ("ref", "buffer"):
                src("%s = %s" % (self.bar(name), self.dead(name)))
        src("# ---- forward sweep: the primal, recording what the reverse sweep needs")
        src("_blk = %d" % info.entry)
        self.emit_dispatch(src, [b for b in info.labels if not self.inlined_forward(b)],
                           self.forward_block, reverse=False)
        self.emit_end_of_forward(src)
        src("# ---- reverse sweep")
        for (name, _), bar in sorted(self.bars_needed().items()):
            if self.role(name) == "value":
                src("%s = %s" % (bar, self.dead(name)))
            else:
                src("%s = 0.0" % bar)
        src("_blk = %s" % (self.returns[0][0] if len(self.returns) == 1 else "_ret_blk"))
        starts = {b for b, _ in self.returns}
        self.emit_dispatch(src, [b for b in info.labels
                                 if b in starts or self.inlined_reverse(b) != "only"],
                           self.reverse_block, reverse=True)
        self.emit_footer(src)
        src.lines[declarations:declarations] = [
            "    %s = %s" % kv for kv in sorted(self.deads.items())]
        return declare_early(src.text(), self.names, self.info)

    # ---- the parts of the generated function another target writes differently
    def emit_header(self, src):
        """``def`` line and docstring (the parameters end with the return's cotangent)."""
        src("def %s(%s):" % (self.fname, ", ".join(self.params + ["_ret_bar"])))
        src.indent()
        src('"""VJP of %s: returns (value, cotangents of args %s, (peak tape bytes, '
            'snapshots taken, iterations recomputed))."""'
            % (self.info.func_ir.func_id.func_qualname, list(self.wrt)))

    def emit_open_tape(self, src, tape):
        pos, cap, _ = TAPES[tape]
        src("%s = _tape_new(256)" % tape, "%s = 0" % pos)
        if self.scheme != "guarded":
            src("%s = _tape_capacity(%s)" % (cap, tape))
        else:   # (a pooled tape may be larger: what it holds past its share goes unused)
            src("%s = min(_tape_capacity(%s), %d)" % (cap, tape,
                                                      self.budget // (8 * len(self.tapes))))

    def emit_memory_bar(self, src, name):
        """The adjoint array of an argument array (zero: the result is all that is seeded)."""
        src("%s = np.zeros_like(%s)" % (self.bar(name), self.names.var(name)))

    def emit_end_of_forward(self, src):
        self.emit_taped_in_full_check(src)
        src("_tape_bytes = %s + _cp_bytes" % self.tape_usage())

    def emit_footer(self, src):
        for tape in self.tapes:
            src("_tape_free(%s)" % tape)
        src("return _ret, (%s), (_tape_bytes, _snapshots, _recomputed)"
            % "".join(self.arg_cotangent(i) + ", " for i in self.wrt))

    def output_vars(self):
        """The variables whose cotangents the caller seeds: what the function returns."""
        return [v for _, v in self.returns]

    def tape_usage(self):
        """Source of the bytes the tapes hold now."""
        return "8 * (%s)%s" % (" + ".join(TAPES[t][0] for t in self.tapes) or "0",
                               " + _ab" if self.array_tapes else "")

    def bars_needed(self):
        out = {}
        for name in sorted(self.activity.active):
            if self.role(name) in ("alias", "view", "buffer", "ref", "memory"):
                continue        # shares another's adjoint, or named in the forward sweep
            for leaf in self.leaves(name):
                out[(name, -1 if leaf is None else leaf)] = self.bar(name, leaf)
        return out

    def ref_phis(self):
        """Active array phis of role "ref" (see Activity.role)."""
        return [s.target.name for b in self.info.labels for s in self.assigns(b)
                if self.is_phi(s) and self.role(s.target.name) == "ref"]

    def ref_moves(self, pred, dest):
        """The "ref" phis of ``dest`` with their incoming variable from ``pred`` (or None),
        and those phis whose adjoint reference the edge overwrites for good: the forward
        sweep tapes those references, the reverse sweep pops them back. A phi that is
        itself carried into another phi (``u, v = v, u``) gets its reference back from
        that phi's instead."""
        moves = [(s.target.name, incoming_value(s.value, pred)) for s in self.assigns(dest)
                 if self.is_phi(s) and self.role(s.target.name) == "ref"]
        kept = {self.owner(v.name) for _, v in moves if v is not None and self.active(v.name)}
        return moves, [p for p, _ in moves if p not in kept]

    def multi_pred_succ(self, label):
        """Whether some edge out of ``label`` pushes which edge it was."""
        return any(self.edge_kind(label, s) in ("push", "enter") for s in self.info.succs[label])

    def edge_kind(self, pred, dest):
        """How the reverse sweep learns that ``pred -> dest`` was taken.

        "only": ``dest`` has one predecessor, or the reverse sweep can tell which
        from the branch condition (``recomputed_join``); "push": the edge's index is
        pushed on the int tape; a loop header with one entry and one back edge
        counts its iterations instead (Tangent's scheme): "enter" pushes the
        outer count and restarts it, "back" just increments it; "recount" restarts
        it (the reverse sweep computes each count again: ``recount``).
        """
        counted = self.info.counted_headers.get(dest)
        if counted is not None:
            if pred != counted[0]:
                return "back"
            return "enter" if self.recount(dest) is None else "recount"
        if len(self.info.preds[dest]) == 1 or self.recomputed_join(dest) is not None:
            return "only"
        return "push"

    def counter(self, header):
        return self.names.var("$iterations%d" % header)

    def arg_cotangent(self, index):
        t = self.tir.arg_types[index]
        name = self.info.arg_vars.get(index)
        leaves = float_leaves(t)
        parts = []
        if is_float_array(t):
            return self.bar(name) if name and self.active(name) else \
                "np.zeros_like(%s)" % self.params[index]
        for leaf in leaves:
            elem = t if leaf is None else t.types[leaf]
            bar = self.bar(name, leaf) if name and self.active(name) else "0.0"
            parts.append(bar if str(elem) == "float64" else "np.%s(%s)" % (elem, bar))
        if leaves == [None]:
            return parts[0]
        return "(%s%s)" % (", ".join(parts), "," if len(parts) == 1 else "")

    def try_loop(self, header):
        written, copies = self.written, self.copies_allowed
        try:
            self.emit_forward_loop(Scratch(), header)
            self.emit_reverse_loop(Scratch(), header)
        finally:
            self.written, self.copies_allowed = written, copies

    # ---- forward sweep
    def inlined_forward(self, label):
        """A block entered from one predecessor only is written inside it, not dispatched."""
        return (label != self.info.entry and len(self.info.preds[label]) == 1
                and label not in {b for b, _ in self.returns})

    def forward_block(self, src, label, keyword):
        src("%s _blk == %d:  # %s" % (keyword, label, _where(self.info.blocks[label])))
        src.indent()
        self.forward_body(src, label)
        src.dedent()

    def forward_body(self, src, label):
        """Block ``label`` of the forward sweep, its terminator included."""
        if self.inlined_forward(label):
            src("# block %d (%s)" % (label, _where(self.info.blocks[label])))
        self.forward_stmts(src, label)
        term = self.info.blocks[label].terminator
        if kind(term) == "Return":
            src("_ret = %s" % self.primal.operand(term.value))
            if len(self.returns) > 1:
                src("_ret_blk = %d" % label)
            src("_blk = -1")
        else:
            emit_transfer(src, self.primal, label, term, self.emit_edge)

    def emit_raise(self, src, term):
        emit_transfer(src, self.primal, None, term, None)

    def forward_stmts(self, src, label):
        """The statements of block ``label`` and the pushes that record them."""
        info, plan = self.info, self.plans[label]
        block = info.blocks[label]
        if not self.taping:
            for stmt in block.body[:-1]:
                self.emit_overlap_guard(src, stmt)
                src(*self.primal.render(stmt))
            return
        for stmt in block.body[:-1]:
            for s, name, snap in plan["local_snapshots"]:
                if s is stmt:
                    src("%s = %s.copy()" % (snap, self.names.var(name)))
            for s, name, _ in plan["snapshots"]:
                if s is stmt:
                    v = self.names.var(name)
                    src("%s.append(%s.copy())" % (self.tape_of(self.snapshot_type(name)), v),
                        "_ab += %s.nbytes" % v)
            self.emit_overlap_guard(src, stmt)
            if any(stmt is r for r in plan["restores"]):
                self.emit_save_overwritten(src, stmt, not self.in_reserved_loop(label))
            src(*self.primal.render(stmt))
            if kind(stmt) == "Assign" and self.role(stmt.target.name) == "buffer":
                self.emit_buffer_bar(src, stmt.target.name)
        self.emit_pushes(src, label, plan)

    def emit_buffer_bar(self, src, name):
        """The adjoint array of fresh buffer ``name``. One made in a loop whose memory no
        phi takes (double buffering hands adjoints on) is allocated again only when its
        shape changes: the reverse sweep zeroes it after each use (emit_array_adjoint),
        so the one made before is zero here. Its shape may change from one iteration to
        the next (``v = np.empty(m - i)``): the adjoint array each iteration used is
        kept by reference, for the reverse sweep to take back when it reaches the
        iteration before."""
        bar, var = self.bar(name), self.names.var(name)
        if self.reuses_bar(name):
            if self.keeps_bars(name):
                src("%s.append(%s)" % (self.bar_tape(name), bar))
            src("if %s.shape != %s.shape:" % (bar, var))
            src("    %s = np.zeros_like(%s)" % (bar, var))
        else:
            src("%s = np.zeros_like(%s)" % (bar, var))

    def keeps_bars(self, name):
        """Whether the adjoint arrays of reused buffer ``name`` are kept per iteration:
        its shape may change from one to the next."""
        return self.reuses_bar(name) and not fixed_shape(self.info, name)

    def bar_tape(self, name):
        """The list keeping the adjoint arrays of reused buffers like ``name`` (its own:
        they are pushed and popped where the buffer is made, not where blocks end)."""
        return self.array_tapes[("bar", self.bar_type(name))]

    def bar_type(self, name):
        """The type of the adjoint arrays of buffer ``name``: C-contiguous as the buffer,
        else any layout (the adjoint of ``a.T`` is made like it)."""
        t = self.info.type_of(name)
        return types.Array(t.dtype, t.ndim, "C" if t.layout == "C" else "A")

    def reuses_bar(self, name):
        """Whether active buffer ``name`` is made in a loop whose memory no phi takes: its
        adjoint array is reused from one iteration to the next (emit_buffer_bar)."""
        family = self.family_key(name)
        return self.info.defs[name][0] in self.info.in_loop and not any(
            self.family_key(v) == family for v in self.phi_names())

    def phi_names(self):
        """The variables phis of the function set or take."""
        return self.memoized("_phi_names", None, lambda _: {
            n for b in self.info.labels for s in self.assigns(b) if self.is_phi(s)
            for n in [s.target.name] + [v.name for v in s.value.incoming_values
                                        if kind(v) == "Var"]})

    def emit_overlap_guard(self, src, stmt):
        """Before ``a += b`` on arrays that may share memory: refuse at run time when they
        partly overlap (Numba then reads elements it already updated, unlike NumPy, and
        the adjoint would not match)."""
        value = stmt.value if kind(stmt) == "Assign" else None     # print() has none
        if not (value is not None and self.role(stmt.target.name)
                and kind(value) == "Expr" and value.op == "inplace_binop"
                and self.is_array(value.rhs.name) and value.rhs.name != value.lhs.name
                and self.owner(value.rhs.name) in self.info.family_of(
                    self.owner(value.lhs.name))):
            return
        error = not_differentiable(
            "an in-place operator whose right-hand side partly overlaps the array it "
            "updates (Numba reads elements it has already updated; copy the right-hand "
            "side first)", stmt.loc)
        self.ns["_NotDifferentiableError"] = NotDifferentiableError
        src("if _partly_overlap(%s, %s):" % (self.primal.operand(value.lhs),
                                             self.primal.operand(value.rhs)),
            "    raise _NotDifferentiableError(%r)" % str(error))

    def emit_save_overwritten(self, src, stmt, checked=True):
        """Tape what store or in-place operator ``stmt`` is about to overwrite."""
        source, t = self.overwritten(stmt)
        if t is None:
            self.emit_push(src, "_ft", [source], checked=checked)
        else:
            # (the bytes from the view itself, not the list's last item: forward mode,
            # applied to this code for Hessians, has no tangent of a list item)
            src("%s.append(%s.copy())" % (self.restore_tape(t), source),
                "_ab += %s.nbytes" % source)

    def emit_restore(self, src, stmt):
        """Put back what ``stmt`` overwrote (the reverse sweep is past it)."""
        source, t = self.overwritten(stmt)
        if t is None:
            src("_fp -= 1", "%s = _load_f(_ft, _fp)" % source)
        else:       # the tape's bytes count down too (checkpointing reads the peak)
            src("_ab -= %s.nbytes" % source)
            src(("%s[...] = %s.pop()" if kind(stmt) == "Assign" else "%s = %s.pop()")
                % (source, self.restore_tape(t)))

    def emit_push(self, src, tape, items, room=0, checked=True):
        """Push ``items`` (sources) onto ``tape``, growing it first so that it also has
        ``room`` more entries (for a push that follows, such as the edge taken); not
        ``checked``: the room was made before (``reserved``)."""
        count = len(items) + room
        if not count:
            return
        pos, _, suffix = TAPES[tape]
        if checked:
            self.emit_room(src, tape, count)
        for j, item in enumerate(items):
            src("_store%s(%s, %s, %s)" % (suffix, tape, _at(pos, j), item))
        if items:
            src("%s += %d" % (pos, len(items)))

    def emit_room(self, src, tape, count):
        """Grow ``tape`` so that it holds ``count`` (an int, or source) more entries. With
        the "guarded" scheme the budget is checked here, as the tape grows (not at each
        push): it doubles no further than the budget allows, and raises if what it must
        hold does not fit."""
        pos, cap, _ = TAPES[tape]
        src("if %s + %s > %s:" % (pos, count, cap))
        if self.scheme != "guarded":
            src("    %s = max(2 * %s, %s + %s)" % (cap, cap, pos, count))
        else:
            others = [TAPES[t][1] for t in self.tapes if t != tape]
            arrays = " + _ab" if self.array_tapes else ""
            limit = ("(%d - _ab) // 8" % self.budget if arrays else str(self.budget // 8)) \
                + "".join(" - " + c for c in others)
            src("    %s = max(min(2 * %s, %s), %s + %s)" % (cap, cap, limit, pos, count))
            src("    if 8 * (%s)%s > %d:" % (" + ".join([cap] + others), arrays, self.budget))
            self.emit_over_budget(src, "        ")
        src("    %s = _tape_resize(%s, %s)" % (tape, tape, cap))

    def emit_pushes(self, src, label, plan):
        self.emit_plan_pushes(src, plan, not self.in_reserved_loop(label),
                              1 if self.multi_pred_succ(label) else 0)

    def emit_plan_pushes(self, src, plan, checked, int_room):
        """Tape what ``plan`` lists (``int_room``: room for ints pushed next)."""
        self.emit_push(src, "_ft", [e for n in plan["floats"] for e in self.elements(n)],
                       checked=checked)
        self.emit_push(src, "_it", [e for n in plan["ints"] for e in self.elements(n)],
                       room=int_room, checked=checked)
        for n in plan["arrays"]:
            # kept by reference: arrays nobody writes, or whose writes the reverse undoes
            v = self.names.var(n)
            src("%s.append(%s)" % (self.tape_of(self.info.type_of(n)), v))
            if n in self.info.read_only:
                src("_ab += %s.nbytes" % v)

    def elements(self, name):
        """Source of each number held by variable ``name`` (one, or a tuple's items)."""
        t = self.info.type_of(name)
        v = self.names.var(name)
        if isinstance(t, types.BaseTuple):
            return ["%s[%d]" % (v, i) for i in range(len(t.types))]
        return [v]

    def emit_edge(self, src, src_label, dest, follow=True):
        """What taking edge ``src_label -> dest`` records and copies; then (``follow``)
        the destination, written here or dispatched."""
        info = self.info
        how = self.edge_kind(src_label, dest) if self.taping else None
        if self.taping:
            self.emit_chain_roots(src, src_label, dest, room=1 if how == "push" else 0)
            for header in self.exited_loops(src_label, dest):
                if self.hoisted.get(header):    # (room for the edge was made before)
                    self.emit_plan_pushes(src, self.hoisted_plan(header), True,
                                          1 if how == "push" else 0)
        if how == "push":
            src("_store_i(_it, _ip, %d)" % info.preds[dest].index(src_label), "_ip += 1")
        elif how in ("enter", "recount"):
            if how == "enter":
                src("_store_i(_it, _ip, %s)" % self.counter(dest), "_ip += 1")
            src("%s = 0" % self.counter(dest))
            if self.reserved(dest) is not None:
                self.emit_reserve(src, dest)
        elif how == "back":
            src("%s += 1" % self.counter(dest))
            if self.reserved(dest) is None:
                self.emit_budget_check(src)
        copies = []
        for stmt in self.assigns(dest):
            if self.is_phi(stmt):
                incoming = incoming_value(stmt.value, src_label, self.info)
                if incoming is not None:
                    copies.append((self.names.var(stmt.target.name),
                                   self.primal.operand(incoming)))
        # (untaped, adjoint references that a swap moves still follow the arrays; one
        # the edge would overwrite for good keeps the adjoint it carries in reverse)
        moves, taped = self.ref_moves(src_label, dest)
        if not self.taping:
            moves, taped = [m for m in moves if m[0] not in taped], []
        for phi in taped:
            src("%s.append(%s)" % (self.tape_of(self.snapshot_type(phi)), self.bar(phi)))
        for phi, incoming in moves:     # an array phi's adjoint follows the array it names
            copies.append((self.bar(phi), self.bar(incoming.name)
                           if incoming is not None and self.active(incoming.name)
                           else self.dead(phi)))
        emit_copies(src, copies)
        if follow:
            self.continue_forward(src, dest)

    def emit_budget_check(self, src, more="0"):
        """With the "guarded" scheme, where arrays go on the tape (their bytes are counted
        as they are pushed; ``emit_room`` checks the number tapes as they grow): raise
        TapeOverBudget if the tapes (and ``more`` bytes about to be pushed) outgrow the
        budget."""
        if self.scheme != "guarded" or not self.array_tapes:
            return
        src("if %s%s > %d:" % (self.tape_usage(), "" if more == "0" else " + " + more,
                               self.budget))
        self.emit_over_budget(src, "    ")

    def emit_over_budget(self, src, indent, error="_TapeOverBudget",
                         message="numbad: the tape outgrew the memory budget"):
        # (memory is given back first: raising from compiled code releases nothing)
        src(*[indent + "_tape_free(%s)" % t for t in self.tapes])
        src(*[indent + "%s.clear()" % t for t in sorted(self.array_tapes.values())])
        src(indent + "raise %s(%r)" % (error, message))

    def reserved(self, header):
        """(floats, ints): at most what one pass through innermost loop ``header``'s blocks
        pushes, when the forward sweep makes room for the whole loop on its way in
        (``emit_reserve``), so that the loop's pushes and back edge check nothing; else
        None. That needs the count on the way in (the range's length: a loop left by its
        test only, whether the reverse sweep counts it again or pops it) and nothing but
        numbers pushed (no arrays: their bytes are known only when taken)."""
        return self.memoized("_reserved", header, self._per_iteration)

    def _per_iteration(self, header):
        info = self.info
        body = info.loop_body.get(header, ())
        if self.range_getiter(header) is None or not self.left_by_its_test_only(header) or \
                self.checkpointed(header) is not None or \
                any(h != header and h in body for h in info.loop_body):
            return None
        floats = ints = 0
        for b in body:
            plan = self.plans[b]
            if plan["arrays"] or plan["snapshots"] or plan["local_snapshots"] or \
                    any(self.overwritten(r)[1] is not None for r in plan["restores"]) or \
                    any(self.ref_moves(b, s)[1] for s in info.succs[b]):
                return None
            floats += sum(len(self.elements(n)) for n in plan["floats"]) + len(plan["restores"])
            ints += sum(len(self.elements(n)) for n in plan["ints"])
            ints += sum(self.edge_kind(b, s) == "push" for s in info.succs[b])
        return floats, ints

    def in_reserved_loop(self, label):
        """Whether ``label`` is in a loop whose room ``emit_reserve`` made on the way in."""
        return any(label in body and self.reserved(h) is not None
                   for h, body in self.info.loop_body.items())

    def emit_reserve(self, src, header):
        """On the way into loop ``header``: room on the tapes for all of its iterations (and
        the header's last test), and the budget checked for it once."""
        floats, ints = self.reserved(header)
        if not floats + ints:
            return
        getiter = self.range_getiter(header)
        passes = self.names.fresh("_passes")
        src("%s = %s + 1" % (passes, range_length(
            *self.primal.range_args(getiter.value.value.name))))
        for tape, count in (("_ft", floats), ("_it", ints)):
            if count and tape in self.tapes:
                self.emit_room(src, tape, passes if count == 1 else "%d * %s" % (count, passes))
        if floats + ints:
            self.emit_budget_check(src, "%d * %s" % (8 * (floats + ints), passes))

    # ---- reverse sweep
    def inlined_reverse(self, label):
        """Whether the reverse of ``label`` is written where it is entered, not dispatched.

        "copy": it only moves phi adjoints and picks a predecessor (a loop
        header), so a copy of it ends each block that leads to it, one level
        deep, saving a trip through the dispatch loop per iteration; "only": it
        is entered from one place in the generated code (its one successor,
        whose only way in it is, and which is not copied), so it is written
        there and nowhere else.
        """
        info, plan = self.info, self.plans[label]
        returns = {b for b, _ in self.returns}
        if (label in info.loop_body and self.structured(label)) or \
                self.exits_structured_loop(label):
            return None     # the reverse of a loop of its own starts here
        if not (plan["floats"] or plan["ints"] or plan["arrays"] or plan["snapshots"]
                or plan["recompute"] or plan["active"] or plan["restores"]) \
                and label not in returns and (info.preds[label] or label != info.entry):
            return "copy"
        succs = info.succs[label]
        if len(succs) == 1 and len(info.preds[succs[0]]) == 1 and label not in returns \
                and self.inlined_reverse(succs[0]) != "copy":
            return "only"
        return None

    def reverse_block(self, src, label, keyword):
        src("%s _blk == %d:  # %s" % (keyword, label, _where(self.info.blocks[label])))
        src.indent()
        self.reverse_body(src, label, copies_allowed=True)
        src.dedent()

    def reverse_body(self, src, label, copies_allowed):
        """The reverse of block ``label``, then the move to the predecessor it came from."""
        info = self.info
        self.copies_allowed = copies_allowed
        self.reverse_core(src, label)
        preds = list(info.preds[label])
        if label == info.entry:
            preds.append(None)      # the function's own entry
        if preds == [None]:
            src("_blk = -1")
        elif len(preds) == 1:
            self.emit_back_edge(src, preds[0], label)
        elif label in info.counted_headers:
            entry, back = info.counted_headers[label]
            self.emit_iteration_choice(src, label, lambda: self.emit_back_edge(src, back, label),
                                       lambda: self.emit_back_edge(src, entry, label))
        else:
            self.emit_edge_choice(src, label, preds, lambda p: self.emit_back_edge(src, p, label))

    def emit_iteration_choice(self, src, header, again, done):
        """In the reverse of loop ``header``: ``again()`` while iterations remain to be
        reversed, else ``done()`` (the outer iteration count comes back off the tape)."""
        c = self.counter(header)
        src("if %s > 0:" % c)
        src.indent()
        src("%s -= 1" % c)
        again()
        src.dedent()
        src("else:")
        src.indent()
        self.emit_outer_count(src, header)
        done()
        src.dedent()

    def emit_outer_count(self, src, header):
        """Leaving the reverse of loop ``header`` towards its entry: the count of the loop's
        previous run comes back off the tape (unless ``recount`` computes each again)."""
        if self.recount(header) is None:
            src("_ip -= 1", "%s = _load_i(_it, _ip)" % self.counter(header))

    def emit_edge_choice(self, src, label, preds, each):
        """Pop which of ``preds`` the forward sweep came from into ``label`` (or compute it
        again from the branch condition); ``each(pred)`` for its case."""
        join = self.recomputed_join(label)
        if join is not None:
            condition, taken, other = join
            for keyword, pred in (("if %s:" % condition, taken), ("else:", other)):
                src(keyword)
                src.indent()
                each(pred)
                src.dedent()
            return
        src("_ip -= 1", "_k = _load_i(_it, _ip)")
        for i, p in enumerate(preds):
            src("%s _k == %d:" % ("if" if i == 0 else "elif", i))
            src.indent()
            each(p)
            src.dedent()

    def reverse_core(self, src, label):
        """The reverse of block ``label``: its pops, recomputations, restores and the
        adjoints of its statements, in reverse order."""
        plan = self.plans[label]
        written, self.written = self.written, set()
        self.emit_chain_steps_back(src, label)
        self.emit_pops(src, plan)
        for name, same in plan["copies"]:
            src("%s = %s" % (self.names.var(name), self.names.var(same)))
        for name, index in plan["indices"]:
            src("%s = %s" % (self.names.var(name), index))
        for stmt in plan["recompute"]:
            if id(stmt) not in self.read_once:
                src(*self.primal.render(stmt))
        for stmt in reversed(plan["restores"]):
            self.emit_restore(src, stmt)
        for stmt in plan["recompute_after"]:
            if id(stmt) not in self.read_once:
                src(*self.primal.render(stmt))
        for ret_label, var in self.returns:
            if ret_label == label and self.active(var):
                if self.is_array(var):
                    self.acc(src, var, None, "_ret_bar")
                for leaf in ([] if self.is_array(var) else self.leaves(var)):
                    seed = "_ret_bar" if leaf is None else "_ret_bar[%d]" % leaf
                    src("%s += %s" % (self.bar(var, leaf), seed))
        for stmt in reversed(plan["active"]):
            self.emit_adjoint(src, stmt)
        self.written = written

    def emit_pops(self, src, plan):
        for n in reversed(plan["arrays"]):
            src("%s = %s.pop()" % (self.names.var(n), self.tape_of(self.info.type_of(n))))
            if n in self.info.read_only:
                src("_ab -= %s.nbytes" % self.names.var(n))
        for _, n, snap in reversed(plan["snapshots"]):
            src("%s = %s.pop()" % (snap, self.tape_of(self.snapshot_type(n))),
                "_ab -= %s.nbytes" % snap)
        for tape, names in (("_ft", plan["floats"]), ("_it", plan["ints"])):
            pos, _, suffix = TAPES[tape]
            count = sum(len(self.elements(n)) for n in names)
            if not count:
                continue
            src("%s -= %d" % (pos, count))
            j = 0
            for n in names:
                t = self.info.type_of(n)
                if isinstance(t, types.BaseTuple):
                    items = []
                    for e in t.types:
                        items.append(_from_tape("_load%s(%s, %s)" % (suffix, tape, _at(pos, j)),
                                                e, tape))
                        j += 1
                    src("%s = (%s,)" % (self.names.var(n), ", ".join(items)))
                else:
                    src("%s = %s" % (self.names.var(n),
                                     _from_tape("_load%s(%s, %s)" % (suffix, tape, _at(pos, j)),
                                                t, tape)))
                    j += 1

    def emit_back_edge(self, src, pred, label, follow=True):
        """Move phi adjoints of ``label`` onto the values coming from ``pred``; then
        (``follow``) the reverse of ``pred``, written here or dispatched."""
        if pred is None:
            src("_blk = -1")
            return
        info = self.info
        for header in reversed(self.exited_loops(pred, label)):
            self.emit_pops(src, self.hoisted_plan(header))
            for stmt in self.rebuilt.get(header, {}).values():
                src(*self.primal.render(stmt))
        if pred in info.counted_headers and label not in info.loop_body[pred] and \
                self.recount(pred) is not None:     # into a loop from where its test left
            src("%s = %s" % (self.counter(pred), self.recount(pred)))
        self.emit_chain_moves_back(src, pred, label)
        phis = [s for s in self.assigns(label) if self.is_phi(s) and self.active(s.target.name)
                and self.role(s.target.name) not in ("alias", "ref")]
        moves, zero = [], {}
        for stmt in phis:
            incoming = incoming_value(stmt.value, pred)
            for leaf in self.leaves(stmt.target.name):
                dest = None
                if incoming is not None and self.active(incoming.name):
                    dest = self.bar(incoming.name, leaf)
                moves.append((self.bar(stmt.target.name, leaf), dest,
                              incoming.name if dest else None))
                zero[moves[-1][0]] = (self.dead(stmt.target.name)
                                      if self.is_array(stmt.target.name) else "0.0")
        phi_bars = {m[0] for m in moves}
        if any(d in phi_bars for _, d, _ in moves):
            # A phi feeding another phi of the same block (a swap): read all first.
            temps = [self.names.fresh("_t") for _ in moves]
            src("%s = %s" % (", ".join(temps) + ",", ", ".join(m[0] for m in moves) + ","))
            for bar, _, _ in moves:
                src("%s = %s" % (bar, zero[bar]))
            for (_, dest, incoming), t in zip(moves, temps):
                if dest:
                    self.transfer(src, incoming, dest, t)
        else:
            for bar, dest, incoming in moves:
                if dest:
                    self.transfer(src, incoming, dest, bar)
                src("%s = %s" % (bar, zero[bar]))
        self.emit_ref_restore(src, pred, label)
        if follow:
            self.continue_reverse(src, pred)

    def continue_reverse(self, src, pred):
        how = self.inlined_reverse(pred)
        if how == "only" or (how == "copy" and self.copies_allowed):
            copies_allowed = self.copies_allowed
            src("# reverse of block %d (%s)" % (pred, _where(self.info.blocks[pred])))
            self.reverse_body(src, pred, copies_allowed and how == "only")
            self.copies_allowed = copies_allowed
        else:
            src("_blk = %d" % pred)

    def emit_ref_restore(self, src, pred, label):
        """Undo the edge's moves of array adjoint references: each incoming array whose
        adjoint variable is reassigned (a "ref" phi's, or a buffer made in a loop) gets
        back the reference its phi took; phis overwritten for good pop theirs."""
        moves, taped = self.ref_moves(pred, label)
        back = [(self.bar(v.name), self.bar(phi)) for phi, v in moves
                if v is not None and self.active(v.name)
                and self.role(self.owner(v.name)) in ("ref", "buffer")]
        if back:
            src("%s, = %s," % (", ".join(b[0] for b in back), ", ".join(b[1] for b in back)))
        for phi in reversed(taped):
            src("%s = %s.pop()" % (self.bar(phi), self.tape_of(self.snapshot_type(phi))))

    def transfer(self, src, name, dest, bar):
        """Add a phi's adjoint ``bar`` into ``dest``, the adjoint of incoming ``name``
        (arrays: handing it over when that one is dead)."""
        if not self.is_array(name):
            src("%s += %s" % (dest, bar))
        elif self.role(self.owner(name)) == "value":
            src("%s = _move(%s, %s)" % (dest, dest, bar))
        else:
            src("_add_into(%s, %s)" % (dest, bar))

    def acc(self, src, name, leaf, expr, negate=False, shaped=False):
        """Emit ``bar(name) += expr`` (or ``-=``); the first write to a block-local bar assigns.

        Array adjoints take ``expr`` summed down to their shape (undoing broadcasting);
        ``shaped``: ``expr`` may be an array, so a scalar's share is its sum.
        """
        bar = self.bar(name, leaf)
        if self.is_array(name):
            owner = self.owner(name)
            if self.role(owner) == "value":
                src("%s = _acc(%s, %s%s, %s)" % (bar, bar, "-" if negate else "",
                                                 _paren(expr), self.names.var(owner)))
            else:
                src("%s %s= _sum_to(%s, %s)" % (bar, "-" if negate else "+", expr, bar))
            return
        if shaped:
            expr = "_sum_to(%s, 0.0)" % expr
        if name in self.local_bars and name not in self.written:
            self.written.add(name)
            src("%s = %s%s" % (bar, "-" if negate else "", expr))
        else:
            src("%s %s= %s" % (bar, "-" if negate else "+", expr))

    def emit_store_adjoint(self, src, stmt):
        """``a[i] = v`` (or ``a[1:-1] = v``): the adjoint of a[i] moves to v; the old a[i]
        no longer matters. Storing back a view updated in place (``a[1:-1] += b``
        ends with ``a[1:-1] = <that view>``) moves nothing."""
        if self.stores_itself(stmt):
            return
        slot = "%s[%s]" % (self.bar(stmt.target.name), self.store_index(stmt))
        increment = self.increments().get(id(stmt))
        if increment is not None:
            addend, negate = increment
            if self.active(addend):
                self.acc(src, addend, None, slot, negate=negate)
            return
        value = stmt.value.name
        if kind(stmt) == "SetItem" and self.scatters_by_integers(stmt):
            # ``a[idx] = v``: of a repeated index only the last write stays
            if self.active(value):
                self.acc(src, value, None, "_last_written(%s, %s)" % (
                    self.bar(stmt.target.name), self.store_index(stmt)), shaped=True)
            src("%s = 0.0" % slot)
            return
        if self.active(value) and self.is_array(value) and self.owner(value) in \
                self.info.family_of(self.owner(stmt.target.name)):
            # the source may overlap the destination (``u[1:] = u[:-1]``): take the
            # destination's adjoint out before the source's adjoint gains it
            moved = self.names.fresh("_g")
            src("%s = %s.copy()" % (moved, slot), "%s = 0.0" % slot)
            self.acc(src, value, None, moved, shaped=True)
            return
        if self.active(value):
            self.acc(src, value, None, slot, shaped=True)
        src("%s = 0.0" % slot)

    def scatters_by_integers(self, stmt):
        """Whether store ``stmt`` writes at a 1-D array of integer indices."""
        t = self.info.type_of(stmt.index.name)
        return isinstance(t, types.Array) and isinstance(t.dtype, types.Integer)

    def stores_itself(self, stmt):
        """Whether store ``stmt`` writes a view of its target back onto itself."""
        if not self.is_array(stmt.value.name):
            return False
        d = self.info.defs[self.owner(stmt.value.name)][1].value
        if not (kind(d) == "Expr" and d.op in ("getitem", "static_getitem")
                and self.owner(d.value.name) == self.owner(stmt.target.name)):
            return False
        if kind(stmt) == "StaticSetItem":
            return d.op == "static_getitem" and d.index == stmt.index
        return d.op == "getitem" and d.index.name == stmt.index.name

    def emit_adjoint(self, src, stmt):
        if kind(stmt) in ("SetItem", "StaticSetItem"):
            return self.emit_store_adjoint(src, stmt)
        if self.increments() and id(stmt) in self._increment_parts:
            return      # the read and sum of an increment: its store's adjoint does it
        value, t = stmt.value, stmt.target.name
        leaves = self.leaves(t)
        if t in self.local_bars and t not in self.written:
            return      # nothing flowed into it in this block: its adjoint is zero
        k = kind(value)
        op = value.op if k == "Expr" else k
        if self.is_array(t):
            return self.emit_array_adjoint(src, stmt)
        if op in ("Var", "cast", "exhaust_iter"):
            v = value if k == "Var" else value.value
            if self.active(v.name):
                for leaf in leaves:
                    self.acc(src, v.name, leaf, self.bar(t, leaf))
        elif op == "build_tuple":
            for leaf in leaves:
                item = value.items[leaf]
                if self.active(item.name):
                    self.acc(src, item.name, None, self.bar(t, leaf))
        elif op in ("static_getitem", "getitem", "typed_getitem"):
            self.emit_tuple_getitem(src, stmt)
        elif op == "call" and is_differentiable_callee(self.info.callee(value)):
            self.emit_call_adjoint(src, stmt)
        else:
            self.emit_rule_adjoint(src, stmt)
        if t not in self.local_bars:
            for leaf in leaves:
                src("%s = 0.0" % self.bar(t, leaf))

    def emit_array_adjoint(self, src, stmt):
        """Adjoint of a statement making an array: a value's or a fresh buffer's adjoint
        moves to its operands; aliases, views and arguments have nothing to move."""
        t, value = stmt.target.name, stmt.value
        role = self.role(t)
        if kind(value) == "Expr" and value.op == "inplace_binop":
            return self.emit_inplace_adjoint(src, stmt)
        bar = self.bar(t)
        if role == "buffer" and self.info.defs[t][0] in self.info.in_loop:
            # made again next time round: its adjoint array is reused from zero (the one
            # of the iteration before, where the shape changed)
            if not is_allocation(self.info, stmt):
                self.emit_rule_adjoint(src, stmt)
            src("%s.fill(0.0)" % bar)
            if self.keeps_bars(t):
                src("%s = %s.pop()" % (bar, self.bar_tape(t)))
            return
        if role not in ("value", "buffer") or is_allocation(self.info, stmt):
            return
        if role == "value":
            for v in value.list_vars():
                if v.name in self.local_bars and v.name not in self.written:
                    # its first accumulation is conditional below: it cannot assign
                    self.written.add(v.name)
                    src("%s = 0.0" % self.bar(v.name))
            src("if %s.size != 0:" % bar)     # a dead adjoint: nothing flowed into it
            src.indent()
        if value.op in ("getitem", "static_getitem"):
            self.emit_element_adjoint(src, value, bar)
        elif value.op == "call" and is_differentiable_callee(self.info.callee(value)):
            self.emit_call_adjoint(src, stmt)       # a callee returning an array
        else:
            self.emit_rule_adjoint(src, stmt)
        if role == "value":
            src.dedent()
            src("%s = %s" % (bar, self.dead(t)))

    def emit_inplace_adjoint(self, src, stmt):
        """``a += b`` / ``a -= b`` on an array (or a view): b's adjoint gains a's, which
        stays; ``a *= c`` / ``a /= c`` by a constant c scale a's adjoint."""
        value = stmt.value
        fn, rhs = value.immutable_fn, value.rhs
        lhs_bar = self.bar(value.lhs.name)
        if fn in (operator.add, operator.sub):
            if self.active(rhs.name):
                self.acc(src, rhs.name, None, lhs_bar, negate=fn is operator.sub, shaped=True)
        elif fn in (operator.mul, operator.truediv) and not self.active(rhs.name):
            src("%s %s= %s" % (lhs_bar, "*" if fn is operator.mul else "/",
                               self.primal.operand(rhs)))
        else:
            raise not_differentiable("the in-place operator %s= on an array with a "
                                     "differentiated right-hand side (write a = a %s b)"
                                     % (INPLACE_SYMBOL.get(fn, "?"),
                                        INPLACE_SYMBOL.get(fn, "?")), stmt.loc)

    def emit_element_adjoint(self, src, value, tbar):
        """``x = a[index]`` (an element or a view): ``bar(a)[index] += bar(x)``."""
        base = value.value.name
        index = repr(value.index) if value.op == "static_getitem" else \
            self.primal.operand(value.index)
        owner = self.owner(base)
        if self.role(owner) == "value":
            obar = self.bar(owner)
            src("%s = _live(%s, %s)" % (obar, obar, self.names.var(owner)))
        held = self.held.get(id(value))
        if held is not None:
            src("%s += %s" % (held, tbar))
            return
        if value.op == "getitem" and gathers(self.info, value.index.name):
            src("_scatter_add(%s, %s, %s)" % (self.bar(base), index, tbar))
            return
        slot = "%s[%s]" % (self.bar(base), index)
        src("%s += _sum_to(%s, %s)" % (slot, tbar, slot))

    @contextlib.contextmanager
    def adjoints_held(self, src, header):
        """While the reverse of loop ``header`` is written: the element reads that read one
        element the whole loop (``fixed_reads``) are made once, here, not at every
        iteration (``reads_once``), and the adjoints of those that have one gather in
        locals, added to their arrays' adjoints once, where the loop's reverse ends
        (``flush()``). LLVM does neither itself: it cannot tell the adjoint arrays it
        stores to apart from the arrays the loop reads."""
        once = [(s, at) for s, at in self.reads_once(header) if id(s) not in self.read_once]
        # The header ran each time the loop was entered, and its reverse runs first; the
        # other blocks ran in whole iterations only, counted by the loop's counter (their
        # reads guarded: an index may be out of range where no iteration ran).
        for in_header in (True, False):
            reads = [(s, at) for s, at in once
                     if (self.info.defs[s.target.name][0] == header) == in_header]
            if reads and not in_header:
                src("if %s > 0:" % self.counter(header))
            for stmt, index in reads:
                self.read_once.add(id(stmt))
                src("%s%s = %s[%s]" % ("" if in_header else "    ",
                                       self.names.var(stmt.target.name),
                                       self.names.var(stmt.value.value.name), index))
        reads = [v for v in self.invariant_reads(header) if id(v) not in self.held]
        for value in reads:
            self.held[id(value)] = self.names.fresh("_held")
            src("%s = 0.0" % self.held[id(value)])
        views = [v for v in self.invariant_views(header) if v not in self.view_bars]
        for name in views:      # (made once here, not at each element's adjoint)
            local = self.names.fresh("_bar_view")
            src("%s = %s" % (local, self.bar(name)))
            self.view_bars[name] = local

        def flush():
            for value in reads:     # (not where the loop never ran: its index may be out
                held = self.held[id(value)]     # of range, or not computed at all)
                slot = "%s[%s]" % (self.bar(value.value.name), self.held_index(value.index, header))
                src("if %s != 0.0:" % held, "    %s += %s" % (slot, held))
        try:
            yield flush
        finally:
            for stmt, _ in once:
                self.read_once.discard(id(stmt))
            for value in reads:
                del self.held[id(value)]
            for name in views:
                del self.view_bars[name]

    def invariant_views(self, header):
        """Views whose adjoints the reverse of loop ``header`` indexes, made outside the
        loop from fixed things: constant slices of arrays whose adjoints are allocated once
        (``memory``, or a ``buffer`` made before the loop), or views of such views."""
        info, body = self.info, self.info.loop_body[header]
        used = set()
        for b in body:
            for s in info.blocks[b].body:
                if kind(s) in ("SetItem", "StaticSetItem"):
                    used.add(s.target.name)
                elif kind(s) == "Assign" and kind(s.value) == "Expr" and \
                        s.value.op in ("getitem", "static_getitem"):
                    used.add(s.value.value.name)
        return sorted(n for n in used if self.is_array(n) and self.active(n) and
                      self.role(n) == "view" and self.fixed_view(n, body))

    def fixed_view(self, name, body):
        """``name``, a view, is made outside ``body`` from fixed things (invariant_views)."""
        while self.role(name) == "view":
            label, stmt = self.info.defs[name]
            if label in body or not (stmt.value.op == "static_getitem" or
                                     self.info.constant(stmt.value.index.name)[0]):
                return False
            name = stmt.value.value.name
        # (an array's adjoint allocated once, where the array is made: not made again nor
        # handed on while the loop's reverse runs)
        return self.role(name) == "memory" or \
            self.role(name) == "buffer" and self.info.defs[name][0] not in body

    def fixed_reads(self, header):
        """Float element reads ``x = a[i]`` in loop ``header`` that read one element the
        whole time the loop runs: ``a`` comes from outside the loop, ``i`` has one value
        in it (``held_index``), and nothing in the loop writes ``a``'s family or passes an
        array to a call."""
        info = self.info
        body = info.loop_body[header]
        stmts = [s for b in body for s in info.blocks[b].body]
        if any(kind(s) == "Assign" and kind(s.value) == "Expr" and s.value.op == "call"
               and any(isinstance(info.type_of(a.name), types.Array) for a in s.value.args)
               for s in stmts):
            return []
        written = {self.written_family(s) for s in stmts} | set(info.opaquely_written)
        out = []
        for s in stmts:
            value = s.value if kind(s) == "Assign" else None
            if kind(value) != "Expr" or value.op != "getitem" or \
                    not is_float(info.type_of(s.target.name)):
                continue
            base = value.value.name
            if self.family_key(base) in written or base in info.opaquely_written or \
                    info.defs.get(base, (None,))[0] in body or \
                    self.held_index(value.index, header) is None:
                continue
            out.append(s)
        return out

    def invariant_reads(self, header):
        """The ``fixed_reads`` of loop ``header`` whose adjoints exist (of active arrays
        not in a "value" role): each adds to one element of the adjoint, which nothing
        else in the loop touches."""
        return [s.value for s in self.fixed_reads(header)
                if self.active(s.target.name) and self.active(s.value.value.name)
                and self.role(self.owner(s.value.value.name)) != "value"]

    def reads_once(self, header):
        """(read, source of its index where the reverse of loop ``header`` starts) for each
        of its ``fixed_reads`` that the reverse makes again (not taped) from an array
        made before any loop: the element holds the same value all through the loop's
        reverse (nothing in the loop writes the array, so nothing there puts old values
        back)."""
        body = self.info.loop_body[header]
        again = {id(s) for b in body for key in ("recompute", "recompute_after")
                 for s in self.plans[b][key]}
        out = []
        for s in self.fixed_reads(header):
            if id(s) in again and not self.defined_in_loop(s.value.value.name):
                index = self.held_index(s.value.index, header, at_start=True)
                if index is not None:
                    out.append((s, index))
        return out

    def held_index(self, index, header, at_start=False):
        """Source of ``index`` where the reverse of loop ``header`` ends, when it has one
        value while the loop runs, else None: made outside the loop, or made in it from
        ints the reverse computes again that do not change while it runs (``pos[i, 0]``
        or ``y[i + 1]`` in a loop over ``j``: Numba builds ``(i, 0)`` and ``i + 1``
        inside the loop). ``at_start``: where the reverse starts, before any of its
        blocks has computed anything again, so an index made in an enclosing loop is
        computed again too (from that loop's counter)."""
        info, body = self.info, self.info.loop_body[header]
        label, stmt = info.defs.get(index.name, (None, None))
        if label not in body and not (at_start and self.defined_in_loop(index.name)):
            return self.primal.operand(index)
        if not (kind(stmt.value) == "Expr" and stmt.value.op == "build_tuple"):
            return self.recomputed_int(index.name, header, fixed=body)
        items = [self.recomputed_int(v.name, header, fixed=body) for v in stmt.value.items]
        return None if None in items else "(%s,)" % ", ".join(items)

    def emit_rule_adjoint(self, src, stmt):
        d = derivative(self.info, stmt.value)
        ops = [None if v is None else self.operand_then(stmt, v) for v in d.operands]
        t = stmt.target.name
        tbar = self.bar(t)
        shaped = d.array_rule or self.is_array(t)
        ans = self.names.var(t)
        for i, (var, template) in enumerate(zip(d.operands, d.templates)):
            if not template or var is None or not self.active(var.name):
                continue
            if template in ("1.0", "-1.0"):
                self.acc(src, var.name, None, tbar, negate=template == "-1.0", shaped=shaped)
                continue
            if d.array_rule:
                share = _PLACEHOLDER_G.sub(
                    lambda m: tbar if m.group(1) == "g" else
                    ans if m.group(1) == "ans" else ops[int(m.group(1))], template)
            elif self.is_array(t):
                holders = list(dict.fromkeys(_PLACEHOLDER.findall(template)))
                name = "vjp_%s_%d" % (getattr(operation(self.info, stmt.value)[0],
                                              "__name__", "op"), i)
                kernel = self.primal.ref(elementwise_vjp(template, holders, name,
                                                         i in d.nonfinite), name)
                share = "%s(%s)" % (kernel, ", ".join(
                    [tbar] + [ans if h == "ans" else ops[int(h)] for h in holders]))
            else:
                expr = _PLACEHOLDER.sub(lambda m: ans if m.group(1) == "ans" else
                                        as_number(self.info, d.operands[int(m.group(1))],
                                                  ops[int(m.group(1))]), template)
                share = "%s * %s" % (tbar, _paren(expr))
                if i in d.nonfinite:    # (0, not 0 * inf, where nothing uses the value)
                    share = "(%s if %s != 0.0 else 0.0)" % (share, tbar)
            self.acc(src, var.name, None, share, shaped=shaped)

    def emit_tuple_getitem(self, src, stmt):
        value, tbar = stmt.value, self.bar(stmt.target.name)
        tup = value.value.name
        if not self.active(tup):
            return
        if self.is_array(tup):
            return self.emit_element_adjoint(src, value, tbar)
        n = len(self.info.type_of(tup).types)
        if value.op == "static_getitem" and isinstance(value.index, int):
            src("%s += %s" % (self.bar(tup, value.index % n), tbar))
            return
        index = self.primal.operand(value.index)
        for i, leaf in enumerate(self.leaves(tup)):
            src("%s (%s) %% %d == %d:" % ("if" if i == 0 else "elif", index, n, leaf))
            src("    %s += %s" % (self.bar(tup, leaf), tbar))

    def emit_call_adjoint(self, src, stmt):
        value = stmt.value
        fn = self.info.callee(value)
        arg_types = call_arg_types(self.info, value)
        wrt = [i for i, a in enumerate(value.args) if self.active(a.name)]
        vjp = self.primal.ref(self.callee_vjp(fn, arg_types, tuple(wrt)),
                              "vjp_" + callee_name(fn))
        t = stmt.target.name
        leaves = self.leaves(t)
        if leaves == [None]:
            out_bar = self.bar(t)
        else:
            items = [self.bar(t, i) if i in leaves else "0.0"
                     for i in range(len(self.info.type_of(t).types))]
            out_bar = "(%s,)" % ", ".join(items)
        args = ", ".join(self.operand_then(stmt, a) for a in value.args)
        src("_r = %s(%s, %s)[1]" % (vjp, args, out_bar) if args else
            "_r = %s(%s)[1]" % (vjp, out_bar))
        for j, i in enumerate(wrt):
            arg = value.args[i].name
            arg_leaves = self.leaves(arg)
            for leaf in arg_leaves:
                part = "_r[%d]" % j if leaf is None else "_r[%d][%d]" % (j, leaf)
                self.acc(src, arg, leaf, part)


def emit_copies(src, copies):
    """(target, source) pairs assigned at once (phi copies on an edge)."""
    if len(copies) == 1:
        src("%s = %s" % copies[0])
    elif copies:
        src("%s = %s" % (", ".join(c[0] for c in copies), ", ".join(c[1] for c in copies)))


def emit_transfer(src, primal, label, term, edge):
    """A Jump, Branch or raise terminator of block ``label``; ``edge(src, label, dest)``
    writes the move along an edge."""
    k = kind(term)
    if k == "Jump":
        edge(src, label, term.target)
    elif k == "Branch":
        src("if %s:" % primal.operand(term.cond))
        src.indent()
        edge(src, label, term.truebr)
        src.dedent()
        src("else:")
        src.indent()
        edge(src, label, term.falsebr)
        src.dedent()
    elif k == "StaticRaise":
        exc = primal.ref(term.exc_class, "exc") if term.exc_class else "Exception"
        src("raise %s(%s)" % (exc, ", ".join(repr(a) for a in (term.exc_args or ()))))
    elif k == "Raise":
        src("raise %s" % primal.operand(term.exception))
    else:
        raise not_differentiable("the terminator %s" % k, term.loc)


# integer and comparison operators a branch condition may be computed again with
_INT_OPERATORS = {operator.eq: "==", operator.ne: "!=", operator.lt: "<", operator.le: "<=",
                  operator.gt: ">", operator.ge: ">=", operator.add: "+", operator.sub: "-",
                  operator.mul: "*", operator.floordiv: "//", operator.mod: "%",
                  operator.and_: "&", operator.or_: "|", operator.xor: "^"}


def _position(body, stmt):
    """Where statement ``stmt`` is in ``body`` (by identity: IR nodes compare by value)."""
    return next(i for i, t in enumerate(body) if t is stmt)


def _paren(expr):
    return expr if re.fullmatch(r"[\w.]+", expr) else "(%s)" % expr


def _holds_slices(t):
    """A slice, or a tuple of slices and ints: an index, built again rather than taped."""
    if isinstance(t, types.BaseTuple):
        return any(isinstance(e, types.SliceType) for e in t.types) and \
            all(isinstance(e, (types.SliceType, types.Integer)) for e in t.types)
    return isinstance(t, types.SliceType)


def _is_int_like(t):
    return isinstance(t, (types.Integer, types.Boolean))


def _at(pos, j):
    return pos if j == 0 else "%s + %d" % (pos, j)


def _from_tape(expr, t, tape):
    """Source reading a value of numba type ``t`` back from a tape entry."""
    if isinstance(t, types.Boolean):
        return "%s != 0" % expr
    if str(t) == ("float64" if tape == "_ft" else "int64"):
        return expr
    return "np.%s(%s)" % (t, expr)


def _where(block):
    loc = block.loc
    return "line %s" % loc.line if loc is not None else ""

