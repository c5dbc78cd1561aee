"""Loops written as loops: structured emission of both sweeps for simple loop nests.

The generic sweeps dispatch on ``_blk`` between basic blocks. That is correct
for any control flow but hides loops from LLVM: a loop entered through the
dispatcher gets no induction-variable analysis, so index checks stay and
nothing is vectorised (measured: an element-wise stencil ran 5-8x slower than
the same loops written plainly). Python code mostly has loops of one shape,
which this module writes as ``while True:`` with ``if``/``else`` inside:

* a counted loop (one way in, one back edge: ``FunctionInfo.counted_headers``)
  left by branches whose other side stays in it: the header's test (``for``),
  the test at the bottom (Python 3.11 compiles ``while c:`` as a guard and a
  test in the last block), each part of ``a and b``, ``break`` and ``return``
  (a side that raises is not a way out: it just ends);
* whose body is if/else diamonds (joined where both sides meet again: the
  branch's immediate post-dominator) and nested loops of the same shape whose
  ways out all land on one block.

The forward sweep runs such a loop as it is written (each way out: its edge and
``break``); the reverse sweep runs its mirror image: from the block the loop was
left from back to the header (``_blk`` says which, if there are several), then
the iteration counter picks "another iteration" or "done", and each join pops
which side was taken and walks that side back to the branch.
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
        """After an edge: the destination written here (``inlined_forward``) or dispatched
        (None: a loop whose ways out set ``_blk`` themselves)."""
        if dest is None:
            return
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
                src("%s %s:" % (keyword, " or ".join("_blk == %d" % b for b in (
                    self.exiting(header) if reverse else [header]))))
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

    def loop_exits(self, header):
        """The ways out of a simple loop: ([(exiting block, block outside it)], the block
        every way out lands on, or None). A way out lands where a chain of blocks that
        only pass on (one predecessor, a jump) ends; a side that raises is not a way
        out. Raises Unstructured for any other shape."""
        memo = self.__dict__.setdefault("_exits", {})
        if header not in memo:
            memo[header] = self._find_exits(header)
        if memo[header] is None:
            raise Unstructured
        return memo[header]

    def _find_exits(self, header):
        info = self.info
        body = info.loop_body[header]
        if header not in info.counted_headers:
            return None
        exits = []
        for b in sorted(body):
            term = info.blocks[b].terminator
            outs = [t for t in term.get_targets() if t not in body and not self.raises(t)]
            if not outs:
                continue
            if type(term).__name__ != "Branch" or len(outs) != 1 or \
                    term.truebr == term.falsebr:
                return None
            exits.append((b, outs[0]))
        if not exits:
            return None
        if len(exits) == 1:
            return exits, exits[0][1]
        landings = {self.exit_chain(out)[-1] for _, out in exits}
        return exits, (landings.pop() if len(landings) == 1 else None)

    def raises(self, label):
        """Whether ``label`` is entered from one block only and raises."""
        return len(self.info.preds[label]) == 1 and type(
            self.info.blocks[label].terminator).__name__ in ("StaticRaise", "Raise")

    def exit_chain(self, out):
        """Blocks from ``out`` that only pass on to the next, up to where they land."""
        info, chain = self.info, [out]
        while len(info.preds[chain[-1]]) == 1 and len(chain) <= len(info.labels) and \
                type(info.blocks[chain[-1]].terminator).__name__ == "Jump":
            chain.append(info.blocks[chain[-1]].terminator.target)
        return chain

    def exiting(self, header):
        """The blocks a loop is left from, in order."""
        return [x for x, _ in self.loop_exits(header)[0]]

    def exits_structured_loop(self, label):
        """Whether the loop is left from ``label`` by a loop written as a loop."""
        return any(label in body and self.structured(h) and label in self.exiting(h)
                   for h, body in self.info.loop_body.items())

    def _loop_sets(self, header):
        memo = self.__dict__.setdefault("_dominance", {})
        if header not in memo:
            info = self.info
            body = info.loop_body[header]
            everything = set(body) | {None}

            # post-dominators towards the end of the iteration (None: where the back edge
            # goes); a block that only raises never reaches it: post-dominated by anything
            post = fixpoint(everything, lambda n: everything, lambda n: [
                None if m == header else m for m in info.succs[n]], None)
            dom = fixpoint(body, lambda n: everything, lambda n: info.preds[n], header)
            memo[header] = post, dom
        return memo[header]

    def join(self, label, header):
        """Where both sides of the branch ending ``label`` meet again (the header: only at
        the next iteration)."""
        j = _immediate(self._loop_sets(header)[0], label)
        if j is None and self._loop_sets(header)[0][label] == {label, None}:
            return header
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
                          iteration=contextlib.nullcontext, leave=None):
        """The loop at ``header`` as ``while True:``; returns the block it lands on when
        left, or None when its ways out go on to different blocks (each sets ``_blk``).
        ``before`` and ``then``: lines starting and ending each iteration;
        ``iteration``: a context the iteration is written in; ``leave(src, exiting,
        out)``: what a way out writes (default: the exit edge and ``break``)."""
        _, landing = self.loop_exits(header)
        src("while True:  # loop at line %s" % self.info.blocks[header].loc.line)
        src.indent()
        src(*before)
        with iteration():
            self.forward_region(src, header, header, header, leave or (
                lambda src, exiting, out: self.leave_loop(src, header, exiting, out)),
                whole=True)
            src(*then)
        src.dedent()
        return landing

    def leave_loop(self, src, header, exiting, out):
        """A way out of a loop written as a loop: the exit edge, the blocks up to where
        every way out lands (or, if they do not meet, the rest from here), ``break``."""
        self.emit_edge(src, exiting, out, follow=False)
        landing = self.loop_exits(header)[1]
        if landing is None:
            self.continue_forward(src, out)
        else:
            chain = self.exit_chain(out)
            chain = chain[:chain.index(landing) + 1]
            for b, dest in zip(chain, chain[1:]):
                self.forward_stmts(src, b)
                self.emit_edge(src, b, dest, follow=False)
        src("break")

    def forward_region(self, src, label, stop, header, leave, whole=False):
        """Blocks from ``label`` up to (not including) ``stop``, inside loop ``header``
        (``whole``: ``label`` is the header, the iteration is written from its top);
        ``leave(src, exiting, out)`` writes each way out of the loop."""
        info = self.info
        body = info.loop_body[header]
        for _ in range(2 * len(info.labels) + 2):
            if label == stop and not whole:
                return
            whole = False
            if label not in body:
                raise Unstructured      # a continue elsewhere
            if label != header and label in info.loop_body:
                if not self.structured(label):
                    raise Unstructured
                label = self.emit_forward_loop(src, label)
                if label is None:
                    raise Unstructured  # its ways out do not meet again
                continue
            self.forward_stmts(src, label)
            term = info.blocks[label].terminator
            k = type(term).__name__
            if k == "Jump":
                self.emit_edge(src, label, term.target, follow=False)
                label = term.target
            elif k == "Branch":
                cond = self.primal.operand(term.cond)
                aside = [t for t in (term.truebr, term.falsebr) if t not in body]
                if aside:       # a way out of the loop, or a side that raises
                    out = aside[0]
                    stay = term.falsebr if out == term.truebr else term.truebr
                    src("if %s%s:" % ("" if out == term.truebr else "not ", cond))
                    src.indent()
                    if self.raises(out):
                        self.emit_edge(src, label, out, follow=False)
                        self.forward_stmts(src, out)
                        self.emit_raise(src, info.blocks[out].terminator)
                    else:
                        leave(src, label, out)
                    src.dedent()
                    self.emit_edge(src, label, stay, follow=False)
                    label = stay
                    continue
                meet = self.join(label, header)
                for keyword, target in (("if %s:" % cond, term.truebr), ("else:", term.falsebr)):
                    src(keyword)
                    src.indent()
                    self.emit_edge(src, label, target, follow=False)
                    self.forward_region(src, target, meet, header, leave)
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
    def emit_reverse_loop(self, src, header, exiting=None):
        """The reverse of the loop at ``header``, entered from the block it was left from
        (``exiting``, or if None and there are several, ``_blk``); returns the block that
        entered the loop."""
        self.emit_reverse_partial(src, header, exiting)
        return self.emit_reverse_iterations(src, header)

    def emit_reverse_partial(self, src, header, exiting=None):
        """The reverse of the last iteration's blocks, from where it left the loop back
        to (not including) the header."""
        places = self.exiting(header) if exiting is None else [exiting]
        several = len(places) > 1       # which one: the dispatcher's ``_blk``
        for i, x in enumerate(places):
            if several:
                src("%s _blk == %d:" % ("if" if i == 0 else "elif", x))
                src.indent()
            if x != header:
                self.reverse_region(src, x, header, header)
            if several:
                src("pass")
                src.dedent()

    def emit_reverse_iterations(self, src, header):
        """The reverse of the header, then of whole iterations, last to first; returns the
        block that entered the loop."""
        entry, back = self.info.counted_headers[header]
        with self.adjoints_held(src, header) as flush:
            src("while True:  # reverse of the loop at line %s"
                % self.info.blocks[header].loc.line)
            src.indent()
            self.reverse_core(src, header)

            def again():
                self.emit_back_edge(src, back, header, follow=False)
                self.reverse_region(src, back, header, header)

            def done():
                flush()
                self.emit_back_edge(src, entry, header, follow=False)
                src("break")
            self.emit_iteration_choice(src, header, again, done)
            src.dedent()
        return entry

    def nested_loop(self, label, header):
        """The outermost loop inside loop ``header`` (not itself) that holds ``label``."""
        inner = [h for h, b in self.info.loop_body.items() if label in b and h != header
                 and b < self.info.loop_body[header]]
        return max(inner, key=lambda h: len(self.info.loop_body[h]), default=None)

    def reverse_region(self, src, label, stop, header):
        """The reverse of the blocks from ``label`` back to (not including) ``stop``."""
        info = self.info
        body = info.loop_body[header]
        for _ in range(2 * len(info.labels) + 2):
            if label == stop:
                return
            if label not in body:
                raise Unstructured
            inner = self.nested_loop(label, header)
            if inner is not None:
                if not self.structured(inner) or label not in self.exiting(inner):
                    raise Unstructured
                label = self.emit_reverse_loop(src, inner, label)
                continue
            self.reverse_core(src, label)
            preds = info.preds[label]
            if len(preds) == 1:
                self.emit_back_edge(src, preds[0], label, follow=False)
                label = preds[0]
                continue
            branch = self.split(label, header)
            inner = self.nested_loop(branch, header)
            if inner is not None:   # where a loop's ways out meet: each side reverses it
                branch = info.counted_headers[inner][0]

            def side(p, label=label, branch=branch):
                self.emit_back_edge(src, p, label, follow=False)
                self.reverse_region(src, p, branch, header)
                src("pass")
            self.emit_edge_choice(src, label, preds, side)
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
