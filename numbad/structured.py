"""Loops written as loops: structured emission of both sweeps for simple loop nests.

The generic sweeps dispatch on ``_blk`` between basic blocks. That is correct
for any control flow but hides loops from LLVM: a loop entered through the
dispatcher gets no induction-variable analysis, so index checks stay and
nothing is vectorised (measured: an element-wise stencil ran 5-8x slower than
the same loops written plainly). Python code mostly has loops of one shape,
which this module writes as ``while True:`` with ``if``/``else`` inside:

* a counted loop (one way in, one back edge: ``FunctionInfo.counted_headers``)
  whose only way out is its header's branch (no ``break`` or ``return`` inside);
* whose body is if/else diamonds (joined where both sides meet again: the
  branch's immediate post-dominator) and nested loops of the same shape; a side
  that raises just ends.

The forward sweep runs such a loop as it is written; the reverse sweep runs
its mirror image: the iteration counter picks "another iteration" or "done",
each join pops which side was taken and walks that side back to the branch.
Anything else falls back to dispatch, loop by loop (``structured`` tries both
emissions and keeps the answer).
"""


import contextlib


class Unstructured(Exception):
    """The loop does not have the shape this module writes as a loop."""


def fixpoint(nodes, start, links, root):
    """Dominator sets over ``nodes`` following ``links`` (preds for dominators, succs for
    post-dominators) from ``root``; ``start`` maps a node to its initial set."""
    sets = {n: ({n} if n == root else set(start(n))) for n in nodes}
    changed = True
    while changed:
        changed = False
        for n in nodes:
            if n == root:
                continue
            incoming = [sets[m] for m in links(n) if m in nodes]
            if not incoming:
                continue
            new = {n} | set.intersection(*incoming)
            if new != sets[n]:
                sets[n], changed = new, True
    return sets


def _immediate(sets, node):
    strict = sets[node] - {node}
    for c in strict:
        if sets[c] == strict:
            return c
    return None


class StructuredLoops:
    """Mixin for the transforms: emits simple loop nests as loops (the reverse transform
    in both sweeps, the tangent transform in its one sweep), the rest through ``_blk``
    dispatch.

    A transform provides ``forward_stmts``, ``forward_body``, ``inlined_forward``,
    ``emit_edge(src, pred, dest, follow)``, ``emit_raise`` and ``try_loop(header)`` (every emission of
    the loop, into scratch sources: raises Unstructured if one cannot be written).
    """

    def structured(self, header):
        """Whether the loop at ``header`` is written as a loop (tried once, remembered)."""
        memo = self.__dict__.setdefault("_structured", {})
        if header not in memo:
            memo[header] = False        # while trying: nested tries see "no"
            try:
                self.try_loop(header)
                memo[header] = True
            except Unstructured:
                pass
        return memo[header]

    def continue_forward(self, src, dest):
        """After an edge: the destination written here (``inlined_forward``) or dispatched."""
        if self.inlined_forward(dest):
            self.forward_body(src, dest)
        else:
            src("_blk = %d" % dest)

    # ---- dispatch
    def emit_dispatch(self, src, labels, emit_case, reverse, loop=None):
        """``while True:`` over blocks ``labels``, testing ``_blk``; the blocks of each loop
        get a dispatch loop of their own, so a hot loop tests a few labels, not all.

        Setting ``_blk`` to a block outside the current dispatcher leaves it (``else:
        break``) and the enclosing one dispatches it; ``_blk = -1`` leaves them all.
        """
        src("while True:")
        src.indent()
        for i, item in enumerate(self.dispatch_items(labels, reverse, loop)):
            keyword = "if" if i == 0 else "elif"
            if isinstance(item, int):
                emit_case(src, item, keyword)
                continue
            header, members = item
            if self.structured(header):
                src("%s _blk == %d:" % (keyword, header))
                src.indent()
                if reverse:
                    self.continue_reverse(src, self.emit_reverse_loop(src, header))
                else:
                    self.continue_forward(src, self.emit_forward_loop(src, header))
                src.dedent()
                continue
            src("%s %s:  # loop at line %s" % (keyword, " or ".join(
                "_blk == %d" % b for b in members), self.info.blocks[header].loc.line))
            src.indent()
            self.emit_dispatch(src, members, emit_case, reverse, header)
            src.dedent()
        src("else:", "    break")
        src.dedent()

    def dispatch_items(self, labels, reverse, loop):
        """Blocks and (header, blocks) of the outermost loops inside, in source order."""
        bodies = {h: b for h, b in self.info.loop_body.items()
                  if h != loop and b & set(labels)
                  and (loop is None or b < self.info.loop_body[loop])}
        outer = [h for h in bodies if not any(bodies[h] < bodies[o] for o in bodies)]
        grouped = {b for h in outer for b in bodies[h]}
        items = [b for b in labels if b not in grouped]
        items += [(h, [b for b in labels if b in bodies[h]]) for h in outer]

        def first(item):
            return item if isinstance(item, int) else min(item[1])
        return sorted(items, key=first, reverse=reverse)

    def loop_exit(self, header):
        """(first body block, exit block, whether the branch is true to stay) of a simple
        loop, else raises Unstructured."""
        info = self.info
        body = info.loop_body[header]
        term = info.blocks[header].terminator
        if header not in info.counted_headers or type(term).__name__ != "Branch":
            raise Unstructured
        if term.truebr in body and term.falsebr not in body:
            return term.truebr, term.falsebr, True
        if term.falsebr in body and term.truebr not in body:
            return term.falsebr, term.truebr, False
        raise Unstructured

    def _loop_sets(self, header):
        memo = self.__dict__.setdefault("_dominance", {})
        if header not in memo:
            info = self.info
            body = info.loop_body[header]
            everything = set(body)

            # post-dominators with the header as the exit (the back edge leaves); a block
            # that only raises never reaches it: post-dominated by anything
            post = fixpoint(body, lambda n: everything, lambda n: info.succs[n], header)
            dom = fixpoint(body, lambda n: everything, lambda n: info.preds[n], header)
            memo[header] = post, dom
        return memo[header]

    def join(self, label, header):
        """Where both sides of the branch ending ``label`` meet again."""
        j = _immediate(self._loop_sets(header)[0], label)
        if j is None:
            raise Unstructured
        return j

    def split(self, label, header):
        """The branch whose sides meet at join ``label``."""
        d = _immediate(self._loop_sets(header)[1], label)
        if d is None:
            raise Unstructured
        return d

    # ---- forward sweep
    def emit_forward_loop(self, src, header, before=(), then=(),
                          iteration=contextlib.nullcontext):
        """The loop at ``header`` as ``while True:``; returns its exit block. ``before``
        and ``then``: lines starting and ending each iteration; ``iteration``: a context
        the iteration (loop test and body, not the way out) is written in."""
        first, exit_, stay = self.loop_exit(header)
        cond = self.primal.operand(self.info.blocks[header].terminator.cond)
        src("while True:  # loop at line %s" % self.info.blocks[header].loc.line)
        src.indent()
        src(*before)
        with iteration():
            self.forward_stmts(src, header)
            src("if %s%s:" % ("" if stay else "not ", cond))
            src.indent()
            self.emit_edge(src, header, first, follow=False)
            self.forward_region(src, first, header, header)
            src(*then)
            src.dedent()
        src("else:")
        src.indent()
        self.emit_edge(src, header, exit_, follow=False)
        src("break")
        src.dedent()
        src.dedent()
        return exit_

    def forward_region(self, src, label, stop, header):
        """Blocks from ``label`` up to (not including) ``stop``, inside loop ``header``."""
        info = self.info
        body = info.loop_body[header]
        returns = {b for b, _ in self.returns}
        for _ in range(2 * len(info.labels) + 2):
            if label == stop:
                return
            if label not in body or label in returns:
                raise Unstructured      # break, continue elsewhere, return
            if label != header and label in info.loop_body:
                if not self.structured(label):
                    raise Unstructured
                label = self.emit_forward_loop(src, label)
                continue
            self.forward_stmts(src, label)
            term = info.blocks[label].terminator
            k = type(term).__name__
            if k == "Jump":
                self.emit_edge(src, label, term.target, follow=False)
                label = term.target
            elif k == "Branch":
                meet = self.join(label, header)
                for keyword, target in (("if %s:" % self.primal.operand(term.cond),
                                         term.truebr), ("else:", term.falsebr)):
                    src(keyword)
                    src.indent()
                    self.emit_edge(src, label, target, follow=False)
                    self.forward_region(src, target, meet, header)
                    src("pass")
                    src.dedent()
                label = meet
            elif k in ("StaticRaise", "Raise"):
                self.emit_raise(src, term)
                return
            else:
                raise Unstructured
        raise Unstructured

    # ---- reverse sweep
    def emit_reverse_loop(self, src, header):
        """The reverse of the loop at ``header``; returns the block that entered it."""
        self.loop_exit(header)
        entry, back = self.info.counted_headers[header]
        src("while True:  # reverse of the loop at line %s" % self.info.blocks[header].loc.line)
        src.indent()
        self.reverse_core(src, header)

        def again():
            self.emit_back_edge(src, back, header, follow=False)
            self.reverse_region(src, back, header, header)

        def done():
            self.emit_back_edge(src, entry, header, follow=False)
            src("break")
        self.emit_iteration_choice(src, header, again, done)
        src.dedent()
        return entry

    def reverse_region(self, src, label, stop, header):
        """The reverse of the blocks from ``label`` back to (not including) ``stop``."""
        info = self.info
        body = info.loop_body[header]
        for _ in range(2 * len(info.labels) + 2):
            if label == stop:
                return
            if label not in body:
                raise Unstructured
            if label != header and label in info.loop_body:
                if not self.structured(label):
                    raise Unstructured
                label = self.emit_reverse_loop(src, label)
                continue
            self.reverse_core(src, label)
            preds = info.preds[label]
            if len(preds) == 1:
                self.emit_back_edge(src, preds[0], label, follow=False)
                label = preds[0]
                continue
            branch = self.split(label, header)

            def side(p, label=label, branch=branch):
                self.emit_back_edge(src, p, label, follow=False)
                self.reverse_region(src, p, branch, header)
                src("pass")
            self.emit_edge_choice(src, preds, side)
            label = branch
        raise Unstructured


class Scratch:
    """A Source that keeps nothing (for trying an emission)."""

    def __call__(self, *lines):
        pass

    def indent(self):
        pass

    def dedent(self):
        pass
