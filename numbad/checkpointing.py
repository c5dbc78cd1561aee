"""Checkpointed loops: the reverse sweep of a long loop within a memory budget.

For a top-level loop written as a loop (structured.py), the reverse transform
can emit, instead of "tape every iteration":

* a ``for i in range(...)`` loop left only by its header (its trip count known
  when it starts): iteration 0 runs taped, which measures what one iteration
  tapes; if the rest would not fit the budget (or ``checkpoint="binomial"``),
  the remaining iterations run under a Revolve schedule (schedules.py):
  untaped, with snapshots of the loop-carried state in slots, the last
  iteration taped. The reverse sweep reverses the last iteration from the
  tape, then the schedule restores snapshots, re-runs iterations untaped and,
  one at a time, runs an iteration taped and reverses it at once; iteration 0
  last, from the tape;
* any other loop (``while``, left by ``break`` or ``return``; or
  ``checkpoint="online"``): taped while the tape stays under half the budget,
  then untaped under the online schedule, a snapshot every so many iterations,
  until it is left. The reverse sweep reverses those iterations last to first
  (the schedule's gaps, each by Revolve): the one that left the loop is re-run
  taped and reversed from the block it left from; then the taped ones.

The loop-carried state is what a header phi holds (Numba's SSA puts every value
carried from one iteration to the next there), the range counter, and the
contents of arrays written in the loop that live outside it (snapshotted and
put back in place, so their identity and every alias stay as they were).
"""
import contextlib
import numbers
import os

from numba.core import types

from .analysis import incoming_value, is_allocation, is_view, kind
from .ir_source import range_length
from .schedules import (
    ADVANCE,
    ADVANCES,
    CAPO,
    CHECK,
    FIRSTURN,
    OLD,
    RESTORE,
    TAKESHOT,
    YOUTURN,
)
from .structured import fixpoint

SCHEMES = ("auto", "none", "binomial", "online")

# The default memory budget of a derivative called from Python: this fraction of the
# machine's physical memory (DESIGN.md, "Checkpointing").
DEFAULT_BUDGET_FRACTION = 0.25


class TapeOverBudget(MemoryError):
    """Raised by a VJP compiled with ("guarded", budget) options (everything taped) once
    its tape outgrows the budget: the caller reruns the call checkpointed."""


class Unsuitable(Exception):
    """A loop whose state numbad cannot snapshot yet (it is taped in full)."""


class LoopState:
    """What restarting an iteration of one loop needs: float and int/bool scalars
    (generated-code names) and arrays whose contents the loop changes."""

    def __init__(self, floats, ints, bools, arrays, counter, refs=(), fresh=(), filled=()):
        self.floats, self.ints, self.bools, self.arrays = floats, ints, bools, arrays
        self.counter = counter      # base name of a range loop's counter, else None
        self.refs = list(refs)      # arrays swapped each step: phis' and adjoints' names
        self.fresh = list(fresh)    # phis of arrays made each step (their contents)
        # (phi, its adjoint, the buffer, its adjoint) names of the fresh phis that take
        # a buffer filled in the iteration, whose adjoints the forward sweep makes
        # (see held_adjoints)
        self.filled = list(filled)


class CheckpointedLoops:
    """Mixin for the reverse transform (after StructuredLoops in its bases' order):
    emits checkpointed top-level counted loops. Needs ``self.scheme`` and
    ``self.budget`` (bytes, or None) and ``self.taping`` (False while writing an
    untaped iteration)."""

    def checkpointed(self, header):
        """The LoopState of loop ``header`` when it is checkpointed, else None."""
        memo = self.__dict__.setdefault("_checkpointed", {})
        if header not in memo:
            memo[header] = None
            if not records_everything(self.scheme, self.budget) and self.top_level(header) \
                    and self.structured(header):
                try:
                    memo[header] = self.loop_state(header)
                except Unsuitable as why:
                    self.__dict__.setdefault("_unsuitable", {})[header] = str(why)
        return memo[header]

    def loops_taped_in_full(self):
        """{header: why} of the top-level loops that a checkpointed VJP tapes in full
        (decided by ``checkpoint_loops``)."""
        if records_everything(self.scheme, self.budget):
            return {}
        unsuitable = self.__dict__.get("_unsuitable", {})
        return {h: unsuitable.get(h, "control flow written as jumps between blocks")
                for h in self.info.counted_headers
                if self.top_level(h) and self.checkpointed(h) is None}

    def emit_taped_in_full_check(self, src, more=None):
        """With a budget, at the end of the forward sweep (and before a checkpointed loop,
        which needs ``more`` bytes for one snapshot): a MemoryError naming the loops taped
        in full and why, if the tape outgrew the budget (rather than the budget passed
        unsaid, or blamed on the checkpointed loop)."""
        loops = self.loops_taped_in_full()
        if not loops or self.budget is None:
            return
        message = "numbad: the tape outgrew memory_budget=%d bytes: %s taped in full " \
            "(numbad cannot snapshot %s yet); raise memory_budget, or keep the loop's " \
            "state in arrays made before it and updated in place" % (
                self.budget, ", ".join("the loop at line %d" % self.info.blocks[h].loc.line
                                       for h in sorted(loops)),
                "; ".join(sorted(set(loops.values()))))
        # (the tape alone, as _checkpoint_slots counts it: the online schedule's slots
        # take what the budget leaves when its loop starts)
        src("if %s%s > %d:" % (self.tape_usage(), "" if more is None else " + " + more,
                               self.budget))
        self.emit_over_budget(src, "    ", "_MemoryError", message)

    def top_level(self, header):
        return not any(header in body and h != header
                       for h, body in self.info.loop_body.items())

    def loop_state(self, header):
        info = self.info
        body = info.loop_body[header]
        counter = None
        for stmt in self.assigns(header):
            if kind(stmt.value) == "Expr" and stmt.value.op == "iternext":
                counter = self.primal.counter(stmt.value.value.name)[0]
        floats, ints, bools, refs, swapped, fresh = [], [], [], [], set(), []
        filled, filled_families = [], set()     # phis taking buffers filled each step
        if counter is not None:
            ints.append(counter + "_i")
        for stmt in self.assigns(header):
            if not self.is_phi(stmt):
                continue
            name, t = stmt.target.name, info.type_of(stmt.target.name)
            if isinstance(t, types.Float):
                floats.append(self.names.var(name))
            elif isinstance(t, types.Boolean):
                bools.append(self.names.var(name))
            elif isinstance(t, types.Integer):
                ints.append(self.names.var(name))
            elif isinstance(t, types.Array) and self.outside(info.alias_root(name), header):
                pass
            elif self.made_each_step(name, header):
                fresh.append(self.names.var(name))
            elif self.filled_each_step(name, header):
                fresh.append(self.names.var(name))
                filled_families.add(self.family_key(name))
                if self.active(name):
                    buffer = self.carried_value(name, header)
                    filled.append((self.names.var(name), self.bar(name),
                                   self.names.var(buffer), self.bar(buffer)))
            else:
                first = self.swapped(name, header)
                if first is None:
                    raise Unsuitable("a loop-carried %s" % t)
                refs.append((self.names.var(name), t))
                if self.active(name):       # (adjoint arrays are made C-contiguous)
                    refs.append((self.bar(name), types.Array(t.dtype, t.ndim, "C")))
                swapped.add(self.names.var(first))
        for label in body - {header}:
            for stmt in self.assigns(label):
                if self.is_phi(stmt) and isinstance(info.type_of(stmt.target.name),
                                                    types.Array) \
                        and info.alias_root(stmt.target.name) == stmt.target.name:
                    # (which array such a name holds after an iteration is not state
                    # the snapshots keep)
                    raise Unsuitable("an array name that holds different arrays in the "
                                     "loop (buffers swapped in an inner loop)")
        arrays = set()
        for label in body:
            for stmt in info.blocks[label].body:
                family = self.written_family(stmt)
                if family is None or family in filled_families:
                    continue
                if family in info.opaquely_written:
                    raise Unsuitable("an array written by a call")
                members = info.members.get(family, {family})
                owners = [m for m in members if self.outside(m, header)
                          and not is_view(info, info.defs[m][1])]
                arrays |= {self.names.var(m) for m in owners}
                if not owners and any(info.defs[m][0] not in body for m in members
                                      if m in info.defs):
                    raise Unsuitable("an array written in the loop whose memory is not "
                                     "made before it")
                # else memory made in this iteration: not carried (no array phi but aliases)
        self.refuse_arrays_changed_after(header)
        return LoopState(floats, ints, bools, sorted(arrays | swapped), counter, refs, fresh,
                         filled)

    def refuse_arrays_changed_after(self, header):
        """Iterations run again in the reverse sweep read the arrays loop ``header`` reads
        as they are then: Unsuitable if one it does not write (its state) may be changed
        after the loop without the reverse sweep putting the old values back (an array
        of ints, or a float family taped where read rather than restored)."""
        info = self.info
        body = info.loop_body[header]
        state = {self.written_family(s) for b in body for s in info.blocks[b].body}
        for label in body:
            for stmt in info.blocks[label].body:
                if kind(stmt) == "Assign" and kind(stmt.value) == "Expr" and \
                        stmt.value.op == "getattr":
                    continue        # (a shape does not change)
                for v in stmt.list_vars():
                    family = self.family_key(v.name)
                    if isinstance(info.type_of(v.name), types.Array) and \
                            not (self.is_array(v.name) and (family in state or
                                                           family in self.restored)) and \
                            self.written_later(stmt, label, v.name):
                        raise Unsuitable("an array the loop reads, changed after it")

    def made_each_step(self, name, header):
        """Whether array phi ``name`` of loop ``header`` gets, each iteration, an array
        made in the iteration (``u = u + dt * f(u)``) and no array it names is written
        in place in the loop: its contents are its state, its identity is not."""
        info = self.info
        body = info.loop_body[header]
        if self.made_in_iteration(name, header) is None:
            return False
        family = self.family_key(name)
        return not any(self.written_family(stmt) == family
                       for label in body for stmt in info.blocks[label].body)

    def made_in_iteration(self, name, header):
        """The statement making, in an iteration of loop ``header``, the value its back
        edge brings into array phi ``name`` (not another phi's), else None."""
        info = self.info
        came = self.carried_value(name, header)
        if came is None or came not in info.defs or \
                info.defs[came][0] not in info.loop_body[header] or \
                self.is_phi(info.defs[came][1]):
            return None
        return info.defs[came][1]

    def filled_each_step(self, name, header):
        """Whether array phi ``name`` of loop ``header`` gets, each iteration, a buffer
        made in the iteration and written there (``v = np.empty_like(u); v[i] = ...;
        u = v``), every write in the loop to arrays it may name going to such a buffer:
        its contents are its state, its identity is not."""
        info = self.info
        body = info.loop_body[header]
        made = self.made_in_iteration(name, header)
        if made is None or not is_allocation(info, made):
            return False
        family = self.family_key(name)
        for label in body:
            for stmt in info.blocks[label].body:
                if self.written_family(stmt) != family:
                    continue
                target = stmt.value.lhs if kind(stmt) == "Assign" else stmt.target
                root = info.alias_root(target.name)
                if root not in info.defs or info.defs[root][0] not in body or \
                        not is_allocation(info, info.defs[root][1]):
                    return False
        return True

    def carried_value(self, name, header):
        """The name of the variable the back edge of loop ``header`` brings into its phi
        ``name``, seen through plain copies (``u_1 = v_2``), or None."""
        info = self.info
        came = incoming_value(info.defs[name][1].value, info.counted_headers[header][1])
        return None if came is None else info.copied_from(came.name)

    def swapped(self, name, header):
        """The array made before loop ``header`` that its array phi ``name`` starts with,
        if each iteration the phi gets the array another of its phis held (double
        buffering: ``u, v = v, u``) and its adjoint moves without being taped; else
        None."""
        info = self.info
        entry, back = info.counted_headers[header]
        came = self.carried_value(name, header)
        first = incoming_value(info.defs[name][1].value, entry)
        header_phis = {s.target.name for s in self.assigns(header) if self.is_phi(s)}
        if came is None or came not in header_phis or first is None:
            return None
        root = info.alias_root(first.name)
        if not self.outside(root, header) or is_view(info, info.defs[root][1]):
            return None
        if self.active(name) and name in self.ref_moves(back, header)[1]:
            return None
        return root

    def outside(self, name, header):
        """Whether array ``name`` is made before loop ``header`` (its block dominates the
        header), so it holds its array all through the loop."""
        d = self.info.defs.get(name)
        return d is not None and d[0] not in self.info.loop_body[header] and \
            isinstance(self.info.type_of(name), types.Array) and d[0] in self.dominators()[header]

    def dominators(self):
        memo = self.__dict__.get("_dominators")
        if memo is None:
            labels = self.info.labels
            memo = self._dominators = fixpoint(labels, lambda n: labels,
                                                lambda n: self.info.preds[n], self.info.entry)
        return memo

    def checkpoint_loops(self):
        """Decide which loops are checkpointed (before any emission: deciding needs to
        know which loops are written as loops, which tries emitting them)."""
        for header in self.info.counted_headers:
            self.checkpointed(header)

    # ---- names
    def cp(self, header, what):
        return "_cp%s%d" % (what, header)

    # ---- forward sweep
    def online(self, state, header):
        """Whether the loop's trip count is unknown when it starts (a ``while`` loop, or
        one left from inside), or the online schedule is asked for."""
        return state.counter is None or self.exiting(header) != [header] or \
            self.scheme == "online"

    def emit_forward_loop(self, src, header, **options):
        state = self.checkpointed(header)
        if state is None:
            return super().emit_forward_loop(src, header, **options)
        if self.online(state, header):
            return self.emit_online_forward(src, header, state)
        exit_ = self.loop_exits(header)[1]
        n, on = self.cp(header, "n"), self.cp(header, "on")
        c = state.counter
        src("# loop at line %d: iteration 0 taped, then taped on or checkpointed"
            % self.info.blocks[header].loc.line)
        src("%s = %s" % (n, range_length("%s_i" % c, "%s_stop" % c, "%s_step" % c)))
        src("%s = False" % on)
        self.emit_state_bytes(src, header, state, schedule_bytes=8)
        src("if %s > 0:" % n)
        src.indent()
        src("%s = %s" % (self.cp(header, "b0"), self.tape_usage()))
        self.emit_iteration(src, header)
        src("%s = %s - %s" % (self.cp(header, "b1"), self.tape_usage(),
                              self.cp(header, "b0")))
        self.emit_decision(src, header, state)
        src.dedent()
        src("if %s:" % on)
        src.indent()
        self.emit_checkpointed_forward(src, header, state, exit_)
        src.dedent()
        src("else:")
        src.indent()
        super().emit_forward_loop(src, header)
        src.dedent()
        return exit_

    def emit_decision(self, src, header, state):
        """After the taped iteration 0: whether to checkpoint the rest, and its slots."""
        n, on, b1 = self.cp(header, "n"), self.cp(header, "on"), self.cp(header, "b1")
        budget = self.budget_source()
        if self.scheme == "binomial":
            src("%s = %s > 1" % (on, n))
        else:   # auto: tape on while the whole loop fits
            src("%s = %s > 1 and %s + (%s - 1) * %s > %s" % (
                on, n, self.memory_in_use(), n, b1, budget))
        src("if %s:" % on)
        src.indent()
        src("%s = _checkpoint_slots(%s - 1, %s, %s, %s + 2 * %s)" % (
            self.cp(header, "k"), n, self.cp(header, "sb"), budget, self.memory_in_use(), b1))
        src("%s = _revolve_start(%s - 1, %s)" % (self.cp(header, "s"), n,
                                                self.cp(header, "k")))
        self.emit_slots(src, header, state)
        src.dedent()

    def memory_in_use(self):
        """Source of the bytes the tapes and the snapshot slots of loops run before hold
        (slots live until their loop's reverse: a later loop gets what they leave)."""
        return self.tape_usage() + " + _cp_bytes"

    def budget_source(self):
        return "-1" if self.budget is None else str(int(self.budget))

    def emit_state_bytes(self, src, header, state, schedule_bytes):
        """Bytes one slot takes: the state's numbers and arrays, and the schedule's own
        bookkeeping per slot; with a budget, a budget that cannot hold one slot is
        refused before the loop runs."""
        src("%s = %s" % (self.cp(header, "sb"), " + ".join(
            ["8 * %d" % (len(state.floats) + len(state.ints) + len(state.bools) + 1)] +
            ["%s.nbytes" % a for a in state.arrays + state.fresh] + [str(schedule_bytes)])))
        if self.budget is not None:
            self.emit_taped_in_full_check(src, self.cp(header, "sb"))
            src("_checkpoint_slots(-1, %s, %s, %s)  # (MemoryError if none)" % (
                self.cp(header, "sb"), self.budget_source(), self.memory_in_use()))

    def emit_slots(self, src, header, state):
        k = self.cp(header, "k")
        src("%s = np.empty((%s, %d))" % (self.cp(header, "f"), k, max(len(state.floats), 1)),
            "%s = np.empty((%s, %d), np.int64)" % (self.cp(header, "i"), k, max(
                len(state.ints) + len(state.bools), 1)))
        for j, a in enumerate(state.arrays + state.fresh):
            src("%s = np.empty((%s,) + %s.shape, %s.dtype)" % (self.cp(header, "a%d_" % j),
                                                             k, a, a))
        for j, (r, t) in enumerate(state.refs):     # which array each name held
            slots = self.cp(header, "r%d_" % j)
            self.ns["_T" + slots] = t
            src("%s = _List.empty_list(_T%s)" % (slots, slots),
                "for _ in range(%s):" % k, "    %s.append(%s)" % (slots, r))
        src("_cp_bytes += %s * %s" % (k, self.cp(header, "sb")))

    def emit_checkpointed_forward(self, src, header, state, exit_):
        s = self.cp(header, "s")
        src("while True:")
        src.indent()
        src("_act = _revolve_next(%s)" % s)
        self.emit_schedule_cases(src, header, state, turns=False)
        src("else:")
        src("    break")
        src.dedent()
        src("# the last iteration, taped")
        self.emit_iteration(src, header)
        src("# the loop test that ends it")
        self.forward_stmts(src, header)
        self.emit_edge(src, header, exit_, follow=False)

    def emit_iteration(self, src, header):
        """One iteration as the forward sweep writes it (taped, unless ``self.taping`` is
        off), as a block of its own: if it leaves the loop, ``_cpx<header>`` says from
        where (else it is -1) and nothing after the way out runs."""
        x = self.cp(header, "x")
        src("%s = -1" % x, "while True:  # one iteration")
        src.indent()
        self.forward_region(src, header, header, header, whole=True, leave=lambda src, exiting,
                            out: src("%s = %d" % (x, exiting), "break"))
        src("break")
        src.dedent()

    @contextlib.contextmanager
    def taping_as(self, taping):
        """Forward-sweep code written meanwhile records (or not) what it computes."""
        taping, self.taping = self.taping, taping
        try:
            yield
        finally:
            self.taping = taping

    def emit_advance(self, src, header):
        s = self.cp(header, "s")
        src("for _ in range(%s[%d] - %s[%d]):" % (s, CAPO, s, OLD))
        src.indent()
        with self.taping_as(False):
            self.emit_iteration(src, header)
        src.dedent()

    def state_places(self, header, state):
        """(place in the current slot, variable, kind) of each part of the loop state."""
        slot = "%s[%d]" % (self.cp(header, "s"), CHECK)
        f, i = self.cp(header, "f"), self.cp(header, "i")
        places = [("%s[%s, %d]" % (f, slot, j), v, "number") for j, v in enumerate(state.floats)]
        places += [("%s[%s, %d]" % (i, slot, j), v, "number") for j, v in enumerate(state.ints)]
        places += [("%s[%s, %d]" % (i, slot, len(state.ints) + j), v, "bool")
                   for j, v in enumerate(state.bools)]
        places += [("%s[%s]" % (self.cp(header, "a%d_" % j), slot), a,
                    "array" if j < len(state.arrays) else "fresh")
                   for j, a in enumerate(state.arrays + state.fresh)]
        places += [("%s[%s]" % (self.cp(header, "r%d_" % j), slot), r, "reference")
                   for j, (r, _) in enumerate(state.refs)]
        return places

    def save_lines(self, header, state):
        """Source lines copying the loop state into the current slot."""
        return ["%s = %s" % (place, "1 if %s else 0" % v if how == "bool" else v)
                for place, v, how in self.state_places(header, state)] + ["_snapshots += 1"]

    def emit_restore_state(self, src, header, state):
        for place, v, how in self.state_places(header, state):
            src("%s[...] = %s" % (v, place) if how == "array" else
                "%s = %s.copy()" % (v, place) if how == "fresh" else
                "%s = %s%s" % (v, place, " != 0" if how == "bool" else ""))

    def emit_online_forward(self, src, header, state):
        """The loop taped while it fits (``checkpoint="online"``: one iteration), then
        untaped under the online schedule until it is left."""
        m, j, on, s = (self.cp(header, w) for w in ("m", "j", "on", "s"))
        switch = "True" if self.scheme == "online" else "%s > %s // 2" % (
            self.tape_usage(), self.budget_source())
        src("# loop at line %d: taped while it fits, then checkpointed online"
            % self.info.blocks[header].loc.line)
        src("%s = %s = 0" % (m, j), "%s = False" % on,
            "%s = %s" % (self.cp(header, "b0"), self.tape_usage()))
        self.emit_state_bytes(src, header, state, schedule_bytes=24)
        landing = super().emit_forward_loop(src, header, then=[
            "%s += 1" % m, "if %s:" % switch, "    %s = True" % on, "    break"])
        src("if %s:" % on)
        src.indent()
        src("%s = _checkpoint_slots(-1, %s, %s, %s + 2 * ((%s - %s) // %s))" % (
            self.cp(header, "k"), self.cp(header, "sb"), self.budget_source(),
            self.memory_in_use(), self.tape_usage(), self.cp(header, "b0"), m))
        src("%s = _online_start(%s)" % (s, self.cp(header, "k")))
        self.emit_slots(src, header, state)

        def leave(src, exiting, out):      # the way out is taped: its reverse pops it
            for _, _, buffer, buffer_bar in state.filled:
                # (an untaped iteration made no adjoint for its buffer, which leaves
                # the loop here)
                src("%s = np.zeros_like(%s)" % (buffer_bar, buffer))
            with self.taping_as(True):
                self.leave_loop(src, header, exiting, out)
        super().emit_forward_loop(
            src, header, before=["if _online_take(%s, %s):" % (s, j)] +
            ["    " + line for line in self.save_lines(header, state)],
            then=["%s += 1" % j], iteration=lambda: self.taping_as(False), leave=leave)
        src.dedent()
        return landing

    def emit_online_reverse(self, src, header, state):
        """The reverse of the untaped iterations (the online schedule's steps: whole
        iterations, then the one that left the loop), last to first; then the taped
        ones as usual."""
        m, j, s, x = (self.cp(header, w) for w in ("m", "j", "s", "x"))
        c = self.counter(header)
        src("if %s:" % self.cp(header, "on"))
        src.indent()
        src("# reverse of the loop's untaped iterations (online checkpointing)")
        src("_online_finish(%s, %s + 1)" % (s, j))
        src("while True:")
        src.indent()
        src("_act = _online_next(%s)" % s)
        self.emit_schedule_cases(src, header, state)
        src.indent()
        src("%s = %s + %s[%d]" % (c, m, s, CAPO))
        src("if %s == -1:" % x)
        src.indent()
        self.emit_iteration_reverse(src, header, header_too=False)
        src("pass")
        src.dedent()
        for exiting in self.exiting(header):
            src("elif %s == %d:" % (x, exiting))
            src.indent()
            super().emit_reverse_partial(src, header, exiting)
            src("pass")
            src.dedent()
        src("if %s[%d] > 0:  # (the first's header is reversed with the taped ones)"
            % (s, CAPO))
        src.indent()
        self.reverse_core(src, header)
        src("pass")
        src.dedent()
        src.dedent()
        src("else:")
        src("    break")
        src.dedent()
        src("_recomputed += %s + 1 + %s[%d]" % (j, s, ADVANCES))
        src("%s = %s" % (c, m))
        src.dedent()
        src("else:")
        src.indent()
        super().emit_reverse_partial(src, header)
        src("pass")
        src.dedent()
        return super().emit_reverse_iterations(src, header)

    def emit_schedule_cases(self, src, header, state, turns=True):
        """The cases of a schedule's loop on ``_act``: advance, take a snapshot, and
        (``turns``: in the reverse sweep) restore one and the start of the turn case
        (its taped iteration; the caller writes its reverse, indented)."""
        src("if _act == %d:  # advance, untaped" % ADVANCE)
        src.indent()
        self.emit_advance(src, header)
        src.dedent()
        src("elif _act == %d:" % TAKESHOT)
        src.indent()
        src(*self.save_lines(header, state))
        src.dedent()
        if not turns:
            return
        src("elif _act == %d:" % RESTORE)
        src.indent()
        self.emit_restore_state(src, header, state)
        src.dedent()
        src("elif _act == %d or _act == %d:" % (YOUTURN, FIRSTURN))
        src.indent()
        with self.held_adjoints(src, header, state):
            self.emit_iteration(src, header)
        src("_tape_bytes = max(_tape_bytes, %s + _cp_bytes)" % self.tape_usage())
        src.dedent()

    @contextlib.contextmanager
    def held_adjoints(self, src, header, state):
        """Around a turn's taped iteration, for each phi that takes a buffer filled each
        step: the phi's adjoint is, here, what the reverse of the iteration after it
        gathered (the buffer's adjoint, once the iteration's back edge is reversed), and
        the buffer's adjoint what the code after the loop gave it (if this iteration
        left the loop); but the iteration run again makes a new buffer, with a new
        adjoint, and hands it to the phi. So both are held, the iteration taped with a
        new zero adjoint for the phi (which its reverse fills), and both handed back."""
        for j, (var, bar, _, buffer_bar) in enumerate(state.filled):
            src("%s, %s = %s, %s" % (self.cp(header, "hp%d_" % j), self.cp(header, "hb%d_" % j),
                                     bar, buffer_bar),
                "%s = np.zeros_like(%s)" % (bar, var))
        yield
        for j, (_, bar, _, buffer_bar) in enumerate(state.filled):
            src("%s, %s = %s, %s" % (bar, buffer_bar, self.cp(header, "hp%d_" % j),
                                     self.cp(header, "hb%d_" % j)))

    # ---- reverse sweep
    def emit_reverse_loop(self, src, header, exiting=None):
        state = self.checkpointed(header)
        if state is None:
            return super().emit_reverse_loop(src, header, exiting)
        if self.online(state, header):
            return self.emit_online_reverse(src, header, state)
        entry, _ = self.info.counted_headers[header]
        s, n = self.cp(header, "s"), self.cp(header, "n")
        src("if %s:" % self.cp(header, "on"))
        src.indent()
        src("# reverse of the checkpointed loop at line %d" % self.info.blocks[header].loc.line)
        src("%s = %s" % (self.counter(header), n))
        self.reverse_core(src, header)          # the loop test that ended it
        src("%s = %s[%d] + 1" % (self.counter(header), s, CAPO))
        self.emit_iteration_reverse(src, header)
        src("while True:")
        src.indent()
        src("_act = _revolve_next(%s)" % s)
        self.emit_schedule_cases(src, header, state)
        src.indent()
        src("%s = %s[%d] + 1" % (self.counter(header), s, CAPO))
        self.emit_iteration_reverse(src, header)
        src.dedent()
        src("else:")
        src("    break")
        src.dedent()
        src("_recomputed += %s[%d]" % (s, ADVANCES))
        src("# iteration 0, from the tape")
        src("%s = 0" % self.counter(header))
        self.emit_iteration_reverse(src, header)
        self.emit_outer_count(src, header)
        self.emit_back_edge(src, entry, header, follow=False)
        src.dedent()
        src("else:")
        src.indent()
        super().emit_reverse_loop(src, header)
        src.dedent()
        return entry

    def emit_iteration_reverse(self, src, header, header_too=True):
        """The reverse of one whole iteration (body, then its header: ``header_too``)
        whose tape is on top."""
        _, back = self.info.counted_headers[header]
        self.emit_back_edge(src, back, header, follow=False)
        self.reverse_region(src, back, header, header)
        if header_too:
            self.reverse_core(src, header)


def records_everything(scheme, budget):
    """Whether options (scheme, budget) leave every loop taped in full: "none", "auto"
    without a budget, or "guarded" (taped in full, but a tape that outgrows the budget
    raises TapeOverBudget)."""
    return scheme in ("none", "guarded") or (scheme == "auto" and budget is None)


def default_budget():
    """The memory budget when none is given: a fixed fraction of physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 16 * 2 ** 30
    return int(total * DEFAULT_BUDGET_FRACTION)


def call_options(checkpoint, memory_budget):
    """The options a call from Python runs with first, and those it reruns with if the
    first's tape outgrows the budget (or None). Without a budget, "auto" first tapes in
    full (guarded) within the default budget: compiling the checkpointed variant takes
    longer, and most runs fit."""
    if checkpoint == "auto" and memory_budget is None:
        budget = default_budget()
        return ("guarded", budget), ("auto", budget)
    return (checkpoint, memory_budget), None


def check_scheme(checkpoint, memory_budget):
    """Validate the ``checkpoint=`` and ``memory_budget=`` options; returns the budget
    as an int (or None)."""
    if checkpoint not in SCHEMES:
        raise ValueError("checkpoint must be one of %s" % (SCHEMES,))
    if memory_budget is None:
        return None
    if isinstance(memory_budget, bool) or not isinstance(memory_budget, numbers.Real) \
            or not memory_budget >= 1:
        raise ValueError("memory_budget must be a positive number of bytes, not %r"
                         % (memory_budget,))
    return int(memory_budget)

