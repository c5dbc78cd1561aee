"""Integer induction variables that the reverse sweep steps back instead of taping.

A running index such as ADBench GMM's ``idx += 1`` (the position in a packed
triangle, advanced in the innermost loop) changes at every iteration, and the
reverse sweep needs each of its values again. Taping them costs an int per
iteration; but adding a known amount is undone by subtracting it, so the
reverse sweep can step the variable back (``idx = idx_next - 1``), as a
reversible program would. The values leave the loop nest once: the forward
sweep tapes them where the outermost loop of the chain is left, and the
reverse sweep starts from there.

A *chain* is a set of int SSA variables, each one of

* a phi of a ``for`` loop left only by its test (``recount``'s loops), whose
  back-edge value comes from itself through the chain (``origin``);
* ``v = u + c``, ``u + c`` the other way round, ``v = u - c``, ``v = c - u``,
  or ``v = u``, with ``u`` in the chain and ``c`` an int the reverse sweep
  computes again (a constant, a loop index, a value fixed before the loop);

and used by the chain (so that a later use sets it again in the reverse
sweep). The reverse sweep keeps chain variables current:

* going back over an edge into block B, each chain phi of B gives its value to
  the variable it took from that edge (``u = phi``);
* at the start of a block's reverse, each chain step of the block is undone,
  last first (``u = v - c``);
* going back into a loop from where its test left it, the loop's *root* phis
  (those no later step or phi sets again) come back off the int tape.

A block reads a chain variable from there only where every use of the
variable inside its loop comes after the block on every path (post-dominates
it): those uses are reversed first and have set it. Elsewhere it is taped as
before.
"""
from numba.core import types

from .analysis import ADDITIVE, incoming_value, kind
from .checkpointing import records_everything


class InductionChains:
    """Mixin of ReverseTransform: the chains, and the lines that keep them current."""

    # ---- which variables
    def chain(self):
        """{name: definition}: ("phi", header, None) or (op, block, u, c) with op one of
        "=", "+", "-", "c-" (v = u, u + c, u - c, c - u)."""
        memo = self.__dict__.get("_chain")
        if memo is None:
            memo = self._chain = self._find_chain()
        return memo

    def _find_chain(self):
        info = self.info
        found = {}
        for label in info.labels:
            if label not in info.in_loop:
                continue
            for stmt in self.assigns(label):
                if isinstance(info.type_of(stmt.target.name), types.Integer):
                    d = self._chain_definition(stmt, label)
                    if d is not None:
                        found[stmt.target.name] = d
        changed = True
        while changed:
            users = self._chain_users(found)
            kept = {n: d for n, d in found.items() if self._chain_member(n, d, found, users)}
            changed, found = len(kept) != len(found), kept
        return found

    def _chain_definition(self, stmt, label):
        info, value = self.info, stmt.value
        if self.is_phi(stmt):
            return ("phi", label, None) if self._plain_for_loop(label) else None
        if kind(value) == "Var":
            return ("=", label, value.name, "0")
        if kind(value) != "Expr" or value.op not in ("binop", "inplace_binop") or \
                value.fn not in ADDITIVE:
            return None
        op = ADDITIVE[value.fn]
        for u, c, how in ((value.lhs, value.rhs, op), (value.rhs, value.lhs,
                                                        "+" if op == "+" else "c-")):
            again = self.recomputed_int(c.name, label)
            if again is not None and u.name in info.defs:
                return (how, label, u.name, again)
        return None

    def _plain_for_loop(self, header):
        """Loop ``header`` is a ``for`` loop left only by its test (no break, no return),
        not checkpointed (with checkpointing, only loops inside another)."""
        if self.range_getiter(header) is None or not self.left_by_its_test_only(header):
            return False
        return records_everything(self.scheme, self.budget) or not self.top_level(header)

    def _phi_incomings(self, name, header):
        stmt = self.info.defs[name][1]
        return [(incoming_value(stmt.value, p, self.info), p) for p in self.info.preds[header]]

    def _chain_users(self, found):
        """{name: blocks where a chain step reads it, or whose edge carries it into a phi}."""
        users = {}
        for name, d in found.items():
            if d[0] == "phi":
                for v, pred in self._phi_incomings(name, d[1]):
                    if v is not None:
                        users.setdefault(v.name, []).append(pred)
            else:
                users.setdefault(d[2], []).append(d[1])
        return users

    def _chain_member(self, name, d, found, users):
        if not users.get(name):
            return False            # nothing sets it again in the reverse sweep
        if d[0] == "phi":
            entry, back = self.info.counted_headers[d[1]]
            v = dict((p, v) for v, p in self._phi_incomings(name, d[1])).get(back)
            if v is None or self._origin(v.name, d[1], found) != name:
                return False
        elif d[2] not in found:
            return False
        loop, block = self._innermost_loop(name), found[name][1]
        post = self._loop_sets(loop)[0]
        return all(x == block or x in post[block]
                   for x in users[name] if x in self.info.loop_body[loop])

    def _origin(self, name, header, found, depth=0):
        """The phi of loop ``header`` that chain variable ``name`` is stepped from, if any."""
        d = found.get(name)
        if d is None or depth > 50:
            return None
        if d[0] != "phi":
            return self._origin(d[2], header, found, depth + 1)
        if d[1] == header:
            return name
        if d[1] not in self.info.loop_body[header]:
            return None
        entry = self.info.counted_headers[d[1]][0]      # an inner loop: from its entry
        v = dict((p, v) for v, p in self._phi_incomings(name, d[1])).get(entry)
        return None if v is None else self._origin(v.name, header, found, depth + 1)

    def _innermost_loop(self, name):
        label = self.info.defs[name][0]
        return min((h for h, body in self.info.loop_body.items() if label in body),
                   key=lambda h: len(self.info.loop_body[h]))

    def chain_provides(self, name, label):
        """Whether the reverse of block ``label`` finds chain variable ``name`` current."""
        if name not in self.chain():
            return False
        loop = self._innermost_loop(name)
        body = self.info.loop_body[loop]
        if label not in body:
            return False
        post = self._loop_sets(loop)[0]
        users = self._chain_users(self.chain())[name]
        return all(x == label or x in post[label] for x in users if x in body)

    def live_chain(self):
        """The chain variables kept current: those some block reads, and every variable
        they are stepped from or set by (found once the blocks are planned)."""
        memo = self.__dict__.get("_live_chain")
        if memo is None:
            chain = self.chain()
            linked = {}
            for name, d in chain.items():
                near = [d[2]] if d[0] != "phi" else [
                    v.name for v, _ in self._phi_incomings(name, d[1]) if v is not None]
                for other in near:
                    if other in chain:
                        linked.setdefault(name, set()).add(other)
                        linked.setdefault(other, set()).add(name)
            memo = {n for p in self.plans.values() for n in p["chain"]}
            work = list(memo)
            while work:
                for other in linked.get(work.pop(), ()):
                    if other not in memo:
                        memo.add(other)
                        work.append(other)
            self._live_chain = memo
        return memo

    def chain_roots(self, header):
        """Live chain phis of loop ``header`` that nothing after the loop sets again: the
        forward sweep tapes them where the loop is left."""
        info = self.info
        live = self.live_chain()
        phis = [s.target.name for s in self.assigns(header)
                if self.is_phi(s) and s.target.name in live]
        if not phis:
            return []
        outer = [h for h, body in info.loop_body.items() if header in body and h != header]
        post = self._loop_sets(min(outer, key=lambda h: len(info.loop_body[h])))[0] \
            if outer else {}
        users = self._chain_users(self.chain())
        return [p for p in phis if not any(
            x not in info.loop_body[header] and x in post.get(header, ()) for x in users[p])]

    # ---- the lines
    def emit_chain_steps_back(self, src, label):
        """At the start of block ``label``'s reverse: undo its chain steps, last first."""
        live, chain = self.live_chain(), self.chain()
        for stmt in reversed(self.assigns(label)):
            d = chain.get(stmt.target.name)
            if d is None or d[0] == "phi" or stmt.target.name not in live:
                continue
            v, u = self.names.var(stmt.target.name), self.names.var(d[2])
            src("%s = %s" % (u, {"=": v, "+": "%s - %s" % (v, d[3]),
                                 "-": "%s + %s" % (v, d[3]), "c-": "%s - %s" % (d[3], v)}[d[0]]))

    def emit_chain_moves_back(self, src, pred, label):
        """Going back over edge ``pred -> label``: each chain phi of ``label`` gives its value
        to the variable it took from ``pred``; leaving a loop backwards, its roots come
        back off the tape."""
        live = self.live_chain()
        moves = []
        for s in self.assigns(label):
            if self.is_phi(s) and s.target.name in live:
                v = incoming_value(s.value, pred, self.info)
                if v is not None and v.name in live:
                    moves.append((self.names.var(v.name), self.names.var(s.target.name)))
        if moves:
            src("%s = %s" % (", ".join(m[0] for m in moves), ", ".join(m[1] for m in moves)))
        if pred in self.info.loop_body and label not in self.info.loop_body[pred]:
            roots = self.chain_roots(pred)
            if roots:
                src("_ip -= %d" % len(roots))
                for j, name in enumerate(roots):
                    src("%s = _load_i(_it, %s)" % (self.names.var(name),
                                                   "_ip" if j == 0 else "_ip + %d" % j))

    def emit_chain_roots(self, src, src_label, dest, room):
        """Leaving loop ``src_label`` for ``dest`` in the forward sweep: tape its roots
        (with ``room`` more entries for an edge index pushed next)."""
        if src_label in self.info.loop_body and dest not in self.info.loop_body[src_label]:
            roots = self.chain_roots(src_label)
            if roots:
                self.emit_push(src, "_it", [self.names.var(n) for n in roots], room=room)
